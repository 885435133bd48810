//! The ledger: one vector in append order, with the row positions of each
//! campaign, account, contact and provider id beside it. A campaign's
//! page cursor is how many of its rows have been read.

use std::collections::HashMap;

use super::{MemoryStore, ms, to_ms};
use crate::store::{LedgerEntry, LedgerFilter, LedgerStore, StoreResult};

#[derive(Default)]
pub(super) struct Ledger {
    rows: Vec<LedgerEntry>,
    by_campaign: HashMap<String, Vec<usize>>,
    by_account: HashMap<String, Vec<usize>>,
    by_contact: HashMap<String, Vec<usize>>,
    by_provider_id: HashMap<String, Vec<usize>>,
}

impl Ledger {
    /// Appends a row (its instant truncated to the millisecond, as the
    /// other stores keep it).
    pub fn push(&mut self, mut row: LedgerEntry) {
        row.at = to_ms(row.at);
        let n = self.rows.len();
        let index = |map: &mut HashMap<String, Vec<usize>>, key: &str| match map.get_mut(key) {
            Some(positions) => positions.push(n),
            None => {
                map.insert(key.to_string(), vec![n]);
            }
        };
        index(&mut self.by_campaign, &row.campaign);
        index(&mut self.by_account, &row.account);
        index(&mut self.by_contact, &row.contact_id);
        if let Some(id) = &row.provider_id {
            index(&mut self.by_provider_id, id);
        }
        self.rows.push(row);
    }

    pub fn extend(&mut self, rows: &[LedgerEntry]) {
        for row in rows {
            self.push(row.clone());
        }
    }

    /// The rows `filter` keeps, by instant, ties in append order.
    fn select(&self, filter: &LedgerFilter) -> Vec<LedgerEntry> {
        // The narrowest index the filter names; every field is checked
        // on each row anyway.
        let positions: Option<&[usize]> = if let Some(id) = &filter.contact_id {
            Some(self.by_contact.get(id).map_or(&[][..], Vec::as_slice))
        } else if let Some(id) = &filter.provider_id {
            Some(self.by_provider_id.get(id).map_or(&[][..], Vec::as_slice))
        } else if let Some(account) = &filter.account {
            Some(self.by_account.get(account).map_or(&[][..], Vec::as_slice))
        } else if let Some(campaign) = &filter.campaign {
            Some(
                self.by_campaign
                    .get(campaign)
                    .map_or(&[][..], Vec::as_slice),
            )
        } else {
            None
        };
        let since = filter.since.map(ms);
        let keep = |row: &&LedgerEntry| {
            filter.campaign.as_ref().is_none_or(|c| &row.campaign == c)
                && filter.account.as_ref().is_none_or(|a| &row.account == a)
                && filter
                    .contact_id
                    .as_ref()
                    .is_none_or(|c| &row.contact_id == c)
                && filter
                    .provider_id
                    .as_ref()
                    .is_none_or(|p| row.provider_id.as_ref() == Some(p))
                && since.is_none_or(|s| ms(row.at) >= s)
        };
        let mut out: Vec<LedgerEntry> = match positions {
            Some(positions) => positions
                .iter()
                .filter_map(|i| self.rows.get(*i))
                .filter(keep)
                .cloned()
                .collect(),
            None => self.rows.iter().filter(keep).cloned().collect(),
        };
        // Stable: rows of one instant stay in append order.
        out.sort_by_key(|row| row.at);
        out
    }

    fn page(&self, campaign: &str, cursor: u64, limit: usize) -> (Vec<LedgerEntry>, Option<u64>) {
        let positions = self
            .by_campaign
            .get(campaign)
            .map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(cursor)
            .unwrap_or(usize::MAX)
            .min(positions.len());
        let end = start.saturating_add(limit.max(1)).min(positions.len());
        let rows = positions[start..end]
            .iter()
            .filter_map(|i| self.rows.get(*i))
            .cloned()
            .collect();
        let next = (end < positions.len()).then_some(end as u64);
        (rows, next)
    }
}

impl LedgerStore for MemoryStore {
    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        self.state()?.ledger.extend(entries);
        Ok(())
    }

    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        Ok(self.state()?.ledger.select(filter))
    }

    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        Ok(self.state()?.ledger.page(campaign, cursor, limit))
    }
}
