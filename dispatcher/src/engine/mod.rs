//! The per-contact engine: one function over `(contact, now)` used by both
//! drivers, the queue (wall clock) and the simulation (virtual clock), so a
//! simulation shows exactly what a real run would do (see ARCHITECTURE.md,
//! "the life of one contact").
//!
//! A contact's pass, in the order it happens:
//! - [`decide`]: load the account, check it can be contacted, ask the guard
//!   and reserve the slot (the state machine's guard step);
//! - [`send`]: render, hand to the provider and classify the outcome;
//! - [`rows`] and [`write`]: the ledger rows of each step, and the
//!   transition that ends the pass (now, or held for the batch);
//! - [`fallback`]: the contact a blocked or failed step plans on its
//!   fallback channel.
//!
//! [`batch`] and [`reserve_gate`] only share the store's round trips among
//! the contacts of one queue job; the decisions are the ones a single
//! [`Dispatcher::process`] makes. [`simulation`] and [`router`] drive the
//! engine; [`events`] applies account events (payment, opt-out…) to the
//! plan; [`review`] resolves the `unknown` contacts an operator reviewed;
//! [`LedgerCode`] (in the store, beside the ledger row) names the codes the rows carry.

pub mod actions;
mod batch;
pub mod contact_ref;
mod decide;
pub mod events;
mod fallback;
mod hold;
pub mod journal;
pub mod portal_token;
pub mod quota;
pub mod reconcile;
mod reserve_gate;
pub mod review;
pub mod router;
mod rows;
mod send;
pub use send::SEGMENTS_DETAIL;
pub mod sender;
pub mod simulation;
mod write;

/// What the guard is told about an account's debtor, shared with
/// `account_explain` so an explanation sees what a worker sees.
pub(crate) use decide::{avoided_hours, past_contacts};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cobro_channels::templates::TemplateSet;
use cobro_compliance::ComplianceGuard;

use crate::channel_set::ChannelSet;
use crate::dispatch_metrics::DispatchMetrics;
use crate::store::{AccountStatus, ContactRecord, Store, StoreError};

pub use crate::store::LedgerCode;
use sender::SenderProfile;

/// What happened to one contact on one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutcome {
    Sent {
        segments: Option<u32>,
    },
    /// Back to the plan until this instant (guard deferral or retry).
    Rescheduled(DateTime<Utc>),
    Blocked,
    Cancelled,
    Failed,
    /// Handed to the provider but the answer is unknown (a timeout after
    /// the request went out): never resent automatically.
    Unknown,
    /// Nothing to do: the contact was already finished or taken.
    Skipped,
    /// A collector's task the guard allowed and the reservation counted:
    /// the caller (the work queue) hands it out; it stays `sending` until
    /// the collector records its outcome or the lease expires.
    HandedOut,
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

/// How transient provider failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff of the first retry; doubles on each further one.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_secs(60),
        }
    }
}

/// Everything a worker needs to take a contact from due to done.
pub struct Dispatcher<S: Store> {
    pub store: Arc<S>,
    pub guard: Arc<ComplianceGuard>,
    pub channels: ChannelSet,
    pub templates: Arc<TemplateSet>,
    pub sender: SenderProfile,
    pub retry: RetryPolicy,
    /// Counts the decision rows this dispatcher records
    /// (`cobro_decisions_total`); `None` in simulations and tests.
    pub metrics: Option<Arc<DispatchMetrics>>,
    /// The account status from which this campaign's contacts stop
    /// (`AccountStatus::stop_from` of the strategy's `stop_on`); the store
    /// applies the same rule in the reservation.
    pub stop_from: AccountStatus,
    /// The house limits on promises and plans (grace days decide when a
    /// promise breaks and the hold ends).
    pub book_limits: cobro_campaigns::book::BookLimits,
    /// Steps of this campaign's strategy that wait for a broken promise
    /// (`when.after = "broken_promise"`).
    pub broken_promise_steps: Arc<std::collections::BTreeSet<String>>,
    /// Where a send's outcome goes when the store cannot take it (the
    /// workers'); `None` in simulations and tests, where a store error
    /// surfaces as before.
    pub journal: Option<Arc<journal::OutcomeJournal>>,
}

impl<S: Store> Dispatcher<S> {
    /// The dispatcher of one campaign file: its rules, strategy (stop
    /// events, broken-promise steps) and templates, sending through
    /// `channels` as `sender`. Every driver builds it here (the workers,
    /// `cobro simulate`, the console's simulation), so they decide alike.
    pub fn for_campaign(
        store: Arc<S>,
        loaded: &cobro_config::LoadedCampaign,
        templates: TemplateSet,
        channels: ChannelSet,
        sender: SenderProfile,
    ) -> Self {
        Dispatcher {
            store,
            guard: Arc::new(loaded.guard()),
            channels,
            templates: Arc::new(templates),
            sender,
            retry: RetryPolicy::default(),
            metrics: None,
            stop_from: AccountStatus::stop_from(&loaded.strategy.stop_on),
            book_limits: cobro_campaigns::book::BookLimits::default(),
            broken_promise_steps: Arc::new(
                loaded
                    .strategy
                    .steps
                    .iter()
                    .filter(|s| {
                        s.when.after == Some(cobro_campaigns::strategy::StepAfter::BrokenPromise)
                    })
                    .map(|s| s.id.clone())
                    .collect(),
            ),
            journal: None,
        }
    }

    /// Takes one claimed contact through guard, reservation, render and
    /// send at instant `now`, and records every step in the ledger.
    pub async fn process(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> Result<ProcessOutcome, PipelineError> {
        self.run(record, now, None, None, None).await
    }
}
