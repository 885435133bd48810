//! A worker process killed with SIGKILL mid-campaign: its jobs run again
//! elsewhere (apalis re-enqueues a dead worker's jobs; the store's leases
//! return its contacts to the plan), nothing is lost, and nothing is sent
//! twice (the reservation). The process killed is `queue_crash_child`
//! (`tests/bin/queue_crash_child.rs`), a worker and nothing else.

mod queue_common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cobro_dispatcher::queue::{QueueBackend, run_workers};
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::{ContactState, LedgerFilter, LedgerState, prelude::*};
use cobro_testkit::RedisServer;
use queue_common::{Behaviour, Recorder, add_due_now, crash_opts, never};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkilled_worker_loses_nothing_and_sends_nothing_twice() {
    const N: usize = 2_000;
    let server = RedisServer::start().expect("redis-server");
    let store = Arc::new(RedisStore::connect(&server.url()).await.expect("store"));
    let ids = add_due_now(store.as_ref(), "crash", N).await;

    let mut child = Command::new(env!("CARGO_BIN_EXE_queue_crash_child"))
        .arg(server.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child worker");
    // Kill it mid-campaign.
    let waiting = Instant::now();
    loop {
        let counts = store.counts(Some("crash")).await.expect("counts");
        if counts.get(&ContactState::Sent).copied().unwrap_or(0) >= 300 {
            break;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "child never got going: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    let _ = child.wait();
    let at_kill = store.counts(Some("crash")).await.expect("counts");
    eprintln!("at kill: {at_kill:?}");

    // Another process finishes the campaign.
    let recorder = Arc::new(Recorder::new(
        store.clone(),
        Behaviour::Reserve(Duration::from_millis(5)),
    ));
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        run_workers(
            store.clone(),
            recorder,
            &QueueBackend::Redis(server.url()),
            crash_opts(),
            never(),
        ),
    )
    .await
    .expect("the survivor finishes")
    .expect("run");
    eprintln!("survivor: {report:?}");

    let counts = store.counts(Some("crash")).await.expect("counts");
    eprintln!("final: {counts:?}");
    let sent = counts.get(&ContactState::Sent).copied().unwrap_or(0);
    let unknown = counts.get(&ContactState::Unknown).copied().unwrap_or(0);
    assert_eq!(
        sent + unknown,
        N as u64,
        "every contact ends sent, or unknown if the kill hit mid-send: {counts:?}"
    );
    assert!(
        unknown <= 32,
        "only contacts in flight at the kill can be unknown: {counts:?}"
    );

    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("crash".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let mut sends: HashMap<&str, usize> = HashMap::new();
    for row in rows.iter().filter(|r| r.state == LedgerState::Sent) {
        *sends.entry(row.contact_id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = sends.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    for id in &ids {
        let state = store.contact(id).await.expect("get").expect("exists").state;
        let sent_rows = sends.get(id.as_str()).copied().unwrap_or(0);
        match state {
            ContactState::Sent => assert_eq!(sent_rows, 1, "{id}"),
            ContactState::Unknown => {
                assert_eq!(sent_rows, 0, "{id}: unknown means no recorded send")
            }
            other => panic!("{id} ended {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_restart_mid_campaign_loses_nothing_and_sends_nothing_twice() {
    const N: usize = 3_000;
    let mut server = RedisServer::start_with_aof().expect("redis-server");
    let store = Arc::new(RedisStore::connect(&server.url()).await.expect("store"));
    let ids = add_due_now(store.as_ref(), "restart", N).await;
    let recorder = Arc::new(Recorder::new(
        store.clone(),
        Behaviour::Reserve(Duration::from_millis(5)),
    ));
    let run = tokio::spawn({
        let (store, recorder, queue) = (
            store.clone(),
            recorder.clone(),
            QueueBackend::Redis(server.url()),
        );
        async move { run_workers(store, recorder, &queue, crash_opts(), never()).await }
    });
    let waiting = Instant::now();
    while recorder.total_calls() < 500 {
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "worker never got going"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::task::block_in_place(|| server.restart()).expect("restart redis");
    let report = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the run survives the restart and finishes")
        .expect("join")
        .expect("run");
    eprintln!("after restart: {report:?}");

    let counts = store.counts(Some("restart")).await.expect("counts");
    let sent = counts.get(&ContactState::Sent).copied().unwrap_or(0);
    let unknown = counts.get(&ContactState::Unknown).copied().unwrap_or(0);
    assert_eq!(sent + unknown, N as u64, "{counts:?}");
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("restart".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let mut sends: HashMap<&str, usize> = HashMap::new();
    for row in rows.iter().filter(|r| r.state == LedgerState::Sent) {
        *sends.entry(row.contact_id.as_str()).or_default() += 1;
    }
    assert!(sends.values().all(|n| *n == 1), "a contact was sent twice");
    assert_eq!(sends.len() as u64, sent, "one sent row per sent contact");
    assert!(
        ids.iter()
            .all(|id| recorder.calls(id) > 0 || sends.contains_key(id.as_str()))
    );
}
