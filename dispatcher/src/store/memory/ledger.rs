//! The ledger: one (chunked) vector of compact rows in append order, with the row
//! positions of each campaign beside it and, for each account, contact and
//! provider id, its last row with a link from every row to the previous
//! one of the same key. A campaign's page cursor is how many of its rows
//! have been read.
//!
//! A simulation of 100,000 accounts writes well over a million rows, so a
//! row is kept small: the strings most rows repeat (campaign, account,
//! contact, step, time zones, rules, code, provider) are interned once and
//! shared, the instant is milliseconds, and the per-key indexes are links
//! in the rows rather than a vector per key. A row is turned back into a
//! `LedgerEntry` only when it is read.

use foldhash::{HashMap, HashSet};
use std::sync::Arc;

use cobro_campaigns::ChannelKind;

use super::chunked::Chunked;
use super::{MemoryStore, from_ms, ms};
use crate::store::{LedgerEntry, LedgerFilter, LedgerState, LedgerStore, StoreResult};

/// No previous row of the same key.
const NONE: u32 = u32::MAX;

/// Shares equal strings and string lists between rows.
#[derive(Default)]
struct Interner {
    strings: HashSet<Arc<str>>,
    lists: HashSet<Arc<[String]>>,
    /// The last value of each repetitive column (campaign, step, code,
    /// provider; time zones, rules): consecutive rows mostly repeat it,
    /// and a comparison is cheaper than hashing the string again.
    recent: [Option<Arc<str>>; 4],
    recent_lists: [Option<Arc<[String]>>; 2],
}

/// The columns `Interner::recent` remembers.
#[derive(Clone, Copy)]
enum Column {
    Campaign = 0,
    Step = 1,
    Code = 2,
    Provider = 3,
}

/// The list columns `Interner::recent_lists` remembers.
#[derive(Clone, Copy)]
enum ListColumn {
    Timezones = 0,
    Rules = 1,
}

impl Interner {
    /// `str`, trying the column's last value first.
    fn column(&mut self, column: Column, s: &str) -> Arc<str> {
        let slot = column as usize;
        if let Some(last) = &self.recent[slot]
            && &**last == s
        {
            return last.clone();
        }
        let shared = self.str(s);
        self.recent[slot] = Some(shared.clone());
        shared
    }

    fn column_opt(&mut self, column: Column, s: &Option<String>) -> Option<Arc<str>> {
        s.as_deref().map(|s| self.column(column, s))
    }

    /// `list`, trying the column's last value first.
    fn list_column(&mut self, column: ListColumn, list: &[String]) -> Arc<[String]> {
        let slot = column as usize;
        if let Some(last) = &self.recent_lists[slot]
            && **last == *list
        {
            return last.clone();
        }
        let shared = self.list(list);
        self.recent_lists[slot] = Some(shared.clone());
        shared
    }

    fn str(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings.insert(shared.clone());
        shared
    }

    fn list(&mut self, list: &[String]) -> Arc<[String]> {
        if let Some(shared) = self.lists.get(list) {
            return shared.clone();
        }
        let shared: Arc<[String]> = Arc::from(list);
        self.lists.insert(shared.clone());
        shared
    }
}

/// One ledger row as stored.
struct Row {
    contact_id: Arc<str>,
    campaign: Arc<str>,
    account: Arc<str>,
    step: Arc<str>,
    channel: ChannelKind,
    state: LedgerState,
    attempt: u32,
    at_ms: i64,
    timezones: Arc<[String]>,
    rules: Arc<[String]>,
    code: Option<Arc<str>>,
    /// Free text, rarely the same twice: kept as is.
    detail: Option<Box<str>>,
    provider: Option<Arc<str>>,
    provider_id: Option<Box<str>>,
    /// The previous row of the same account / contact / provider id.
    prev_account: u32,
    prev_contact: u32,
    prev_provider_id: u32,
}

impl Row {
    fn entry(&self) -> LedgerEntry {
        LedgerEntry {
            contact_id: self.contact_id.to_string(),
            campaign: self.campaign.to_string(),
            account: self.account.to_string(),
            step: self.step.to_string(),
            channel: self.channel,
            state: self.state,
            at: from_ms(self.at_ms),
            timezones: self.timezones.to_vec(),
            rules: self.rules.to_vec(),
            code: self.code.as_deref().map(str::to_string),
            detail: self.detail.as_deref().map(str::to_string),
            provider: self.provider.as_deref().map(str::to_string),
            provider_id: self.provider_id.as_deref().map(str::to_string),
            attempt: self.attempt,
        }
    }
}

#[derive(Default)]
pub(super) struct Ledger {
    rows: Chunked<Row>,
    interner: Interner,
    by_campaign: HashMap<Arc<str>, Vec<u32>>,
    /// The last row of each account / contact / provider id.
    last_of_account: HashMap<Arc<str>, u32>,
    last_of_contact: HashMap<Arc<str>, u32>,
    last_of_provider_id: HashMap<Box<str>, u32>,
}

/// Which per-key chain a read follows.
#[derive(Clone, Copy)]
enum Chain {
    Account,
    Contact,
    ProviderId,
}

impl Ledger {
    /// `s` shared with every other use of it in the store (the plan's
    /// contacts intern their ids and names here, so a ledger row and its
    /// contact hold one copy).
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        self.interner.str(s)
    }

    /// Appends a row (its instant truncated to the millisecond, as the
    /// other stores keep it).
    pub fn push(&mut self, row: &LedgerEntry) {
        // Positions are u32: four billion rows is far past what one
        // process's memory would hold anyway.
        let n = u32::try_from(self.rows.len()).unwrap_or(NONE - 1);
        let i = &mut self.interner;
        let contact_id = i.str(&row.contact_id);
        let campaign = i.column(Column::Campaign, &row.campaign);
        let account = i.str(&row.account);
        let prev_account = self
            .last_of_account
            .insert(account.clone(), n)
            .unwrap_or(NONE);
        let prev_contact = self
            .last_of_contact
            .insert(contact_id.clone(), n)
            .unwrap_or(NONE);
        let prev_provider_id = match &row.provider_id {
            Some(id) => self
                .last_of_provider_id
                .insert(id.as_str().into(), n)
                .unwrap_or(NONE),
            None => NONE,
        };
        match self.by_campaign.get_mut(&campaign) {
            Some(positions) => positions.push(n),
            None => {
                self.by_campaign.insert(campaign.clone(), vec![n]);
            }
        }
        let stored = Row {
            contact_id,
            campaign,
            account,
            step: i.column(Column::Step, &row.step),
            channel: row.channel,
            state: row.state,
            attempt: row.attempt,
            at_ms: ms(row.at),
            timezones: i.list_column(ListColumn::Timezones, &row.timezones),
            rules: i.list_column(ListColumn::Rules, &row.rules),
            code: i.column_opt(Column::Code, &row.code),
            detail: row.detail.as_deref().map(Box::from),
            provider: i.column_opt(Column::Provider, &row.provider),
            provider_id: row.provider_id.as_deref().map(Box::from),
            prev_account,
            prev_contact,
            prev_provider_id,
        };
        self.rows.push(stored);
    }

    pub fn extend(&mut self, rows: &[LedgerEntry]) {
        for row in rows {
            self.push(row);
        }
    }

    /// Every row, in append order.
    pub fn all(&self) -> Vec<LedgerEntry> {
        self.rows.iter().map(Row::entry).collect()
    }

    /// The positions of `key`'s rows along `chain`, oldest first.
    fn chain(&self, chain: Chain, key: &str) -> Vec<u32> {
        let last = match chain {
            Chain::Account => self.last_of_account.get(key),
            Chain::Contact => self.last_of_contact.get(key),
            Chain::ProviderId => self.last_of_provider_id.get(key),
        };
        let mut out = Vec::new();
        let mut at = last.copied().unwrap_or(NONE);
        while let Some(row) = self.rows.get(at as usize) {
            out.push(at);
            at = match chain {
                Chain::Account => row.prev_account,
                Chain::Contact => row.prev_contact,
                Chain::ProviderId => row.prev_provider_id,
            };
        }
        out.reverse();
        out
    }

    /// The rows `filter` keeps, by instant, ties in append order.
    fn select(&self, filter: &LedgerFilter) -> Vec<LedgerEntry> {
        // The narrowest index the filter names; every field is checked
        // on each row anyway.
        let positions: Option<Vec<u32>> = if let Some(id) = &filter.contact_id {
            Some(self.chain(Chain::Contact, id))
        } else if let Some(id) = &filter.provider_id {
            Some(self.chain(Chain::ProviderId, id))
        } else if let Some(account) = &filter.account {
            Some(self.chain(Chain::Account, account))
        } else {
            filter.campaign.as_ref().map(|campaign| {
                self.by_campaign
                    .get(campaign.as_str())
                    .cloned()
                    .unwrap_or_default()
            })
        };
        let since = filter.since.map(ms);
        let keep = |row: &&Row| {
            filter
                .campaign
                .as_ref()
                .is_none_or(|c| &*row.campaign == c.as_str())
                && filter
                    .account
                    .as_ref()
                    .is_none_or(|a| &*row.account == a.as_str())
                && filter
                    .contact_id
                    .as_ref()
                    .is_none_or(|c| &*row.contact_id == c.as_str())
                && filter
                    .provider_id
                    .as_ref()
                    .is_none_or(|p| row.provider_id.as_deref() == Some(p.as_str()))
                && since.is_none_or(|s| row.at_ms >= s)
        };
        let mut kept: Vec<&Row> = match positions {
            Some(positions) => positions
                .iter()
                .filter_map(|i| self.rows.get(*i as usize))
                .filter(keep)
                .collect(),
            None => self.rows.iter().filter(keep).collect(),
        };
        // Stable: rows of one instant stay in append order.
        kept.sort_by_key(|row| row.at_ms);
        kept.into_iter().map(Row::entry).collect()
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
            .filter_map(|i| self.rows.get(*i as usize))
            .map(Row::entry)
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
