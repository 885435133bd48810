//! The reads before a send and the reservation: the idempotency key and
//! the cap slot in one transaction.

use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, params};

use super::campaigns::stop_from_in;
use super::guards::states_in;
use super::history::histories_in;
use super::rows::{insert_ledger, ms};
use super::suppression::is_suppressed_in;
use super::{SqliteStore, db};
use crate::store::{
    AccountStatus, CheckQuery, ContactChecks, ContactState, Reservation, ReservationRelease,
    ReservationStore, ReserveOutcome, StateMove, StoreError, StoreResult,
};

impl ReservationStore for SqliteStore {
    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        let queries = queries.to_vec();
        self.db
            .run("contact_checks", move |conn| {
                let keys: Vec<&str> = queries.iter().map(|q| q.debtor_key.as_str()).collect();
                let histories = histories_in(conn, &keys)?;
                let mut out = Vec::with_capacity(queries.len());
                for q in &queries {
                    let suppressed = is_suppressed_in(conn, q.channel, &q.address)?;
                    let (history, version) = histories
                        .get(q.debtor_key.as_str())
                        .map(|(h, v)| (h.clone(), *v))
                        .unwrap_or_default();
                    out.push(ContactChecks {
                        suppressed,
                        history,
                        version,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn reserve(&self, r: &Reservation) -> StoreResult<ReserveOutcome> {
        let r = r.clone();
        self.db
            .atomic("reserve", move |tx| reserve_in(tx, &r))
            .await
    }

    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        let reservations = reservations.to_vec();
        self.db
            .atomic("reserve_many", move |tx| {
                reservations.iter().map(|r| reserve_in(tx, r)).collect()
            })
            .await
    }

    async fn release(&self, releases: &[ReservationRelease]) -> StoreResult<Vec<bool>> {
        let releases = releases.to_vec();
        self.db
            .atomic("release", move |tx| {
                releases.iter().map(|r| release_in(tx, r)).collect()
            })
            .await
    }
}

/// One release inside the caller's transaction (see `Store::release`).
fn release_in(conn: &Connection, release: &ReservationRelease) -> StoreResult<bool> {
    let op = "release_in";
    let r = &release.reservation;
    let sql = format!(
        "UPDATE contacts SET state = 'pending', due_at = ?1, claimed_at = NULL \
         WHERE id = ?2 AND state IN ({}) AND claimed_at = ?1",
        states_in(StateMove::Release)
    );
    let moved = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute(params![ms(r.at), r.contact_id]))
        .map_err(db(op))?;
    if moved == 0 {
        return Ok(false);
    }
    let removed = conn
        .prepare_cached(
            "DELETE FROM history WHERE rowid = (SELECT rowid FROM history \
             WHERE debtor_key = ? AND at = ? AND channel = ? AND account = ? AND conversation = 0 \
             LIMIT 1)",
        )
        .and_then(|mut s| {
            s.execute(params![
                r.debtor_key,
                ms(r.at),
                r.channel.as_str(),
                r.account
            ])
        })
        .map_err(db(op))?;
    if removed > 0 {
        bump_version(conn, &r.debtor_key)?;
    }
    insert_ledger(conn, std::slice::from_ref(&release.ledger))?;
    Ok(true)
}

/// One reservation inside the caller's transaction: reads first, writes
/// only when every check passed, so a refused reservation leaves the
/// transaction untouched.
pub(super) fn reserve_in(conn: &Connection, r: &Reservation) -> StoreResult<ReserveOutcome> {
    let op = "reserve_in";
    let contact: Option<(String, String)> = conn
        .prepare_cached("SELECT state, campaign FROM contacts WHERE id = ?")
        .and_then(|mut s| {
            s.query_row([&r.contact_id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(db(op))?;
    let Some((state, campaign)) = contact else {
        return Ok(ReserveOutcome::NotQueued);
    };
    let state = ContactState::from_str(&state).map_err(StoreError::Corrupt)?;
    if !StateMove::Reserve.applies_to(state) {
        return Ok(ReserveOutcome::NotQueued);
    }
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM accounts WHERE id = ?")
        .and_then(|mut s| s.query_row([&r.account], |row| row.get(0)).optional())
        .map_err(db(op))?;
    let status = status
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::Active);
    if status.stops(stop_from_in(conn, &campaign)?) {
        return Ok(ReserveOutcome::AccountStopped(status));
    }
    let version: Option<i64> = conn
        .prepare_cached("SELECT version FROM history_version WHERE debtor_key = ?")
        .and_then(|mut s| s.query_row([&r.debtor_key], |row| row.get(0)).optional())
        .map_err(db(op))?;
    if version.unwrap_or(0) as u64 != r.history_version {
        return Ok(ReserveOutcome::HistoryChanged);
    }
    conn.prepare_cached("UPDATE contacts SET state = 'sending', claimed_at = ? WHERE id = ?")
        .and_then(|mut s| s.execute(params![ms(r.at), r.contact_id]))
        .map_err(db(op))?;
    conn.prepare_cached(
        "INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, 0)",
    )
    .and_then(|mut s| s.execute(params![r.debtor_key, ms(r.at), r.channel.as_str(), r.account]))
    .map_err(db(op))?;
    bump_version(conn, &r.debtor_key)?;
    Ok(ReserveOutcome::Reserved)
}

pub(super) fn bump_version(conn: &Connection, debtor_key: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO history_version (debtor_key, version) VALUES (?, 1) \
         ON CONFLICT(debtor_key) DO UPDATE SET version = version + 1",
    )
    .and_then(|mut s| s.execute([debtor_key]))
    .map_err(db("bump_version"))?;
    Ok(())
}
