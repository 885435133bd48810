//! The account book: what the debtor did after the messages went out —
//! payments (money, not a flag), promises to pay and payment plans,
//! disputes, and the debtor's contact preferences. One document per
//! account, so a store keeps it with one compare-and-set and the engine
//! reads a batch of them in one round trip.
//!
//! Pure functions only: whether a promise is kept or broken, what the
//! balance is and whether contacts are on hold are computed from the book
//! at an instant, never stored, so they cannot drift from the payments.

mod action;
mod hold;
mod promise;

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ChannelKind;

pub use action::{Applied, BookAction, BookError, BookLimits};
pub use hold::Hold;
pub use promise::PromiseState;

/// Who or what recorded an event (the gestión's source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    Portal,
    Api,
    Cli,
    Webhook,
    Agent,
    Import,
    Simulation,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Portal => "portal",
            EventSource::Api => "api",
            EventSource::Cli => "cli",
            EventSource::Webhook => "webhook",
            EventSource::Agent => "agent",
            EventSource::Import => "import",
            EventSource::Simulation => "simulation",
        }
    }
}

/// Money received for the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub at: DateTime<Utc>,
    pub amount: Decimal,
    /// Unique within the account: a redelivered notification or a
    /// re-imported file carries the same reference and is not counted twice.
    pub reference: String,
    pub source: EventSource,
}

/// A promise to pay `amount` by `date` (one instalment of a plan, or alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    pub made_at: DateTime<Utc>,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub source: EventSource,
    /// The plan it belongs to (index into `AccountBook::plans`), with its
    /// 1-based number in the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<(usize, u32)>,
}

/// A payment plan: instalments are promises; a missed one breaks the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub made_at: DateTime<Utc>,
    pub instalments: u32,
    pub source: EventSource,
}

/// The debtor does not recognise the debt (or its amount): every contact
/// stops while it is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub opened_at: DateTime<Utc>,
    pub reason: String,
    pub text: String,
    pub source: EventSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// How and when the debtor wants to be contacted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub optout: BTreeSet<ChannelKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer: Option<ChannelKind>,
    /// Inconvenient hours, local to the debtor (`from > to` wraps midnight).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub avoid: Vec<(NaiveTime, NaiveTime)>,
}

/// One entry of the account's event log, what the gestiones timeline and
/// the export show besides the contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookEvent {
    pub at: DateTime<Utc>,
    /// `payment`, `promise`, `plan`, `dispute`, `dispute_resolved`,
    /// `preferences`.
    pub kind: String,
    pub source: EventSource,
    pub detail: String,
    /// The signed-in user who recorded it (API token or console session),
    /// when there was one: the gestiones name them as its actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// Everything the debtor did, per account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBook {
    #[serde(default)]
    pub payments: Vec<Payment>,
    #[serde(default)]
    pub promises: Vec<Promise>,
    #[serde(default)]
    pub plans: Vec<Plan>,
    #[serde(default)]
    pub disputes: Vec<Dispute>,
    #[serde(default)]
    pub preferences: Preferences,
    #[serde(default)]
    pub events: Vec<BookEvent>,
}

impl AccountBook {
    /// Sum of every payment recorded.
    pub fn paid(&self) -> Decimal {
        self.payments.iter().map(|p| p.amount).sum()
    }

    /// What is left of `amount_due`, never below zero.
    pub fn balance(&self, amount_due: Decimal) -> Decimal {
        (amount_due - self.paid()).max(Decimal::ZERO)
    }

    /// Whether the account is paid, within `tolerance` (a house setting
    /// for rounding left-overs).
    pub fn is_paid(&self, amount_due: Decimal, tolerance: Decimal) -> bool {
        self.balance(amount_due) <= tolerance
    }

    pub fn open_dispute(&self) -> Option<&Dispute> {
        self.disputes.iter().rev().find(|d| d.resolved_at.is_none())
    }

    pub fn has_payment(&self, reference: &str) -> bool {
        self.payments.iter().any(|p| p.reference == reference)
    }

    /// Whether any promise of the account had broken at `now`.
    pub fn has_broken_promise(&self, now: DateTime<Utc>, grace_days: u32) -> bool {
        (0..self.promises.len())
            .any(|i| self.promise_state(i, now, grace_days) == PromiseState::Broken)
    }

    pub fn is_empty(&self) -> bool {
        *self == AccountBook::default()
    }
}

#[cfg(test)]
mod tests;
