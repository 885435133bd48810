//! Provider quotas shared by every worker process: a GCRA (generic cell
//! rate algorithm) kept in Redis, so that two `cobro work` processes on two
//! machines together never exceed a provider's rate. governor's limiters
//! (`cobro_channels::rate_limit`) only hold inside one process.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cobro_channels::rate_limit::RateLimit;
use redis::Script;
use redis::aio::ConnectionManager;

/// One token per call; answers 0 when granted, else the microseconds to
/// wait. Uses the server's clock so that machines with skewed clocks agree.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return allow_at - now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return 0
"#;

#[derive(Debug, thiserror::Error)]
#[error("provider quota in Redis: {0}")]
pub struct QuotaError(String);

/// Rate limits per provider, enforced in Redis across processes.
#[derive(Clone)]
pub struct RedisQuota {
    conn: ConnectionManager,
    prefix: String,
    limits: HashMap<String, RateLimit>,
    script: Script,
}

impl RedisQuota {
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisQuota, QuotaError> {
        let client = redis::Client::open(url).map_err(|e| QuotaError(e.to_string()))?;
        let conn = ConnectionManager::new(client)
            .await
            .map_err(|e| QuotaError(e.to_string()))?;
        Ok(RedisQuota {
            conn,
            prefix: prefix.to_string(),
            limits: HashMap::new(),
            script: Script::new(GCRA),
        })
    }

    pub fn set(&mut self, provider: &str, limit: RateLimit) {
        self.limits.insert(provider.to_string(), limit);
    }

    pub fn is_empty(&self) -> bool {
        self.limits.is_empty()
    }

    /// Waits for one token of `provider` and returns how long it waited. A
    /// provider without a limit, or a Redis that cannot be reached, never
    /// blocks a send on its own: the provider's own 429 (`Throttled`) is
    /// the backstop, and the failure is logged.
    pub async fn until_ready(&self, provider: &str) -> Duration {
        let Some(limit) = self.limits.get(provider) else {
            return Duration::ZERO;
        };
        let interval_us = (limit.per.as_micros() / u128::from(limit.count.get())).max(1) as u64;
        let tolerance_us =
            interval_us.saturating_mul(u64::from(limit.effective_burst().get()).saturating_sub(1));
        let key = format!("{}quota:{provider}", self.prefix);
        let started = Instant::now();
        loop {
            let mut conn = self.conn.clone();
            let wait: Result<u64, _> = self
                .script
                .key(&key)
                .arg(interval_us)
                .arg(tolerance_us)
                .invoke_async(&mut conn)
                .await;
            match wait {
                Ok(0) => return started.elapsed(),
                Ok(us) => tokio::time::sleep(Duration::from_micros(us)).await,
                Err(e) => {
                    tracing::warn!(provider, error = %e, "provider quota unavailable; relying on the provider's throttling");
                    return started.elapsed();
                }
            }
        }
    }
}
