//! The in-process queue (`--queue inprocess:`) on the SQLite store, with a
//! recording processor in place of the pipeline: every contact once, errors
//! handled as apalis handles them, a stop hands the unstarted batches back
//! to the plan, two processes on one store never process a contact twice.

mod queue_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cobro_dispatcher::queue::{QueueBackend, run_workers};
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{ContactState, prelude::*};
use queue_common::{
    Behaviour, Recorder, add_due_now, check_permanent_errors, check_transient_errors, never, opts,
};

async fn sqlite() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let store = Arc::new(SqliteStore::connect(&url).await.expect("store"));
    (dir, store)
}

#[test]
fn the_url_names_it() {
    assert_eq!(
        QueueBackend::from_url("inprocess:").expect("url"),
        QueueBackend::InProcess
    );
    let e = QueueBackend::from_url("kafka://x").expect_err("unknown scheme");
    assert!(e.to_string().contains("inprocess:"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_contact_is_processed_exactly_once() {
    const N: usize = 5_000;
    let (_dir, store) = sqlite().await;
    let ids = add_due_now(store.as_ref(), "lite", N).await;
    let recorder = Arc::new(Recorder::new(store.clone(), Behaviour::Finish));
    let report = tokio::time::timeout(
        Duration::from_secs(120),
        run_workers(
            store.clone(),
            recorder.clone(),
            &QueueBackend::InProcess,
            opts(64, 16),
            never(),
        ),
    )
    .await
    .expect("finishes")
    .expect("run");
    eprintln!("{report:?}");
    recorder.assert_each_once(&ids);
    assert_eq!(report.fed_contacts, N as u64, "{report:?}");
    assert_eq!(report.jobs, report.fed_jobs, "no batch ran twice");
    let counts = store.counts(Some("lite")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Sent).copied(), Some(N as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permanent_errors_are_recorded_once_and_not_retried() {
    let (_dir, store) = sqlite().await;
    check_permanent_errors(store, &QueueBackend::InProcess).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transient_errors_are_retried_until_they_pass() {
    let (_dir, store) = sqlite().await;
    check_transient_errors(store, &QueueBackend::InProcess).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stop_hands_unstarted_batches_back_and_a_restart_finishes() {
    const N: usize = 3_000;
    let (_dir, store) = sqlite().await;
    let ids = add_due_now(store.as_ref(), "stop", N).await;
    let recorder = Arc::new(Recorder::new(
        store.clone(),
        Behaviour::Slow(Duration::from_millis(20)),
    ));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut o = opts(32, 4);
    o.stop_when_idle = false;
    let run = tokio::spawn({
        let (store, recorder) = (store.clone(), recorder.clone());
        async move {
            run_workers(store, recorder, &QueueBackend::InProcess, o, async move {
                let _ = rx.await;
            })
            .await
        }
    });
    let waiting = Instant::now();
    while recorder.total_calls() < 200 {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "the worker never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.send(()).expect("signal");
    let first = tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .expect("stops promptly")
        .expect("join")
        .expect("run");
    eprintln!("{first:?}");
    assert!(
        first.processed() > 0 && (first.processed() as usize) < N,
        "{first:?}"
    );
    assert!(first.handed_back > 0, "batches were waiting: {first:?}");
    let counts = store.counts(Some("stop")).await.expect("counts");
    for state in [ContactState::Queued, ContactState::Sending] {
        assert_eq!(
            counts.get(&state).copied().unwrap_or(0),
            0,
            "nothing left {state:?} for a lease to find: {counts:?}"
        );
    }

    let second = tokio::time::timeout(
        Duration::from_secs(120),
        run_workers(
            store.clone(),
            recorder.clone(),
            &QueueBackend::InProcess,
            opts(64, 8),
            never(),
        ),
    )
    .await
    .expect("finishes")
    .expect("run again");
    eprintln!("{second:?}");
    recorder.assert_each_once(&ids);
    let counts = store.counts(Some("stop")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Sent).copied(), Some(N as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_store_never_process_a_contact_twice() {
    const N: usize = 4_000;
    let (_dir, store) = sqlite().await;
    let ids = add_due_now(store.as_ref(), "two", N).await;
    let a = Arc::new(Recorder::new(store.clone(), Behaviour::Finish));
    let b = Arc::new(Recorder::sharing(store.clone(), &a));
    let (ra, rb) = tokio::join!(
        run_workers(
            store.clone(),
            a.clone(),
            &QueueBackend::InProcess,
            opts(32, 8),
            never()
        ),
        run_workers(
            store.clone(),
            b.clone(),
            &QueueBackend::InProcess,
            opts(32, 8),
            never()
        ),
    );
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    eprintln!("{ra:?}\n{rb:?}");
    a.assert_each_once(&ids);
    assert_eq!(ra.fed_contacts + rb.fed_contacts, N as u64);
}

#[test]
fn a_sqlite_store_gets_the_in_process_queue_and_redis_is_its_own() {
    use cobro_dispatcher::cli::work::default_queue_url;
    assert_eq!(
        default_queue_url("sqlite:///var/lib/cobro.db"),
        "inprocess:"
    );
    assert_eq!(
        default_queue_url("redis://127.0.0.1:6379/0"),
        "redis://127.0.0.1:6379/0"
    );
}
