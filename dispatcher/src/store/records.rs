//! The rows a store keeps, independent of the backend.

use std::str::FromStr;

use chrono::{DateTime, Utc};
pub use cobro_campaigns::{AccountStatus, ContactState, StateMove};
use cobro_campaigns::{ChannelKind, PlannedContact};
use serde::{Deserialize, Serialize};

/// A planned contact and where it stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub contact: PlannedContact,
    pub state: ContactState,
    /// Current due time (moves forward on each deferral or retry).
    pub due_at: DateTime<Utc>,
    /// Send attempts made so far (retries of transient failures).
    pub attempt: u32,
}

/// How a claimed contact moves on. Serialized only by the outcome journal
/// (`engine::journal`), which replays it as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transition {
    /// Back to pending until `due_at` (deferral or retry).
    Reschedule { due_at: DateTime<Utc>, attempt: u32 },
    /// A terminal state.
    Finish(ContactState),
    /// An operator's review: the message of an `unknown` contact never went
    /// out, so it goes back to pending at `due_at` (its attempt count kept)
    /// and the guard decides it again (`StateMove::Requeue`).
    Requeue { due_at: DateTime<Utc> },
}

/// What the reservation checks and writes (see `Store::reserve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub contact_id: String,
    pub account: String,
    pub debtor_key: String,
    pub channel: ChannelKind,
    pub at: DateTime<Utc>,
    /// The history version the guard's decision was based on.
    pub history_version: u64,
}

/// A reservation to undo (`StateMove::Release`, `Store::release`): the
/// worker never learned whether the store took it, and sent nothing.
/// `ledger` is written only when the release applies, so the ledger says
/// what happened exactly when something did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationRelease {
    pub reservation: Reservation,
    pub ledger: LedgerEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReserveOutcome {
    Reserved,
    /// Another worker contacted the debtor since the guard looked: decide
    /// again with fresh history.
    HistoryChanged,
    /// The contact is no longer queued (finished, cancelled, or another
    /// worker has it): do nothing.
    NotQueued,
    /// The account was paid, disputed or opted out meanwhile.
    AccountStopped(AccountStatus),
}

/// The state column of a ledger row (the export format in ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerState {
    Allowed,
    Deferred,
    Blocked,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Retry,
    Cancelled,
    Unknown,
    /// An inbound reply or event a human should read.
    Inbound,
}

impl LedgerState {
    pub const ALL: [LedgerState; 11] = [
        LedgerState::Allowed,
        LedgerState::Deferred,
        LedgerState::Blocked,
        LedgerState::Sent,
        LedgerState::Delivered,
        LedgerState::Undelivered,
        LedgerState::Failed,
        LedgerState::Retry,
        LedgerState::Cancelled,
        LedgerState::Unknown,
        LedgerState::Inbound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerState::Allowed => "allowed",
            LedgerState::Deferred => "deferred",
            LedgerState::Blocked => "blocked",
            LedgerState::Sent => "sent",
            LedgerState::Delivered => "delivered",
            LedgerState::Undelivered => "undelivered",
            LedgerState::Failed => "failed",
            LedgerState::Retry => "retry",
            LedgerState::Cancelled => "cancelled",
            LedgerState::Unknown => "unknown",
            LedgerState::Inbound => "inbound",
        }
    }
}

impl FromStr for LedgerState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LedgerState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown ledger state '{s}'"))
    }
}

/// One decision or outcome (gestión). Append-only: the ledger is what a
/// regulator reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub contact_id: String,
    pub campaign: String,
    pub account: String,
    pub step: String,
    pub channel: ChannelKind,
    pub state: LedgerState,
    pub at: DateTime<Utc>,
    pub timezones: Vec<String>,
    pub rules: Vec<String>,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub provider: Option<String>,
    pub provider_id: Option<String>,
    pub attempt: u32,
}

impl LedgerEntry {
    /// A row about `contact` with everything but the decision details.
    pub fn for_contact(contact: &PlannedContact, state: LedgerState, at: DateTime<Utc>) -> Self {
        LedgerEntry {
            contact_id: contact.id.clone(),
            campaign: contact.campaign.clone(),
            account: contact.account.clone(),
            step: contact.step.clone(),
            channel: contact.channel,
            state,
            at,
            timezones: Vec::new(),
            rules: Vec::new(),
            code: None,
            detail: None,
            provider: None,
            provider_id: None,
            attempt: 0,
        }
    }
}

/// Which ledger rows to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    pub campaign: Option<String>,
    pub account: Option<String>,
    pub contact_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub provider_id: Option<String>,
}

/// An address nobody may contact (on one channel or all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `None`: every channel.
    pub channel: Option<ChannelKind>,
    /// Exact address (E.164 / lower-case email) or a prefix.
    pub address: String,
    /// Matches every address that starts with `address` (a number range, a
    /// whole domain written as `@example.com`).
    pub prefix: bool,
    /// Who put it there: `stop`, `unsubscribe`, `officer`, `regulator`…
    pub source: String,
    pub at: DateTime<Utc>,
}

/// One past contact with a debtor, what frequency caps and cooldowns
/// count. Kept per debtor (tax id, else account) across accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub channel: ChannelKind,
    pub account: String,
    /// A right-party conversation rather than an attempt (starts cooldowns).
    pub conversation: bool,
}

/// A task of the collectors' work queue handed to one collector: the
/// agent contact (`sending` meanwhile) is theirs until `until`; when the
/// lease expires unrecorded, the contact goes back to the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLease {
    pub contact_id: String,
    /// The collector's email.
    pub collector: String,
    pub team: String,
    pub leased_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}
