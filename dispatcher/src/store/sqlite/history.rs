//! Debtor contact history (what caps and cooldowns count) and its version.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;
use sqlx::Row;

use super::reservation::bump_version;
use super::rows::{channel_from, from_ms, ms};
use super::{SqliteStore, db};
use crate::store::{HistoryEntry, HistoryStore, StoreResult};

impl SqliteStore {
    /// The history and history version of each debtor, in two statements
    /// whatever their number; a debtor never contacted gets nothing here
    /// (callers read that as an empty history at version 0).
    pub(super) async fn histories<'k>(
        &self,
        debtor_keys: &[&'k str],
    ) -> StoreResult<HashMap<&'k str, (Vec<HistoryEntry>, u64)>> {
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
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in debtor_keys {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&self.pool).await.map_err(db("histories"))? {
            let key: String = row.try_get("debtor_key").map_err(db("histories"))?;
            let Some(key) = by_key.get(key.as_str()) else {
                continue;
            };
            out.entry(key).or_default().0.push(HistoryEntry {
                at: from_ms(row.try_get("at").map_err(db("histories"))?)?,
                channel: channel_from(
                    &row.try_get::<String, _>("channel")
                        .map_err(db("histories"))?,
                )?,
                account: row.try_get("account").map_err(db("histories"))?,
                conversation: row
                    .try_get::<i64, _>("conversation")
                    .map_err(db("histories"))?
                    != 0,
            });
        }
        let sql = format!(
            "SELECT debtor_key, version FROM history_version WHERE debtor_key IN ({placeholders})"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in debtor_keys {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&self.pool).await.map_err(db("histories"))? {
            let key: String = row.try_get("debtor_key").map_err(db("histories"))?;
            if let Some(key) = by_key.get(key.as_str()) {
                out.entry(key).or_default().1 =
                    u64::try_from(row.try_get::<i64, _>("version").map_err(db("histories"))?)
                        .unwrap_or(0);
            }
        }
        Ok(out)
    }
}

impl HistoryStore for SqliteStore {
    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        Ok(self
            .histories(&[debtor_key])
            .await?
            .remove(debtor_key)
            .unwrap_or_default())
    }

    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, 1)")
            .bind(debtor_key)
            .bind(ms(at))
            .bind(channel.as_str())
            .bind(account)
            .execute(&mut *tx)
            .await
            .map_err(db("record_conversation"))?;
        bump_version(&mut tx, debtor_key).await?;
        tx.commit().await.map_err(db("record_conversation"))
    }
}
