//! Debtor contact history (what caps and cooldowns count) and its version.

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;

use super::RedisStore;
use super::codec::redis_err;
use crate::store::{HistoryEntry, HistoryStore, StoreError, StoreResult};

impl HistoryStore for RedisStore {
    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        let (rows, version): (Vec<String>, Option<u64>) = redis::pipe()
            .lrange(self.key(&format!("h:{debtor_key}")), 0, -1)
            .get(self.key(&format!("hv:{debtor_key}")))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("history"))?;
        let rows = rows
            .iter()
            .map(|r| serde_json::from_str(r).map_err(|e| StoreError::json("history row", e)))
            .collect::<StoreResult<Vec<HistoryEntry>>>()?;
        Ok((rows, version.unwrap_or(0)))
    }

    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let entry = HistoryEntry {
            at,
            channel,
            account: account.to_string(),
            conversation: true,
        };
        let entry =
            serde_json::to_string(&entry).map_err(|e| StoreError::json("history row", e))?;
        redis::pipe()
            .atomic()
            .rpush(self.key(&format!("h:{debtor_key}")), entry)
            .ignore()
            .incr(self.key(&format!("hv:{debtor_key}")), 1)
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("record_conversation"))
    }
}
