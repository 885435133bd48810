//! The ledger: appended in transactions with the moves it records, read
//! by filter or page by page (the cursor is the row's `seq`).

use sqlx::Row;

use super::rows::{insert_ledger, ledger_from_row, ms};
use super::{SqliteStore, db};
use crate::store::{LedgerEntry, LedgerFilter, LedgerStore, StoreResult};

impl LedgerStore for SqliteStore {
    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_ledger(&mut tx, entries).await?;
        tx.commit().await.map_err(db("append_ledger"))
    }

    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM ledger WHERE (?1 IS NULL OR campaign = ?1) AND (?2 IS NULL OR account = ?2) \
             AND (?3 IS NULL OR contact_id = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR provider_id = ?5) ORDER BY at, seq",
        )
        .bind(&filter.campaign)
        .bind(&filter.account)
        .bind(&filter.contact_id)
        .bind(filter.since.map(ms))
        .bind(&filter.provider_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db("ledger"))?;
        rows.iter().map(ledger_from_row).collect()
    }

    // The cursor is the last row's `seq`.
    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        let limit = limit.max(1);
        let rows =
            sqlx::query("SELECT * FROM ledger WHERE campaign = ? AND seq > ? ORDER BY seq LIMIT ?")
                .bind(campaign)
                .bind(i64::try_from(cursor).unwrap_or(i64::MAX))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(db("campaign_ledger_page"))?;
        let next = match rows.last() {
            Some(last) if rows.len() == limit => {
                let seq: i64 = last.try_get("seq").map_err(db("campaign_ledger_page"))?;
                Some(u64::try_from(seq).unwrap_or(0))
            }
            _ => None,
        };
        let rows = rows
            .iter()
            .map(ledger_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((rows, next))
    }
}
