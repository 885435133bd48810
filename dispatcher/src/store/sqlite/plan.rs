//! The contact plan: adding, claiming and moving contacts. Every move's
//! `WHERE state IN (...)` comes from `StateMove` (see `guards.rs`).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use rusqlite::{Connection, OptionalExtension, params};

use super::campaigns::stop_from_in;
use super::guards::states_in;
use super::rows::{
    CONTACT_COLUMN_COUNT, CONTACT_COLUMNS, collect, contact_from_row, from_ms, get, insert_ledger,
    int, ms,
};
use super::{SqliteStore, db};
use crate::store::{
    AccountStatus, ContactRecord, ContactState, LedgerCode, LedgerEntry, LedgerState, PlanStore,
    StateMove, StoreError, StoreResult, Transition, TransitionItem,
};

/// A claim: the first `?2` due contacts without a team at `?1`, in
/// (due, id) order, moved to `queued` (the `contacts_due_auto_id` index
/// gives that order without a sort).
pub(super) fn claim_due_sql() -> String {
    format!(
        "UPDATE contacts SET state = 'queued', claimed_at = ?1 WHERE id IN \
         (SELECT id FROM contacts WHERE team IS NULL AND state IN ({from}) AND due_at <= ?1 \
         AND campaign NOT IN (SELECT campaign FROM paused_campaigns) ORDER BY due_at, id LIMIT ?2) \
         RETURNING {CONTACT_COLUMNS}",
        from = states_in(StateMove::Claim)
    )
}

impl PlanStore for SqliteStore {
    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        let contacts = contacts.to_vec();
        self.db
            .atomic("add_contacts", move |tx| add_contacts_in(tx, &contacts))
            .await
    }

    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        let id = id.to_string();
        self.db
            .run("contact", move |conn| {
                let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?");
                let mut stmt = conn.prepare_cached(&sql).map_err(db("contact"))?;
                Ok(collect(&mut stmt, [id], "contact", contact_from_row)?.pop())
            })
            .await
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        self.db
            .atomic("claim_due", move |tx| {
                let mut stmt = tx
                    .prepare_cached(&claim_due_sql())
                    .map_err(db("claim_due"))?;
                let mut records = collect(
                    &mut stmt,
                    params![ms(now), int(limit)],
                    "claim_due",
                    contact_from_row,
                )?;
                records.sort_by(|a, b| (a.due_at, &a.contact.id).cmp(&(b.due_at, &b.contact.id)));
                Ok(records)
            })
            .await
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        self.db
            .run("next_due", |conn| {
                let value: Option<i64> = conn
                    .prepare_cached(
                        "SELECT MIN(due_at) FROM contacts WHERE team IS NULL AND state = 'pending' \
                         AND campaign NOT IN (SELECT campaign FROM paused_campaigns)",
                    )
                    .and_then(|mut s| s.query_row([], |row| row.get(0)))
                    .map_err(db("next_due"))?;
                value.map(from_ms).transpose()
            })
            .await
    }

    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        let id = id.to_string();
        let ledger = ledger.to_vec();
        self.db
            .atomic("transition", move |tx| transition_in(tx, &id, &to, &ledger))
            .await
    }

    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        let items = items.to_vec();
        self.db
            .atomic("transitions", move |tx| transitions_in(tx, &items))
            .await
    }

    async fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> StoreResult<Vec<bool>> {
        // One transaction: the fallbacks and the moves that planned them
        // land together.
        let plan = plan.to_vec();
        let items = items.to_vec();
        self.db
            .atomic("plan_and_transitions", move |tx| {
                if !plan.is_empty() {
                    add_contacts_in(tx, &plan)?;
                }
                transitions_in(tx, &items)
            })
            .await
    }

    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let (account, code, detail) = (account.to_string(), code.to_string(), detail.to_string());
        self.db
            .atomic("cancel_account_contacts", move |tx| {
                cancel_account_in(tx, &account, channel, &code, &detail, at)
            })
            .await
    }

    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        self.db
            .atomic("recover_stale", move |tx| {
                recover_stale_in(tx, queued_before, sending_before)
            })
            .await
    }

    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        let campaign = campaign.map(str::to_string);
        self.db
            .run("counts", move |conn| {
                let op = "counts";
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT state, COUNT(*) FROM contacts WHERE (?1 IS NULL OR campaign = ?1) GROUP BY state",
                    )
                    .map_err(db(op))?;
                let rows = collect(&mut stmt, [campaign], op, |row| {
                    Ok((get::<String>(row, 0, op)?, get::<i64>(row, 1, op)?))
                })?;
                let mut counts = BTreeMap::new();
                for (state, n) in rows {
                    counts.insert(
                        ContactState::from_str(&state).map_err(StoreError::Corrupt)?,
                        u64::try_from(n).unwrap_or(0),
                    );
                }
                Ok(counts)
            })
            .await
    }

    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        self.db
            .run("campaigns", |conn| {
                let mut stmt = conn
                    .prepare_cached("SELECT DISTINCT campaign FROM contacts ORDER BY campaign")
                    .map_err(db("campaigns"))?;
                collect(&mut stmt, [], "campaigns", |row| get(row, 0, "campaigns"))
            })
            .await
    }

    async fn account_contacts(&self, account: &str) -> StoreResult<Vec<ContactRecord>> {
        let account = account.to_string();
        self.db
            .run("account_contacts", move |conn| {
                let sql =
                    format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE account = ? ORDER BY id");
                let mut stmt = conn.prepare_cached(&sql).map_err(db("account_contacts"))?;
                collect(&mut stmt, [account], "account_contacts", contact_from_row)
            })
            .await
    }

    async fn unknown_contacts(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        let after = after.map(str::to_string);
        self.db
            .run("unknown_contacts", move |conn| {
                // `contacts_state (state)` narrows to the unknown ones; few
                // enough to sort by id.
                let sql = format!(
                    "SELECT {CONTACT_COLUMNS} FROM contacts WHERE state = 'unknown' AND (?1 IS NULL OR id > ?1) \
                     ORDER BY id LIMIT ?2"
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(db("unknown_contacts"))?;
                collect(
                    &mut stmt,
                    params![after, int(limit)],
                    "unknown_contacts",
                    contact_from_row,
                )
            })
            .await
    }
}

/// Adds the contacts not planned yet; returns how many were new.
fn add_contacts_in(conn: &Connection, contacts: &[PlannedContact]) -> StoreResult<u64> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO contacts (id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt, team) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 'pending', 0, ?9)",
        )
        .map_err(db("add_contacts"))?;
    let mut added = 0;
    for c in contacts {
        added += stmt
            .execute(params![
                c.id,
                c.campaign,
                c.account,
                c.step,
                c.channel.as_str(),
                c.template,
                c.fallback.map(ChannelKind::as_str),
                ms(c.due_at),
                c.team,
            ])
            .map_err(db("add_contacts"))? as u64;
    }
    Ok(added)
}

fn transitions_in(conn: &Connection, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
    items
        .iter()
        .map(|item| transition_in(conn, &item.id, &item.to, &item.ledger))
        .collect()
}

/// One contact's transition and its ledger rows inside the caller's
/// transaction. Nothing is written when the contact is not in a state the
/// transition moves from, so several of them can share one transaction.
pub(super) fn transition_in(
    conn: &Connection,
    id: &str,
    to: &Transition,
    ledger: &[LedgerEntry],
) -> StoreResult<bool> {
    let op = "transition";
    let done = match to {
        Transition::Reschedule { due_at, attempt } => {
            let sql = format!(
                "UPDATE contacts SET state = 'pending', due_at = ?, attempt = ?, claimed_at = NULL \
                 WHERE id = ? AND state IN ({})",
                states_in(StateMove::Reschedule)
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| s.execute(params![ms(*due_at), i64::from(*attempt), id]))
                .map_err(db(op))?
        }
        Transition::Requeue { due_at } => {
            let sql = format!(
                "UPDATE contacts SET state = 'pending', due_at = ?, claimed_at = NULL \
                 WHERE id = ? AND state IN ({})",
                states_in(StateMove::Requeue)
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| s.execute(params![ms(*due_at), id]))
                .map_err(db(op))?
        }
        Transition::Finish(state) => {
            // A delivery receipt finishes from other states than an
            // attempt's outcome (it arrives after the send was recorded).
            let moves = StateMove::finishing_into(*state).ok_or_else(|| {
                StoreError::Query(format!(
                    "cannot finish contact {id} into non-terminal state {state}"
                ))
            })?;
            let sql = format!(
                "UPDATE contacts SET state = ? WHERE id = ? AND state IN ({})",
                states_in(moves)
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| s.execute(params![state.as_str(), id]))
                .map_err(db(op))?
        }
    };
    if done == 0 {
        return Ok(false);
    }
    insert_ledger(conn, ledger)?;
    Ok(true)
}

fn cancel_account_in(
    conn: &Connection,
    account: &str,
    channel: Option<ChannelKind>,
    code: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let op = "cancel_account_contacts";
    // A channel opt-out (the only caller naming a channel) and an active
    // account cancel every campaign's contacts; a stopped account those
    // of the campaigns that stop on its status.
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM accounts WHERE id = ?")
        .and_then(|mut s| s.query_row([account], |row| row.get(0)).optional())
        .map_err(db(op))?;
    let status = status
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::Active);
    let cancellable = states_in(StateMove::Cancel);
    let channel = channel.map(ChannelKind::as_str);
    let sql = format!(
        "SELECT DISTINCT campaign FROM contacts WHERE account = ?1 AND state IN ({cancellable}) \
         AND (?2 IS NULL OR channel = ?2)"
    );
    let campaigns: Vec<String> = {
        let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
        collect(&mut stmt, params![account, channel], op, |row| {
            get(row, 0, op)
        })?
    };
    let mut records = Vec::new();
    for campaign in campaigns {
        if channel.is_none()
            && status != AccountStatus::Active
            && !status.stops(stop_from_in(conn, &campaign)?)
        {
            continue;
        }
        let sql = format!(
            "UPDATE contacts SET state = 'cancelled' WHERE account = ?1 AND campaign = ?3 \
             AND state IN ({cancellable}) AND (?2 IS NULL OR channel = ?2) RETURNING {CONTACT_COLUMNS}"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
        records.extend(collect(
            &mut stmt,
            params![account, channel, campaign],
            op,
            contact_from_row,
        )?);
    }
    record_cancellations(conn, records, code, detail, at)
}

fn recover_stale_in(
    conn: &Connection,
    queued_before: DateTime<Utc>,
    sending_before: DateTime<Utc>,
) -> StoreResult<(u64, u64)> {
    let op = "recover_stale";
    let sql = format!(
        "UPDATE contacts SET state = 'pending', claimed_at = NULL WHERE state IN ({}) AND claimed_at < ?",
        states_in(StateMove::RecoverQueued)
    );
    let requeued = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute([ms(queued_before)]))
        .map_err(db(op))? as u64;
    let sql = format!(
        "UPDATE contacts SET state = 'unknown' WHERE team IS NULL AND state IN ({from}) AND claimed_at < ? \
         RETURNING {CONTACT_COLUMNS}, claimed_at",
        from = states_in(StateMove::RecoverSending)
    );
    let recovered = {
        let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
        collect(&mut stmt, [ms(sending_before)], op, |row| {
            let record = contact_from_row(row)?;
            let reserved_at = from_ms(get(row, CONTACT_COLUMN_COUNT, op)?)?;
            Ok((record, reserved_at))
        })?
    };
    let entries: Vec<LedgerEntry> = recovered
        .iter()
        .map(|(r, reserved_at)| {
            let mut e = LedgerEntry::for_contact(&r.contact, LedgerState::Unknown, *reserved_at);
            e.code = Some(LedgerCode::Interrupted.as_str().into());
            e.detail = Some("the worker stopped between handing the message over and recording the answer; not resent".into());
            e.attempt = r.attempt;
            e
        })
        .collect();
    insert_ledger(conn, &entries)?;
    Ok((requeued, recovered.len() as u64))
}

/// Appends a `cancelled` ledger row for each contact a cancelling
/// `UPDATE … RETURNING` touched; returns their ids, sorted.
pub(super) fn record_cancellations(
    conn: &Connection,
    records: Vec<ContactRecord>,
    code: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let entries: Vec<LedgerEntry> = records
        .iter()
        .map(|r| {
            let mut e = LedgerEntry::for_contact(&r.contact, LedgerState::Cancelled, at);
            e.code = Some(code.to_string());
            e.detail = Some(detail.to_string());
            e.attempt = r.attempt;
            e
        })
        .collect();
    insert_ledger(conn, &entries)?;
    let mut ids: Vec<String> = records.into_iter().map(|r| r.contact.id).collect();
    ids.sort();
    Ok(ids)
}
