//! The ledger: appended in transactions with the moves it records, read
//! by filter or page by page (the cursor is the row's `seq`).

use rusqlite::params;

use super::rows::{LEDGER_COLUMNS, collect, get, insert_ledger, int, ledger_from_row, ms};
use super::{SqliteStore, db};
use crate::store::{LedgerEntry, LedgerFilter, LedgerStore, StoreResult};

/// `seq`'s index in `LEDGER_COLUMNS`.
const SEQ: usize = 14;

impl LedgerStore for SqliteStore {
    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        let entries = entries.to_vec();
        self.db
            .atomic("append_ledger", move |tx| insert_ledger(tx, &entries))
            .await
    }

    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let filter = filter.clone();
        self.db
            .run("ledger", move |conn| {
                let sql = format!(
                    "SELECT {LEDGER_COLUMNS} FROM ledger WHERE (?1 IS NULL OR campaign = ?1) AND (?2 IS NULL OR account = ?2) \
                     AND (?3 IS NULL OR contact_id = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR provider_id = ?5) ORDER BY at, seq"
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(db("ledger"))?;
                collect(
                    &mut stmt,
                    params![
                        filter.campaign,
                        filter.account,
                        filter.contact_id,
                        filter.since.map(ms),
                        filter.provider_id,
                    ],
                    "ledger",
                    ledger_from_row,
                )
            })
            .await
    }

    // The cursor is the last row's `seq`.
    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        let campaign = campaign.to_string();
        let limit = limit.max(1);
        self.db
            .run("campaign_ledger_page", move |conn| {
                let op = "campaign_ledger_page";
                let sql = format!(
                    "SELECT {LEDGER_COLUMNS} FROM ledger WHERE campaign = ? AND seq > ? ORDER BY seq LIMIT ?"
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
                let rows = collect(
                    &mut stmt,
                    params![campaign, i64::try_from(cursor).unwrap_or(i64::MAX), int(limit)],
                    op,
                    |row| Ok((ledger_from_row(row)?, get::<i64>(row, SEQ, op)?)),
                )?;
                let next = match rows.last() {
                    Some((_, seq)) if rows.len() == limit => Some(u64::try_from(*seq).unwrap_or(0)),
                    _ => None,
                };
                Ok((rows.into_iter().map(|(entry, _)| entry).collect(), next))
            })
            .await
    }
}
