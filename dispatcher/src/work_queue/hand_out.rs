//! Handing a task to the collector who asks, and taking it back.

use chrono::{DateTime, Utc};
use cobro_compliance::DebtorProfile;

use super::window::window_closes_at;
use super::{Task, WorkDesk, WorkError};
use crate::engine::ProcessOutcome;
use crate::store::{
    ContactRecord, ContactState, LedgerCode, LedgerEntry, LedgerState, Store, TaskLease, Transition,
};

/// Contacts claimed per round: a collector takes one task, and the rest
/// go straight back.
const CLAIM: usize = 4;
/// Claims tried before answering "nothing allowed now" (each deferred or
/// blocked contact moves out of the way, so a later round sees others).
const ROUNDS: usize = 25;
/// How long a contact whose campaign this server has no rules for waits
/// before it is offered again (fail closed: no rules, no call).
const NO_RULES_RETRY_MINUTES: i64 = 60;

/// The next task for `collector` (an email) working `teams`, leased to it
/// until `now + desk.lease`, or `None` when no task is allowed now. A
/// collector holding a task gets the same task back: one at a time.
pub async fn next_task<S: Store>(
    desk: &WorkDesk<S>,
    store: &S,
    collector: &str,
    teams: &[String],
    now: DateTime<Utc>,
) -> Result<Option<Task>, WorkError> {
    release_expired(store, now).await?;
    for lease in store.leases(Some(collector)).await? {
        if let Some(record) = store.contact(&lease.contact_id).await?
            && record.state == ContactState::Sending
            && let Some(task) = task_of(desk, store, &record, &lease, now).await?
        {
            return Ok(Some(task));
        }
    }
    for _ in 0..ROUNDS {
        let claimed = store.claim_work(teams, now, CLAIM).await?;
        if claimed.is_empty() {
            return Ok(None);
        }
        let mut claimed = claimed.into_iter();
        while let Some(record) = claimed.next() {
            if let Some(task) = try_one(desk, store, collector, record, now).await? {
                // The others of the round go back as they were.
                let back: Vec<_> = claimed
                    .map(|r| crate::store::TransitionItem {
                        id: r.contact.id.clone(),
                        to: Transition::Reschedule {
                            due_at: r.due_at,
                            attempt: r.attempt,
                        },
                        ledger: Vec::new(),
                    })
                    .collect();
                store.transitions(&back).await?;
                return Ok(Some(task));
            }
        }
    }
    Ok(None)
}

/// One claimed contact through the pipeline; the task when it was allowed.
async fn try_one<S: Store>(
    desk: &WorkDesk<S>,
    store: &S,
    collector: &str,
    record: ContactRecord,
    now: DateTime<Utc>,
) -> Result<Option<Task>, WorkError> {
    let contact = record.contact.clone();
    let Some(dispatcher) = desk.dispatcher(&contact.campaign) else {
        let until = now + chrono::Duration::minutes(NO_RULES_RETRY_MINUTES);
        let mut row = LedgerEntry::for_contact(&contact, LedgerState::Deferred, now);
        row.code = Some(LedgerCode::NoCampaignRules.into());
        row.detail = Some(format!(
            "this server was not given campaign {}'s file (cobro serve --campaign): no rules, no call",
            contact.campaign
        ));
        row.attempt = record.attempt;
        store
            .transition(
                &contact.id,
                Transition::Reschedule {
                    due_at: until,
                    attempt: record.attempt,
                },
                &[row],
            )
            .await?;
        return Ok(None);
    };
    // The lease first: a crash after the reservation leaves a task that
    // its lease returns, never one `sending` with no holder.
    let lease = TaskLease {
        contact_id: contact.id.clone(),
        collector: collector.to_string(),
        team: contact.team.clone().unwrap_or_default(),
        leased_at: now,
        until: now + desk.lease,
    };
    store.put_lease(&lease).await?;
    match dispatcher.process(record, now).await? {
        ProcessOutcome::HandedOut => {
            let record = store
                .contact(&contact.id)
                .await?
                .ok_or_else(|| WorkError::NotFound(contact.id.clone()))?;
            let task = task_of(desk, store, &record, &lease, now).await?;
            if task.is_none() {
                store.end_lease(&contact.id, collector).await?;
            }
            Ok(task)
        }
        _ => {
            store.end_lease(&contact.id, collector).await?;
            Ok(None)
        }
    }
}

/// What the collector sees of a leased task.
async fn task_of<S: Store>(
    desk: &WorkDesk<S>,
    store: &S,
    record: &ContactRecord,
    lease: &TaskLease,
    now: DateTime<Utc>,
) -> Result<Option<Task>, WorkError> {
    let contact = &record.contact;
    let Some((account, _)) = store.account(&contact.account).await? else {
        return Ok(None);
    };
    let Some(point) = account.contact_point_for(contact.channel).cloned() else {
        return Ok(None);
    };
    let (book, _) = store.book(&account.id).await?;
    let balance = book.balance(account.amount_due);
    let (closes, script) = match desk.dispatcher(&contact.campaign) {
        Some(d) => {
            let mut profile = DebtorProfile::from_account(&account, &point);
            profile.avoid = crate::engine::avoided_hours(&book);
            let mut owed = account.clone();
            owed.amount_due = balance;
            let context = d.message_context(&owed, None, now);
            let script = d
                .templates
                .render(
                    &contact.template,
                    &account.language,
                    contact.channel,
                    &context,
                )
                .ok()
                .map(|r| r.text);
            (window_closes_at(&d.guard, &profile, now), script)
        }
        None => (None, None),
    };
    Ok(Some(Task {
        task: contact.id.clone(),
        contact_id: contact.id.clone(),
        account: account.id.clone(),
        campaign: contact.campaign.clone(),
        step: contact.step.clone(),
        channel: contact.channel,
        team: lease.team.clone(),
        phone: point.address.clone(),
        debtor_name: account.debtor_name.clone(),
        language: account.language.clone(),
        currency: account.currency.clone(),
        balance: balance.to_string(),
        window_closes_at: closes,
        lease_until: lease.until,
        script,
    }))
}

/// Returns every task whose lease ended before `now` to its queue, due
/// now, with a `lease_expired` ledger row; returns how many went back.
pub async fn release_expired<S: Store>(store: &S, now: DateTime<Utc>) -> Result<u64, WorkError> {
    let mut n = 0;
    for lease in store.expired_leases(now).await? {
        if give_back(store, &lease, LedgerCode::LeaseExpired, "the lease ended before an outcome was recorded; the call may have happened, so its cap slot stays taken", now).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// A supervisor hands a task back to the queue (due now).
pub async fn release<S: Store>(
    store: &S,
    contact_id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkError> {
    let lease = store
        .lease(contact_id)
        .await?
        .ok_or_else(|| WorkError::NotFound(contact_id.to_string()))?;
    give_back(
        store,
        &lease,
        LedgerCode::TaskReleased,
        &format!("released by {by} from {}", lease.collector),
        now,
    )
    .await?;
    Ok(())
}

/// A supervisor moves a leased task to another collector (same lease end).
pub async fn reassign<S: Store>(
    store: &S,
    contact_id: &str,
    to: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), WorkError> {
    let lease = store
        .lease(contact_id)
        .await?
        .ok_or_else(|| WorkError::NotFound(contact_id.to_string()))?;
    let record = store
        .contact(contact_id)
        .await?
        .ok_or_else(|| WorkError::NotFound(contact_id.to_string()))?;
    store
        .put_lease(&TaskLease {
            collector: to.to_string(),
            ..lease.clone()
        })
        .await?;
    let mut row = LedgerEntry::for_contact(&record.contact, LedgerState::Allowed, now);
    row.code = Some(LedgerCode::TaskReassigned.into());
    row.detail = Some(format!(
        "reassigned by {by} from {} to {to}",
        lease.collector
    ));
    row.provider = Some(to.to_string());
    row.attempt = record.attempt;
    store.append_ledger(&[row]).await?;
    Ok(())
}

/// Ends `lease` and puts its contact back in the plan, due now.
async fn give_back<S: Store>(
    store: &S,
    lease: &TaskLease,
    code: LedgerCode,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<bool, WorkError> {
    if !store.end_lease(&lease.contact_id, &lease.collector).await? {
        return Ok(false);
    }
    let Some(record) = store.contact(&lease.contact_id).await? else {
        return Ok(false);
    };
    if !matches!(record.state, ContactState::Sending | ContactState::Queued) {
        return Ok(false);
    }
    let mut row = LedgerEntry::for_contact(&record.contact, LedgerState::Retry, now);
    row.code = Some(code.into());
    row.detail = Some(detail.to_string());
    row.provider = Some(lease.collector.clone());
    row.attempt = record.attempt;
    Ok(store
        .transition(
            &lease.contact_id,
            Transition::Reschedule {
                due_at: now,
                attempt: record.attempt,
            },
            &[row],
        )
        .await?)
}
