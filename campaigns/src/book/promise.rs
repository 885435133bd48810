//! Whether a promise is open, kept or broken at an instant. Computed from
//! the payments each time, so a late payment import or a redelivered
//! notification changes the answer without any state to repair.

use chrono::{DateTime, Days, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::AccountBook;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseState {
    Open,
    Kept,
    Broken,
}

impl PromiseState {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseState::Open => "open",
            PromiseState::Kept => "kept",
            PromiseState::Broken => "broken",
        }
    }
}

impl AccountBook {
    /// The instant promise `i` must be paid by: the end of its date plus the
    /// house grace days. UTC midnight, so every process and the export agree
    /// on the same instant whatever the server's zone.
    pub fn promise_deadline(&self, i: usize, grace_days: u32) -> DateTime<Utc> {
        let date = self.promises[i].date + Days::new(u64::from(grace_days) + 1);
        date.and_time(NaiveTime::MIN).and_utc()
    }

    /// What promise `i` requires paid by its deadline: its own amount, or
    /// for a plan's instalment the plan's instalments up to this one
    /// (paying ahead counts for later instalments).
    fn promise_required(&self, i: usize) -> Decimal {
        let promise = &self.promises[i];
        match promise.plan {
            None => promise.amount,
            Some((plan, n)) => self
                .promises
                .iter()
                .filter(|p| p.plan.is_some_and(|(q, m)| q == plan && m <= n))
                .map(|p| p.amount)
                .sum(),
        }
    }

    /// Payments since the promise was made and before `until`.
    fn paid_between(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Decimal {
        self.payments
            .iter()
            .filter(|p| p.at >= from && p.at < until)
            .map(|p| p.amount)
            .sum()
    }

    /// Open until its deadline; kept as soon as enough is paid; broken when
    /// the deadline passes without it, or when an earlier instalment of its
    /// plan broke (a missed instalment breaks the plan).
    pub fn promise_state(&self, i: usize, now: DateTime<Utc>, grace_days: u32) -> PromiseState {
        let promise = &self.promises[i];
        let deadline = self.promise_deadline(i, grace_days);
        let counted_until = now.min(deadline);
        if self.paid_between(promise.made_at, counted_until) >= self.promise_required(i) {
            return PromiseState::Kept;
        }
        if now >= deadline {
            return PromiseState::Broken;
        }
        if let Some((plan, n)) = promise.plan {
            let earlier_broke = self.promises.iter().enumerate().any(|(j, p)| {
                p.plan.is_some_and(|(q, m)| q == plan && m < n)
                    && self.promise_state(j, now, grace_days) == PromiseState::Broken
            });
            if earlier_broke {
                return PromiseState::Broken;
            }
        }
        PromiseState::Open
    }
}
