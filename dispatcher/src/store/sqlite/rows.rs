//! Between SQLite rows and the store's records: timestamps as epoch
//! milliseconds, channels and states as their names, ledger lists joined
//! with `;`.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use rusqlite::types::FromSql;
use rusqlite::{Connection, Row, Statement, params};

use super::db;
use crate::store::{
    ContactRecord, ContactState, LedgerEntry, LedgerState, StoreError, StoreResult,
};

/// The columns `contact_from_row` reads, in this order (by index).
pub(super) const CONTACT_COLUMNS: &str = "id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt, team";

/// How many columns `CONTACT_COLUMNS` names: a statement that selects
/// more after them reads those from this index on.
pub(super) const CONTACT_COLUMN_COUNT: usize = 12;

/// The ledger's columns in the order `ledger_from_row` reads them, `seq`
/// last.
pub(super) const LEDGER_COLUMNS: &str = "contact_id, campaign, account, step, channel, state, at, timezones, rules, code, detail, provider, provider_id, attempt, seq";

pub(super) fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(super) fn from_ms(value: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(value)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {value} out of range")))
}

pub(super) fn channel_from(value: &str) -> StoreResult<ChannelKind> {
    ChannelKind::from_str(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `''` stands for "all channels" in the suppression table's key.
pub(super) fn channel_key(channel: Option<ChannelKind>) -> &'static str {
    channel.map(ChannelKind::as_str).unwrap_or("")
}

/// Column `index` of `row`, the error naming the operation.
pub(super) fn get<T: FromSql>(row: &Row<'_>, index: usize, op: &'static str) -> StoreResult<T> {
    row.get(index).map_err(db(op))
}

/// `n` as an SQLite integer (a count or limit never reaches `i64::MAX`).
pub(super) fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Every row `stmt` answers for `params`, each through `decode`.
pub(super) fn collect<T>(
    stmt: &mut Statement<'_>,
    params: impl rusqlite::Params,
    op: &'static str,
    decode: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut rows = stmt.query(params).map_err(db(op))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db(op))? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// A contact from the first `CONTACT_COLUMN_COUNT` columns of `row`.
pub(super) fn contact_from_row(row: &Row<'_>) -> StoreResult<ContactRecord> {
    let op = "contact row";
    let fallback: Option<String> = get(row, 6, op)?;
    let state: String = get(row, 9, op)?;
    let channel: String = get(row, 4, op)?;
    Ok(ContactRecord {
        contact: PlannedContact {
            id: get(row, 0, op)?,
            campaign: get(row, 1, op)?,
            account: get(row, 2, op)?,
            step: get(row, 3, op)?,
            channel: channel_from(&channel)?,
            template: get(row, 5, op)?,
            fallback: fallback.as_deref().map(channel_from).transpose()?,
            due_at: from_ms(get(row, 7, op)?)?,
            team: get(row, 11, op)?,
        },
        state: ContactState::from_str(&state).map_err(StoreError::Corrupt)?,
        due_at: from_ms(get(row, 8, op)?)?,
        attempt: u32::try_from(get::<i64>(row, 10, op)?).unwrap_or(u32::MAX),
    })
}

/// A ledger entry from a row selected with `LEDGER_COLUMNS`.
pub(super) fn ledger_from_row(row: &Row<'_>) -> StoreResult<LedgerEntry> {
    let op = "ledger row";
    let split = |value: String| -> Vec<String> {
        if value.is_empty() {
            Vec::new()
        } else {
            value.split(';').map(str::to_string).collect()
        }
    };
    let channel: String = get(row, 4, op)?;
    let state: String = get(row, 5, op)?;
    Ok(LedgerEntry {
        contact_id: get(row, 0, op)?,
        campaign: get(row, 1, op)?,
        account: get(row, 2, op)?,
        step: get(row, 3, op)?,
        channel: channel_from(&channel)?,
        state: LedgerState::from_str(&state).map_err(StoreError::Corrupt)?,
        at: from_ms(get(row, 6, op)?)?,
        timezones: split(get(row, 7, op)?),
        rules: split(get(row, 8, op)?),
        code: get(row, 9, op)?,
        detail: get(row, 10, op)?,
        provider: get(row, 11, op)?,
        provider_id: get(row, 12, op)?,
        attempt: u32::try_from(get::<i64>(row, 13, op)?).unwrap_or(u32::MAX),
    })
}

/// Appends ledger rows (inside the caller's transaction).
pub(super) fn insert_ledger(conn: &Connection, entries: &[LedgerEntry]) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let op = "insert_ledger";
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO ledger (contact_id, campaign, account, step, channel, state, at, timezones, rules, code, detail, provider, provider_id, attempt) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .map_err(db(op))?;
    for e in entries {
        stmt.execute(params![
            e.contact_id,
            e.campaign,
            e.account,
            e.step,
            e.channel.as_str(),
            e.state.as_str(),
            ms(e.at),
            e.timezones.join(";"),
            e.rules.join(";"),
            e.code,
            e.detail,
            e.provider,
            e.provider_id,
            i64::from(e.attempt),
        ])
        .map_err(db(op))?;
    }
    Ok(())
}
