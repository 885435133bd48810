//! Whether the account's contacts wait, and until when: the engine asks
//! this right before the guard, so a promise pauses every campaign's
//! sequence without rewriting the plan, and a broken promise resumes it by
//! itself when its deadline passes.

use chrono::{DateTime, Utc};

use super::{AccountBook, PromiseState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// An open dispute: nothing goes out until it is resolved.
    Dispute,
    /// An open promise (or plan instalment): contacts wait until its
    /// deadline (date plus grace days).
    Promise { until: DateTime<Utc> },
}

impl AccountBook {
    /// The hold in force at `now`, if any. A dispute wins over a promise.
    pub fn hold(&self, now: DateTime<Utc>, grace_days: u32) -> Option<Hold> {
        if self.open_dispute().is_some() {
            return Some(Hold::Dispute);
        }
        (0..self.promises.len())
            .filter(|&i| self.promise_state(i, now, grace_days) == PromiseState::Open)
            .map(|i| self.promise_deadline(i, grace_days))
            .max()
            .map(|until| Hold::Promise { until })
    }
}
