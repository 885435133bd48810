//! Suppression lists; `''` in the channel column stands for every channel.

use cobro_campaigns::ChannelKind;
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{channel_from, channel_key, collect, from_ms, get, ms};
use super::{SqliteStore, db};
use crate::store::{StoreResult, Suppression, SuppressionStore};

/// An exact entry for the address (?2) on its channel (?1) or every one.
pub(super) const SUPPRESSED_EXACTLY: &str =
    "SELECT 1 FROM suppressions WHERE channel IN ('', ?1) AND address = ?2 AND prefix = 0 LIMIT 1";

/// A number range the address (?2) starts with, or an `@domain` it ends
/// with, on its channel (?1) or every one.
pub(super) const SUPPRESSED_BY_PREFIX: &str = "SELECT 1 FROM suppressions WHERE prefix = 1 AND channel IN ('', ?1) AND ( \
       (substr(address, 1, 1) <> '@' AND substr(?2, 1, length(address)) = address) \
       OR (substr(address, 1, 1) = '@' AND length(?2) >= length(address) AND substr(?2, -length(address)) = address) \
     ) LIMIT 1";

/// Whether `address` is suppressed on `channel`: exact entries, prefixes
/// (number ranges) and `@domain` suffixes. Two statements, as the other
/// stores do it: the exact entry by primary key, then only the prefix
/// entries (the partial index `suppressions_prefix`). One statement with
/// the three cases `OR`ed read every entry of the channel for every
/// contact: with 10,000 opt-outs a worker ran at a sixth of its speed
/// (BENCHMARKS.md §3d).
pub(super) fn is_suppressed_in(
    conn: &Connection,
    channel: ChannelKind,
    address: &str,
) -> StoreResult<bool> {
    let hit = |sql: &str| -> StoreResult<bool> {
        let found: Option<i64> = conn
            .prepare_cached(sql)
            .and_then(|mut s| {
                s.query_row(params![channel.as_str(), address], |row| row.get(0))
                    .optional()
            })
            .map_err(db("is_suppressed"))?;
        Ok(found.is_some())
    };
    Ok(hit(SUPPRESSED_EXACTLY)? || hit(SUPPRESSED_BY_PREFIX)?)
}

impl SuppressionStore for SqliteStore {
    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        let entry = entry.clone();
        self.db
            .run("suppress", move |conn| {
                conn.prepare_cached(
                    "INSERT INTO suppressions (channel, address, prefix, source, at) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT(channel, address) DO UPDATE SET prefix = excluded.prefix, source = excluded.source, at = excluded.at",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        channel_key(entry.channel),
                        entry.address,
                        i64::from(entry.prefix),
                        entry.source,
                        ms(entry.at),
                    ])
                })
                .map_err(db("suppress"))?;
                Ok(())
            })
            .await
    }

    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        let address = address.to_string();
        self.db
            .run("unsuppress", move |conn| {
                let done = conn
                    .prepare_cached("DELETE FROM suppressions WHERE channel = ? AND address = ?")
                    .and_then(|mut s| s.execute(params![channel_key(channel), address]))
                    .map_err(db("unsuppress"))?;
                Ok(done > 0)
            })
            .await
    }

    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        self.db
            .run("suppressions", |conn| {
                let op = "suppressions";
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT channel, address, prefix, source, at FROM suppressions ORDER BY address, channel",
                    )
                    .map_err(db(op))?;
                collect(&mut stmt, [], op, |row| {
                    let channel: String = get(row, 0, op)?;
                    Ok(Suppression {
                        channel: if channel.is_empty() {
                            None
                        } else {
                            Some(channel_from(&channel)?)
                        },
                        address: get(row, 1, op)?,
                        prefix: get::<i64>(row, 2, op)? != 0,
                        source: get(row, 3, op)?,
                        at: from_ms(get(row, 4, op)?)?,
                    })
                })
            })
            .await
    }

    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        let address = address.to_string();
        self.db
            .run("is_suppressed", move |conn| {
                is_suppressed_in(conn, channel, &address)
            })
            .await
    }
}
