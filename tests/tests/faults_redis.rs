//! Fault case: the Redis store (AOF on, `appendfsync always`) is killed
//! and restarted mid-campaign while two workers run. The workers must
//! survive the outage (a worker that exits is a bug: the test fails and
//! names its log), and afterwards every contact is in exactly one terminal
//! state, the outbox holds each sent contact once, and no send fell
//! outside its window.

use std::time::{Duration, Instant};

use cobro_compliance::RulePack;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::RedisServer;
use cobro_tests::{
    LedgerFigures, SeededRng, assert_outbox_matches_ledger, assert_sent_inside_windows,
    export_rows, launch_ok, outbox_contacts, outbox_worker_settings, record_figures,
    spawn_worker_with_env, terminate_child, wait_campaign_done,
};

const SEED: u64 = 0x5EED_0005;

fn settings(outbox: &std::path::Path) -> String {
    outbox_worker_settings(outbox, "100/s", "retry_base_backoff_secs = 1\n")
}

#[test]
fn redis_restarted_mid_campaign_leaves_a_consistent_ledger() {
    let mut server = RedisServer::start_with_aof().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let outbox = dir.join("outbox");
    std::fs::write(dir.join("cobro.toml"), settings(&outbox)).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 400, SEED);
    launch_ok(dir, &campaign, &store);

    let mut rng = SeededRng::new(SEED);
    let mut workers = [
        spawn_worker_with_env(dir, &store, &campaign, "w0.log", &[]),
        spawn_worker_with_env(dir, &store, &campaign, "w1.log", &[]),
    ];
    let start = Instant::now();
    // Restart once a seeded share (15–40 %) of the first ~1,000 contacts is out.
    let threshold = rng.range(150, 400) as usize;
    while outbox_contacts(&outbox).len() < threshold {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the workers sent too little before the restart"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = outbox_contacts(&outbox).len();
    let down_for = Duration::from_millis(rng.range(500, 2000));
    server.kill();
    std::thread::sleep(down_for);
    server
        .restart()
        .expect("redis-server restarts on the same port");
    let restarted_at = start.elapsed();

    // Both workers must ride out the outage.
    std::thread::sleep(Duration::from_secs(3));
    for (i, w) in workers.iter_mut().enumerate() {
        if let Some(status) = w.try_wait().expect("wait") {
            let log = std::fs::read_to_string(dir.join(format!("w{i}.log"))).unwrap_or_default();
            let tail: String = log
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!("worker {i} exited with {status} after the Redis restart; log tail:\n{tail}");
        }
    }

    let total = wait_campaign_done(dir, &store, "now", Duration::from_secs(100));
    for w in &mut workers {
        terminate_child(w);
    }
    let rows = export_rows(dir, &store, "now");
    let sent = assert_outbox_matches_ledger(&outbox, &rows);
    let pack = RulePack::load(&dir.join("anytime.toml")).expect("pack");
    let checked = assert_sent_inside_windows(&rows, &dir.join("portfolio.csv"), vec![pack]);
    assert_eq!(checked, sent.len());
    let figures = LedgerFigures::of(&rows);
    assert_eq!(figures.contacts as u64, total);
    assert!(sent.len() > 400, "most contacts go out: {figures}");
    record_figures(
        "faults_redis",
        &format!(
            "redis down {:.1}s after {before} sends (restarted at {:.1}s); {figures} outbox={} elapsed={:.1}s",
            down_for.as_secs_f64(),
            restarted_at.as_secs_f64(),
            outbox_contacts(&outbox).len(),
            start.elapsed().as_secs_f64()
        ),
    );
}
