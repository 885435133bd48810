//! The queue backends behind one face (the two apalis ones and the
//! in-process channel): connect, measure the backlog, push batches, vacuum
//! finished jobs, run a worker.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqliteStorage};
use redis::aio::ConnectionManager;
use tokio::sync::watch;

use super::in_process::InProcessQueue;
use super::job::{JobContext, handle_batch};
use super::{ContactBatch, ContactProcessor, QueueError, WorkerOptions};
use crate::store::Store;

/// Where the apalis queue lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueBackend {
    /// `sqlite://PATH` (created if missing). Best a file of its own: apalis
    /// and the store writing one SQLite file contend for its lock.
    Sqlite(String),
    /// `redis://HOST:PORT/DB`, shared by every worker process.
    Redis(String),
    /// `inprocess:`: no queue outside this process; the feeder hands
    /// batches to this process' workers (see `in_process.rs`).
    InProcess,
}

impl QueueBackend {
    /// Picks the backend from the URL scheme.
    pub fn from_url(url: &str) -> Result<QueueBackend, QueueError> {
        if url == "inprocess:" || url == "inprocess" {
            Ok(QueueBackend::InProcess)
        } else if url.starts_with("sqlite:") {
            Ok(QueueBackend::Sqlite(url.to_string()))
        } else if url.starts_with("redis://")
            || url.starts_with("rediss://")
            || url.starts_with("redis+unix://")
        {
            Ok(QueueBackend::Redis(url.to_string()))
        } else {
            Err(QueueError::UnsupportedUrl(url.to_string()))
        }
    }
}

/// A connected backend. Cheap to clone (connections are shared).
#[derive(Clone)]
pub(crate) enum Queue {
    Redis {
        storage: RedisStorage<ContactBatch>,
        conn: ConnectionManager,
    },
    Sqlite {
        storage: SqliteStorage<ContactBatch>,
        pool: SqlitePool,
        queue: String,
    },
    InProcess(InProcessQueue),
}

fn backend_err(e: impl std::fmt::Display) -> QueueError {
    QueueError::Backend(e.to_string())
}

impl Queue {
    pub(crate) async fn connect(
        backend: &QueueBackend,
        opts: &WorkerOptions,
    ) -> Result<Queue, QueueError> {
        // Jobs fetched per poll: enough to keep `concurrency` contacts busy,
        // few enough that a stopping worker hands back little.
        let fetch = jobs_in_flight(opts).clamp(1, 100);
        match backend {
            QueueBackend::InProcess => Ok(Queue::InProcess(InProcessQueue::new())),
            QueueBackend::Redis(url) => {
                // Not `apalis_redis::connect`: its 500 ms response timeout
                // turns one slow fetch on a busy server into a dead worker
                // (apalis stops a worker whose fetch fails).
                let client = redis::Client::open(url.as_str())
                    .map_err(|e| QueueError::Connect(format!("{url}: {e}")))?;
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(5)))
                    .set_response_timeout(Some(Duration::from_secs(30)));
                let conn = ConnectionManager::new_with_config(client, config)
                    .await
                    .map_err(|e| QueueError::Connect(format!("{url}: {e}")))?;
                let config = apalis_redis::Config::default()
                    .queue(&opts.queue_name)
                    .batch_size(fetch)
                    .heartbeat_interval(opts.heartbeat_interval)
                    .missed_heartbeats(opts.missed_heartbeats)
                    // Nobody subscribes; publishing per job costs Redis time.
                    .emit_events(false);
                let storage = RedisStorage::new(conn.clone()).with_config(config);
                Ok(Queue::Redis { storage, conn })
            }
            QueueBackend::Sqlite(url) => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| QueueError::Connect(format!("{url}: {e}")))?
                    .create_if_missing(true)
                    // The store may write the same file; wait for its lock
                    // rather than failing a fetch (which stops the worker).
                    .busy_timeout(Duration::from_secs(30));
                let pool = SqlitePool::connect_with(options)
                    .await
                    .map_err(|e| QueueError::Connect(format!("{url}: {e}")))?;
                SqliteStorage::setup(&pool)
                    .await
                    .map_err(|e| QueueError::Connect(format!("{url}: {e}")))?;
                let config = apalis_sqlite::Config::default()
                    .queue(&opts.queue_name)
                    .batch_size(fetch)
                    .heartbeat_interval(opts.heartbeat_interval)
                    .missed_heartbeats(opts.missed_heartbeats);
                let storage = SqliteStorage::new(&pool).with_config(config);
                Ok(Queue::Sqlite {
                    storage,
                    pool,
                    queue: opts.queue_name.clone(),
                })
            }
        }
    }

    /// Jobs waiting in apalis (not yet fetched by a worker), across all
    /// processes sharing the queue.
    pub(crate) async fn backlog(&self) -> Result<usize, QueueError> {
        match self {
            Queue::Redis { storage, conn } => {
                let config = storage.get_config();
                let (active, scheduled): (usize, usize) = redis::pipe()
                    .llen(config.active_jobs_list())
                    .zcard(config.scheduled_jobs_set())
                    .query_async(&mut conn.clone())
                    .await
                    .map_err(backend_err)?;
                Ok(active + scheduled)
            }
            Queue::Sqlite { pool, queue, .. } => {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 AND status IN ('Pending', 'Queued')",
                )
                .bind(queue)
                .fetch_one(pool)
                .await
                .map_err(backend_err)?;
                Ok(n.max(0) as usize)
            }
            Queue::InProcess(queue) => Ok(queue.backlog()),
        }
    }

    /// Pushes jobs in one round trip.
    pub(crate) async fn push(&self, jobs: Vec<ContactBatch>) -> Result<(), QueueError> {
        match self {
            Queue::Redis { storage, .. } => {
                storage.clone().push_bulk(jobs).await.map_err(backend_err)
            }
            Queue::Sqlite { storage, .. } => {
                storage.clone().push_bulk(jobs).await.map_err(backend_err)
            }
            Queue::InProcess(queue) => {
                queue.push(jobs);
                Ok(())
            }
        }
    }

    /// Deletes finished jobs so that the queue does not grow with every
    /// contact ever sent. Returns how many were removed.
    pub(crate) async fn vacuum(&self) -> Result<usize, QueueError> {
        match self {
            Queue::Redis { storage, conn } => {
                // Not apalis-redis' own vacuum: it loads every job's payload
                // into one script call and leaves the done set growing.
                // This pops finished ids in slices and deletes their data.
                let config = storage.get_config();
                let script = redis::Script::new(VACUUM_LUA);
                let mut total = 0;
                loop {
                    let n: usize = script
                        .key(config.done_jobs_set())
                        .key(config.job_data_hash())
                        .key(config.job_meta_hash())
                        .arg(VACUUM_SLICE)
                        .invoke_async(&mut conn.clone())
                        .await
                        .map_err(backend_err)?;
                    total += n;
                    if n < VACUUM_SLICE {
                        return Ok(total);
                    }
                }
            }
            Queue::Sqlite { pool, queue, .. } => {
                // Not apalis-sqlite's own vacuum: it ends with `VACUUM`,
                // which rewrites the whole file (the store's too, when
                // they share one).
                let done = sqlx::query(
                    "DELETE FROM Jobs WHERE job_type = ?1 AND status IN ('Done', 'Killed')",
                )
                .bind(queue)
                .execute(pool)
                .await
                .map_err(backend_err)?;
                Ok(done.rows_affected() as usize)
            }
            // A finished batch leaves nothing behind.
            Queue::InProcess(_) => Ok(0),
        }
    }

    /// Runs the apalis worker until `stop` turns true; then it stops
    /// fetching, lets in-flight jobs finish and hands fetched-but-unstarted
    /// jobs back to the queue.
    pub(crate) async fn run_worker<S: Store, P: ContactProcessor>(
        &self,
        name: &str,
        opts: &WorkerOptions,
        ctx: Arc<JobContext<S, P>>,
        stop: watch::Receiver<bool>,
    ) -> Result<(), QueueError> {
        let stop_for_channel = stop.clone();
        let signal = async move {
            let mut stop = stop;
            // A dropped sender also means stop.
            let _ = stop.wait_for(|s| *s).await;
            Ok::<(), WorkerError>(())
        };
        let in_flight = jobs_in_flight(opts);
        // Both arms build the same worker; the backends are different types.
        macro_rules! run {
            ($storage:expr) => {{
                // Panics are caught per contact in the handler (as
                // permanent failures), not by apalis' catch_panic layer,
                // whose fn-pointer type makes this future fail the `Send`
                // check of `tokio::spawn` (a higher-ranked lifetime
                // limitation of rustc). Boxing pins the `Send` proof here.
                let fut: std::pin::Pin<
                    Box<dyn std::future::Future<Output = Result<(), WorkerError>> + Send>,
                > = Box::pin(
                    WorkerBuilder::new(name)
                        .backend($storage.clone().poll_with_interval(opts.poll_interval))
                        .data(ctx)
                        .concurrency(in_flight)
                        .parallelize(|job| tokio::spawn(job))
                        .build(handle_batch::<S, P>)
                        .run_until(signal),
                );
                fut.await.map_err(|e| QueueError::Worker(e.to_string()))
            }};
        }
        match self {
            Queue::Redis { storage, .. } => run!(storage),
            Queue::Sqlite { storage, .. } => run!(storage),
            Queue::InProcess(queue) => {
                queue.run_worker(in_flight, ctx, stop_for_channel).await;
                Ok(())
            }
        }
    }
}

impl Queue {
    /// The feeder's wait for room in the backlog: `poll` for the apalis
    /// queues (their backlog is read from the backend), until a worker
    /// takes a job for the in-process one. True when stopping.
    pub(crate) async fn wait_for_room(
        &self,
        stop: &mut watch::Receiver<bool>,
        poll: Duration,
    ) -> bool {
        match self {
            Queue::InProcess(queue) => {
                if *stop.borrow() {
                    return true;
                }
                tokio::select! {
                    _ = queue.job_taken() => false,
                    _ = tokio::time::sleep(poll) => false,
                    _ = stop.wait_for(|s| *s) => true,
                }
            }
            _ => super::feeder::pause(stop, poll).await,
        }
    }

    /// After the feeder and the workers stopped: what no worker started
    /// goes back to the plan (only the in-process queue holds such work;
    /// apalis keeps its jobs for the next worker).
    pub(crate) async fn hand_back_unstarted<S: Store, P: ContactProcessor>(
        &self,
        ctx: &JobContext<S, P>,
    ) {
        if let Queue::InProcess(queue) = self {
            queue.hand_back_waiting(ctx).await;
        }
    }
}

/// Finished jobs deleted per script call.
const VACUUM_SLICE: usize = 1_000;

/// KEYS: done set, job data hash, job meta prefix; ARGV: how many.
const VACUUM_LUA: &str = r#"
local ids = redis.call('SPOP', KEYS[1], ARGV[1])
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3] .. ':result', id)
  redis.call('DEL', KEYS[3] .. ':' .. id)
end
return #ids
"#;

/// Jobs processed at once so that about `concurrency` contacts are.
pub(crate) fn jobs_in_flight(opts: &WorkerOptions) -> usize {
    opts.concurrency.div_ceil(opts.batch_size).max(1)
}
