//! Where the dispatcher keeps its state: accounts, the contact plan, the
//! ledger (gestiones), suppression lists, debtor contact history and
//! counters. Three implementations (SQLite, Redis, and an in-memory one
//! for dry runs) pass one conformance suite (`conformance/`), so the
//! pipeline never knows which one it talks to.
//!
//! The store is split into role traits (`traits.rs`: accounts, plan,
//! reservation, history, ledger, suppression, campaigns); [`Store`] is all
//! of them at once. Code that calls methods on a concrete store
//! (`AnyStore`, `SqliteStore`…) imports [`prelude`].

use cobro_campaigns::ChannelKind;

mod account_scan;
pub mod any;
#[cfg(feature = "testkit")]
pub mod conformance;
mod error;
mod ledger_code;
pub mod memory;
mod records;
pub mod redis;
pub mod snapshot;
pub mod sqlite;
mod traits;

pub use account_scan::{AccountRow, AccountScan, ScannedAccounts, fold, search_text};
pub use error::{StoreError, StoreResult};
pub use ledger_code::LedgerCode;
pub use traits::{
    AccountStore, BookStore, CampaignStore, HistoryStore, LedgerStore, PlanStore, ReconcileStore,
    ReservationStore, Store, SuppressionStore, UserStore, WorkStore,
};

/// Every role trait, for code that calls store methods on a concrete type
/// (generic code bound by `S: Store` sees them already).
pub mod prelude {
    pub use super::traits::{
        AccountStore, BookStore, CampaignStore, HistoryStore, LedgerStore, PlanStore,
        ReconcileStore, ReservationStore, Store, SuppressionStore, UserStore, WorkStore,
    };
}

pub use records::{
    AccountStatus, ContactRecord, ContactState, HistoryEntry, LedgerEntry, LedgerFilter,
    LedgerState, Reservation, ReservationRelease, ReserveOutcome, StateMove, Suppression,
    TaskLease, Transition,
};

/// What the pipeline reads about one contact before the guard decides
/// (the batch form of `is_suppressed` + `history`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckQuery {
    pub channel: ChannelKind,
    pub address: String,
    pub debtor_key: String,
}

/// The answer to a [`CheckQuery`]: exactly what `is_suppressed(channel,
/// address)` and `history(debtor_key)` return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactChecks {
    pub suppressed: bool,
    pub history: Vec<HistoryEntry>,
    pub version: u64,
}

/// One `transition` of a batch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransitionItem {
    pub id: String,
    pub to: Transition,
    pub ledger: Vec<LedgerEntry>,
}
