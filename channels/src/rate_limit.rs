//! Provider rate limits inside one process (governor's GCRA).
//!
//! Providers cap throughput per account (Twilio: per number / messaging
//! service; Vonage: per API key), so limits are per provider and, when a
//! provider caps each sender separately, per sender too. With the Redis
//! store the dispatcher enforces the shared quota across processes; this
//! module is the in-process part.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};

/// A rate such as `10/s` or `600/min`, with an optional burst. Without a
/// burst, one second's worth of tokens (at least one) may go at once, so
/// `600/min` trickles 10 per second instead of firing 600 at the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: NonZeroU32,
    pub per: Duration,
    pub burst: Option<NonZeroU32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate `{0}`: expected N/s, N/min or N/h with N > 0")]
pub struct InvalidRate(pub String);

impl RateLimit {
    pub fn per_second(count: NonZeroU32) -> Self {
        RateLimit {
            count,
            per: Duration::from_secs(1),
            burst: None,
        }
    }

    pub fn per_minute(count: NonZeroU32) -> Self {
        RateLimit {
            count,
            per: Duration::from_secs(60),
            burst: None,
        }
    }

    pub fn with_burst(mut self, burst: NonZeroU32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// Sustained rate in messages per second (for reports and simulation).
    pub fn per_second_f64(&self) -> f64 {
        f64::from(self.count.get()) / self.per.as_secs_f64()
    }

    /// The burst in force (explicit, or one second's worth).
    pub fn effective_burst(&self) -> NonZeroU32 {
        self.burst.unwrap_or_else(|| {
            let per_sec = self
                .per_second_f64()
                .ceil()
                .max(1.0)
                .min(f64::from(u32::MAX));
            NonZeroU32::new(per_sec as u32).unwrap_or(NonZeroU32::MIN)
        })
    }

    pub fn quota(&self) -> Quota {
        let period = self.per / self.count.get();
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.effective_burst())
    }
}

impl FromStr for RateLimit {
    type Err = InvalidRate;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidRate(s.to_string());
        let (n, unit) = s.split_once('/').ok_or_else(bad)?;
        let count: NonZeroU32 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(RateLimit {
            count,
            per,
            burst: None,
        })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            3600 => "h",
            _ => return write!(f, "{}/{}ms", self.count, self.per.as_millis()),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Config form: `"10/s"` or `{ rate = "10/s", burst = 20 }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRate {
    Text(String),
    Table(RateTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateTable {
    rate: String,
    #[serde(default)]
    burst: Option<NonZeroU32>,
}

impl<'de> Deserialize<'de> for RateLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match RawRate::deserialize(d)? {
            RawRate::Text(s) => s.parse().map_err(D::Error::custom),
            RawRate::Table(t) => {
                let mut r: RateLimit = t.rate.parse().map_err(D::Error::custom)?;
                r.burst = t.burst;
                Ok(r)
            }
        }
    }
}

impl Serialize for RateLimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.burst {
            None => s.serialize_str(&self.to_string()),
            Some(b) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("rate", &self.to_string())?;
                m.serialize_entry("burst", &b.get())?;
                m.end()
            }
        }
    }
}

struct ProviderEntry {
    all: Option<DefaultDirectRateLimiter>,
    per_sender: Option<DefaultKeyedRateLimiter<String>>,
    /// Set from a provider's `Retry-After`: nobody in this process sends
    /// to that provider before then.
    paused_until: Mutex<Option<Instant>>,
}

/// Limits per provider and optionally per sender. Providers without a
/// configured limit are never delayed.
#[derive(Default)]
pub struct ProviderLimiter {
    providers: HashMap<String, ProviderEntry>,
}

impl fmt::Debug for ProviderLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderLimiter")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ProviderLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a provider's limits.
    pub fn set(&mut self, provider: &str, all: Option<RateLimit>, per_sender: Option<RateLimit>) {
        self.providers.insert(
            provider.to_string(),
            ProviderEntry {
                all: all.map(|r| RateLimiter::direct(r.quota())),
                per_sender: per_sender.map(|r| RateLimiter::keyed(r.quota())),
                paused_until: Mutex::new(None),
            },
        );
    }

    /// Builder form of [`ProviderLimiter::set`].
    pub fn with(
        mut self,
        provider: &str,
        all: Option<RateLimit>,
        per_sender: Option<RateLimit>,
    ) -> Self {
        self.set(provider, all, per_sender);
        self
    }

    /// Waits until `provider` (and `sender` at that provider) may send one
    /// more message, and returns how long it waited, so the dispatcher
    /// knows whether to re-check the contact's window before sending.
    pub async fn until_ready(&self, provider: &str, sender: &str) -> Duration {
        let start = Instant::now();
        let Some(entry) = self.providers.get(provider) else {
            return Duration::ZERO;
        };
        let paused = entry.paused_until.lock().ok().and_then(|g| *g);
        if let Some(until) = paused {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
        if let Some(keyed) = &entry.per_sender {
            keyed.until_key_ready(&sender.to_string()).await;
        }
        if let Some(all) = &entry.all {
            all.until_ready().await;
        }
        start.elapsed()
    }

    /// Takes a token without waiting: `Err(wait)` says how long until one
    /// would be available. For the simulation driver and for callers that
    /// would rather re-queue than hold a worker.
    pub fn check(&self, provider: &str, sender: &str) -> Result<(), Duration> {
        let Some(entry) = self.providers.get(provider) else {
            return Ok(());
        };
        if let Some(until) = entry.paused_until.lock().ok().and_then(|g| *g) {
            let now = Instant::now();
            if until > now {
                return Err(until - now);
            }
        }
        let clock = DefaultClock::default();
        if let Some(keyed) = &entry.per_sender {
            keyed
                .check_key(&sender.to_string())
                .map_err(|nu| nu.wait_time_from(clock.now()))?;
        }
        if let Some(all) = &entry.all {
            all.check().map_err(|nu| nu.wait_time_from(clock.now()))?;
        }
        Ok(())
    }

    /// Holds every send to `provider` for `after` (its `Retry-After`); a
    /// longer pause already in force is kept.
    pub fn pause(&self, provider: &str, after: Duration) {
        if let Some(entry) = self.providers.get(provider)
            && let Ok(mut guard) = entry.paused_until.lock()
        {
            let until = Instant::now() + after;
            if guard.is_none_or(|u| u < until) {
                *guard = Some(until);
            }
        }
    }

    pub fn has(&self, provider: &str) -> bool {
        self.providers.contains_key(provider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).expect("non-zero")
    }

    #[test]
    fn parses() {
        assert_eq!(
            "10/s".parse::<RateLimit>(),
            Ok(RateLimit::per_second(nz(10)))
        );
        assert_eq!(
            "600/min".parse::<RateLimit>(),
            Ok(RateLimit::per_minute(nz(600)))
        );
        assert!("0/s".parse::<RateLimit>().is_err());
        assert!("10/week".parse::<RateLimit>().is_err());
        assert!("ten".parse::<RateLimit>().is_err());
        assert_eq!(RateLimit::per_minute(nz(600)).effective_burst(), nz(10));
        assert_eq!(RateLimit::per_minute(nz(30)).effective_burst(), nz(1));
        let r: RateLimit = serde_json::from_str(r#"{"rate":"5/s","burst":2}"#).expect("table");
        assert_eq!(r, RateLimit::per_second(nz(5)).with_burst(nz(2)));
        let r: RateLimit = serde_json::from_str(r#""30/min""#).expect("string");
        assert_eq!(r.to_string(), "30/min");
        assert!(serde_json::from_str::<RateLimit>(r#"{"rate":"5/s","brust":2}"#).is_err());
    }

    #[tokio::test]
    async fn limits_per_provider_and_sender() {
        let limiter = ProviderLimiter::new()
            .with(
                "twilio",
                Some(RateLimit::per_second(nz(20)).with_burst(nz(2))),
                None,
            )
            .with(
                "vonage",
                None,
                Some(RateLimit::per_second(nz(10)).with_burst(nz(1))),
            );
        assert!(limiter.check("twilio", "a").is_ok());
        assert!(limiter.check("twilio", "b").is_ok());
        let wait = limiter.check("twilio", "c").expect_err("burst used up");
        assert!(wait <= Duration::from_millis(50), "{wait:?}");
        // Per sender: one sender exhausted does not hold another.
        assert!(limiter.check("vonage", "A").is_ok());
        assert!(limiter.check("vonage", "A").is_err());
        assert!(limiter.check("vonage", "B").is_ok());
        // Unknown providers are not limited.
        assert_eq!(limiter.until_ready("other", "x").await, Duration::ZERO);
        // until_ready waits about one period once the burst is gone.
        let waited = limiter.until_ready("vonage", "A").await;
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
    }

    #[tokio::test]
    async fn pause_honours_retry_after() {
        let limiter = ProviderLimiter::new().with("twilio", None, None);
        limiter.pause("twilio", Duration::from_millis(120));
        assert!(limiter.check("twilio", "x").is_err());
        let waited = limiter.until_ready("twilio", "x").await;
        assert!(waited >= Duration::from_millis(100), "{waited:?}");
        assert!(limiter.check("twilio", "x").is_ok());
    }
}
