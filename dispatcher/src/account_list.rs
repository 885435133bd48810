//! The expedientes list: accounts filtered and paged with a cursor, the
//! same on every store. The store walks ids in order (all, or one
//! creditor's, by index); the filters that no index serves are applied
//! here, on a bounded number of scanned accounts per page, so a page with
//! a rare filter answers in bounded time with `next` to carry on from.

use chrono::NaiveDate;
use cobro_campaigns::Account;
use cobro_campaigns::spreadsheet::header::fold_accent;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{AccountStatus, Store, StoreResult};

/// The largest page a caller may ask for.
pub const MAX_LIMIT: usize = 200;

/// Accounts read per store call while filling a page.
const SCAN_CHUNK: usize = 500;

/// Accounts examined per page at most: a filter that matches little
/// answers a short page and a cursor instead of scanning the whole book.
const SCAN_BUDGET: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountQuery {
    pub creditor: Option<String>,
    pub status: Option<AccountStatus>,
    pub segment: Option<String>,
    pub country: Option<String>,
    /// Part of the id, the debtor's name or tax id (case and accents
    /// ignored).
    pub q: Option<String>,
    pub dpd_min: Option<i64>,
    pub dpd_max: Option<i64>,
    /// On the balance (what is owed after payments).
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    /// The last id of the previous page.
    pub cursor: Option<String>,
    pub limit: usize,
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountListItem {
    pub id: String,
    pub creditor: String,
    pub debtor_name: String,
    pub status: &'static str,
    pub currency: String,
    pub amount_due: Decimal,
    pub balance: Decimal,
    pub due_date: NaiveDate,
    pub days_past_due: i64,
    pub country: String,
    pub segment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPage {
    pub items: Vec<AccountListItem>,
    /// Give it back as `cursor` for the next page; `None` at the end.
    pub next: Option<String>,
}

/// Lower-case without accents, for search.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(fold_accent)
        .collect()
}

pub fn days_past_due(account: &Account, today: NaiveDate) -> i64 {
    (today - account.due_date).num_days().max(0)
}

impl AccountQuery {
    /// The filters that need no book (balance filters come after).
    fn matches(
        &self,
        account: &Account,
        status: AccountStatus,
        today: NaiveDate,
        q: Option<&str>,
    ) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        let dpd = days_past_due(account, today);
        self.creditor
            .as_deref()
            .is_none_or(|c| account.creditor == c)
            && self.status.is_none_or(|s| s == status)
            && eq(&self.segment, account.segment.as_deref())
            && eq(&self.country, Some(&account.country))
            && self.dpd_min.is_none_or(|m| dpd >= m)
            && self.dpd_max.is_none_or(|m| dpd <= m)
            && q.is_none_or(|q| {
                fold(&account.id).contains(q)
                    || fold(&account.debtor_name).contains(q)
                    || account
                        .tax_id
                        .as_deref()
                        .is_some_and(|t| fold(t).contains(q))
            })
    }

    fn balance_matches(&self, balance: Decimal) -> bool {
        self.amount_min.is_none_or(|m| balance >= m) && self.amount_max.is_none_or(|m| balance <= m)
    }
}

/// One page of accounts matching `query`, judged on `today`.
pub async fn list_accounts<S: Store>(
    store: &S,
    query: &AccountQuery,
    today: NaiveDate,
) -> StoreResult<AccountPage> {
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let q = query.q.as_deref().map(fold).filter(|q| !q.is_empty());
    let mut after = query.cursor.clone();
    let mut items = Vec::with_capacity(limit);
    let mut scanned = 0usize;
    loop {
        let chunk = store
            .accounts_after(after.as_deref(), query.creditor.as_deref(), SCAN_CHUNK)
            .await?;
        let exhausted = chunk.len() < SCAN_CHUNK;
        let last_scanned = chunk.last().map(|(a, _)| a.id.clone());
        let candidates: Vec<(Account, AccountStatus)> = chunk
            .into_iter()
            .filter(|(a, s)| query.matches(a, *s, today, q.as_deref()))
            .collect();
        let ids: Vec<String> = candidates.iter().map(|(a, _)| a.id.clone()).collect();
        let books = store.books(&ids).await?;
        for ((account, status), book) in candidates.into_iter().zip(books) {
            let balance = book.balance(account.amount_due);
            if !query.balance_matches(balance) {
                continue;
            }
            items.push(AccountListItem {
                days_past_due: days_past_due(&account, today),
                status: status.as_str(),
                balance,
                id: account.id,
                creditor: account.creditor,
                debtor_name: account.debtor_name,
                currency: account.currency,
                amount_due: account.amount_due,
                due_date: account.due_date,
                country: account.country,
                segment: account.segment,
            });
            if items.len() == limit {
                let next = items.last().map(|i| i.id.clone());
                return Ok(AccountPage { items, next });
            }
        }
        scanned += SCAN_CHUNK;
        if exhausted {
            return Ok(AccountPage { items, next: None });
        }
        // Carry on after the last id scanned, matched or not.
        after = last_scanned;
        if scanned >= SCAN_BUDGET {
            return Ok(AccountPage { items, next: after });
        }
    }
}
