//! The collectors' work queue (ARCHITECTURE.md, "The work queue"): a strategy step on an agent
//! channel (`agent_call`, `agent_task`) is a contact a person makes. It is
//! planned like any contact, but only its team's collectors claim it
//! (`WorkStore::claim_work`), when they ask for work:
//!
//! - [`hand_out`]: the task goes through the same pipeline as a message
//!   (`Dispatcher::process`: account status, holds, the guard at this
//!   instant, the reservation that takes the cap slot atomically with every
//!   automated contact), and instead of a provider it reaches the collector
//!   who asked, leased for [`WorkDesk::lease`]. A deferred task waits for
//!   its window in the plan; a blocked one is blocked (and falls back).
//! - [`outcome`]: what the collector records. The guard is asked again;
//!   a call recorded outside its window is kept and flagged
//!   (`late_outcome`) for compliance review. Each outcome is a gestión with
//!   the collector's email, and promises, plans, disputes, payments and
//!   opt-outs go through the debtor's page's door (`record_action_by`).
//! - [`stats`]: the supervisor's figures, from the ledger.
//! - [`simulated`]: collectors for the virtual clock (`cobro simulate`,
//!   `cobro demo`), working the queue through the same doors.
//!
//! Expired leases go back to the queue when anyone next asks for work (no
//! background task): the cap slot stays taken, because the call may have
//! happened — when in doubt, the debtor is called less, never more.

mod hand_out;
mod outcome;
pub mod simulated;
mod stats;
mod window;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;
use serde::Serialize;

use crate::engine::{Dispatcher, PipelineError};
use crate::store::{Store, StoreError};

pub use hand_out::{next_task, reassign, release, release_expired};
pub use outcome::{Outcome, OutcomeForm, OutcomeRecorded, record_outcome};
pub use stats::{CollectorStats, TeamStats, WorkStats, work_stats};

/// How long a collector holds a task before it returns to the queue.
pub const DEFAULT_LEASE_MINUTES: i64 = 15;

/// The campaigns whose collectors' tasks this process hands out, each
/// with the dispatcher that decides them (its rules, strategy, templates).
pub struct WorkDesk<S: Store> {
    dispatchers: BTreeMap<String, Arc<Dispatcher<S>>>,
    teams: BTreeSet<String>,
    pub lease: chrono::Duration,
}

impl<S: Store> WorkDesk<S> {
    pub fn new() -> Self {
        WorkDesk {
            dispatchers: BTreeMap::new(),
            teams: BTreeSet::new(),
            lease: chrono::Duration::minutes(DEFAULT_LEASE_MINUTES),
        }
    }

    /// Hands out `campaign`'s tasks, decided by `dispatcher`; `teams` are
    /// the teams its strategy's agent steps name.
    pub fn with_campaign(
        mut self,
        campaign: &str,
        teams: impl IntoIterator<Item = String>,
        dispatcher: Arc<Dispatcher<S>>,
    ) -> Self {
        self.teams.extend(teams);
        self.dispatchers.insert(campaign.to_string(), dispatcher);
        self
    }

    pub fn with_lease(mut self, lease: chrono::Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Every team a campaign of the desk routes work to.
    pub fn teams(&self) -> &BTreeSet<String> {
        &self.teams
    }

    pub fn dispatcher(&self, campaign: &str) -> Option<&Arc<Dispatcher<S>>> {
        self.dispatchers.get(campaign)
    }

    /// The teams a collector works: its own, or every team when it has
    /// none.
    pub fn teams_of(&self, own: &[String]) -> Vec<String> {
        if own.is_empty() {
            self.teams.iter().cloned().collect()
        } else {
            own.to_vec()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dispatchers.is_empty()
    }
}

impl<S: Store> Default for WorkDesk<S> {
    fn default() -> Self {
        WorkDesk::new()
    }
}

/// The teams a strategy's agent steps name.
pub fn strategy_teams(strategy: &cobro_campaigns::strategy::Strategy) -> Vec<String> {
    strategy
        .steps
        .iter()
        .filter_map(|s| s.team.clone())
        .collect()
}

/// A task as the collector receives it (`GET /api/work/next`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Task {
    /// The task's id: its contact's id (use it in the outcome's URL).
    pub task: String,
    pub contact_id: String,
    pub account: String,
    pub campaign: String,
    pub step: String,
    #[schema(value_type = String)]
    pub channel: ChannelKind,
    pub team: String,
    /// The number to call (E.164).
    pub phone: String,
    pub debtor_name: String,
    pub language: String,
    pub currency: String,
    /// What is owed now (decimal string), after payments.
    pub balance: String,
    /// When the legal window closes for this debtor (RFC 3339); null when
    /// it stays open past the next 24 hours.
    #[schema(value_type = Option<String>)]
    pub window_closes_at: Option<DateTime<Utc>>,
    /// When the lease ends and the task returns to the queue.
    #[schema(value_type = String)]
    pub lease_until: DateTime<Utc>,
    /// The step's call script in the debtor's language, when the template
    /// set has one.
    pub script: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("no task '{0}'")]
    NotFound(String),
    /// The task is not leased to this collector (never was, expired and
    /// went back, or was reassigned).
    #[error("task '{0}' is not yours (its lease ended or it was reassigned)")]
    NotYours(String),
    #[error("{0}")]
    BadOutcome(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl WorkError {
    /// The caller's mistake or a race it lost: 4xx, never a retry.
    pub fn is_client(&self) -> bool {
        matches!(
            self,
            WorkError::NotFound(_) | WorkError::NotYours(_) | WorkError::BadOutcome(_)
        )
    }
}
