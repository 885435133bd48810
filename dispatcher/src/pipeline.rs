//! The per-contact pipeline (DESIGN.md §2): one function over
//! `(contact, now)` used by both drivers, the queue (wall clock) and the
//! simulation (virtual clock), so a simulation shows exactly what a real
//! run would do.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::store::{ContactRecord, Store, StoreError};

/// What happened to one contact on one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutcome {
    Sent,
    /// Back to the plan until this instant (guard deferral or retry).
    Rescheduled(DateTime<Utc>),
    Blocked,
    Cancelled,
    Failed,
    /// Nothing to do: the contact was already finished or taken.
    Skipped,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Setup(String),
}

impl PipelineError {
    /// Worth retrying the whole contact later (the store was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Store(e) => e.is_transient(),
            PipelineError::Setup(_) => false,
        }
    }
}

/// Everything a worker needs to take a contact from due to done.
pub struct Dispatcher<S: Store> {
    pub store: Arc<S>,
}

impl<S: Store> Dispatcher<S> {
    /// Takes one claimed contact through guard, reservation, render and
    /// send at instant `now`, and records every step in the ledger.
    pub async fn process(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let _ = (record, now);
        Err(PipelineError::Setup("pipeline not wired yet".into()))
    }
}
