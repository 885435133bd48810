//! The rows a store keeps, independent of the backend.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use cobro_campaigns::strategy::StopEvent;
use cobro_campaigns::{ChannelKind, PlannedContact};
use serde::{Deserialize, Serialize};

/// Where a planned contact is in its life (DESIGN.md §2). Every contact
/// ends in exactly one terminal state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    /// Planned, waiting for its due time.
    Pending,
    /// Claimed by a feeder and handed to a worker.
    Queued,
    /// Reserved and handed to the provider; the answer is not recorded yet.
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Blocked,
    Cancelled,
    Failed,
    /// The process died between handing the message over and recording the
    /// answer: never resent automatically, listed for review.
    Unknown,
}

impl ContactState {
    pub const ALL: [ContactState; 10] = [
        ContactState::Pending,
        ContactState::Queued,
        ContactState::Sending,
        ContactState::Sent,
        ContactState::Delivered,
        ContactState::Undelivered,
        ContactState::Blocked,
        ContactState::Cancelled,
        ContactState::Failed,
        ContactState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactState::Pending => "pending",
            ContactState::Queued => "queued",
            ContactState::Sending => "sending",
            ContactState::Sent => "sent",
            ContactState::Delivered => "delivered",
            ContactState::Undelivered => "undelivered",
            ContactState::Blocked => "blocked",
            ContactState::Cancelled => "cancelled",
            ContactState::Failed => "failed",
            ContactState::Unknown => "unknown",
        }
    }

    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            ContactState::Pending | ContactState::Queued | ContactState::Sending
        )
    }
}

impl fmt::Display for ContactState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContactState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContactState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown contact state '{s}'"))
    }
}

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

/// How a claimed contact moves on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Back to pending until `due_at` (deferral or retry).
    Reschedule { due_at: DateTime<Utc>, attempt: u32 },
    /// A terminal state.
    Finish(ContactState),
}

/// Whether the account still wants contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Paid,
    PromiseToPay,
    Disputed,
    OptedOut,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Paid => "paid",
            AccountStatus::PromiseToPay => "promise_to_pay",
            AccountStatus::Disputed => "disputed",
            AccountStatus::OptedOut => "opted_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AccountStatus::Active,
            AccountStatus::Paid,
            AccountStatus::PromiseToPay,
            AccountStatus::Disputed,
            AccountStatus::OptedOut,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// How far an account has gone from "keep contacting": a status only
    /// ever rises (a promise after a payment changes nothing), and a
    /// strategy that stops on one event stops on every stronger one.
    pub fn rank(self) -> u8 {
        match self {
            AccountStatus::Active => 0,
            AccountStatus::PromiseToPay => 1,
            AccountStatus::Disputed => 2,
            AccountStatus::Paid => 3,
            AccountStatus::OptedOut => 4,
        }
    }

    /// Whether a contact of a campaign whose strategy stops from
    /// `stop_from` (see [`AccountStatus::stop_from`]) must not go to an
    /// account in this status. An opt-out always stops: nobody who said
    /// STOP hears from us again, whatever the strategy lists.
    pub fn stops(self, stop_from: AccountStatus) -> bool {
        match self {
            AccountStatus::Active => false,
            AccountStatus::OptedOut => true,
            status => status.rank() >= stop_from.rank().max(1),
        }
    }

    /// The weakest account status a strategy's `stop_on` lists: its
    /// contacts stop from that status up. Listing nothing but `opt_out`
    /// (or nothing) stops only on opt-outs.
    pub fn stop_from(stop_on: &[StopEvent]) -> AccountStatus {
        stop_on
            .iter()
            .map(|event| AccountStatus::from(*event))
            .min_by_key(|status| status.rank())
            .unwrap_or(AccountStatus::OptedOut)
    }
}

/// The status an account event leaves the account in.
impl From<StopEvent> for AccountStatus {
    fn from(event: StopEvent) -> Self {
        match event {
            StopEvent::PromiseToPay => AccountStatus::PromiseToPay,
            StopEvent::Dispute => AccountStatus::Disputed,
            StopEvent::Paid => AccountStatus::Paid,
            StopEvent::OptOut => AccountStatus::OptedOut,
        }
    }
}

/// What the reservation checks and writes (see `Store::reserve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub contact_id: String,
    pub account: String,
    pub debtor_key: String,
    pub channel: ChannelKind,
    pub at: DateTime<Utc>,
    /// The history version the guard's decision was based on.
    pub history_version: u64,
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

/// The state column of a ledger row (DESIGN.md §9 export).
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

#[cfg(test)]
mod stop_tests {
    use super::*;

    #[test]
    fn a_strategy_stops_from_the_weakest_event_it_lists_and_always_on_opt_out() {
        use AccountStatus::*;
        let from = AccountStatus::stop_from(&[StopEvent::Paid, StopEvent::OptOut]);
        assert_eq!(from, Paid);
        assert!(!PromiseToPay.stops(from), "a promise does not stop it");
        assert!(!Disputed.stops(from));
        assert!(Paid.stops(from));
        assert!(OptedOut.stops(from));
        assert!(!Active.stops(from));
        // Listing only opt_out (or nothing): only an opt-out stops.
        for from in [
            AccountStatus::stop_from(&[StopEvent::OptOut]),
            AccountStatus::stop_from(&[]),
        ] {
            assert_eq!(from, OptedOut);
            assert!(!Paid.stops(from) && OptedOut.stops(from));
        }
        // The weakest listed event wins; stronger ones stop too.
        let from = AccountStatus::stop_from(&[StopEvent::Paid, StopEvent::PromiseToPay]);
        assert_eq!(from, PromiseToPay);
        assert!(PromiseToPay.stops(from) && Disputed.stops(from) && Paid.stops(from));
        // A threshold of Active (never stored by cobro) still needs an event.
        assert!(!Active.stops(Active) && PromiseToPay.stops(Active));
    }
}
