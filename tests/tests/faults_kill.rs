//! Fault case: SIGKILL of a worker process at seeded random moments, five
//! times in one campaign (a worker is restarted after each kill), on a
//! private Redis and on the embedded SQLite store with its default
//! in-process queue (whose killed worker's claimed contacts come back
//! through their lease, not through apalis). Afterwards every contact is in
//! exactly one terminal state, the outbox holds each sent contact once (and
//! nothing that was not sent or left `unknown`), and no send fell outside
//! its window.

use std::time::{Duration, Instant};

use cobro_compliance::RulePack;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::RedisServer;
use cobro_tests::{
    LedgerFigures, SeededRng, assert_outbox_matches_ledger, assert_sent_inside_windows,
    export_rows, launch_ok, outbox_contacts, outbox_worker_settings, record_figures,
    spawn_worker_with_env, status_of, terminate_child, wait_campaign_done,
};

const SEED: u64 = 0x5EED_0004;

/// Short leases so killed workers' contacts come back within the test; the
/// outbox (all three channels) is rate limited so the campaign lasts long
/// enough for five kills.
fn settings(outbox: &std::path::Path) -> String {
    outbox_worker_settings(outbox, "120/s", "")
}

#[test]
fn five_sigkills_in_one_campaign_lose_nothing_and_send_nothing_twice() {
    let server = RedisServer::start().expect("redis-server");
    let work = tempfile::tempdir().expect("temp dir");
    five_sigkills(work.path(), &server.url(), "faults_kill");
}

#[test]
fn five_sigkills_on_sqlite_with_the_in_process_queue() {
    let work = tempfile::tempdir().expect("temp dir");
    let store = format!("sqlite://{}", work.path().join("cobro.db").display());
    five_sigkills(work.path(), &store, "faults_kill_sqlite");
}

fn five_sigkills(dir: &std::path::Path, store: &str, label: &str) {
    let store = store.to_string();
    let outbox = dir.join("outbox");
    std::fs::write(dir.join("cobro.toml"), settings(&outbox)).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 500, SEED);
    launch_ok(dir, &campaign, &store);

    let mut rng = SeededRng::new(SEED);
    let mut workers = vec![
        spawn_worker_with_env(dir, &store, &campaign, "w0.log", &[]),
        spawn_worker_with_env(dir, &store, &campaign, "w1.log", &[]),
    ];
    let start = Instant::now();
    let mut kills = 0;
    let mut kill_log = Vec::new();
    let mut spawned = 2;
    while kills < 5 {
        // A random moment 0.3–1.5 s after the previous kill (or the start).
        let wait = Duration::from_millis(rng.range(300, 1500));
        std::thread::sleep(wait);
        for (i, w) in workers.iter_mut().enumerate() {
            if let Some(status) = w.try_wait().expect("wait") {
                panic!(
                    "worker slot {i} exited by itself with {status}; see its log in {}",
                    dir.display()
                );
            }
        }
        let (total, open) = status_of(dir, &store, "now");
        assert!(
            open > 0,
            "the campaign ended after {kills} kills ({total} contacts): the kills must land mid-campaign"
        );
        let victim = rng.range(0, workers.len() as u64) as usize;
        let mut child = workers.remove(victim);
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        kills += 1;
        kill_log.push(format!(
            "kill {kills} at {:.1}s (worker slot {victim}, {} in outbox, {open} open)",
            start.elapsed().as_secs_f64(),
            outbox_contacts(&outbox).len()
        ));
        workers.insert(
            victim,
            spawn_worker_with_env(dir, &store, &campaign, &format!("w{spawned}.log"), &[]),
        );
        spawned += 1;
    }

    let total = wait_campaign_done(dir, &store, "now", Duration::from_secs(120));
    for mut w in workers {
        terminate_child(&mut w);
    }
    let rows = export_rows(dir, &store, "now");
    let sent = assert_outbox_matches_ledger(&outbox, &rows);
    let pack = RulePack::load(&dir.join("anytime.toml")).expect("pack");
    let checked = assert_sent_inside_windows(&rows, &dir.join("portfolio.csv"), vec![pack]);
    assert_eq!(checked, sent.len());
    let figures = LedgerFigures::of(&rows);
    assert_eq!(figures.contacts as u64, total, "status total vs ledger");
    assert!(sent.len() > 500, "most contacts go out: {figures}");
    for line in &kill_log {
        record_figures(label, line);
    }
    record_figures(
        label,
        &format!(
            "{figures} outbox={} elapsed={:.1}s",
            outbox_contacts(&outbox).len(),
            start.elapsed().as_secs_f64()
        ),
    );
}
