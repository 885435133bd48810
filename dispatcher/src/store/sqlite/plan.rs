//! The contact plan: adding, claiming and moving contacts. Every move's
//! `WHERE state IN (...)` comes from `StateMove` (see `guards.rs`).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::campaigns::stop_from_in;
use super::guards::states_in;
use super::rows::{CONTACT_COLUMNS, contact_from_row, from_ms, insert_ledger, ms};
use super::{SqliteStore, db};
use crate::store::{
    AccountStatus, ContactRecord, ContactState, LedgerCode, LedgerEntry, LedgerState, PlanStore,
    StateMove, StoreError, StoreResult, Transition, TransitionItem,
};

impl PlanStore for SqliteStore {
    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut added = 0;
        for c in contacts {
            let done = sqlx::query(
                "INSERT OR IGNORE INTO contacts (id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt, team) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
            )
            .bind(&c.id)
            .bind(&c.campaign)
            .bind(&c.account)
            .bind(&c.step)
            .bind(c.channel.as_str())
            .bind(&c.template)
            .bind(c.fallback.map(ChannelKind::as_str))
            .bind(ms(c.due_at))
            .bind(ms(c.due_at))
            .bind(&c.team)
            .execute(&mut *tx)
            .await
            .map_err(db("add_contacts"))?;
            added += done.rows_affected();
        }
        tx.commit().await.map_err(db("add_contacts"))?;
        Ok(added)
    }

    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("contact"))?;
        row.as_ref().map(contact_from_row).transpose()
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        let sql = format!(
            "UPDATE contacts SET state = 'queued', claimed_at = ?1 WHERE id IN \
             (SELECT id FROM contacts WHERE team IS NULL AND state IN ({from}) AND due_at <= ?2 \
             AND campaign NOT IN (SELECT campaign FROM paused_campaigns) ORDER BY due_at, id LIMIT ?3) \
             RETURNING {CONTACT_COLUMNS}",
            from = states_in(StateMove::Claim)
        );
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(ms(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("claim_due"))?;
        tx.commit().await.map_err(db("claim_due"))?;
        let mut records = rows
            .iter()
            .map(contact_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        records.sort_by(|a, b| (a.due_at, &a.contact.id).cmp(&(b.due_at, &b.contact.id)));
        Ok(records)
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let value: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(due_at) FROM contacts WHERE team IS NULL AND state = 'pending' AND campaign NOT IN (SELECT campaign FROM paused_campaigns)",
        )
            .fetch_one(&self.pool)
            .await
            .map_err(db("next_due"))?;
        value.map(from_ms).transpose()
    }

    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let done = transition_in(&mut tx, id, &to, ledger).await?;
        tx.commit().await.map_err(db("transition"))?;
        Ok(done)
    }

    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(transition_in(&mut tx, &item.id, &item.to, &item.ledger).await?);
        }
        tx.commit().await.map_err(db("transitions"))?;
        Ok(out)
    }

    async fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> StoreResult<Vec<bool>> {
        if !plan.is_empty() {
            self.add_contacts(plan).await?;
        }
        self.transitions(items).await
    }

    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut tx = self.begin().await?;
        // A channel opt-out (the only caller naming a channel) and an active
        // account cancel every campaign's contacts; a stopped account those
        // of the campaigns that stop on its status.
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM accounts WHERE id = ?")
            .bind(account)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("cancel_account_contacts"))?;
        let status = status
            .as_deref()
            .and_then(AccountStatus::parse)
            .unwrap_or(AccountStatus::Active);
        let cancellable = states_in(StateMove::Cancel);
        let sql = format!(
            "SELECT DISTINCT campaign FROM contacts WHERE account = ?1 AND state IN ({cancellable}) \
             AND (?2 IS NULL OR channel = ?2)"
        );
        let campaigns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(account)
            .bind(channel.map(ChannelKind::as_str))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("cancel_account_contacts"))?;
        let mut rows = Vec::new();
        for campaign in campaigns {
            if channel.is_none()
                && status != AccountStatus::Active
                && !status.stops(stop_from_in(&mut tx, &campaign).await?)
            {
                continue;
            }
            let sql = format!(
                "UPDATE contacts SET state = 'cancelled' WHERE account = ?1 AND campaign = ?3 \
                 AND state IN ({cancellable}) AND (?2 IS NULL OR channel = ?2) RETURNING {CONTACT_COLUMNS}"
            );
            rows.extend(
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(account)
                    .bind(channel.map(ChannelKind::as_str))
                    .bind(&campaign)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db("cancel_account_contacts"))?,
            );
        }
        let ids = record_cancellations(&mut tx, &rows, code, detail, at).await?;
        tx.commit().await.map_err(db("cancel_account_contacts"))?;
        Ok(ids)
    }

    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE contacts SET state = 'pending', claimed_at = NULL WHERE state IN ({}) AND claimed_at < ?",
            states_in(StateMove::RecoverQueued)
        );
        let requeued = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(queued_before))
            .execute(&mut *tx)
            .await
            .map_err(db("recover_stale"))?
            .rows_affected();
        let sql = format!(
            "UPDATE contacts SET state = 'unknown' WHERE team IS NULL AND state IN ({from}) AND claimed_at < ? RETURNING {CONTACT_COLUMNS}, claimed_at",
            from = states_in(StateMove::RecoverSending)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(sending_before))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("recover_stale"))?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = contact_from_row(row)?;
            let reserved_at = from_ms(row.try_get("claimed_at").map_err(db("recover_stale"))?)?;
            entries.push((record, reserved_at));
        }
        let records: Vec<ContactRecord> = entries.iter().map(|(r, _)| r.clone()).collect();
        let entries: Vec<LedgerEntry> = entries
            .iter()
            .map(|(r, reserved_at)| {
                let mut e = LedgerEntry::for_contact(&r.contact, LedgerState::Unknown, *reserved_at);
                e.code = Some(LedgerCode::Interrupted.as_str().into());
                e.detail = Some("the worker stopped between handing the message over and recording the answer; not resent".into());
                e.attempt = r.attempt;
                e
            })
            .collect();
        insert_ledger(&mut tx, &entries).await?;
        tx.commit().await.map_err(db("recover_stale"))?;
        Ok((requeued, records.len() as u64))
    }

    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM contacts WHERE (?1 IS NULL OR campaign = ?1) GROUP BY state")
            .bind(campaign)
            .fetch_all(&self.pool)
            .await
            .map_err(db("counts"))?;
        let mut counts = BTreeMap::new();
        for row in rows {
            let state: String = row.try_get("state").map_err(db("counts"))?;
            let n: i64 = row.try_get("n").map_err(db("counts"))?;
            counts.insert(
                ContactState::from_str(&state).map_err(StoreError::Corrupt)?,
                n as u64,
            );
        }
        Ok(counts)
    }

    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT campaign FROM contacts ORDER BY campaign")
            .fetch_all(&self.pool)
            .await
            .map_err(db("campaigns"))
    }

    async fn account_contacts(&self, account: &str) -> StoreResult<Vec<ContactRecord>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE account = ? ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account)
            .fetch_all(&self.pool)
            .await
            .map_err(db("account_contacts"))?;
        rows.iter().map(contact_from_row).collect()
    }

    async fn unknown_contacts(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        // `contacts_due (state, due_at)` narrows to the unknown ones; few
        // enough to sort by id.
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE state = 'unknown' AND (?1 IS NULL OR id > ?1) \
             ORDER BY id LIMIT ?2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(db("unknown_contacts"))?;
        rows.iter().map(contact_from_row).collect()
    }
}

/// One contact's transition and its ledger rows inside `tx`. Nothing is
/// written when the contact is not in a state the transition moves from,
/// so several of them can share one transaction.
pub(super) async fn transition_in(
    tx: &mut Transaction<'static, Sqlite>,
    id: &str,
    to: &Transition,
    ledger: &[LedgerEntry],
) -> StoreResult<bool> {
    let done = match to {
        Transition::Reschedule { due_at, attempt } => {
            let sql = format!(
                "UPDATE contacts SET state = 'pending', due_at = ?, attempt = ?, claimed_at = NULL \
                 WHERE id = ? AND state IN ({})",
                states_in(StateMove::Reschedule)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(ms(*due_at))
                .bind(i64::from(*attempt))
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db("transition"))?
        }
        Transition::Requeue { due_at } => {
            let sql = format!(
                "UPDATE contacts SET state = 'pending', due_at = ?, claimed_at = NULL \
                 WHERE id = ? AND state IN ({})",
                states_in(StateMove::Requeue)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(ms(*due_at))
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db("transition"))?
        }
        Transition::Finish(state) => {
            // A delivery receipt finishes from other states than an
            // attempt's outcome (it arrives after the send was recorded).
            let op = StateMove::finishing_into(*state).ok_or_else(|| {
                StoreError::Query(format!(
                    "cannot finish contact {id} into non-terminal state {state}"
                ))
            })?;
            let sql = format!(
                "UPDATE contacts SET state = ? WHERE id = ? AND state IN ({})",
                states_in(op)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(state.as_str())
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db("transition"))?
        }
    };
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    insert_ledger(tx, ledger).await?;
    Ok(true)
}

/// Appends a `cancelled` ledger row for each contact a cancelling
/// `UPDATE … RETURNING` touched; returns their ids, sorted.
pub(super) async fn record_cancellations(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[SqliteRow],
    code: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let records = rows
        .iter()
        .map(contact_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
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
    insert_ledger(tx, &entries).await?;
    let mut ids: Vec<String> = records.into_iter().map(|r| r.contact.id).collect();
    ids.sort();
    Ok(ids)
}
