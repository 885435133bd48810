//! The reads before a send and the reservation: the idempotency key and
//! the cap slot in one transaction.

use std::str::FromStr;

use sqlx::{Sqlite, Transaction};

use super::campaigns::stop_from_in;
use super::rows::ms;
use super::{SqliteStore, db};
use crate::store::{
    AccountStatus, CheckQuery, ContactChecks, ContactState, Reservation, ReservationStore,
    ReserveOutcome, StateMove, StoreError, StoreResult, SuppressionStore,
};

impl ReservationStore for SqliteStore {
    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        let keys: Vec<&str> = queries.iter().map(|q| q.debtor_key.as_str()).collect();
        let mut histories = self.histories(&keys).await?;
        let mut out = Vec::with_capacity(queries.len());
        for q in queries {
            let suppressed = self.is_suppressed(q.channel, &q.address).await?;
            let (history, version) = histories
                .get_mut(q.debtor_key.as_str())
                .map(|(h, v)| (h.clone(), *v))
                .unwrap_or_default();
            out.push(ContactChecks {
                suppressed,
                history,
                version,
            });
        }
        Ok(out)
    }

    async fn reserve(&self, r: &Reservation) -> StoreResult<ReserveOutcome> {
        let mut tx = self.begin().await?;
        let outcome = reserve_in(&mut tx, r).await?;
        tx.commit().await.map_err(db("reserve"))?;
        Ok(outcome)
    }

    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(reservations.len());
        for r in reservations {
            out.push(reserve_in(&mut tx, r).await?);
        }
        tx.commit().await.map_err(db("reserve_many"))?;
        Ok(out)
    }
}

/// One reservation inside `tx`: reads first, writes only when every check
/// passed, so a refused reservation leaves the transaction untouched.
pub(super) async fn reserve_in(
    tx: &mut Transaction<'static, Sqlite>,
    r: &Reservation,
) -> StoreResult<ReserveOutcome> {
    let contact: Option<(String, String)> =
        sqlx::query_as("SELECT state, campaign FROM contacts WHERE id = ?")
            .bind(&r.contact_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db("reserve_in"))?;
    let Some((state, campaign)) = contact else {
        return Ok(ReserveOutcome::NotQueued);
    };
    let state = ContactState::from_str(&state).map_err(StoreError::Corrupt)?;
    if !StateMove::Reserve.applies_to(state) {
        return Ok(ReserveOutcome::NotQueued);
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM accounts WHERE id = ?")
        .bind(&r.account)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db("reserve_in"))?;
    let status = status
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::Active);
    if status.stops(stop_from_in(tx, &campaign).await?) {
        return Ok(ReserveOutcome::AccountStopped(status));
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM history_version WHERE debtor_key = ?")
            .bind(&r.debtor_key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db("reserve_in"))?;
    if version.unwrap_or(0) as u64 != r.history_version {
        return Ok(ReserveOutcome::HistoryChanged);
    }
    sqlx::query("UPDATE contacts SET state = 'sending', claimed_at = ? WHERE id = ?")
        .bind(ms(r.at))
        .bind(&r.contact_id)
        .execute(&mut **tx)
        .await
        .map_err(db("reserve_in"))?;
    sqlx::query("INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, 0)")
        .bind(&r.debtor_key)
        .bind(ms(r.at))
        .bind(r.channel.as_str())
        .bind(&r.account)
        .execute(&mut **tx)
        .await
        .map_err(db("reserve_in"))?;
    bump_version(tx, &r.debtor_key).await?;
    Ok(ReserveOutcome::Reserved)
}

pub(super) async fn bump_version(
    tx: &mut Transaction<'static, Sqlite>,
    debtor_key: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO history_version (debtor_key, version) VALUES (?, 1) \
         ON CONFLICT(debtor_key) DO UPDATE SET version = version + 1",
    )
    .bind(debtor_key)
    .execute(&mut **tx)
    .await
    .map_err(db("bump_version"))?;
    Ok(())
}
