//! Reads the apalis queue's own state for `/metrics` and `/healthz`: how
//! many jobs wait, are scheduled, run or were given up, straight from the
//! backend (the apalis-redis lists and sets, the apalis-sqlite `Jobs`
//! table), not from the store's `queued` contacts.
//!
//! Its own connection, separate from the workers': a scrape or a health
//! check must neither queue behind a worker's long fetch nor stop a worker
//! when it fails, and it only ever reads.

use std::str::FromStr;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::queue::QueueBackend;

/// Longest a probe may take: a health check that hangs is worse than one
/// that says "unreachable".
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the queue could not be read.
#[derive(Debug, thiserror::Error)]
pub enum QueueProbeError {
    #[error("{url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{url}: no answer within {PROBE_TIMEOUT:?}")]
    Timeout { url: String },
}

/// Jobs in the queue by state; one job carries up to `worker.batch_size`
/// contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueJobs {
    /// Due and waiting for a worker to fetch them.
    pub pending: u64,
    /// Waiting for a later instant (apalis retries, delayed pushes).
    pub scheduled: u64,
    /// Fetched by a worker (running, or held by a worker that died until
    /// its heartbeat is missed and apalis hands them back).
    pub running: u64,
    /// Given up by apalis (attempts exhausted or aborted).
    pub dead: u64,
}

impl QueueJobs {
    /// `(state label, count)` in a stable order.
    pub fn by_state(&self) -> [(&'static str, u64); 4] {
        [
            ("pending", self.pending),
            ("scheduled", self.scheduled),
            ("running", self.running),
            ("dead", self.dead),
        ]
    }
}

struct RedisQueue {
    client: redis::Client,
    /// Connected on first use, so that a process starts (and reports the
    /// queue as down) while Redis is away.
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    config: apalis_redis::Config,
}

enum Backend {
    /// Boxed: far larger than a pool handle.
    Redis(Box<RedisQueue>),
    Sqlite {
        pool: SqlitePool,
    },
}

/// A read-only view of one apalis queue.
pub struct QueueProbe {
    /// The URL without credentials, for messages.
    url: String,
    queue: String,
    backend: Backend,
}

/// `redis://user:secret@host` → `redis://host`: the URL goes into health
/// answers and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// KEYS: active list, scheduled zset, dead set, workers zset; ARGV: the
/// prefix of the per-worker in-flight sets (`{queue}:inflight`), now in
/// Unix seconds. apalis-redis pushes even a job due now into the scheduled
/// set (scored by its run time) and moves it to the active list on a
/// fetch, so the due part of that set is pending too. One round trip, one
/// consistent snapshot.
const COUNTS_LUA: &str = r#"
local pending = redis.call('LLEN', KEYS[1]) + redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[2])
local scheduled = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[2], '+inf')
local dead = redis.call('SCARD', KEYS[3])
local running = 0
for _, worker in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  running = running + redis.call('SCARD', ARGV[1] .. ':' .. worker)
end
return {pending, scheduled, running, dead}
"#;

/// One pass over the queue's rows. apalis-sqlite retries a `Failed` job
/// while attempts remain, so those still wait; `Queued` rows were fetched
/// by a worker that has not started them yet.
const COUNTS_SQL: &str = "SELECT
    COALESCE(SUM(CASE WHEN (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))
                       AND (run_at IS NULL OR run_at <= ?2) THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))
                       AND run_at > ?2 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN status IN ('Queued', 'Running') THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts)
                       THEN 1 ELSE 0 END), 0)
FROM Jobs WHERE job_type = ?1";

impl QueueProbe {
    /// A probe of queue `queue_name` on `backend`. Connects lazily: only a
    /// malformed URL fails here.
    pub fn new(backend: &QueueBackend, queue_name: &str) -> Result<QueueProbe, QueueProbeError> {
        match backend {
            QueueBackend::Redis(url) => {
                let shown = redact(url);
                let client = redis::Client::open(url.as_str()).map_err(|e| {
                    QueueProbeError::Unreachable {
                        url: shown.clone(),
                        message: e.to_string(),
                    }
                })?;
                Ok(QueueProbe {
                    url: shown,
                    queue: queue_name.to_string(),
                    backend: Backend::Redis(Box::new(RedisQueue {
                        client,
                        conn: tokio::sync::Mutex::new(None),
                        config: apalis_redis::Config::default().queue(queue_name),
                    })),
                })
            }
            QueueBackend::InProcess => Err(QueueProbeError::Unreachable {
                url: "inprocess:".into(),
                message: "the in-process queue lives inside its worker; nothing to probe".into(),
            }),
            QueueBackend::Sqlite(url) => {
                let shown = redact(url);
                // Never creates the file: a queue no worker has set up is
                // reported as missing, not silently made empty.
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| QueueProbeError::Unreachable {
                        url: shown.clone(),
                        message: e.to_string(),
                    })?
                    .create_if_missing(false)
                    .busy_timeout(Duration::from_secs(2));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(PROBE_TIMEOUT)
                    .connect_lazy_with(options);
                Ok(QueueProbe {
                    url: shown,
                    queue: queue_name.to_string(),
                    backend: Backend::Sqlite { pool },
                })
            }
        }
    }

    /// The queue's name (`cobro:contacts`), for labels.
    pub fn queue_name(&self) -> &str {
        &self.queue
    }

    /// The jobs by state; an error means the queue is unreachable.
    pub async fn jobs(&self) -> Result<QueueJobs, QueueProbeError> {
        match tokio::time::timeout(PROBE_TIMEOUT, self.read()).await {
            Ok(result) => result,
            Err(_) => Err(QueueProbeError::Timeout {
                url: self.url.clone(),
            }),
        }
    }

    fn unreachable(&self, e: impl std::fmt::Display) -> QueueProbeError {
        QueueProbeError::Unreachable {
            url: self.url.clone(),
            message: e.to_string(),
        }
    }

    async fn read(&self) -> Result<QueueJobs, QueueProbeError> {
        match &self.backend {
            Backend::Redis(redis_queue) => {
                let RedisQueue {
                    client,
                    conn,
                    config,
                } = redis_queue.as_ref();
                let mut conn = {
                    let mut slot = conn.lock().await;
                    match slot.as_ref() {
                        Some(c) => c.clone(),
                        None => {
                            let cfg = ConnectionManagerConfig::new()
                                .set_connection_timeout(Some(Duration::from_secs(2)))
                                .set_response_timeout(Some(Duration::from_secs(2)))
                                .set_number_of_retries(1);
                            let c = ConnectionManager::new_with_config(client.clone(), cfg)
                                .await
                                .map_err(|e| self.unreachable(e))?;
                            *slot = Some(c.clone());
                            c
                        }
                    }
                };
                let (pending, scheduled, running, dead): (u64, u64, u64, u64) =
                    redis::Script::new(COUNTS_LUA)
                        .key(config.active_jobs_list())
                        .key(config.scheduled_jobs_set())
                        .key(config.dead_jobs_set())
                        .key(config.workers_set())
                        .arg(config.inflight_jobs_set())
                        .arg(chrono::Utc::now().timestamp())
                        .invoke_async(&mut conn)
                        .await
                        .map_err(|e| self.unreachable(e))?;
                Ok(QueueJobs {
                    pending,
                    scheduled,
                    running,
                    dead,
                })
            }
            Backend::Sqlite { pool } => {
                let now = chrono::Utc::now().timestamp();
                let (pending, scheduled, running, dead): (i64, i64, i64, i64) =
                    sqlx::query_as(COUNTS_SQL)
                        .bind(&self.queue)
                        .bind(now)
                        .fetch_one(pool)
                        .await
                        .map_err(|e| self.unreachable(e))?;
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok(QueueJobs {
                    pending: n(pending),
                    scheduled: n(scheduled),
                    running: n(running),
                    dead: n(dead),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_leave_the_probe() {
        assert_eq!(
            redact("redis://user:s3cret@redis.internal:6379/0"),
            "redis://redis.internal:6379/0"
        );
        assert_eq!(redact("sqlite://q.db"), "sqlite://q.db");
    }

    #[tokio::test]
    async fn a_missing_sqlite_queue_is_unreachable_and_not_created() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nothing.queue.db");
        let url = format!("sqlite://{}", path.display());
        let probe = QueueProbe::new(&QueueBackend::Sqlite(url), "cobro:contacts").expect("probe");
        assert!(probe.jobs().await.is_err());
        assert!(!path.exists(), "a probe must not create the queue");
    }
}
