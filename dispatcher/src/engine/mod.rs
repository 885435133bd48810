//! The per-contact pipeline (DESIGN.md §2): one function over
//! `(contact, now)` used by both drivers, the queue (wall clock) and the
//! simulation (virtual clock), so a simulation shows exactly what a real
//! run would do.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cobro_campaigns::{Account, ChannelKind, ContactPoint, PlannedContact};
use cobro_channels::templates::{MessageContext, TemplateSet};
use cobro_channels::{ChannelError, OutboundMessage, Receipt, mask_address};
use cobro_compliance::{
    ComplianceGuard, ContactAttempt, DebtorProfile, Decision, PastContact, PastContactKind, Verdict,
};

use crate::channel_set::ChannelSet;
use crate::dispatch_metrics::DispatchMetrics;
use crate::sender::SenderProfile;
use crate::store::{
    AccountStatus, CheckQuery, ContactChecks, ContactRecord, ContactState, LedgerEntry,
    LedgerState, Reservation, ReserveOutcome, Store, StoreError, Suppression, Transition,
    TransitionItem,
};

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

/// How many times the guard is asked again when another worker contacted
/// the same debtor between the decision and the reservation.
const MAX_RESERVE_RACES: usize = 8;

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
}

/// The debtor identity caps count against: one person may owe several
/// accounts, and a frequency cap per debtor spans them all.
pub fn debtor_key(account: &Account) -> String {
    match account.tax_id.as_deref().map(str::trim) {
        Some(tax_id) if !tax_id.is_empty() => {
            format!("tax:{}:{}", account.country, tax_id.to_uppercase())
        }
        _ => format!("account:{}", account.id),
    }
}

fn verdict_row(
    contact: &PlannedContact,
    state: LedgerState,
    at: DateTime<Utc>,
    verdict: &Verdict,
    attempt: u32,
) -> LedgerEntry {
    let mut row = LedgerEntry::for_contact(contact, state, at);
    row.timezones = verdict
        .timezones
        .iter()
        .map(|tz| tz.name().to_string())
        .collect();
    row.rules = verdict.rules.clone();
    if let Some(first) = verdict.reasons.first() {
        row.code = Some(first.code.as_str().to_string());
        row.detail = Some(
            verdict
                .reasons
                .iter()
                .map(|r| format!("{}: {}", r.rule, r.detail))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    row.attempt = attempt;
    row
}

fn note_row(
    contact: &PlannedContact,
    state: LedgerState,
    at: DateTime<Utc>,
    code: &str,
    detail: String,
    attempt: u32,
) -> LedgerEntry {
    let mut row = LedgerEntry::for_contact(contact, state, at);
    row.code = Some(code.to_string());
    row.detail = Some(detail);
    row.attempt = attempt;
    row
}

/// What a batch read ahead for one of its contacts.
struct Prefetched {
    account: Option<(Account, AccountStatus)>,
    /// Present when the account is active and has an address for the
    /// contact's channel.
    checks: Option<ContactChecks>,
}

/// A terminal write (or deferral) held back to go out with the rest of
/// the batch, and the outcome it stands for if it applies.
struct HeldWrite {
    index: usize,
    item: TransitionItem,
    outcome: ProcessOutcome,
}

/// Where a contact of a batch leaves its last write, and the fallback
/// planned with it (added for the whole batch in one call, before the
/// batch's writes, as `plan_fallback` would have added it just before).
#[derive(Clone, Copy)]
struct BatchSlot<'a> {
    writes: &'a std::sync::Mutex<Vec<HeldWrite>>,
    fallbacks: &'a std::sync::Mutex<Vec<(usize, PlannedContact)>>,
    index: usize,
}

/// Collects the first reservation of every contact of a batch and makes
/// them all in one store call (`reserve_many`, each still checked and
/// applied on its own, in order) once no contact of the batch can ask for
/// one any more: each contact holds a ticket, used by its reservation or
/// dropped when it ends another way. A reservation retried after
/// `HistoryChanged` goes to the store alone.
struct ReserveGate {
    inner: std::sync::Mutex<GateInner>,
    ready: tokio::sync::Notify,
}

type ReserveReply = tokio::sync::oneshot::Sender<Result<ReserveOutcome, StoreError>>;

struct GateInner {
    outstanding: usize,
    waiting: Vec<(Reservation, ReserveReply)>,
}

struct GateTicket<'a> {
    gate: &'a ReserveGate,
    used: bool,
}

impl ReserveGate {
    fn new(contacts: usize) -> ReserveGate {
        ReserveGate {
            inner: std::sync::Mutex::new(GateInner {
                outstanding: contacts,
                waiting: Vec::new(),
            }),
            ready: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One ticket per contact (exactly as many as `new` was told).
    fn ticket(&self) -> GateTicket<'_> {
        GateTicket {
            gate: self,
            used: false,
        }
    }

    fn done_one(&self, inner: &mut GateInner) {
        inner.outstanding = inner.outstanding.saturating_sub(1);
        if inner.outstanding == 0 {
            self.ready.notify_one();
        }
    }

    /// Waits until every ticket is used or dropped, then makes the
    /// collected reservations and answers each.
    async fn drive<S: Store>(&self, store: &S) {
        loop {
            if self.lock().outstanding == 0 {
                break;
            }
            self.ready.notified().await;
        }
        let waiting = std::mem::take(&mut self.lock().waiting);
        if waiting.is_empty() {
            return;
        }
        let (reservations, replies): (Vec<Reservation>, Vec<ReserveReply>) =
            waiting.into_iter().unzip();
        match store.reserve_many(&reservations).await {
            Ok(outcomes) if outcomes.len() == replies.len() => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Ok(_) => {
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Corrupt(
                        "reserve_many answered a different count".into(),
                    )));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(copy_error(&e)));
                }
            }
        }
    }
}

impl GateTicket<'_> {
    async fn reserve(mut self, reservation: Reservation) -> Result<ReserveOutcome, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut inner = self.gate.lock();
            inner.waiting.push((reservation, tx));
            self.used = true;
            self.gate.done_one(&mut inner);
        }
        rx.await.unwrap_or_else(|_| {
            Err(StoreError::Connection(
                "the batch's reservation call was dropped".into(),
            ))
        })
    }
}

impl Drop for GateTicket<'_> {
    fn drop(&mut self) {
        if !self.used {
            let mut inner = self.gate.lock();
            self.gate.done_one(&mut inner);
        }
    }
}

/// The same error for each contact of a batch (`StoreError` is not `Clone`).
fn copy_error(e: &StoreError) -> StoreError {
    if e.is_transient() {
        StoreError::Connection(e.to_string())
    } else {
        StoreError::Query(e.to_string())
    }
}

/// Pauses before retrying a batch's held writes after a transient error.
const FLUSH_RETRY: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(250)];

/// The fallback contact of a blocked or failed step (`step+channel`, due
/// at `at`), if the step has one.
fn fallback_of(contact: &PlannedContact, at: DateTime<Utc>) -> Option<PlannedContact> {
    let channel = contact.fallback?;
    Some(PlannedContact {
        id: format!("{}+{}", contact.id, channel),
        campaign: contact.campaign.clone(),
        account: contact.account.clone(),
        step: format!("{}+{}", contact.step, channel),
        channel,
        template: contact.template.clone(),
        fallback: None,
        due_at: at,
    })
}

/// The `cancelled` row of a contact whose account was paid, disputed or
/// opted out before it went.
fn account_stopped_row(
    contact: &PlannedContact,
    at: DateTime<Utc>,
    status: AccountStatus,
    attempt: u32,
) -> LedgerEntry {
    note_row(
        contact,
        LedgerState::Cancelled,
        at,
        status.as_str(),
        format!("account is {}", status.as_str()),
        attempt,
    )
}

impl<S: Store> Dispatcher<S> {
    /// Takes one claimed contact through guard, reservation, render and
    /// send at instant `now`, and records every step in the ledger.
    pub async fn process(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> Result<ProcessOutcome, PipelineError> {
        self.run(record, now, None, None, None).await
    }

    /// The same pipeline for the contacts of one queue job, with the
    /// store's round trips shared: one read of the batch's accounts, one of
    /// their suppression entries and debtor histories, and one write of
    /// their final transitions and ledger rows, in the same call as (and
    /// after) the fallbacks its blocked contacts planned (each contact's
    /// reservation stays its own atomic step). Decisions are the ones `process` makes:
    /// the reads are the same reads done a moment earlier, and the
    /// reservation still rejects a history that changed since. A contact's
    /// final write waits for the rest of the batch (it stays `sending`
    /// meanwhile, which crash recovery already handles). Results are in
    /// the order of `records`.
    pub async fn process_batch(
        &self,
        records: Vec<ContactRecord>,
        now: DateTime<Utc>,
    ) -> Vec<Result<ProcessOutcome, PipelineError>> {
        if records.len() < 2 {
            return futures::future::join_all(records.into_iter().map(|r| self.process(r, now)))
                .await;
        }
        let prefetched = match self.prefetch(&records).await {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!("batch read failed ({e}); processing contact by contact");
                return futures::future::join_all(
                    records.into_iter().map(|r| self.process(r, now)),
                )
                .await;
            }
        };
        let writes = std::sync::Mutex::new(Vec::new());
        let fallbacks = std::sync::Mutex::new(Vec::new());
        let gate = ReserveGate::new(records.len());
        let contacts =
            futures::future::join_all(records.into_iter().zip(prefetched).enumerate().map(
                |(index, (record, pre))| {
                    self.run(
                        record,
                        now,
                        Some(pre),
                        Some(BatchSlot {
                            writes: &writes,
                            fallbacks: &fallbacks,
                            index,
                        }),
                        Some(gate.ticket()),
                    )
                },
            ));
        let (mut results, ()) = tokio::join!(contacts, gate.drive(self.store.as_ref()));
        let held = writes.into_inner().unwrap_or_else(|e| e.into_inner());
        let fallbacks = fallbacks.into_inner().unwrap_or_else(|e| e.into_inner());
        if held.is_empty() && fallbacks.is_empty() {
            return results;
        }
        // The fallbacks first, then the writes (as `plan_fallback` would
        // have added each just before its contact's write), in one call.
        let planned: Vec<PlannedContact> = fallbacks.iter().map(|(_, f)| f.clone()).collect();
        let items: Vec<TransitionItem> = held.iter().map(|h| h.item.clone()).collect();
        let mut pauses = FLUSH_RETRY.iter();
        let flushed = loop {
            match self.store.plan_and_transitions(&planned, &items).await {
                Err(e) if e.is_transient() => match pauses.next() {
                    Some(pause) => tokio::time::sleep(*pause).await,
                    None => break Err(e),
                },
                other => break other,
            }
        };
        if let Err(e) = &flushed {
            // Each contact that planned a fallback has a held write too;
            // this covers one that did not, should that ever change.
            for (index, _) in &fallbacks {
                results[*index] = Err(PipelineError::Store(copy_error(e)));
            }
        }
        match flushed {
            Ok(moved) => {
                for (h, moved) in held.into_iter().zip(moved) {
                    if moved {
                        self.recorded(&h.item.ledger);
                    }
                    results[h.index] = Ok(if moved {
                        h.outcome
                    } else {
                        ProcessOutcome::Skipped
                    });
                }
            }
            Err(e) => {
                for h in held {
                    results[h.index] = Err(PipelineError::Store(copy_error(&e)));
                }
            }
        }
        results
    }

    /// The batch's reads: accounts, then suppression and history of every
    /// contact that will reach the guard.
    async fn prefetch(&self, records: &[ContactRecord]) -> Result<Vec<Prefetched>, StoreError> {
        let ids: Vec<String> = records.iter().map(|r| r.contact.account.clone()).collect();
        let accounts = self.store.accounts(&ids).await?;
        if accounts.len() != records.len() {
            return Err(StoreError::Corrupt(
                "batch account read answered a different count".into(),
            ));
        }
        let mut queries = Vec::new();
        let mut slots = Vec::new();
        for (i, (record, account)) in records.iter().zip(&accounts).enumerate() {
            if let Some((account, status)) = account
                && !status.stops(self.stop_from)
                && let Some(point) = account.contact_point_for(record.contact.channel)
            {
                queries.push(CheckQuery {
                    channel: record.contact.channel,
                    address: point.address.clone(),
                    debtor_key: debtor_key(account),
                });
                slots.push(i);
            }
        }
        let checks = self.store.contact_checks(&queries).await?;
        if checks.len() != queries.len() {
            return Err(StoreError::Corrupt(
                "batch check read answered a different count".into(),
            ));
        }
        let mut out: Vec<Prefetched> = accounts
            .into_iter()
            .map(|account| Prefetched {
                account,
                checks: None,
            })
            .collect();
        for (slot, checks) in slots.into_iter().zip(checks) {
            out[slot].checks = Some(checks);
        }
        Ok(out)
    }

    async fn run(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
        pre: Option<Prefetched>,
        batch: Option<BatchSlot<'_>>,
        mut ticket: Option<GateTicket<'_>>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let contact = &record.contact;
        let attempt = record.attempt;

        let (account, pre_checks) = match pre {
            Some(pre) => (pre.account, pre.checks),
            None => (self.store.account(&contact.account).await?, None),
        };
        let Some((account, status)) = account else {
            let row = note_row(
                contact,
                LedgerState::Blocked,
                now,
                "unknown_account",
                format!("account {} is not in the store", contact.account),
                attempt,
            );
            return self
                .finish_held(
                    batch,
                    contact,
                    ContactState::Blocked,
                    &[row],
                    ProcessOutcome::Blocked,
                )
                .await;
        };
        if status.stops(self.stop_from) {
            let row = account_stopped_row(contact, now, status, attempt);
            return self
                .finish_held(
                    batch,
                    contact,
                    ContactState::Cancelled,
                    &[row],
                    ProcessOutcome::Cancelled,
                )
                .await;
        }
        let Some(point) = account.contact_point_for(contact.channel).cloned() else {
            let row = note_row(
                contact,
                LedgerState::Blocked,
                now,
                "no_address",
                format!("the account has no usable {} address", contact.channel),
                attempt,
            );
            self.plan_fallback_held(batch, contact, now).await?;
            return self
                .finish_held(
                    batch,
                    contact,
                    ContactState::Blocked,
                    &[row],
                    ProcessOutcome::Blocked,
                )
                .await;
        };

        let key = debtor_key(&account);
        let (suppressed, mut first_history) = match pre_checks {
            Some(c) => (c.suppressed, Some((c.history, c.version))),
            None => (
                self.store
                    .is_suppressed(contact.channel, &point.address)
                    .await?,
                None,
            ),
        };
        let attempt_input = ContactAttempt {
            channel: contact.channel,
            suppressed,
        };
        let profile = DebtorProfile::from_account(&account, &point);

        let mut races = 0;
        loop {
            // The batch's read serves the first decision; a race re-reads.
            let (entries, version) = match first_history.take() {
                Some(h) => h,
                None => self.store.history(&key).await?,
            };
            let history: Vec<PastContact> = entries
                .iter()
                .map(|e| PastContact {
                    at: e.at,
                    channel: e.channel,
                    kind: if e.conversation {
                        PastContactKind::Conversation
                    } else {
                        PastContactKind::Attempt
                    },
                    same_account: e.account == account.id,
                })
                .collect();
            let mut verdict = self.guard.decide(&attempt_input, &profile, &history, now);
            let mut send_at = now;

            if matches!(verdict.decision, Decision::Allow) {
                // A contact that may wait for a provider token reserves on
                // its own: at the batch's reservation gate it would hold
                // the batch's other contacts behind its wait, and they
                // would send later than the instant the guard approved
                // (past the end of a window; found by the fault suite).
                if self.channels.is_rate_limited(contact.channel) {
                    drop(ticket.take());
                }
                // Take a provider token first; if we had to wait, the
                // window may have closed meanwhile: ask the guard again.
                let waited = self
                    .channels
                    .wait_for_token(contact.channel, &self.sender.from_for(contact.channel))
                    .await;
                if !waited.is_zero() {
                    send_at = now
                        + chrono::Duration::from_std(waited)
                            .unwrap_or_else(|_| chrono::Duration::zero());
                    verdict = self
                        .guard
                        .decide(&attempt_input, &profile, &history, send_at);
                }
            }

            match verdict.decision {
                Decision::Block => {
                    let row =
                        verdict_row(contact, LedgerState::Blocked, send_at, &verdict, attempt);
                    // The fallback is guarded on its own channel (a per-channel
                    // opt-out or missing consent may not apply there).
                    self.plan_fallback_held(batch, contact, send_at).await?;
                    return self
                        .finish_held(
                            batch,
                            contact,
                            ContactState::Blocked,
                            &[row],
                            ProcessOutcome::Blocked,
                        )
                        .await;
                }
                Decision::Defer { until } => {
                    let row =
                        verdict_row(contact, LedgerState::Deferred, send_at, &verdict, attempt);
                    if let Some(slot) = batch {
                        return Ok(slot.hold(
                            contact,
                            Transition::Reschedule {
                                due_at: until,
                                attempt,
                            },
                            vec![row],
                            ProcessOutcome::Rescheduled(until),
                        ));
                    }
                    return self
                        .write(
                            contact,
                            Transition::Reschedule {
                                due_at: until,
                                attempt,
                            },
                            &[row],
                            ProcessOutcome::Rescheduled(until),
                        )
                        .await;
                }
                Decision::Allow => {
                    let reservation = Reservation {
                        contact_id: contact.id.clone(),
                        account: account.id.clone(),
                        debtor_key: key.clone(),
                        channel: contact.channel,
                        at: send_at,
                        history_version: version,
                    };
                    // The first reservation of a batch's contact goes out
                    // with the batch's others.
                    let outcome = match ticket.take() {
                        Some(ticket) => ticket.reserve(reservation).await?,
                        None => self.store.reserve(&reservation).await?,
                    };
                    match outcome {
                        ReserveOutcome::Reserved => {
                            let allowed = verdict_row(
                                contact,
                                LedgerState::Allowed,
                                send_at,
                                &verdict,
                                attempt,
                            );
                            return self
                                .send(&record, &account, &point, &verdict, allowed, send_at, batch)
                                .await;
                        }
                        ReserveOutcome::HistoryChanged if races < MAX_RESERVE_RACES => {
                            races += 1;
                            continue;
                        }
                        ReserveOutcome::HistoryChanged => {
                            // Heavy contention on one debtor: try again shortly.
                            let until = send_at + chrono::Duration::seconds(5);
                            return self
                                .write(
                                    contact,
                                    Transition::Reschedule {
                                        due_at: until,
                                        attempt,
                                    },
                                    &[],
                                    ProcessOutcome::Rescheduled(until),
                                )
                                .await;
                        }
                        ReserveOutcome::NotQueued => return Ok(ProcessOutcome::Skipped),
                        ReserveOutcome::AccountStopped(status) => {
                            let row = account_stopped_row(contact, send_at, status, attempt);
                            return self
                                .finish(
                                    contact,
                                    ContactState::Cancelled,
                                    &[row],
                                    ProcessOutcome::Cancelled,
                                )
                                .await;
                        }
                    }
                }
            }
        }
    }

    /// Render and hand to the provider; the contact is `sending` and its
    /// attempt already counts against caps.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        record: &ContactRecord,
        account: &Account,
        point: &ContactPoint,
        verdict: &Verdict,
        allowed: LedgerEntry,
        at: DateTime<Utc>,
        batch: Option<BatchSlot<'_>>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let contact = &record.contact;
        let attempt = record.attempt + 1;
        let message = match self.render(contact, account, point, at) {
            Ok(message) => message,
            Err(detail) => {
                let row = note_row(
                    contact,
                    LedgerState::Failed,
                    at,
                    "template_error",
                    detail,
                    attempt,
                );
                return self
                    .finish(
                        contact,
                        ContactState::Failed,
                        &[allowed, row],
                        ProcessOutcome::Failed,
                    )
                    .await;
            }
        };
        let result = self.channels.send(contact.channel, &message).await;
        let mut outcome_row = verdict_row(contact, LedgerState::Sent, at, verdict, attempt);
        outcome_row.code = None;
        outcome_row.detail = None;
        match result {
            Ok(Receipt {
                provider,
                provider_id,
                segments,
            }) => {
                outcome_row.provider = Some(provider);
                outcome_row.provider_id = Some(provider_id);
                let segments = segments.or_else(|| {
                    (contact.channel == ChannelKind::Sms)
                        .then(|| cobro_channels::encoding::sms_segments(&message.text).segments)
                });
                tracing::debug!(contact = %contact.id, to = %mask_address(&point.address), "sent");
                self.finish_held(
                    batch,
                    contact,
                    ContactState::Sent,
                    &[allowed, outcome_row],
                    ProcessOutcome::Sent { segments },
                )
                .await
            }
            Err(err) => {
                self.send_failed(record, point, allowed, outcome_row, err, at)
                    .await
            }
        }
    }

    async fn send_failed(
        &self,
        record: &ContactRecord,
        point: &ContactPoint,
        allowed: LedgerEntry,
        mut row: LedgerEntry,
        err: ChannelError,
        at: DateTime<Utc>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let contact = &record.contact;
        let attempt = record.attempt + 1;
        row.provider = Some(self.channels.provider_name(contact.channel));
        row.detail = Some(err.to_string());
        row.code = err.provider_code().map(str::to_string);
        tracing::warn!(contact = %contact.id, to = %mask_address(&point.address), error = %err, "send failed");
        match &err {
            ChannelError::Transient {
                maybe_sent: true, ..
            } => {
                row.state = LedgerState::Unknown;
                self.finish(
                    contact,
                    ContactState::Unknown,
                    &[allowed, row],
                    ProcessOutcome::Unknown,
                )
                .await
            }
            ChannelError::Transient { .. } | ChannelError::Throttled { .. }
                if attempt < self.retry.max_attempts =>
            {
                let backoff = err.retry_after().unwrap_or_else(|| {
                    self.retry
                        .base_backoff
                        .saturating_mul(1 << (attempt - 1).min(10))
                });
                let until = at
                    + chrono::Duration::from_std(backoff)
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                row.state = LedgerState::Retry;
                self.write(
                    contact,
                    Transition::Reschedule {
                        due_at: until,
                        attempt,
                    },
                    &[allowed, row],
                    ProcessOutcome::Rescheduled(until),
                )
                .await
            }
            ChannelError::OptedOut { .. } => {
                row.state = LedgerState::Failed;
                row.code = Some("opted_out".into());
                self.store
                    .suppress(&Suppression {
                        channel: Some(contact.channel),
                        address: point.address.clone(),
                        prefix: false,
                        source: format!(
                            "provider:{}",
                            self.channels.provider_name(contact.channel)
                        ),
                        at,
                    })
                    .await?;
                let outcome = self
                    .finish(
                        contact,
                        ContactState::Failed,
                        &[allowed, row],
                        ProcessOutcome::Failed,
                    )
                    .await?;
                self.store
                    .cancel_account_contacts(
                        &contact.account,
                        Some(contact.channel),
                        "opted_out",
                        "the recipient opted out at the provider",
                        at,
                    )
                    .await?;
                self.plan_fallback(contact, at).await?;
                Ok(outcome)
            }
            _ => {
                row.state = LedgerState::Failed;
                let outcome = self
                    .finish(
                        contact,
                        ContactState::Failed,
                        &[allowed, row],
                        ProcessOutcome::Failed,
                    )
                    .await?;
                self.plan_fallback(contact, at).await?;
                Ok(outcome)
            }
        }
    }

    fn render(
        &self,
        contact: &PlannedContact,
        account: &Account,
        point: &ContactPoint,
        at: DateTime<Utc>,
    ) -> Result<OutboundMessage, String> {
        let unsubscribe_url = (contact.channel == ChannelKind::Email).then(|| {
            self.sender
                .unsubscribe_url(account, contact.channel, &point.address)
        });
        let context = MessageContext::from_account(
            account,
            &self.sender.identity(unsubscribe_url.clone()),
            at.date_naive(),
        );
        let rendered = self
            .templates
            .render(
                &contact.template,
                &account.language,
                contact.channel,
                &context,
            )
            .map_err(|e| e.to_string())?;
        Ok(OutboundMessage {
            contact_id: contact.id.clone(),
            channel: contact.channel,
            to: point.address.clone(),
            from: self.sender.from_for(contact.channel),
            language: account.language.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            unsubscribe_url,
            status_callback: self.sender.status_callback(contact.channel),
            voice: None,
            sent_at: Some(at),
        })
    }

    /// A blocked or failed step may go out on its fallback channel; the
    /// fallback is a contact of its own (`step+channel`), planned now and
    /// guarded like any other. Fallbacks do not chain.
    async fn plan_fallback(
        &self,
        contact: &PlannedContact,
        at: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        let Some(fallback) = fallback_of(contact, at) else {
            return Ok(());
        };
        self.store
            .add_contacts(std::slice::from_ref(&fallback))
            .await?;
        Ok(())
    }

    /// `plan_fallback` for a contact whose write is held: inside a batch
    /// the fallback is added with the batch's others, just before the
    /// batch's writes.
    async fn plan_fallback_held(
        &self,
        batch: Option<BatchSlot<'_>>,
        contact: &PlannedContact,
        at: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        match batch {
            Some(slot) => {
                if let Some(fallback) = fallback_of(contact, at) {
                    slot.fallbacks
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((slot.index, fallback));
                }
                Ok(())
            }
            None => self.plan_fallback(contact, at).await,
        }
    }

    /// Tells the metrics about rows the store has just recorded.
    fn recorded(&self, rows: &[LedgerEntry]) {
        if let Some(metrics) = &self.metrics {
            metrics.record_rows(rows);
        }
    }

    /// `finish`, or, inside a batch, held back for the batch's one write.
    async fn finish_held(
        &self,
        batch: Option<BatchSlot<'_>>,
        contact: &PlannedContact,
        state: ContactState,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        match batch {
            Some(slot) => Ok(slot.hold(contact, Transition::Finish(state), rows.to_vec(), outcome)),
            None => self.finish(contact, state, rows, outcome).await,
        }
    }

    async fn finish(
        &self,
        contact: &PlannedContact,
        state: ContactState,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        self.write(contact, Transition::Finish(state), rows, outcome)
            .await
    }

    /// Applies `to` with its ledger rows now (not held for a batch):
    /// `outcome` when it applied, `Skipped` when the contact had moved on.
    async fn write(
        &self,
        contact: &PlannedContact,
        to: Transition,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        let moved = self.store.transition(&contact.id, to, rows).await?;
        if moved {
            self.recorded(rows);
        }
        Ok(if moved {
            outcome
        } else {
            ProcessOutcome::Skipped
        })
    }
}

impl BatchSlot<'_> {
    /// Holds the contact's last write; the batch replaces the returned
    /// outcome with `Skipped` if the write does not apply.
    fn hold(
        self,
        contact: &PlannedContact,
        to: Transition,
        ledger: Vec<LedgerEntry>,
        outcome: ProcessOutcome,
    ) -> ProcessOutcome {
        let mut writes = self.writes.lock().unwrap_or_else(|e| e.into_inner());
        writes.push(HeldWrite {
            index: self.index,
            item: TransitionItem {
                id: contact.id.clone(),
                to,
                ledger,
            },
            outcome: outcome.clone(),
        });
        outcome
    }
}
