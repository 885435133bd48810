//! Fault case: SIGKILL outside the workers. `cobro launch` is killed
//! half-way through writing its plan, and `cobro payments import` half-way
//! through a creditor's file, on SQLite and on a private Redis. A rerun
//! completes the work and the store ends as after one uninterrupted run:
//! every contact planned once and claimable once, every payment counted
//! once.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use cobro_dispatcher::store::PlanStore;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{ChildProcess, RedisServer};
use cobro_tests::{
    cobro, cobro_bin, launch_ok, parse_gestion_events, record_figures, status_of, stderr, stdout,
};

const SEED: u64 = 0x5EED_0C4A;
/// Big enough that the debug binary is still writing its plan well after
/// the first contacts are visible (launch writes 2,000 accounts per
/// transaction).
const ACCOUNTS: usize = 6_000;
/// Rows of the payments file: each is its own store write, so the import
/// is still running when the first payments are visible.
const PAYMENTS: usize = 800;

#[test]
fn sqlite_launch_and_payments_import_survive_sigkill() {
    let work = tempfile::tempdir().expect("temp dir");
    let store = format!("sqlite://{}", work.path().join("cobro.db").display());
    let reference = format!("sqlite://{}", work.path().join("reference.db").display());
    crash_and_rerun(work.path(), &store, &reference);
}

#[test]
fn redis_launch_and_payments_import_survive_sigkill() {
    let server = RedisServer::start().expect("redis-server");
    let reference = RedisServer::start().expect("redis-server");
    let work = tempfile::tempdir().expect("temp dir");
    crash_and_rerun(work.path(), &server.url(), &reference.url());
}

fn crash_and_rerun(dir: &Path, store: &str, reference: &str) {
    let case = if store.starts_with("redis") {
        "faults_crash redis"
    } else {
        "faults_crash sqlite"
    };
    let campaign = write_wall_clock_campaign(dir, ACCOUNTS, SEED);
    launch_ok(dir, &campaign, reference);
    let (expected_total, _) = status_of(dir, reference, "now");

    // Killed once the first contacts are in the store.
    let launch = spawn(dir, &["launch", path(&campaign), "--store", store]);
    kill_when(launch, "cobro launch", || {
        status_of(dir, store, "now").0 > 0
    });
    let planned_at_kill = status_of(dir, store, "now").0;
    assert!(
        planned_at_kill < expected_total,
        "the launch was killed half-way: {planned_at_kill} of {expected_total} contacts were in the store"
    );
    let rerun = launch_ok(dir, &campaign, store);
    let (total, open) = status_of(dir, store, "now");
    assert_eq!(
        (total, open),
        (expected_total, expected_total),
        "after the rerun: {rerun}"
    );

    // The creditor's file: a partial payment for each of the first accounts
    // (partial, so no payment cancels a contact and the plans stay equal).
    let accounts = cobro_campaigns::import::import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let file = dir.join("pagos.csv");
    let mut text = String::from("cuenta,importe,fecha,referencia\n");
    for (i, account) in accounts.iter().take(PAYMENTS).enumerate() {
        text.push_str(&format!("{},1.00,2026-12-03,DEP-{i}\n", account.id));
    }
    std::fs::write(&file, text).expect("payments file");
    let import = spawn(dir, &["payments", "import", path(&file), "--store", store]);
    kill_when(import, "cobro payments import", || {
        !payment_events(dir, store).is_empty()
    });
    let recorded_before = payment_events(dir, store).len();
    assert!(
        recorded_before > 0 && recorded_before < PAYMENTS,
        "the import was killed half-way: {recorded_before} of {PAYMENTS} payments recorded"
    );

    let rerun = cobro(dir, &["payments", "import", path(&file), "--store", store]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert!(
        stdout(&rerun).contains(&format!(
            "{} payments recorded, {recorded_before} already recorded",
            PAYMENTS - recorded_before
        )),
        "the rerun records exactly what the killed import had not: {}",
        stdout(&rerun)
    );
    let events = payment_events(dir, store);
    let distinct: BTreeSet<&(String, String)> = events.iter().collect();
    assert_eq!(events.len(), PAYMENTS, "each payment once");
    assert_eq!(distinct.len(), PAYMENTS, "no payment counted twice");
    record_figures(
        case,
        &format!(
            "launch killed with {planned_at_kill} of {expected_total} contacts written, rerun complete; \
             payments import killed with {recorded_before} of {PAYMENTS} recorded, rerun recorded {}",
            PAYMENTS - recorded_before
        ),
    );
    let again = cobro(dir, &["payments", "import", path(&file), "--store", store]);
    assert!(
        stdout(&again).contains(&format!("0 payments recorded, {PAYMENTS} already recorded")),
        "{}",
        stdout(&again)
    );

    // Every planned contact is claimable exactly once, the same ones as in
    // the store that was never interrupted.
    let claimed = claim_everything(store);
    let claimed_reference = claim_everything(reference);
    assert_eq!(
        claimed.len() as u64,
        expected_total,
        "every contact claimable once"
    );
    assert_eq!(
        claimed, claimed_reference,
        "the same plan as an uninterrupted launch"
    );
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn spawn(dir: &Path, args: &[&str]) -> ChildProcess {
    let child = Command::new(cobro_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("COBRO_STORE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn cobro");
    ChildProcess::new(child, "cobro")
}

/// SIGKILLs `child` as soon as `ready` holds, checking that it was still
/// running then.
fn kill_when(mut child: ChildProcess, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("{what} ended ({status}) before it could be killed half-way");
        }
        if ready() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{what} wrote nothing in 120 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "{what} was killed: {status}");
}

/// (account, detail) of every payment row in the ledger export.
fn payment_events(dir: &Path, store: &str) -> Vec<(String, String)> {
    let out = cobro(dir, &["export", "gestiones", "--store", store]);
    assert!(out.status.success(), "{}", stderr(&out));
    parse_gestion_events(&stdout(&out))
        .into_iter()
        .filter(|e| e.kind == "payment")
        .map(|e| (e.account, e.detail))
        .collect()
}

/// Claims every contact of the store (a year ahead of now), sorted ids;
/// a contact claimable twice would appear twice.
fn claim_everything(url: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = AnyStore::connect(url).await.expect("store");
        let later = Utc::now() + chrono::Duration::days(365);
        let mut ids = Vec::new();
        loop {
            let batch = store.claim_due(later, 5_000).await.expect("claim");
            if batch.is_empty() {
                break;
            }
            ids.extend(batch.into_iter().map(|r| r.contact.id));
        }
        ids.sort();
        ids
    })
}
