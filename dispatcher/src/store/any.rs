//! A store chosen at run time from its URL, so the CLI can hold one type
//! whatever backend the operator points it at.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};

use super::redis::RedisStore;
use super::sqlite::SqliteStore;
use super::{
    AccountStatus, CheckQuery, ContactChecks, ContactRecord, ContactState, HistoryEntry,
    LedgerEntry, LedgerFilter, Reservation, ReserveOutcome, Store, StoreError, StoreResult,
    Suppression, Transition, TransitionItem,
};

pub enum AnyStore {
    Sqlite(SqliteStore),
    Redis(RedisStore),
}

impl AnyStore {
    pub async fn connect(url: &str) -> StoreResult<AnyStore> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("redis://")
            || url.starts_with("rediss://")
            || url.starts_with("redis+unix://")
        {
            Ok(AnyStore::Redis(RedisStore::connect(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Redis($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        delegate!(self, s => s.put_accounts(accounts))
    }
    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        delegate!(self, s => s.account(id))
    }
    async fn accounts(&self, ids: &[String]) -> StoreResult<Vec<Option<(Account, AccountStatus)>>> {
        delegate!(self, s => s.accounts(ids))
    }
    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        delegate!(self, s => s.contact_checks(queries))
    }
    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        delegate!(self, s => s.reserve_many(reservations))
    }
    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        delegate!(self, s => s.transitions(items))
    }
    async fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> StoreResult<Vec<bool>> {
        delegate!(self, s => s.plan_and_transitions(plan, items))
    }
    async fn account_count(&self) -> StoreResult<u64> {
        delegate!(self, s => s.account_count())
    }
    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        delegate!(self, s => s.set_account_status(id, status))
    }
    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        delegate!(self, s => s.add_contacts(contacts))
    }
    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        delegate!(self, s => s.contact(id))
    }
    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        delegate!(self, s => s.claim_due(now, limit))
    }
    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        delegate!(self, s => s.next_due())
    }
    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        delegate!(self, s => s.transition(id, to, ledger))
    }
    async fn reserve(&self, reservation: &Reservation) -> StoreResult<ReserveOutcome> {
        delegate!(self, s => s.reserve(reservation))
    }
    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        delegate!(self, s => s.cancel_account_contacts(account, channel, code, detail, at))
    }
    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        delegate!(self, s => s.recover_stale(queued_before, sending_before))
    }
    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        delegate!(self, s => s.counts(campaign))
    }
    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        delegate!(self, s => s.campaigns())
    }
    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        delegate!(self, s => s.history(debtor_key))
    }
    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        delegate!(self, s => s.record_conversation(debtor_key, account, channel, at))
    }
    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        delegate!(self, s => s.append_ledger(entries))
    }
    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        delegate!(self, s => s.ledger(filter))
    }
    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        delegate!(self, s => s.campaign_ledger_page(campaign, cursor, limit))
    }
    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        delegate!(self, s => s.suppress(entry))
    }
    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        delegate!(self, s => s.unsuppress(channel, address))
    }
    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        delegate!(self, s => s.suppressions())
    }
    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        delegate!(self, s => s.is_suppressed(channel, address))
    }
    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        delegate!(self, s => s.accounts_by_address(address))
    }
    async fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> StoreResult<()> {
        delegate!(self, s => s.set_campaign_stop_from(campaign, stop_from))
    }
    async fn set_campaign_paused(&self, campaign: &str, paused: bool) -> StoreResult<bool> {
        delegate!(self, s => s.set_campaign_paused(campaign, paused))
    }
    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        delegate!(self, s => s.paused_campaigns())
    }
    async fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        delegate!(self, s => s.cancel_campaign_contacts(campaign, code, detail, at))
    }
}
