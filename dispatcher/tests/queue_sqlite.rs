//! The queue driver on the embedded default: SQLite store and apalis-sqlite
//! queue, with a recording processor in place of the pipeline.

mod queue_common;

use std::sync::Arc;
use std::time::Instant;

use cobro_dispatcher::queue::{QueueBackend, run_workers};
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{ContactState, prelude::*};
use queue_common::{Behaviour, Recorder, add_due_now, never, opts};

async fn run(n: usize, shared_file: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store_url = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let queue_url = if shared_file {
        store_url.clone()
    } else {
        format!("sqlite://{}", dir.path().join("queue.db").display())
    };
    let store = Arc::new(SqliteStore::connect(&store_url).await.expect("store"));
    let ids = add_due_now(store.as_ref(), "lite", n).await;
    let recorder = Arc::new(Recorder::new(store.clone(), Behaviour::Finish));
    let started = Instant::now();
    let report = run_workers(
        store.clone(),
        recorder.clone(),
        &QueueBackend::Sqlite(queue_url),
        opts(64, 16),
        never(),
    )
    .await
    .expect("run");
    let elapsed = started.elapsed();
    eprintln!(
        "sqlite (shared file: {shared_file}): {n} contacts in {:.1}s = {:.0}/s; {report:?}",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    recorder.assert_each_once(&ids);
    let counts = store.counts(Some("lite")).await.expect("counts");
    assert_eq!(
        counts.get(&ContactState::Sent).copied(),
        Some(n as u64),
        "{counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_and_queue_in_separate_files() {
    run(5_000, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_and_queue_in_one_file() {
    run(2_000, true).await;
}
