//! Debtor contact history (what caps and cooldowns count) and its version.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;
use rusqlite::{Connection, params, params_from_iter};

use super::reservation::bump_version;
use super::rows::{channel_from, collect, from_ms, get, ms};
use super::{SqliteStore, db};
use crate::store::{HistoryEntry, HistoryStore, StoreResult};

/// The history and history version of each debtor, in two statements
/// whatever their number; a debtor never contacted gets nothing here
/// (callers read that as an empty history at version 0).
pub(super) fn histories_in<'k>(
    conn: &Connection,
    debtor_keys: &[&'k str],
) -> StoreResult<HashMap<&'k str, (Vec<HistoryEntry>, u64)>> {
    let op = "histories";
    let mut out: HashMap<&'k str, (Vec<HistoryEntry>, u64)> = HashMap::new();
    if debtor_keys.is_empty() {
        return Ok(out);
    }
    let placeholders = vec!["?"; debtor_keys.len()].join(", ");
    let by_key: HashMap<&str, &'k str> = debtor_keys.iter().map(|k| (*k, *k)).collect();
    let sql = format!(
        "SELECT debtor_key, at, channel, account, conversation FROM history \
         WHERE debtor_key IN ({placeholders}) ORDER BY at, rowid"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
    let rows = collect(&mut stmt, params_from_iter(debtor_keys), op, |row| {
        let channel: String = get(row, 2, op)?;
        Ok((
            get::<String>(row, 0, op)?,
            HistoryEntry {
                at: from_ms(get(row, 1, op)?)?,
                channel: channel_from(&channel)?,
                account: get(row, 3, op)?,
                conversation: get::<i64>(row, 4, op)? != 0,
            },
        ))
    })?;
    for (key, entry) in rows {
        if let Some(key) = by_key.get(key.as_str()) {
            out.entry(key).or_default().0.push(entry);
        }
    }
    let sql = format!(
        "SELECT debtor_key, version FROM history_version WHERE debtor_key IN ({placeholders})"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
    let versions = collect(&mut stmt, params_from_iter(debtor_keys), op, |row| {
        Ok((get::<String>(row, 0, op)?, get::<i64>(row, 1, op)?))
    })?;
    for (key, version) in versions {
        if let Some(key) = by_key.get(key.as_str()) {
            out.entry(key).or_default().1 = u64::try_from(version).unwrap_or(0);
        }
    }
    Ok(out)
}

impl HistoryStore for SqliteStore {
    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        let debtor_key = debtor_key.to_string();
        self.db
            .run("history", move |conn| {
                Ok(histories_in(conn, &[debtor_key.as_str()])?
                    .remove(debtor_key.as_str())
                    .unwrap_or_default())
            })
            .await
    }

    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (debtor_key, account) = (debtor_key.to_string(), account.to_string());
        self.db
            .atomic("record_conversation", move |tx| {
                tx.prepare_cached(
                    "INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, 1)",
                )
                .and_then(|mut s| s.execute(params![debtor_key, ms(at), channel.as_str(), account]))
                .map_err(db("record_conversation"))?;
                bump_version(tx, &debtor_key)
            })
            .await
    }
}
