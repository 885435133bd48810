//! Posts per link: a debtor submits a handful of forms; a script hammering
//! one link gets 429 instead of filling the book.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub struct PostLimiter {
    window: Duration,
    max: u32,
    seen: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl Default for PostLimiter {
    fn default() -> Self {
        PostLimiter::new(Duration::minutes(10), 20)
    }
}

impl PostLimiter {
    pub fn new(window: Duration, max: u32) -> Self {
        PostLimiter {
            window,
            max,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a post for `token` at `now`; false when over the limit.
    pub fn allow(&self, token: &str, now: DateTime<Utc>) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| now - *start < window);
        }
        let entry = seen.entry(token.to_string()).or_insert((now, 0));
        if now - entry.0 >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_is_refused_until_the_window_passes() {
        let limiter = PostLimiter::new(Duration::minutes(10), 2);
        let t = Utc::now();
        assert!(limiter.allow("a", t) && limiter.allow("a", t));
        assert!(!limiter.allow("a", t));
        assert!(limiter.allow("b", t), "per token");
        assert!(limiter.allow("a", t + Duration::minutes(10)));
    }
}
