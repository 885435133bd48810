//! In-memory store (`memory://NAME`): every role held in one process's
//! memory, for runs that throw their store away (`cobro simulate`, the
//! console's simulation). Nothing is persisted and nothing is shared: each
//! `connect` opens a new empty store, whatever the name after
//! `memory://` (a label only).
//!
//! The whole state sits behind one `std::sync::Mutex` and every trait
//! method takes it once and never awaits while holding it, so each call is
//! atomic, as a Redis script or a SQLite transaction is. The indexes are
//! chosen for a simulation of 100,000 accounts with several contacts each
//! (`state.rs`): claims and the virtual clock's `next_due` read the first
//! entries of ordered sets instead of scanning the plan.
//!
//! One file per role trait, like the other stores; `state.rs` holds the
//! data and the one function that moves a contact between states (its
//! guard is `StateMove::applies_to`, the definition in cobro-campaigns).

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::{StoreError, StoreResult};

mod accounts;
mod book;
mod campaigns;
mod chunked;
mod history;
mod ledger;
mod plan;
mod reconcile;
mod reservation;
mod scan;
mod snapshot;
mod state;
mod suppression;
mod users;
mod work;

use state::State;

/// The in-memory store. Share it behind an `Arc` (it is not `Clone`: two
/// values would be two stores).
#[derive(Default)]
pub struct MemoryStore {
    // Boxed: the state's many maps make it hundreds of bytes, and
    // `AnyStore` holds a store inline.
    state: Box<Mutex<State>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A new empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A new empty store for a `memory://NAME` URL (the name is a label:
    /// two connects never share state).
    pub fn connect(url: &str) -> StoreResult<MemoryStore> {
        if url.starts_with("memory://") || url.starts_with("memory:") {
            Ok(MemoryStore::new())
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// The state, for one call. A panic in an earlier call while it held
    /// the lock may have left the indexes half-updated, so the store
    /// refuses to go on rather than answer from them.
    fn state(&self) -> StoreResult<MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| {
            StoreError::Query("memory store: an earlier call panicked mid-update".into())
        })
    }
}

/// Milliseconds since the epoch: the resolution the other stores keep, so
/// a contact, a ledger row or a history entry reads back the same from
/// every backend.
fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// `at` truncated to the millisecond.
fn to_ms(at: DateTime<Utc>) -> DateTime<Utc> {
    from_ms(ms(at))
}

fn from_ms(value: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(value).unwrap_or_default()
}
