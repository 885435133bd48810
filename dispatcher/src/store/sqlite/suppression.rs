//! Suppression lists; `''` in the channel column stands for every channel.

use cobro_campaigns::ChannelKind;
use sqlx::Row;

use super::rows::{channel_from, channel_key, from_ms, ms};
use super::{SqliteStore, db};
use crate::store::{StoreResult, Suppression, SuppressionStore};

impl SuppressionStore for SqliteStore {
    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO suppressions (channel, address, prefix, source, at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT(channel, address) DO UPDATE SET prefix = excluded.prefix, source = excluded.source, at = excluded.at",
        )
        .bind(channel_key(entry.channel))
        .bind(&entry.address)
        .bind(i64::from(entry.prefix))
        .bind(&entry.source)
        .bind(ms(entry.at))
        .execute(&self.pool)
        .await
        .map_err(db("suppress"))?;
        Ok(())
    }

    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM suppressions WHERE channel = ? AND address = ?")
            .bind(channel_key(channel))
            .bind(address)
            .execute(&self.pool)
            .await
            .map_err(db("unsuppress"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        let rows = sqlx::query("SELECT channel, address, prefix, source, at FROM suppressions ORDER BY address, channel")
            .fetch_all(&self.pool)
            .await
            .map_err(db("suppressions"))?;
        rows.iter()
            .map(|row| {
                let channel: String = row.try_get("channel").map_err(db("suppressions"))?;
                Ok(Suppression {
                    channel: if channel.is_empty() {
                        None
                    } else {
                        Some(channel_from(&channel)?)
                    },
                    address: row.try_get("address").map_err(db("suppressions"))?,
                    prefix: row
                        .try_get::<i64, _>("prefix")
                        .map_err(db("suppressions"))?
                        != 0,
                    source: row.try_get("source").map_err(db("suppressions"))?,
                    at: from_ms(row.try_get("at").map_err(db("suppressions"))?)?,
                })
            })
            .collect()
    }

    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        // Exact entries, prefixes (number ranges) and '@domain' suffixes.
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM suppressions WHERE channel IN ('', ?1) AND ( \
               (prefix = 0 AND address = ?2) \
               OR (prefix = 1 AND substr(address, 1, 1) <> '@' AND substr(?2, 1, length(address)) = address) \
               OR (prefix = 1 AND substr(address, 1, 1) = '@' AND length(?2) >= length(address) AND substr(?2, -length(address)) = address) \
             ) LIMIT 1",
        )
        .bind(channel.as_str())
        .bind(address)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("is_suppressed"))?;
        Ok(hit.is_some())
    }
}
