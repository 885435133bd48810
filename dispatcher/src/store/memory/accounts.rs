//! Accounts, their status, and the address index inbound replies use.

use cobro_campaigns::Account;

use super::MemoryStore;
use super::state::{AccountEntry, State};
use crate::store::{
    AccountRow, AccountScan, AccountStatus, AccountStore, ScannedAccounts, StoreResult,
};

impl State {
    fn put_account(&mut self, account: &Account) {
        let search = AccountRow::new(account, AccountStatus::Active).search_text();
        for point in &account.contact_points {
            self.by_address
                .entry(point.address.clone())
                .or_default()
                .insert(account.id.clone());
        }
        self.by_creditor
            .entry(account.creditor.clone())
            .or_default()
            .insert(account.id.clone());
        match self.accounts.get_mut(&account.id) {
            // A re-import replaces the account but keeps its status (it
            // must not revive a paid account).
            Some(entry) => {
                if entry.account.creditor != account.creditor
                    && let Some(ids) = self.by_creditor.get_mut(&entry.account.creditor)
                {
                    ids.remove(&account.id);
                }
                entry.account = account.clone();
                entry.search = search;
            }
            None => {
                self.accounts.insert(
                    account.id.clone(),
                    AccountEntry {
                        account: account.clone(),
                        status: AccountStatus::Active,
                        search,
                    },
                );
            }
        }
    }
}

impl AccountStore for MemoryStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        let mut state = self.state()?;
        for account in accounts {
            state.put_account(account);
        }
        Ok(())
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        Ok(self
            .state()?
            .accounts
            .get(id)
            .map(|e| (e.account.clone(), e.status)))
    }

    async fn accounts(&self, ids: &[String]) -> StoreResult<Vec<Option<(Account, AccountStatus)>>> {
        let state = self.state()?;
        Ok(ids
            .iter()
            .map(|id| {
                state
                    .accounts
                    .get(id)
                    .map(|e| (e.account.clone(), e.status))
            })
            .collect())
    }

    async fn account_count(&self) -> StoreResult<u64> {
        Ok(self.state()?.accounts.len() as u64)
    }

    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        Ok(match self.state()?.accounts.get_mut(id) {
            Some(entry) => {
                entry.status = status;
                true
            }
            None => false,
        })
    }

    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        Ok(self
            .state()?
            .by_address
            .get(address)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn scan_accounts(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        Ok(self.state()?.scan(scan))
    }
}
