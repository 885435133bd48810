//! Where the dispatcher keeps its state: accounts, the contact plan, the
//! ledger (gestiones), suppression lists, debtor contact history and
//! counters. Two implementations (SQLite, Redis) pass one conformance suite
//! (`conformance.rs`), so the pipeline never knows which one it talks to.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};

pub mod any;
#[cfg(feature = "testkit")]
pub mod conformance;
mod records;
pub mod redis;
pub mod sqlite;

pub use records::{
    AccountStatus, ContactRecord, ContactState, HistoryEntry, LedgerEntry, LedgerFilter,
    LedgerState, Reservation, ReserveOutcome, StateMove, Suppression, Transition,
};

/// Failures talking to a store. `is_transient` tells the worker whether
/// retrying the same operation later can succeed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store connection failed: {0}")]
    Connection(String),
    #[error("store query failed: {0}")]
    Query(String),
    #[error("store holds data this version cannot read: {0}")]
    Corrupt(String),
    #[error("unsupported store URL '{0}' (expected sqlite://PATH or redis://HOST:PORT/DB)")]
    UnsupportedUrl(String),
}

impl StoreError {
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Connection(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionItem {
    pub id: String,
    pub to: Transition,
    pub ledger: Vec<LedgerEntry>,
}

/// Everything the dispatcher persists. Every method is one round trip (or
/// one transaction) so that a contact's checks cost a bounded number of
/// trips whatever the backend.
pub trait Store: Send + Sync + 'static {
    // --- accounts -------------------------------------------------------
    /// Inserts or replaces accounts by id.
    fn put_accounts(&self, accounts: &[Account]) -> impl Future<Output = StoreResult<()>> + Send;
    fn account(
        &self,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<(Account, AccountStatus)>>> + Send;
    fn account_count(&self) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Records that the account stops or pauses the campaign (paid,
    /// promise, dispute, opt-out); the pipeline checks it before sending.
    fn set_account_status(
        &self,
        id: &str,
        status: AccountStatus,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // --- the plan -------------------------------------------------------
    /// Adds contacts not already planned (by id); returns how many were new.
    /// Re-launching a campaign therefore adds nothing twice.
    fn add_contacts(
        &self,
        contacts: &[PlannedContact],
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    fn contact(&self, id: &str) -> impl Future<Output = StoreResult<Option<ContactRecord>>> + Send;
    /// Atomically moves up to `limit` pending contacts due at or before
    /// `now` to `queued` and returns them, so that two feeders never hand
    /// out the same contact. Ordered by due time.
    fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<ContactRecord>>> + Send;
    /// The earliest due time among pending contacts (what a virtual clock
    /// jumps to next).
    fn next_due(&self) -> impl Future<Output = StoreResult<Option<DateTime<Utc>>>> + Send;
    /// Moves a claimed contact on (back to pending at a new time, or to a
    /// terminal state) and appends its ledger rows, in one transaction.
    /// Returns false when the contact was not in a state that allows it
    /// (already finished, cancelled meanwhile).
    fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Atomically checks that the contact is still `queued`, its account is
    /// still active, and the debtor's history is unchanged since the guard
    /// read it (`history_version`); then marks it `sending` and appends the
    /// attempt to the debtor's history. This is the idempotency key and the
    /// cap reservation in one step, across all workers.
    fn reserve(
        &self,
        reservation: &Reservation,
    ) -> impl Future<Output = StoreResult<ReserveOutcome>> + Send;
    /// Cancels the not-yet-sent contacts of an account, appending a
    /// `cancelled` ledger row to each, and returns their ids. With a channel
    /// (an opt-out of that channel) or an active account: every campaign's
    /// contacts (of that channel). Without, on a stopped account: those of
    /// the campaigns whose `stop_from` its status reaches.
    fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Crash recovery: `queued` contacts claimed before `queued_before` go
    /// back to pending; `sending` contacts older than `sending_before` become
    /// `unknown` (never resent automatically). Returns (requeued, unknown).
    fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<(u64, u64)>> + Send;
    /// Counts per state, for one campaign or all.
    fn counts(
        &self,
        campaign: Option<&str>,
    ) -> impl Future<Output = StoreResult<BTreeMap<ContactState, u64>>> + Send;
    fn campaigns(&self) -> impl Future<Output = StoreResult<Vec<String>>> + Send;

    // --- batches (the queue driver processes a job's contacts together) --
    /// `account` for each id, in order, in one round trip.
    fn accounts(
        &self,
        ids: &[String],
    ) -> impl Future<Output = StoreResult<Vec<Option<(Account, AccountStatus)>>>> + Send;
    /// `is_suppressed` and `history` for each query, in order, in one round
    /// trip. Like the single calls, not atomic with later writes (the
    /// reservation compares the history version).
    fn contact_checks(
        &self,
        queries: &[CheckQuery],
    ) -> impl Future<Output = StoreResult<Vec<ContactChecks>>> + Send;
    /// `reserve` for each reservation, in order, in one round trip; each is
    /// checked and applied exactly as `reserve` would (so a second
    /// reservation for a debtor the batch already reserved sees the bumped
    /// version and answers `HistoryChanged`).
    fn reserve_many(
        &self,
        reservations: &[Reservation],
    ) -> impl Future<Output = StoreResult<Vec<ReserveOutcome>>> + Send;
    /// `transition` for each item, in order, in one round trip; each item is
    /// atomic on its own exactly as `transition` (the batch as a whole is
    /// not). Returns what `transition` would have returned for each.
    fn transitions(
        &self,
        items: &[TransitionItem],
    ) -> impl Future<Output = StoreResult<Vec<bool>>> + Send;
    /// `add_contacts(plan)`, then `transitions(items)`: a batch's fallbacks
    /// and its writes, in one round trip where the backend can (Redis: one
    /// script, the additions first). By default the two calls in turn; a
    /// failure of the first is returned without making the second.
    fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> impl Future<Output = StoreResult<Vec<bool>>> + Send {
        async move {
            if !plan.is_empty() {
                self.add_contacts(plan).await?;
            }
            self.transitions(items).await
        }
    }

    // --- contact history (what caps count) ------------------------------
    /// Past contacts of a debtor and the version the reservation compares.
    fn history(
        &self,
        debtor_key: &str,
    ) -> impl Future<Output = StoreResult<(Vec<HistoryEntry>, u64)>> + Send;
    /// A conversation (right-party contact) starts cooldowns.
    fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    // --- ledger ---------------------------------------------------------
    fn append_ledger(
        &self,
        entries: &[LedgerEntry],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn ledger(
        &self,
        filter: &LedgerFilter,
    ) -> impl Future<Output = StoreResult<Vec<LedgerEntry>>> + Send;
    /// One page of a campaign's ledger rows, in append order, so reports
    /// and dashboards count millions of rows without holding them. Pass
    /// cursor 0 first, then the cursor each page returns; `None` when no
    /// row follows the page.
    fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<(Vec<LedgerEntry>, Option<u64>)>> + Send;

    // --- suppression ----------------------------------------------------
    fn suppress(&self, entry: &Suppression) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes an exact entry; returns whether one existed.
    fn unsuppress(
        &self,
        channel: Option<ChannelKind>,
        address: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    fn suppressions(&self) -> impl Future<Output = StoreResult<Vec<Suppression>>> + Send;
    /// True when the address is on a list for this channel or for all
    /// channels, exactly or by prefix.
    fn is_suppressed(
        &self,
        channel: ChannelKind,
        address: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // --- webhooks and operations (HTTP service) -------------------------
    /// Ids of accounts that listed `address` among their contact points
    /// when they were stored: an inbound STOP names only the number. May
    /// include accounts whose address has since changed, so callers check
    /// the account itself before acting.
    fn accounts_by_address(
        &self,
        address: &str,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Records the account status from which a campaign's contacts stop
    /// (`AccountStatus::stop_from` of its strategy), so every worker, event
    /// and reservation applies the campaign's `stop_on`. A campaign never
    /// given one stops on every account event.
    fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Pauses (or resumes) a campaign: while paused, `claim_due` hands out
    /// none of its contacts and `next_due` ignores them; they keep their
    /// due times and state. Returns whether the setting changed.
    fn set_campaign_paused(
        &self,
        campaign: &str,
        paused: bool,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    fn paused_campaigns(&self) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Cancels every not-yet-sent (pending or queued) contact of a
    /// campaign, appending a `cancelled` ledger row to each. Returns the
    /// ids cancelled.
    fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
}
