//! The soak (issue 15, item 5): real time, two `cobro work` processes on a
//! private Redis (AOF on) that is SIGKILLed and restarted every 2 minutes,
//! SMS and voice through the Twilio transport to a double failing 30 % of
//! requests, email through the SMTP transport to `smtp-sink` behind a proxy
//! failing 30 % of transactions. Every 10 s it samples each worker's
//! resident memory (`/proc/PID/status`, VmRSS). At the end: every contact
//! terminal, none sent twice (ledger and doubles), none outside its window,
//! and the memory curve. Exits non-zero (a panic) on any violation.
//!
//! ```sh
//! cargo build -p cobro-dispatcher --bin cobro
//! cargo run -p cobro-tests --example soak -- 10
//! ```
//! (the arguments are the minutes of faults, 10 by default, and the
//! debtors, 3,000 by default; it drives the
//! `cobro` binary of the same profile, `--release` for both or neither).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cobro_compliance::RulePack;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{RedisServer, SmtpSink};
use cobro_tests::{
    FaultySmtpProxy, FaultyTwilio, LedgerFigures, assert_ledger_consistent,
    assert_sent_inside_windows, contact_counts, export_rows, launch_ok, spawn_worker_with_env,
    status_of, terminate_child, wait_campaign_done,
};

const SEED: u64 = 0x50A4;
const TOKEN: &str = "soak-twilio-token";
/// Per channel. With 30 % of requests failing (slow answers hold a
/// connection 2 s) a 3,000-debtor campaign (about 8,600 contacts with the
/// fallbacks) then lasts about ten minutes.
const RATE: &str = "10/s";
const DEBTORS: usize = 3_000;

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    // A smaller portfolio for a loaded machine, where 10/s per channel
    // would not drain 3,000 debtors' contacts in the run's time.
    let debtors: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEBTORS);
    let mut server = RedisServer::start_with_aof().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let twilio = FaultyTwilio::start(SEED, 0.3, Duration::from_millis(3500));
    let sink = SmtpSink::start(&[]);
    let proxy = FaultySmtpProxy::start(sink.port, SEED ^ 1, 0.3, Duration::from_millis(3500));
    let mut settings = String::from(
        "[worker]\nconcurrency = 16\nbatch_size = 4\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 60\nretry_base_backoff_secs = 1\nmax_attempts = 4\n",
    );
    settings.push_str(&format!(
        "journal_dir = {:?}\n",
        dir.join("journal").display().to_string()
    ));
    for kind in ["sms", "voice"] {
        settings.push_str(&format!(
            "\n[channels.{kind}]\nprovider = \"twilio\"\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token = \"${{TWILIO_AUTH_TOKEN}}\"\nbase_url = \"{}\"\ntimeout = \"2s\"\nrate_limit = \"{RATE}\"\n",
            twilio.base_url()
        ));
    }
    settings.push_str(&format!(
        "\n[channels.email]\nprovider = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Cobranzas Andinas <avisos@cobranzas.example>\"\ntimeout = \"2s\"\nmax_concurrent = 8\nrate_limit = \"{RATE}\"\n",
        proxy.port
    ));
    std::fs::write(dir.join("cobro.toml"), settings).expect("settings");
    let campaign = write_wall_clock_campaign(dir, debtors, SEED);
    launch_ok(dir, &campaign, &store);
    let (planned, _) = status_of(dir, &store, "now");
    println!("soak: {debtors} debtors, {planned} contacts planned, {minutes} min of faults");

    let env = [("TWILIO_AUTH_TOKEN", TOKEN)];
    let mut workers = [
        spawn_worker_with_env(dir, &store, &campaign, "w0.log", &env),
        spawn_worker_with_env(dir, &store, &campaign, "w1.log", &env),
    ];
    let start = Instant::now();
    let mut restarts = 0;
    let mut next_restart = Duration::from_secs(120);
    let mut next_sample = Duration::ZERO;
    let mut samples: Vec<(u64, u64, u64, u64)> = Vec::new();
    println!("| t (s) | worker 0 RSS (MB) | worker 1 RSS (MB) | contacts open |");
    println!("|---|---|---|---|");
    while start.elapsed() < Duration::from_secs(minutes * 60) {
        if start.elapsed() >= next_sample {
            let rss: Vec<u64> = workers.iter().map(|w| rss_kb(w.id())).collect();
            let open = status_of(dir, &store, "now").1;
            let t = start.elapsed().as_secs();
            println!(
                "| {t} | {:.1} | {:.1} | {open} |",
                rss[0] as f64 / 1024.0,
                rss[1] as f64 / 1024.0
            );
            samples.push((t, rss[0], rss[1], open));
            next_sample += Duration::from_secs(10);
        }
        if start.elapsed() >= next_restart {
            server.kill();
            std::thread::sleep(Duration::from_millis(1500));
            server.restart().expect("redis restarts on the same port");
            restarts += 1;
            next_restart += Duration::from_secs(120);
        }
        for (i, w) in workers.iter_mut().enumerate() {
            if let Some(status) = w.try_wait().expect("wait") {
                panic!("worker {i} exited with {status}; see {}", dir.display());
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let total = wait_campaign_done(dir, &store, "now", Duration::from_secs(600));
    for w in &mut workers {
        terminate_child(w);
    }

    let rows = export_rows(dir, &store, "now");
    let sent = assert_ledger_consistent(&rows);
    let figures = LedgerFigures::of(&rows);
    assert_eq!(figures.contacts as u64, total, "every contact terminal");
    let pack = RulePack::load(&dir.join("anytime.toml")).expect("pack");
    let checked = assert_sent_inside_windows(&rows, &dir.join("portfolio.csv"), vec![pack]);
    assert_eq!(checked, sent.len());
    let mut accepted: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for h in twilio.hits().iter().filter(|h| h.fault.accepted()) {
        let text = h
            .form
            .get("Body")
            .or_else(|| h.form.get("Twiml"))
            .cloned()
            .unwrap_or_default();
        *accepted
            .entry((h.resource.clone(), h.form["To"].clone(), text))
            .or_default() += 1;
    }
    let twice = accepted.values().filter(|n| **n > 1).count();
    assert_eq!(twice, 0, "Twilio accepted a message twice");
    let twice = contact_counts(&sink).values().filter(|n| **n > 1).count();
    assert_eq!(twice, 0, "smtp-sink got a contact twice");

    // Flat: the last minute's resident memory against the second minute's
    // (the first is start-up).
    let avg = |from: u64, to: u64| {
        let window: Vec<u64> = samples
            .iter()
            .filter(|s| s.0 >= from && s.0 < to)
            .map(|s| s.1 + s.2)
            .collect();
        window.iter().sum::<u64>() as f64 / window.len().max(1) as f64 / 2048.0
    };
    let end = minutes * 60;
    let early = avg(60, 120);
    let late = avg(end.saturating_sub(60), end);
    println!(
        "soak: {:.0} s, {restarts} Redis restarts; {figures}; sent twice 0, outside a window 0; \
         mean worker RSS {early:.1} MB in minute 2, {late:.1} MB in the last minute",
        start.elapsed().as_secs_f64()
    );
    assert!(
        late <= early * 1.25 + 5.0,
        "worker memory grew: {early:.1} MB -> {late:.1} MB"
    );
}

/// Resident memory of a process, in KB (0 once it is gone).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
