//! The ledger: one list per campaign and a copy per account (the cursor
//! of a page is the index in the campaign's list).

use super::RedisStore;
use super::codec::redis_err;
use super::scripts::scripts;
use crate::store::{LedgerEntry, LedgerFilter, LedgerStore, StoreError, StoreResult};

impl LedgerStore for RedisStore {
    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for entry in entries {
            let json =
                serde_json::to_string(entry).map_err(|e| StoreError::json("ledger row", e))?;
            pipe.rpush(self.key(&format!("lc:{}", entry.campaign)), &json)
                .ignore();
            pipe.sadd(self.key("lcs"), &entry.campaign).ignore();
            pipe.rpush(self.key(&format!("la:{}", entry.account)), &json)
                .ignore();
            if let Some(pid) = &entry.provider_id {
                pipe.hset(self.key("pid"), pid, &entry.account).ignore();
            }
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("append_ledger"))
    }

    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let mut inv = scripts().ledger.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(filter.campaign.as_deref().unwrap_or(""))
            .arg(filter.account.as_deref().unwrap_or(""))
            .arg(filter.provider_id.as_deref().unwrap_or(""));
        let rows: Vec<String> = self.invoke(&inv).await?;
        let mut out = Vec::new();
        for row in rows {
            let entry: LedgerEntry =
                serde_json::from_str(&row).map_err(|e| StoreError::json("ledger row", e))?;
            let keep = filter
                .campaign
                .as_ref()
                .is_none_or(|c| *c == entry.campaign)
                && filter.account.as_ref().is_none_or(|a| *a == entry.account)
                && filter
                    .contact_id
                    .as_ref()
                    .is_none_or(|id| *id == entry.contact_id)
                && filter
                    .provider_id
                    .as_ref()
                    .is_none_or(|p| entry.provider_id.as_ref() == Some(p))
                && filter.since.is_none_or(|since| entry.at >= since);
            if keep {
                out.push(entry);
            }
        }
        // Stable: rows with the same instant keep their append order.
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    // The cursor is the index in the campaign's ledger list.
    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        let limit = limit.max(1);
        let start = isize::try_from(cursor)
            .map_err(|_| StoreError::Query(format!("ledger cursor {cursor} out of range")))?;
        let stop = start.saturating_add(isize::try_from(limit).unwrap_or(isize::MAX) - 1);
        let rows: Vec<String> = redis::cmd("LRANGE")
            .arg(self.key(&format!("lc:{campaign}")))
            .arg(start)
            .arg(stop)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("campaign_ledger_page"))?;
        let next = (rows.len() == limit).then(|| cursor + rows.len() as u64);
        let rows = rows
            .iter()
            .map(|row| serde_json::from_str(row).map_err(|e| StoreError::json("ledger row", e)))
            .collect::<StoreResult<Vec<LedgerEntry>>>()?;
        Ok((rows, next))
    }
}
