//! Between SQLite rows and the store's records: timestamps as epoch
//! milliseconds, channels and states as their names, ledger lists joined
//! with `;`.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::db;
use crate::store::{
    ContactRecord, ContactState, LedgerEntry, LedgerState, StoreError, StoreResult,
};

pub(super) const CONTACT_COLUMNS: &str = "id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt, team";

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

pub(super) fn contact_from_row(row: &SqliteRow) -> StoreResult<ContactRecord> {
    let get_s = |name: &str| -> StoreResult<String> {
        row.try_get::<String, _>(name).map_err(db("contact row"))
    };
    let fallback: Option<String> = row.try_get("fallback").map_err(db("contact row"))?;
    let state = get_s("state")?;
    Ok(ContactRecord {
        contact: PlannedContact {
            id: get_s("id")?,
            campaign: get_s("campaign")?,
            account: get_s("account")?,
            step: get_s("step")?,
            channel: channel_from(&get_s("channel")?)?,
            template: get_s("template")?,
            fallback: fallback.as_deref().map(channel_from).transpose()?,
            due_at: from_ms(row.try_get("planned_at").map_err(db("contact row"))?)?,
            team: row.try_get("team").map_err(db("contact row"))?,
        },
        state: ContactState::from_str(&state).map_err(StoreError::Corrupt)?,
        due_at: from_ms(row.try_get("due_at").map_err(db("contact row"))?)?,
        attempt: u32::try_from(
            row.try_get::<i64, _>("attempt")
                .map_err(db("contact row"))?,
        )
        .unwrap_or(u32::MAX),
    })
}

pub(super) fn ledger_from_row(row: &SqliteRow) -> StoreResult<LedgerEntry> {
    let get_s = |name: &str| -> StoreResult<String> {
        row.try_get::<String, _>(name).map_err(db("ledger row"))
    };
    let get_o = |name: &str| -> StoreResult<Option<String>> {
        row.try_get::<Option<String>, _>(name)
            .map_err(db("ledger row"))
    };
    let split = |value: String| -> Vec<String> {
        if value.is_empty() {
            Vec::new()
        } else {
            value.split(';').map(str::to_string).collect()
        }
    };
    Ok(LedgerEntry {
        contact_id: get_s("contact_id")?,
        campaign: get_s("campaign")?,
        account: get_s("account")?,
        step: get_s("step")?,
        channel: channel_from(&get_s("channel")?)?,
        state: LedgerState::from_str(&get_s("state")?).map_err(StoreError::Corrupt)?,
        at: from_ms(row.try_get("at").map_err(db("ledger row"))?)?,
        timezones: split(get_s("timezones")?),
        rules: split(get_s("rules")?),
        code: get_o("code")?,
        detail: get_o("detail")?,
        provider: get_o("provider")?,
        provider_id: get_o("provider_id")?,
        attempt: u32::try_from(row.try_get::<i64, _>("attempt").map_err(db("ledger row"))?)
            .unwrap_or(u32::MAX),
    })
}

pub(super) async fn insert_ledger(
    tx: &mut Transaction<'static, Sqlite>,
    entries: &[LedgerEntry],
) -> StoreResult<()> {
    for e in entries {
        sqlx::query(
            "INSERT INTO ledger (contact_id, campaign, account, step, channel, state, at, timezones, rules, code, detail, provider, provider_id, attempt) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.contact_id)
        .bind(&e.campaign)
        .bind(&e.account)
        .bind(&e.step)
        .bind(e.channel.as_str())
        .bind(e.state.as_str())
        .bind(ms(e.at))
        .bind(e.timezones.join(";"))
        .bind(e.rules.join(";"))
        .bind(&e.code)
        .bind(&e.detail)
        .bind(&e.provider)
        .bind(&e.provider_id)
        .bind(i64::from(e.attempt))
        .execute(&mut **tx)
        .await
        .map_err(db("insert_ledger"))?;
    }
    Ok(())
}
