//! Fault case: the outbox's disk is full, or its folder read-only. The
//! worker runs in its own mount namespace (`unshare`) where the outbox
//! folder is a tiny tmpfs, filled up or mounted read-only, so the machine's
//! disks are never touched. Every write fails; the ledger says why, naming
//! the folder; no contact is sent, failed or spends an attempt however
//! long it lasts (`max_attempts = 2` would have failed them all). Once the
//! operator fixes the disk, a worker sends every contact exactly once.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{ChildProcess, RedisServer};
use cobro_tests::{
    Gestion, assert_outbox_matches_ledger, cobro_bin, export_rows, launch_ok,
    outbox_worker_settings, spawn_worker_with_env, status_of, terminate_child, wait_campaign_done,
};

const DEBTORS: usize = 12;

#[test]
fn a_full_outbox_disk_keeps_every_contact_waiting_with_its_attempts() {
    run_case(
        // Fill the tmpfs: every later write fails with ENOSPC.
        "mount -t tmpfs -o size=64k tmpfs \"$OUTBOX\" && { dd if=/dev/zero of=\"$OUTBOX/filler\" bs=4k 2>/dev/null || true; }",
        "No space left on device",
    );
}

#[test]
fn a_read_only_outbox_folder_keeps_every_contact_waiting_with_its_attempts() {
    run_case(
        "mount -t tmpfs -o ro,size=64k tmpfs \"$OUTBOX\"",
        "Read-only file system",
    );
}

fn run_case(mount: &str, error: &str) {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let outbox = dir.join("outbox");
    std::fs::create_dir_all(&outbox).expect("outbox folder");
    std::fs::write(
        dir.join("cobro.toml"),
        outbox_worker_settings(
            &outbox,
            "1000/s",
            "retry_base_backoff_secs = 1\nmax_attempts = 2\n",
        ),
    )
    .expect("settings");
    let campaign = write_wall_clock_campaign(dir, DEBTORS, 0xD15C);
    launch_ok(dir, &campaign, &store);
    let (total, _) = status_of(dir, &store, "now");

    // Long enough for several rounds of retries at a 1 s backoff.
    let mut broken = spawn_in_namespace(dir, &outbox, &store, &campaign, mount);
    std::thread::sleep(Duration::from_secs(6));
    if let Some(status) = broken.try_wait().expect("wait") {
        panic!(
            "the worker exited ({status}); its log: {}",
            std::fs::read_to_string(dir.join("broken.log")).unwrap_or_default()
        );
    }
    terminate_child(&mut broken);

    let rows = export_rows(dir, &store, "now");
    let retries: Vec<&Gestion> = rows.iter().filter(|r| r.state == "retry").collect();
    assert!(
        retries.len() > DEBTORS,
        "every due contact retried, several times: {} retry rows",
        retries.len()
    );
    for row in &retries {
        assert!(
            row.detail.contains(error) && row.detail.contains(&outbox.display().to_string()),
            "the ledger names the cause and the folder: {row:?}"
        );
    }
    assert!(
        rows.iter()
            .all(|r| r.state != "sent" && r.state != "failed" && r.state != "unknown"),
        "nothing sent, failed or unknown while the disk was unusable: {:?}",
        rows.iter().map(|r| &r.state).collect::<Vec<_>>()
    );
    // Blocked contacts (and the fallbacks they planned) may have ended;
    // every contact that tried to send is still open.
    let waiting: std::collections::BTreeSet<&str> =
        retries.iter().map(|r| r.contact_id.as_str()).collect();
    let (now_total, open) = status_of(dir, &store, "now");
    assert!(now_total >= total, "nothing was dropped from the plan");
    assert!(
        open >= waiting.len() as u64,
        "{} contacts retried but only {open} are open",
        waiting.len()
    );
    assert!(
        std::fs::read_dir(&outbox).expect("outbox").next().is_none(),
        "the real folder was never written"
    );

    // The operator frees the disk: a worker on the real folder sends
    // everything, once each, with attempts to spare.
    let mut worker = spawn_worker_with_env(dir, &store, &campaign, "fixed.log", &[]);
    wait_campaign_done(dir, &store, "now", Duration::from_secs(60));
    terminate_child(&mut worker);
    let rows = export_rows(dir, &store, "now");
    let sent = assert_outbox_matches_ledger(&outbox, &rows);
    assert!(!sent.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.state != "failed" && r.state != "unknown"),
        "no contact lost its attempts to the disk"
    );
}

/// `cobro work` in a private mount namespace where `mount` (a shell line
/// using `$OUTBOX`) has replaced the outbox folder.
fn spawn_in_namespace(
    dir: &Path,
    outbox: &Path,
    store: &str,
    campaign: &Path,
    mount: &str,
) -> ChildProcess {
    let log = std::fs::File::create(dir.join("broken.log")).expect("log");
    let script = format!(
        "set -e; {mount}; exec \"$COBRO\" work --campaign \"$CAMPAIGN\" --store \"$STORE\" --config \"$CONFIG\" --outbox \"$OUTBOX\""
    );
    let child = Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-c", &script])
        .env("OUTBOX", outbox)
        .env("COBRO", cobro_bin())
        .env("CAMPAIGN", campaign)
        .env("STORE", store)
        .env("CONFIG", dir.join("cobro.toml"))
        .env_remove("COBRO_STORE")
        .env("RUST_LOG", "info")
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn unshare");
    ChildProcess::new(child, "cobro work (unshare)")
}
