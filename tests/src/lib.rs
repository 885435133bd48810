//! Helpers for the end-to-end tests in `tests/tests/*.rs`, which drive the
//! real `cobro` binary (built by `scripts/test.sh` before the tests run).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `cobro` binary next to this test executable (`target/<profile>/`),
/// wherever `CARGO_TARGET_DIR` points.
pub fn cobro_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join(format!("cobro{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it first with `cargo build -p cobro-dispatcher --bin cobro` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The repository root (for `config/examples`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

/// Runs `cobro ARGS` in `cwd`, with no inherited `COBRO_STORE`.
pub fn cobro(cwd: &Path, args: &[&str]) -> Output {
    Command::new(cobro_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("COBRO_STORE")
        .env("COBRO_EXAMPLES", repo_root().join("config/examples"))
        .output()
        .expect("run cobro")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One row of `cobro export gestiones`.
#[derive(Debug, Clone)]
pub struct Gestion {
    pub contact_id: String,
    pub account: String,
    pub channel: String,
    pub state: String,
    pub at: String,
    pub timezones: String,
    pub rules: String,
    pub code: String,
    pub provider_id: String,
}

/// Parses the ledger CSV, checking the documented header.
pub fn parse_gestiones(csv_text: &str) -> Vec<Gestion> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header row").clone();
    for column in [
        "contact_id",
        "campaign",
        "account",
        "step",
        "channel",
        "state",
        "at",
        "timezones",
        "rules",
        "code",
        "detail",
        "provider",
        "provider_id",
        "attempt",
    ] {
        assert!(
            headers.iter().any(|h| h == column),
            "export lacks column {column}: {headers:?}"
        );
    }
    let idx = |name: &str| headers.iter().position(|h| h == name).expect("column");
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv row");
            Gestion {
                contact_id: r[idx("contact_id")].to_string(),
                account: r[idx("account")].to_string(),
                channel: r[idx("channel")].to_string(),
                state: r[idx("state")].to_string(),
                at: r[idx("at")].to_string(),
                timezones: r[idx("timezones")].to_string(),
                rules: r[idx("rules")].to_string(),
                code: r[idx("code")].to_string(),
                provider_id: r[idx("provider_id")].to_string(),
            }
        })
        .collect()
}

/// A campaign written into `dir` that runs on the wall clock *now*: its
/// start date is yesterday and every step is due at 00:00 local, under a
/// rules pack open around the clock (the window logic itself is proven on
/// the virtual clock). Returns the campaign file's path.
pub fn write_wall_clock_campaign(dir: &Path, debtors: usize, seed: u64) -> PathBuf {
    use std::fmt::Write as _;
    let examples = repo_root().join("config/examples");
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let options = cobro_campaigns::generator::GeneratorOptions {
        reference_date: yesterday,
        bad_rows: 0,
    };
    let portfolio = std::fs::File::create(dir.join("portfolio.csv")).expect("create portfolio");
    cobro_campaigns::generator::write_portfolio_csv(
        std::io::BufWriter::new(portfolio),
        debtors,
        seed,
        &options,
    )
    .expect("write portfolio");
    let mut windows = String::from("[windows]\n");
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        let _ = writeln!(windows, "{day} = [\"00:00-24:00\"]");
    }
    std::fs::write(
        dir.join("anytime.toml"),
        format!(
            "id = \"anytime\"\nname = \"Test pack open around the clock\"\n\n{windows}\n[targets]\nallowed_roles = [\"debtor\", \"guarantor\", \"co_obligor\"]\nblocked_flags = [\"minor\", \"deceased\", \"cease_communication\"]\n"
        ),
    )
    .expect("write pack");
    std::fs::write(
        dir.join("strategy.toml"),
        "id = \"now\"\nstop_on = [\"paid\", \"opt_out\"]\n\n\
         [[steps]]\nid = \"e\"\nday = 0\nchannel = \"email\"\ntemplate = \"recordatorio\"\nsend_at = \"00:00\"\n\n\
         [[steps]]\nid = \"s\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\nfallback = \"email\"\n\n\
         [[steps]]\nid = \"v\"\nday = 0\nchannel = \"voice\"\ntemplate = \"mensaje_voz\"\nsend_at = \"00:00\"\nfallback = \"sms\"\n",
    )
    .expect("write strategy");
    let campaign = dir.join("campaign.toml");
    std::fs::write(
        &campaign,
        format!(
            "id = \"now\"\nstart_date = \"{yesterday}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = {:?}\n\n\
             [rules]\ndefault = [\"anytime.toml\"]\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://pagos.example/p/\"\n",
            examples.join("templates").display().to_string()
        ),
    )
    .expect("write campaign");
    campaign
}

/// `cobro status --json` → (total, open) of one campaign.
pub fn status_of(cwd: &Path, store: &str, campaign: &str) -> (u64, u64) {
    let out = cobro(cwd, &["status", campaign, "--json", "--store", store]);
    assert!(out.status.success(), "status failed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let c = &v["campaigns"][campaign];
    (
        c["total"].as_u64().unwrap_or(0),
        c["open"].as_u64().unwrap_or(u64::MAX),
    )
}

/// Every contact's last ledger row is terminal and no contact was sent
/// twice; returns the ids sent.
pub fn assert_ledger_consistent(rows: &[Gestion]) -> std::collections::BTreeSet<String> {
    const TERMINAL: [&str; 7] = [
        "sent",
        "delivered",
        "undelivered",
        "blocked",
        "cancelled",
        "failed",
        "unknown",
    ];
    let mut last = std::collections::BTreeMap::new();
    let mut sent = std::collections::BTreeSet::new();
    for row in rows {
        last.insert(row.contact_id.clone(), row.state.clone());
        if row.state == "sent" {
            assert!(
                sent.insert(row.contact_id.clone()),
                "{} was sent twice",
                row.contact_id
            );
        }
    }
    for (contact, state) in &last {
        assert!(
            TERMINAL.contains(&state.as_str()),
            "{contact} ends in non-terminal state {state}"
        );
    }
    sent
}

/// The contact ids in an outbox folder, checking none appears twice.
pub fn outbox_contacts(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut ids = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return ids;
    };
    for entry in entries {
        let name = entry
            .expect("outbox entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') {
            continue; // a message being written (temp file, then hard link)
        }
        let stem = percent_decode(name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s));
        assert!(ids.insert(stem.clone()), "outbox holds {stem} twice");
    }
    ids
}

/// Outbox file names percent-encode the contact id (`/` → `%2F`).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let (b'%', Some(&hi), Some(&lo)) = (bytes[i], bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(hi), Some(lo)) = (hex(hi), hex(lo))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Helpers for the fault suite (`tests/tests/faults_*.rs`), the bad-input
// corpus and the security checks.
// ---------------------------------------------------------------------------

/// A small seeded generator (SplitMix64): the fault suite's "random"
/// moments and fault choices are reproducible from the seed.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
}

/// Spawns `cobro work --campaign CAMPAIGN` in `dir` with `dir/cobro.toml`
/// and the outbox `dir/outbox`, logging to `dir/LOG`, with extra
/// environment variables.
pub fn spawn_worker_with_env(
    dir: &Path,
    store: &str,
    campaign: &Path,
    log: &str,
    env: &[(&str, &str)],
) -> std::process::Child {
    let log = std::fs::File::create(dir.join(log)).expect("log file");
    let mut cmd = Command::new(cobro_bin());
    cmd.args(["work", "--campaign"])
        .arg(campaign)
        .args(["--store", store, "--config"])
        .arg(dir.join("cobro.toml"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .current_dir(dir)
        .env_remove("COBRO_STORE")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn cobro work")
}

/// Polls `cobro status` until campaign `id` has contacts and none open.
/// Returns the total, or panics after `timeout`.
pub fn wait_campaign_done(dir: &Path, store: &str, id: &str, timeout: std::time::Duration) -> u64 {
    let start = std::time::Instant::now();
    loop {
        let (total, open) = status_of(dir, store, id);
        if total > 0 && open == 0 {
            return total;
        }
        assert!(
            start.elapsed() < timeout,
            "campaign {id} still has {open} of {total} contacts open after {timeout:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// SIGTERM, then waits (at most 20 s) for a clean exit.
pub fn terminate_child(child: &mut std::process::Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(
                status.success(),
                "worker exited with {status} after SIGTERM"
            );
            return;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("worker did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// `cobro export gestiones --campaign ID`, parsed.
pub fn export_rows(dir: &Path, store: &str, campaign: &str) -> Vec<Gestion> {
    let export = cobro(
        dir,
        &[
            "export",
            "gestiones",
            "--campaign",
            campaign,
            "--store",
            store,
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    parse_gestiones(&stdout(&export))
}

/// Counts of a campaign's contacts by their final ledger state, plus the
/// number of `retry` rows and of contacts that were retried.
#[derive(Debug, Default, Clone)]
pub struct LedgerFigures {
    pub contacts: usize,
    pub by_state: std::collections::BTreeMap<String, usize>,
    pub retry_rows: usize,
    pub retried_contacts: usize,
    pub deferred_rows: usize,
}

impl LedgerFigures {
    pub fn of(rows: &[Gestion]) -> Self {
        let mut last = std::collections::BTreeMap::new();
        let mut retried = std::collections::BTreeSet::new();
        let mut figures = LedgerFigures::default();
        for row in rows {
            last.insert(row.contact_id.as_str(), row.state.as_str());
            if row.state == "retry" {
                figures.retry_rows += 1;
                retried.insert(row.contact_id.as_str());
            }
            if row.state == "deferred" {
                figures.deferred_rows += 1;
            }
        }
        figures.contacts = last.len();
        figures.retried_contacts = retried.len();
        for state in last.values() {
            *figures.by_state.entry(state.to_string()).or_default() += 1;
        }
        figures
    }

    pub fn count(&self, state: &str) -> usize {
        self.by_state.get(state).copied().unwrap_or(0)
    }
}

impl std::fmt::Display for LedgerFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "contacts={}", self.contacts)?;
        for (state, n) in &self.by_state {
            write!(f, " {state}={n}")?;
        }
        write!(
            f,
            " retry_rows={} retried_contacts={} deferred_rows={}",
            self.retry_rows, self.retried_contacts, self.deferred_rows
        )
    }
}

/// Checks the outbox against the ledger: every contact recorded `sent` is
/// in the outbox exactly once, and the outbox holds nothing else but
/// `unknown` contacts (those died mid-send). Returns the sent ids.
pub fn assert_outbox_matches_ledger(
    outbox: &Path,
    rows: &[Gestion],
) -> std::collections::BTreeSet<String> {
    let sent = assert_ledger_consistent(rows);
    let unknown: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.state == "unknown")
        .map(|r| r.contact_id.as_str())
        .collect();
    let delivered = outbox_contacts(outbox);
    for id in &sent {
        assert!(
            delivered.contains(id),
            "{id} recorded sent but not in the outbox"
        );
    }
    for id in &delivered {
        assert!(
            sent.contains(id) || unknown.contains(id.as_str()),
            "{id} in the outbox but not recorded sent"
        );
    }
    sent
}

/// Re-asks `packs` about every `sent` row of the ledger (the accounts
/// read from `portfolio`): none may have gone out outside a window (codes
/// `outside_hours`, `closed_day`, `holiday`). Returns how many were checked.
pub fn assert_sent_inside_windows(
    rows: &[Gestion],
    portfolio: &Path,
    packs: Vec<cobro_compliance::RulePack>,
) -> usize {
    use cobro_compliance::{ComplianceGuard, ContactAttempt, DebtorProfile};
    let accounts = cobro_campaigns::import::import_path(portfolio)
        .expect("portfolio")
        .accounts;
    let by_id: std::collections::BTreeMap<&str, _> =
        accounts.iter().map(|a| (a.id.as_str(), a)).collect();
    let guard = ComplianceGuard::with_packs(packs);
    let mut checked = 0;
    for row in rows.iter().filter(|r| r.state == "sent") {
        let account = by_id[row.account.as_str()];
        let channel = row.channel.parse().expect("channel");
        let point = account
            .contact_point_for(channel)
            .expect("sent to an address");
        let at: chrono::DateTime<chrono::Utc> = row.at.parse().expect("rfc3339");
        let verdict = guard.decide(
            &ContactAttempt {
                channel,
                suppressed: false,
            },
            &DebtorProfile::from_account(account, point),
            &[],
            at,
        );
        let window_problem: Vec<_> = verdict
            .reasons
            .iter()
            .filter(|r| ["outside_hours", "closed_day", "holiday"].contains(&r.code.as_str()))
            .collect();
        assert!(
            window_problem.is_empty(),
            "{} sent at {} outside its window: {:?}",
            row.contact_id,
            row.at,
            verdict.reasons
        );
        checked += 1;
    }
    checked
}

/// Appends one line to `target/fault-figures.txt` (next to the test
/// binaries) so RELIABILITY.md's figures can be read after a run.
pub fn record_figures(case: &str, line: &str) {
    use std::io::Write as _;
    eprintln!("[{case}] {line}");
    if let Some(dir) = cobro_bin().parent() {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("fault-figures.txt"))
        {
            let _ = writeln!(f, "{} [{case}] {line}", chrono::Utc::now().to_rfc3339());
        }
    }
}
