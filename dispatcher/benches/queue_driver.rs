//! Throughput of the queue driver alone (no pipeline): a no-op processor and
//! one that finishes each contact, and bare apalis-redis beside it:
//! `cargo bench -p cobro-dispatcher --bench queue_driver`.
//! Each starts its own redis-server so the numbers are comparable.

#[path = "../tests/queue_common/mod.rs"]
mod queue_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use cobro_dispatcher::queue::{QueueBackend, WorkerOptions, run_workers};
use cobro_dispatcher::store::redis::RedisStore;
use cobro_testkit::RedisServer;
use queue_common::{Behaviour, Recorder, add_due_now, opts};

const N: usize = 100_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Contacts/s through the driver with a processor that does nothing (the
/// driver's own cost: claim, push, fetch, ack) and with one that finishes
/// each contact in the store (one more script call per contact).
async fn bench_driver_contacts_per_second() {
    let concurrency = env_usize("BENCH_CONCURRENCY", 256);
    let batch = env_usize("BENCH_BATCH", 32);
    for behaviour in [Behaviour::NoOp, Behaviour::Finish] {
        let server = RedisServer::start().expect("redis-server");
        let store = Arc::new(RedisStore::connect(&server.url()).await.expect("store"));
        let ids = add_due_now(store.as_ref(), "bench", N).await;
        let recorder = Arc::new(Recorder::new(store.clone(), behaviour));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut o: WorkerOptions = opts(concurrency, batch);
        o.stop_when_idle = false;
        let started = Instant::now();
        let run = tokio::spawn({
            let (store, recorder, queue) = (
                store.clone(),
                recorder.clone(),
                QueueBackend::Redis(server.url()),
            );
            async move {
                run_workers(store, recorder, &queue, o, async move {
                    let _ = rx.await;
                })
                .await
            }
        });
        while recorder.total_calls() < N as u64 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = started.elapsed();
        let _ = tx.send(());
        let report = run.await.expect("join").expect("run");
        recorder.assert_each_once(&ids);
        println!(
            "driver {behaviour:?}: {N} contacts due at once, concurrency {concurrency}, batch {batch}: {:.2}s = {:.0} contacts/s ({} jobs)",
            elapsed.as_secs_f64(),
            N as f64 / elapsed.as_secs_f64(),
            report.jobs
        );
    }
}

/// Bare apalis-redis: empty jobs/s on the same kind of Redis, fed so that
/// its backlog stays below the size that kills the worker.
async fn bench_bare_apalis_redis_empty_jobs_per_second() {
    const JOBS: usize = 50_000;
    const BACKLOG: usize = 4_000;
    let concurrency = env_usize("BENCH_CONCURRENCY", 50);
    let server = RedisServer::start().expect("redis-server");
    let conn = apalis_redis::connect(server.url()).await.expect("connect");
    let config = apalis_redis::Config::default().queue("bench:bare");
    let storage: RedisStorage<u32> = RedisStorage::new(conn.clone()).with_config(config.clone());
    let done = Arc::new(AtomicU64::new(0));

    // Feeder: keep the backlog topped up to BACKLOG.
    let feeder = tokio::spawn({
        let mut storage = storage.clone();
        let mut conn = conn.clone();
        async move {
            let mut pushed = 0usize;
            while pushed < JOBS {
                let (active, scheduled): (usize, usize) = redis::pipe()
                    .llen(config.active_jobs_list())
                    .zcard(config.scheduled_jobs_set())
                    .query_async(&mut conn)
                    .await
                    .expect("backlog");
                let room = BACKLOG
                    .saturating_sub(active + scheduled)
                    .min(JOBS - pushed);
                if room >= 500 || (room > 0 && pushed + room == JOBS) {
                    storage
                        .push_bulk((0..room as u32).collect())
                        .await
                        .expect("push");
                    pushed += room;
                } else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
    });
    async fn empty(_job: u32, done: Data<Arc<AtomicU64>>) -> Result<(), BoxDynError> {
        done.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    let started = Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn({
        let done = done.clone();
        async move {
            let fut: std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<(), WorkerError>> + Send>,
            > = Box::pin(
                WorkerBuilder::new(format!("bench-bare-{}", std::process::id()))
                    .backend(storage.poll_with_interval(Duration::from_millis(50)))
                    .data(done)
                    .concurrency(concurrency)
                    .build(empty)
                    .run_until(async move {
                        let _ = rx.await;
                        Ok::<(), WorkerError>(())
                    }),
            );
            fut.await
        }
    });
    while done.load(Ordering::Relaxed) < JOBS as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "bare apalis stalled at {}",
            done.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let _ = tx.send(());
    feeder.await.expect("feeder");
    let _ = worker.await;
    println!(
        "bare apalis-redis: {JOBS} empty jobs, default config, concurrency {concurrency}, poll 50 ms: {:.2}s = {:.0} jobs/s",
        elapsed.as_secs_f64(),
        JOBS as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    bench_driver_contacts_per_second().await;
    bench_bare_apalis_redis_empty_jobs_per_second().await;
}
