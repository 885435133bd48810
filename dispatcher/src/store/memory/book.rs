//! Account books: one document per account with a version, written by
//! compare-and-set.

use std::collections::btree_map::Entry;

use cobro_campaigns::book::AccountBook;

use super::MemoryStore;
use crate::store::{BookStore, StoreResult};

impl BookStore for MemoryStore {
    async fn book(&self, account: &str) -> StoreResult<(AccountBook, u64)> {
        Ok(self
            .state()?
            .books
            .get(account)
            .cloned()
            .unwrap_or_default())
    }

    async fn books(&self, accounts: &[String]) -> StoreResult<Vec<AccountBook>> {
        let state = self.state()?;
        Ok(accounts
            .iter()
            .map(|a| {
                state
                    .books
                    .get(a)
                    .map(|(b, _)| b.clone())
                    .unwrap_or_default()
            })
            .collect())
    }

    async fn put_book(&self, account: &str, book: &AccountBook, version: u64) -> StoreResult<bool> {
        let mut state = self.state()?;
        Ok(match state.books.entry(account.to_string()) {
            Entry::Vacant(slot) if version == 0 => {
                slot.insert((book.clone(), 1));
                true
            }
            Entry::Occupied(mut slot) if slot.get().1 == version => {
                *slot.get_mut() = (book.clone(), version + 1);
                true
            }
            _ => false,
        })
    }

    async fn book_accounts(&self) -> StoreResult<Vec<String>> {
        Ok(self.state()?.books.keys().cloned().collect())
    }
}
