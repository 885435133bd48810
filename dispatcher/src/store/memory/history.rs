//! Debtor contact history (what caps and cooldowns count) and its version.

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;

use super::{MemoryStore, to_ms};
use crate::store::{HistoryEntry, HistoryStore, StoreResult};

impl HistoryStore for MemoryStore {
    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        Ok(self
            .state()?
            .history
            .get(debtor_key)
            .cloned()
            .unwrap_or_default())
    }

    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.state()?.push_history(
            debtor_key,
            HistoryEntry {
                at: to_ms(at),
                channel,
                account: account.to_string(),
                conversation: true,
            },
        );
        Ok(())
    }
}
