//! Helpers for the end-to-end tests in `tests/tests/*.rs`, which drive the
//! real `cobro` binary (built by `scripts/test.sh` before the tests run).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cobro_testkit::{ChildProcess, SmtpSink};

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

/// `cobro launch CAMPAIGN --store STORE`, which must succeed; its stdout.
pub fn launch_ok(dir: &Path, campaign: &Path, store: &str) -> String {
    let out = cobro(
        dir,
        &[
            "launch",
            campaign.to_str().expect("utf-8"),
            "--store",
            store,
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// `cobro.toml` for the fault cases: short leases so a dead worker's
/// contacts come back within the test, `extra_worker` lines added to
/// `[worker]`, and every channel on an outbox in `outbox` limited to
/// `rate_limit` (which makes the campaign last long enough to disturb).
pub fn outbox_worker_settings(outbox: &Path, rate_limit: &str, extra_worker: &str) -> String {
    let mut s = format!(
        "[worker]\nconcurrency = 16\nbatch_size = 8\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 5\n{extra_worker}"
    );
    for kind in ["email", "sms", "voice"] {
        s.push_str(&format!(
            "\n[channels.{kind}]\nprovider = \"outbox\"\ndir = {:?}\nrate_limit = \"{rate_limit}\"\n",
            outbox.display().to_string()
        ));
    }
    s
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
) -> ChildProcess {
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
    ChildProcess::new(cmd.spawn().expect("spawn cobro work"), "cobro work")
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
///
/// # Panics
/// When the process is still running after 20 s (it is then killed) or
/// exits unsuccessfully.
pub fn terminate_child(child: &mut ChildProcess) {
    let status = child.stop_within(std::time::Duration::from_secs(20));
    assert!(
        status.success(),
        "worker exited with {status} after SIGTERM"
    );
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
    if let Some(dir) = cobro_bin().parent()
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("fault-figures.txt"))
    {
        let _ = writeln!(f, "{} [{case}] {line}", chrono::Utc::now().to_rfc3339());
    }
}

/// What a fault double did with one request or SMTP transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Answered normally (accepted).
    None,
    /// HTTP 500 / SMTP 451: a transient server error.
    ServerError,
    /// HTTP 429 with `Retry-After: 1` / SMTP 421 "try later" and close.
    Throttled,
    /// No answer until well past the client's timeout; the provider did
    /// accept the message (an HTTP 201 nobody reads).
    Slow,
    /// The connection is closed without an answer; nothing accepted.
    Dropped,
}

impl Fault {
    /// A fault 30 % of the time, the four kinds equally likely.
    pub fn draw(rng: &mut SeededRng, rate: f64) -> Fault {
        let x = rng.next_f64();
        if x >= rate {
            return Fault::None;
        }
        match (x / rate * 4.0) as u32 {
            0 => Fault::ServerError,
            1 => Fault::Throttled,
            2 => Fault::Slow,
            _ => Fault::Dropped,
        }
    }

    /// Whether the provider took the message (so a second one would be a
    /// duplicate).
    pub fn accepted(self) -> bool {
        matches!(self, Fault::None | Fault::Slow)
    }
}

/// One request seen by [`FaultyTwilio`].
#[derive(Debug, Clone)]
pub struct TwilioHit {
    /// `Messages.json` or `Calls.json`.
    pub resource: String,
    pub form: std::collections::BTreeMap<String, String>,
    pub authorization: String,
    pub fault: Fault,
    /// The resource sid answered (also for `Slow`).
    pub sid: String,
    /// When the request arrived (before any latency or fault).
    pub at: chrono::DateTime<chrono::Utc>,
}

type Shared<T> = std::sync::Arc<std::sync::Mutex<T>>;

/// A Twilio REST double on a plain socket (so it can also drop
/// connections), answering `fault_rate` of the requests with a seeded
/// fault. One request per connection (`Connection: close`).
pub struct FaultyTwilio {
    pub port: u16,
    pub hits: Shared<Vec<TwilioHit>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FaultyTwilio {
    /// `slow_for` is how long a slow answer takes (set it past the
    /// client's timeout).
    pub fn start(seed: u64, fault_rate: f64, slow_for: std::time::Duration) -> FaultyTwilio {
        FaultyTwilio::start_with_latency(seed, fault_rate, slow_for, std::time::Duration::ZERO)
    }

    /// Like [`FaultyTwilio::start`], every normal answer taking `latency`
    /// (messages stay in flight that long).
    pub fn start_with_latency(
        seed: u64,
        fault_rate: f64,
        slow_for: std::time::Duration,
        latency: std::time::Duration,
    ) -> FaultyTwilio {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let hits: Shared<Vec<TwilioHit>> = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(SeededRng::new(seed)));
        let (h, s) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut counter = 0u64;
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        counter += 1;
                        let (h, rng) = (h.clone(), rng.clone());
                        std::thread::spawn(move || {
                            let _ = serve_twilio(
                                conn, counter, &h, &rng, fault_rate, slow_for, latency,
                            );
                        });
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        FaultyTwilio { port, hits, stop }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn hits(&self) -> Vec<TwilioHit> {
        self.hits.lock().expect("hits").clone()
    }
}

impl Drop for FaultyTwilio {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn url_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

fn serve_twilio(
    conn: std::net::TcpStream,
    n: u64,
    hits: &Shared<Vec<TwilioHit>>,
    rng: &Shared<SeededRng>,
    fault_rate: f64,
    slow_for: std::time::Duration,
    latency: std::time::Duration,
) -> std::io::Result<()> {
    use std::io::{BufRead, Read, Write};
    let arrived = chrono::Utc::now();
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = std::io::BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut length = 0usize;
    let mut authorization = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        let value = value.trim().to_string();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization = value;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let form = String::from_utf8_lossy(&body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (url_decode(k), url_decode(v)))
        .collect();
    let resource = path.rsplit('/').next().unwrap_or("").to_string();
    let fault = Fault::draw(&mut rng.lock().expect("rng"), fault_rate);
    let sid = format!(
        "{}{n:032x}",
        if resource.starts_with("Calls") {
            "CA"
        } else {
            "SM"
        }
    );
    hits.lock().expect("hits").push(TwilioHit {
        resource,
        form,
        authorization,
        fault,
        sid: sid.clone(),
        at: arrived,
    });
    let mut conn = conn;
    let respond = |conn: &mut std::net::TcpStream, status: &str, extra: &str, body: &str| {
        let _ = write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
        let _ = conn.flush();
    };
    let ok = format!("{{\"sid\":\"{sid}\",\"status\":\"queued\",\"num_segments\":\"1\"}}");
    match fault {
        Fault::None => {
            std::thread::sleep(latency);
            respond(&mut conn, "201 Created", "", &ok);
        }
        Fault::ServerError => respond(
            &mut conn,
            "500 Internal Server Error",
            "",
            "{\"code\":20500,\"message\":\"Internal Server Error\",\"status\":500}",
        ),
        Fault::Throttled => respond(
            &mut conn,
            "429 Too Many Requests",
            "Retry-After: 1\r\n",
            "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}",
        ),
        Fault::Slow => {
            std::thread::sleep(slow_for);
            respond(&mut conn, "201 Created", "", &ok);
        }
        Fault::Dropped => {}
    }
    let _ = conn.shutdown(std::net::Shutdown::Both);
    Ok(())
}

/// Contact ids of the messages `sink` received (from `Message-ID`, which
/// cobro derives from the contact id), with how many times each came.
pub fn contact_counts(sink: &SmtpSink) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for raw in sink.messages() {
        if let Some(id) = message_contact_id(&raw) {
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
}

/// The contact id in a message's `Message-ID` (`<local@domain>`, with
/// `=XX` escapes), if any.
pub fn message_contact_id(raw: &str) -> Option<String> {
    let header_end = raw.find("\r\n\r\n").or_else(|| raw.find("\n\n"))?;
    let line = raw[..header_end]
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))?;
    let value = line.split_once(':')?.1.trim();
    let local = value.trim_start_matches('<').rsplit_once('@')?.0;
    let bytes = local.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = local.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A line-level SMTP proxy in front of [`SmtpSink`] that faults
/// `fault_rate` of the transactions at `MAIL FROM` (seeded): 451
/// (transient server error), 421 and close (throttled), no answer past
/// the client's timeout then close (slow; nothing reaches the sink), or a
/// dropped connection. A faulted transaction never reaches the sink.
pub struct FaultySmtpProxy {
    pub port: u16,
    pub faults: Shared<Vec<Fault>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FaultySmtpProxy {
    pub fn start(
        upstream: u16,
        seed: u64,
        fault_rate: f64,
        slow_for: std::time::Duration,
    ) -> FaultySmtpProxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let faults: Shared<Vec<Fault>> = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(SeededRng::new(seed)));
        let (f, s) = (faults.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (f, rng) = (f.clone(), rng.clone());
                        std::thread::spawn(move || {
                            let _ = proxy_smtp(client, upstream, &f, &rng, fault_rate, slow_for);
                        });
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        FaultySmtpProxy { port, faults, stop }
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.faults.lock().expect("faults").clone()
    }
}

impl Drop for FaultySmtpProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn proxy_smtp(
    client: std::net::TcpStream,
    upstream: u16,
    faults: &Shared<Vec<Fault>>,
    rng: &Shared<SeededRng>,
    fault_rate: f64,
    slow_for: std::time::Duration,
) -> std::io::Result<()> {
    use std::io::{BufRead, Write};
    client.set_nonblocking(false)?;
    let server = std::net::TcpStream::connect(("127.0.0.1", upstream))?;
    let (mut server_read, mut client_write) = (server.try_clone()?, client.try_clone()?);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Both);
    });
    let mut to_client = client.try_clone()?;
    let mut to_server = server.try_clone()?;
    let mut reader = std::io::BufReader::new(client.try_clone()?);
    let mut in_data = false;
    let close = |a: &std::net::TcpStream, b: &std::net::TcpStream| {
        let _ = a.shutdown(std::net::Shutdown::Both);
        let _ = b.shutdown(std::net::Shutdown::Both);
    };
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            close(&client, &server);
            return Ok(());
        }
        if in_data {
            if line == b".\r\n" || line == b".\n" {
                in_data = false;
            }
        } else {
            let upper = String::from_utf8_lossy(&line).to_ascii_uppercase();
            if upper.starts_with("DATA") {
                in_data = true;
            } else if upper.starts_with("MAIL FROM") {
                let fault = Fault::draw(&mut rng.lock().expect("rng"), fault_rate);
                faults.lock().expect("faults").push(fault);
                match fault {
                    Fault::None => {}
                    Fault::ServerError => {
                        to_client.write_all(b"451 4.3.0 Local error in processing\r\n")?;
                        continue;
                    }
                    Fault::Throttled => {
                        to_client.write_all(b"421 4.7.0 Too many messages, try later\r\n")?;
                        close(&client, &server);
                        return Ok(());
                    }
                    Fault::Slow => {
                        std::thread::sleep(slow_for);
                        close(&client, &server);
                        return Ok(());
                    }
                    Fault::Dropped => {
                        close(&client, &server);
                        return Ok(());
                    }
                }
            }
        }
        to_server.write_all(&line)?;
    }
}

/// A minimal HTTP/1.1 request on a fresh connection (`Connection:
/// close`); returns the status code and the body.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port))?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// `application/x-www-form-urlencoded` for a list of pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Starts `cobro serve` in `dir` (with `dir/cobro.toml`), waits for its
/// "listening" line on stdout, and returns the child; stderr goes to
/// `dir/LOG`.
pub fn spawn_serve(dir: &Path, args: &[&str], env: &[(&str, &str)], log: &str) -> ChildProcess {
    use std::io::BufRead;
    let mut cmd = Command::new(cobro_bin());
    cmd.arg("serve")
        .args(args)
        .arg("--config")
        .arg(dir.join("cobro.toml"))
        .current_dir(dir)
        .env_remove("COBRO_STORE")
        .env_remove("COBRO_API_TOKEN")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.join(log)).expect("log"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = ChildProcess::new(cmd.spawn().expect("start cobro serve"), "cobro serve");
    let stdout = child.take_stdout().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("listening line");
    assert!(
        !line.is_empty(),
        "cobro serve printed nothing: {}",
        std::fs::read_to_string(dir.join(log)).unwrap_or_default()
    );
    child
}
