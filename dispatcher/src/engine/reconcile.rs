//! Reconciliation: a send whose answer was lost (`unknown`, or still
//! `sending` when the provider speaks first) is resolved from what the
//! provider says, never by guessing. Three sources, one move of the state
//! machine (`StateMove::Reconcile`, through `ReconcileStore::reconcile`),
//! each with a ledger row coded `reconciled` whose detail says which:
//!
//! - a delivery report naming the contact by its signed reference
//!   ([`apply_report`], from `http/webhooks`): the provider echoes the
//!   reference every message carries (`engine::contact_ref`). A report for
//!   a contact still `sending` is asked for again later (its worker is
//!   about to write, or recovery will make it `unknown`);
//! - a lookup (`cobro reconcile`, [`reconcile_unknown`]): the providers that
//!   offer one (`Channel::lookup`) are asked about each `unknown` contact.
//!   Found: the contact takes the message's fate. Not found (the provider
//!   has no message to that recipient in the send's window): it never went
//!   out, and it goes back to the plan like an operator's "not sent"
//!   (`Transition::Requeue`; the guard decides it again, the lost
//!   attempt's cap slot stays counted). Ambiguous, no lookup, or an error:
//!   it stays `unknown` for the review queue;
//! - the worker's outcome journal ([`journal_outcome`], from
//!   `engine::journal`): an outcome held while the store was away, whose
//!   contact another worker's recovery marked `unknown` meanwhile.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cobro_channels::{
    Channel, ChannelError, DeliveryReport, DeliveryStatus, LookupAnswer, LookupQuery, mask_address,
};

use crate::store::{
    ContactRecord, ContactState, LedgerCode, LedgerEntry, LedgerFilter, LedgerState, Store,
    StoreError, Transition,
};

use cobro_campaigns::ChannelKind;

/// The ledger state a reconciled contact's row carries.
fn ledger_state(to: ContactState) -> LedgerState {
    match to {
        ContactState::Delivered => LedgerState::Delivered,
        ContactState::Undelivered => LedgerState::Undelivered,
        ContactState::Failed => LedgerState::Failed,
        _ => LedgerState::Sent,
    }
}

/// The row of a reconciliation of `record` into `to`.
fn row(
    record: &ContactRecord,
    to: ContactState,
    provider: Option<&str>,
    provider_id: Option<&str>,
    detail: String,
    now: DateTime<Utc>,
) -> LedgerEntry {
    let mut row = LedgerEntry::for_contact(&record.contact, ledger_state(to), now);
    row.code = Some(LedgerCode::Reconciled.into());
    row.detail = Some(detail);
    row.provider = provider.map(str::to_string);
    row.provider_id = provider_id.map(str::to_string);
    row.attempt = record.attempt;
    row
}

/// What a report naming its contact did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportApplied {
    /// The contact was `unknown`: now this state.
    Reconciled(ContactState),
    /// The contact is still `sending`, a worker about to record it (or
    /// dead, until recovery makes it `unknown`): reconciling now would
    /// race that worker's write and drop its rows (the decision's rules,
    /// the compliance evidence). The caller asks the provider to report
    /// again later.
    InFlight,
    /// Nothing for reconciliation: the caller goes on by provider id.
    NotForUs,
}

/// A delivery report that named contact `contact_id` by its signed
/// reference (already verified). A contact in `unknown` takes any status
/// that proves the provider had the message (`sent` while its fate is not
/// final).
pub async fn apply_report<S: Store>(
    store: &S,
    contact_id: &str,
    provider: &str,
    report: &DeliveryReport,
    now: DateTime<Utc>,
) -> Result<ReportApplied, StoreError> {
    let Some(record) = store.contact(contact_id).await? else {
        return Ok(ReportApplied::NotForUs);
    };
    let Some(status) = report.status else {
        return Ok(ReportApplied::NotForUs);
    };
    let to = match (record.state, status) {
        (ContactState::Sending, DeliveryStatus::Delivered | DeliveryStatus::Undelivered) => {
            return Ok(ReportApplied::InFlight);
        }
        (ContactState::Unknown, DeliveryStatus::Accepted) => ContactState::Sent,
        (ContactState::Unknown, DeliveryStatus::Delivered) => ContactState::Delivered,
        (ContactState::Unknown, DeliveryStatus::Undelivered) => ContactState::Undelivered,
        _ => return Ok(ReportApplied::NotForUs),
    };
    let mut detail = format!("{provider} delivery report for a send whose answer was lost");
    if let Some(code) = &report.code {
        detail.push_str(&format!("; {code}"));
    }
    if let Some(more) = &report.detail {
        detail.push_str(&format!("; {more}"));
    }
    let row = row(
        &record,
        to,
        Some(provider),
        Some(&report.provider_id),
        detail,
        now,
    );
    if !store.reconcile(contact_id, to, &[row]).await? {
        return Ok(ReportApplied::NotForUs);
    }
    tracing::info!(contact = %contact_id, provider, to = %to, "reconciled from a delivery report");
    Ok(ReportApplied::Reconciled(to))
}

/// A journaled outcome (`engine::journal`) whose contact is `unknown`
/// now: `to` as the worker recorded it, with its rows recoded as
/// reconciled (their provider, provider id and details kept). False when
/// the outcome is not one a send can end in, or the contact moved on.
pub async fn journal_outcome<S: Store>(
    store: &S,
    contact_id: &str,
    to: ContactState,
    rows: &[LedgerEntry],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !matches!(
        to,
        ContactState::Sent
            | ContactState::Failed
            | ContactState::Delivered
            | ContactState::Undelivered
    ) {
        return Ok(false);
    }
    let Some(record) = store.contact(contact_id).await? else {
        return Ok(false);
    };
    if record.state != ContactState::Unknown {
        return Ok(false);
    }
    let outcome_rows: Vec<LedgerEntry> = rows
        .iter()
        .filter(|r| r.contact_id == contact_id)
        .map(|r| {
            let mut r = r.clone();
            // The decision's row stays what it was: only the outcome is
            // learned late.
            if matches!(r.state, LedgerState::Allowed | LedgerState::Deferred) {
                return r;
            }
            let original = r.code.take();
            r.code = Some(LedgerCode::Reconciled.into());
            r.detail = Some(format!(
                "from the worker's outcome journal (the store was away when the provider answered at {}; recovery had marked it unknown){}{}",
                r.at.to_rfc3339(),
                original.map(|c| format!("; {c}")).unwrap_or_default(),
                r.detail.take().map(|d| format!("; {d}")).unwrap_or_default(),
            ));
            r.at = now;
            r
        })
        .collect();
    let rows = if outcome_rows.is_empty() {
        vec![row(
            &record,
            to,
            None,
            None,
            "from the worker's outcome journal".into(),
            now,
        )]
    } else {
        outcome_rows
    };
    let moved = store.reconcile(contact_id, to, &rows).await?;
    if moved {
        tracing::info!(contact = %contact_id, to = %to, "reconciled from the outcome journal");
    }
    Ok(moved)
}

/// What `cobro reconcile` did, per provider and in all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileSummary {
    /// `unknown` contacts examined.
    pub examined: usize,
    /// Per provider name: what its lookups resolved.
    pub providers: BTreeMap<String, ProviderTally>,
    /// Left `unknown`: no lookup for its channel, ambiguous, an error, no
    /// address, or too recent to tell.
    pub left: usize,
    /// Of `left`: lost too recently (inside the settle time).
    pub too_recent: usize,
    /// Of `left`: their channel's provider offers no lookup.
    pub no_lookup: usize,
}

/// One provider's part of a [`ReconcileSummary`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProviderTally {
    /// Found at the provider: now `sent`, `delivered` or `undelivered`.
    pub resolved: usize,
    /// Not at the provider: back to the plan.
    pub requeued: usize,
    /// Several messages could be the contact's.
    pub ambiguous: usize,
    /// The lookup failed (the contact stays `unknown`).
    pub errors: usize,
}

impl ReconcileSummary {
    pub fn resolved(&self) -> usize {
        self.providers
            .values()
            .map(|t| t.resolved + t.requeued)
            .sum()
    }
}

/// Options of [`reconcile_unknown`].
#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// Only this campaign's contacts.
    pub campaign: Option<String>,
    /// A contact lost less than this long ago is left for later: a request
    /// that timed out may still be reaching the provider.
    pub settle: Duration,
}

/// Asks the providers about every `unknown` contact (of a campaign, or
/// all) through `channels` (the transports of each channel kind); see the
/// module docs for what each answer does. A message two contacts' lookups
/// both found (two lost sends to one number in overlapping windows) is
/// nobody's for sure: both stay `unknown`.
pub async fn reconcile_unknown<S: Store>(
    store: &S,
    channels: &BTreeMap<ChannelKind, Arc<dyn Channel>>,
    options: &ReconcileOptions,
    now: DateTime<Utc>,
) -> Result<ReconcileSummary, StoreError> {
    let mut summary = ReconcileSummary::default();
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.unknown_contacts(after.as_deref(), 200).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.contact.id.clone());
        let full = page.len() == 200;
        records.extend(page.into_iter().filter(|r| {
            options
                .campaign
                .as_deref()
                .is_none_or(|c| c == r.contact.campaign)
        }));
        if !full {
            break;
        }
    }
    summary.examined = records.len();
    // First every question, then the answers: a message found for two
    // contacts is found for neither.
    let mut asked = Vec::new();
    for record in records {
        if let Some(answer) = ask(store, channels, options, &record, now, &mut summary).await? {
            asked.push((record, answer));
        }
    }
    let mut found_for: BTreeMap<String, usize> = BTreeMap::new();
    for (_, (_, _, answer)) in &asked {
        if let Ok(LookupAnswer::Found { provider_id, .. }) = answer {
            *found_for.entry(provider_id.clone()).or_default() += 1;
        }
    }
    for (record, (provider, query, answer)) in asked {
        let shared = match &answer {
            Ok(LookupAnswer::Found { provider_id, .. }) => found_for[provider_id] > 1,
            _ => false,
        };
        let answer = if shared {
            Ok(LookupAnswer::Ambiguous { candidates: 1 })
        } else {
            answer
        };
        apply(store, &record, &provider, &query, answer, now, &mut summary).await?;
    }
    Ok(summary)
}

type Asked = (String, LookupQuery, Result<LookupAnswer, ChannelError>);

/// Asks the contact's provider about it, or says in `summary` why not.
async fn ask<S: Store>(
    store: &S,
    channels: &BTreeMap<ChannelKind, Arc<dyn Channel>>,
    options: &ReconcileOptions,
    record: &ContactRecord,
    now: DateTime<Utc>,
    summary: &mut ReconcileSummary,
) -> Result<Option<Asked>, StoreError> {
    let contact = &record.contact;
    let Some(channel) = channels.get(&contact.channel) else {
        summary.left += 1;
        summary.no_lookup += 1;
        return Ok(None);
    };
    let Some((query, lost_at)) = lookup_query(store, record).await? else {
        summary.left += 1;
        return Ok(None);
    };
    let settle = chrono::Duration::from_std(options.settle).unwrap_or_default();
    if now - lost_at < settle {
        summary.left += 1;
        summary.too_recent += 1;
        return Ok(None);
    }
    let Some(asked) = channel.lookup(&query) else {
        summary.left += 1;
        summary.no_lookup += 1;
        return Ok(None);
    };
    let answer = asked.await;
    Ok(Some((channel.name().to_string(), query, answer)))
}

/// Applies one provider's answer about one contact.
async fn apply<S: Store>(
    store: &S,
    record: &ContactRecord,
    provider: &str,
    query: &LookupQuery,
    answer: Result<LookupAnswer, ChannelError>,
    now: DateTime<Utc>,
    summary: &mut ReconcileSummary,
) -> Result<(), StoreError> {
    let contact = &record.contact;
    let tally = summary.providers.entry(provider.to_string()).or_default();
    match answer {
        Ok(LookupAnswer::Found {
            provider_id,
            status,
            detail,
        }) => {
            let to = match status {
                DeliveryStatus::Accepted => ContactState::Sent,
                DeliveryStatus::Delivered => ContactState::Delivered,
                DeliveryStatus::Undelivered => ContactState::Undelivered,
            };
            let row = row(
                record,
                to,
                Some(provider),
                Some(&provider_id),
                format!("{provider} lookup found the message ({detail})"),
                now,
            );
            if store.reconcile(&contact.id, to, &[row]).await? {
                tally.resolved += 1;
            } else {
                summary.left += 1;
            }
        }
        Ok(LookupAnswer::NotFound) => {
            let mut row = LedgerEntry::for_contact(contact, LedgerState::Retry, now);
            row.code = Some(LedgerCode::Reconciled.into());
            row.provider = Some(provider.to_string());
            row.attempt = record.attempt;
            row.detail = Some(format!(
                "{provider} has no message to {} between {} and {}: it never went out; back to the plan, the guard decides again",
                mask_address(&query.to),
                query.since.to_rfc3339(),
                query.until.to_rfc3339()
            ));
            if store
                .transition(&contact.id, Transition::Requeue { due_at: now }, &[row])
                .await?
            {
                tally.requeued += 1;
            } else {
                summary.left += 1;
            }
        }
        Ok(LookupAnswer::Ambiguous { candidates }) => {
            tracing::info!(contact = %contact.id, provider, candidates, "lookup ambiguous: left for review");
            tally.ambiguous += 1;
            summary.left += 1;
        }
        Err(e) => {
            report_error(&contact.id, provider, &e);
            tally.errors += 1;
            summary.left += 1;
        }
    }
    Ok(())
}

fn report_error(contact: &str, provider: &str, e: &ChannelError) {
    tracing::warn!(contact, provider, error = %e, "lookup failed: left for review");
}

/// The row that recorded a send lost is dated at its reservation (the
/// worker's at its decision just before, recovery's at the reservation):
/// the message was created at the provider after it, within the
/// request's timeout. A minute before allows for clocks; after, the
/// longest provider timeout and then some.
const WINDOW_BEFORE: chrono::Duration = chrono::Duration::minutes(1);
const WINDOW_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// The lookup for `record`: its address (from its account), the window
/// its lost send happened in (from its ledger rows) and the provider ids
/// already recorded for other contacts to that address; with the instant
/// the send was recorded lost. `None` when the account or its address is
/// gone.
async fn lookup_query<S: Store>(
    store: &S,
    record: &ContactRecord,
) -> Result<Option<(LookupQuery, DateTime<Utc>)>, StoreError> {
    let contact = &record.contact;
    let Some((account, _)) = store.account(&contact.account).await? else {
        return Ok(None);
    };
    let Some(point) = account.contact_point_for(contact.channel) else {
        return Ok(None);
    };
    let rows = super::review::evidence(store, record).await?;
    let lost_at = rows
        .iter()
        .rev()
        .find(|r| r.state == LedgerState::Unknown)
        .map(|r| r.at);
    let Some(lost_at) = lost_at else {
        return Ok(None);
    };
    let mut taken = BTreeSet::new();
    let mut accounts = store.accounts_by_address(&point.address).await?;
    if !accounts.contains(&contact.account) {
        accounts.push(contact.account.clone());
    }
    for account in accounts {
        let rows = store
            .ledger(&LedgerFilter {
                account: Some(account),
                ..Default::default()
            })
            .await?;
        taken.extend(
            rows.into_iter()
                .filter(|r| r.contact_id != contact.id)
                .filter_map(|r| r.provider_id),
        );
    }
    Ok(Some((
        LookupQuery {
            contact_id: contact.id.clone(),
            channel: contact.channel,
            to: point.address.clone(),
            since: lost_at - WINDOW_BEFORE,
            until: lost_at + WINDOW_AFTER,
            taken,
        },
        lost_at,
    )))
}
