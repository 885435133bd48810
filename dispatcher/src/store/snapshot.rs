//! A store's whole content as plain rows, to record in one store what
//! another computed. The demo runs its month on the memory store, whose
//! cost follows the portfolio, and writes the result to `cobro.db` once,
//! in one transaction, for the console and the exports
//! (`MemoryStore::snapshot`, `SqliteStore::restore`): on SQLite the same
//! month pays a thread hand-off and a commit per batch (BENCHMARKS.md §3e).

use chrono::{DateTime, Utc};
use cobro_campaigns::Account;
use cobro_campaigns::book::AccountBook;

use super::{AccountStatus, ContactRecord, HistoryEntry, LedgerEntry, Suppression, TaskLease};
use crate::users::{Session, User};

#[derive(Debug, Default)]
pub struct StoreSnapshot {
    pub accounts: Vec<(Account, AccountStatus)>,
    pub stop_from: Vec<(String, AccountStatus)>,
    pub paused: Vec<String>,
    /// Each contact, with the instant it was claimed or reserved where
    /// the store still keeps it (lease recovery and a release match it).
    pub contacts: Vec<(ContactRecord, Option<DateTime<Utc>>)>,
    /// Each debtor's history (sorted by instant) and its version.
    pub history: Vec<(String, Vec<HistoryEntry>, u64)>,
    /// In append order: the order the ledger's readers page in.
    pub ledger: Vec<LedgerEntry>,
    pub suppressions: Vec<Suppression>,
    /// Each account's book and its compare-and-set version.
    pub books: Vec<(String, AccountBook, u64)>,
    pub users: Vec<User>,
    /// (token hash, email).
    pub tokens: Vec<(String, String)>,
    pub sessions: Vec<Session>,
    pub leases: Vec<TaskLease>,
}
