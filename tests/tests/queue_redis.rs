//! The wall-clock queue end to end on a private redis-server: two `cobro
//! work` processes share one Redis; a worker killed with SIGKILL mid-run.
//! Afterwards every contact is in one terminal state, the outbox holds each
//! sent contact once, and a re-launch adds nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{ChildProcess, RedisServer};
use cobro_tests::{
    assert_ledger_consistent, cobro, launch_ok, outbox_contacts, parse_gestiones,
    spawn_worker_with_env, status_of, stderr, stdout, terminate_child,
};

/// Short leases so a killed worker's contacts come back within the test.
const SETTINGS: &str = "[worker]\nconcurrency = 16\nbatch_size = 8\npoll_interval_ms = 50\nqueued_lease_secs = 25\nsending_lease_secs = 8\n";

fn spawn_worker(dir: &Path, store: &str, campaign: &Path, log: &str) -> ChildProcess {
    spawn_worker_with_env(dir, store, campaign, log, &[])
}

fn wait_until_done(dir: &Path, store: &str, timeout: Duration) -> u64 {
    let start = Instant::now();
    loop {
        let (total, open) = status_of(dir, store, "now");
        if total > 0 && open == 0 {
            return total;
        }
        assert!(
            start.elapsed() < timeout,
            "campaign still has {open} of {total} contacts open after {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn audit(dir: &Path, store: &str) -> usize {
    let export = cobro(
        dir,
        &["export", "gestiones", "--campaign", "now", "--store", store],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let rows = parse_gestiones(&stdout(&export));
    let sent = assert_ledger_consistent(&rows);
    let outbox = outbox_contacts(&dir.join("outbox"));
    let unknown: Vec<&str> = rows
        .iter()
        .filter(|r| r.state == "unknown")
        .map(|r| r.contact_id.as_str())
        .collect();
    // An `unknown` contact may or may not have reached the outbox (it died
    // mid-send); every sent one did, exactly once, and nothing else did.
    for id in &sent {
        assert!(
            outbox.contains(id),
            "{id} recorded sent but not in the outbox"
        );
    }
    for id in &outbox {
        assert!(
            sent.contains(id) || unknown.contains(&id.as_str()),
            "{id} in the outbox but not recorded sent"
        );
    }
    sent.len()
}

#[test]
fn two_workers_share_one_redis_and_send_each_contact_once() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    std::fs::write(dir.join("cobro.toml"), SETTINGS).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 300, 7);

    launch_ok(dir, &campaign, &store);
    let mut a = spawn_worker(dir, &store, &campaign, "a.log");
    let mut b = spawn_worker(dir, &store, &campaign, "b.log");
    let total = wait_until_done(dir, &store, Duration::from_secs(120));
    terminate_child(&mut a);
    terminate_child(&mut b);
    assert!(
        total >= 900,
        "300 accounts × 3 steps, plus fallbacks: {total}"
    );
    let sent = audit(dir, &store);
    assert!(sent > 300, "most contacts go out: {sent}");
    let logs = std::fs::read_to_string(dir.join("a.log")).unwrap_or_default()
        + &std::fs::read_to_string(dir.join("b.log")).unwrap_or_default();
    assert!(
        !logs.contains("@gmail.com") && !logs.contains("+52"),
        "logs leak an address"
    );

    let again = launch_ok(dir, &campaign, &store);
    assert!(
        again.contains(", 0 new"),
        "re-launch added contacts: {again}"
    );
}

#[test]
fn a_worker_killed_mid_campaign_loses_nothing_and_sends_nothing_twice() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    std::fs::write(dir.join("cobro.toml"), SETTINGS).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 1500, 11);
    launch_ok(dir, &campaign, &store);

    let mut victim = spawn_worker(dir, &store, &campaign, "victim.log");
    let start = Instant::now();
    while outbox_contacts(&dir.join("outbox")).len() < 200 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first worker sent too little"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    victim.kill().expect("SIGKILL");
    let _ = victim.wait();
    let (total, open_after_kill) = status_of(dir, &store, "now");
    assert!(
        open_after_kill > 0,
        "the kill came too late to prove anything ({total} total)"
    );

    let mut survivor = spawn_worker(dir, &store, &campaign, "survivor.log");
    wait_until_done(dir, &store, Duration::from_secs(150));
    terminate_child(&mut survivor);
    audit(dir, &store);
}
