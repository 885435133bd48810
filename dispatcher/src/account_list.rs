//! The expedientes list: accounts filtered and paged with a cursor, the
//! same on every store. The store narrows each call by its indexes
//! (`AccountStore::scan_accounts`) and examines a bounded window of
//! accounts; the filters are decided here, on every row it answers, so
//! a page with a rare filter answers in bounded time with `next` to carry
//! on from.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{AccountRow, AccountScan, AccountStatus, Store, StoreResult, fold};

/// The largest page a caller may ask for.
pub const MAX_LIMIT: usize = 200;

/// The first call's window: an unfiltered page needs a page's worth.
const FIRST_WINDOW: usize = 256;

/// Each further call of a page examines this many times more (a filter
/// that matches little reaches the budget in a few calls).
const WINDOW_GROWTH: usize = 4;

/// The largest window of one call.
const MAX_WINDOW: usize = 32_768;

/// Accounts examined per page at most: a filter that matches little
/// answers a short page and a cursor instead of scanning the whole book.
/// Sized so a page stays within 200 ms at 1,000,000 accounts on either
/// store (BENCHMARKS.md, "Expedientes page").
const SCAN_BUDGET: usize = 50_000;

/// Books read per store call at least while a balance filter fills a page.
const BALANCE_SLICE: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountQuery {
    pub creditor: Option<String>,
    /// Accounts with contacts planned in this campaign.
    pub campaign: Option<String>,
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

pub fn days_past_due(due_date: NaiveDate, today: NaiveDate) -> i64 {
    (today - due_date).num_days().max(0)
}

impl AccountQuery {
    /// The filters that need no book (balance filters come after; the
    /// campaign is the store's record).
    fn matches(&self, row: &AccountRow, today: NaiveDate, q: Option<&str>) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        let dpd = days_past_due(row.due_date, today);
        self.creditor.as_deref().is_none_or(|c| row.creditor == c)
            && self.status.is_none_or(|s| s == row.status)
            && eq(&self.segment, row.segment.as_deref())
            && eq(&self.country, Some(&row.country))
            && self.dpd_min.is_none_or(|m| dpd >= m)
            && self.dpd_max.is_none_or(|m| dpd <= m)
            // The balance is at most the amount due.
            && self.amount_min.is_none_or(|m| row.amount_due >= m)
            && q.is_none_or(|q| row.search_text().contains(q))
    }

    fn balance_matches(&self, balance: Decimal) -> bool {
        self.amount_min.is_none_or(|m| balance >= m) && self.amount_max.is_none_or(|m| balance <= m)
    }

    /// The store's part: the same filters, for its indexes to narrow by.
    fn scan(&self, today: NaiveDate, q: Option<&str>) -> AccountScan {
        // dpd >= m  ⇔  due <= today - m (for m > 0; every dpd is >= 0);
        // dpd <= m  ⇔  due >= today - m.
        let day = |m: i64| {
            Duration::try_days(m)
                .and_then(|d| today.checked_sub_signed(d))
                .unwrap_or(NaiveDate::MIN)
        };
        AccountScan {
            creditor: self.creditor.clone(),
            campaign: self.campaign.clone(),
            status: self.status,
            country: self.country.clone(),
            segment: self.segment.clone(),
            q: q.map(str::to_string),
            due_from: self.dpd_max.filter(|m| *m >= 0).map(day),
            due_to: self.dpd_min.filter(|m| *m > 0).map(day),
            amount_due_min: self.amount_min,
            after: self.cursor.clone(),
            window: FIRST_WINDOW,
        }
    }
}

fn list_item(row: AccountRow, balance: Decimal, today: NaiveDate) -> AccountListItem {
    AccountListItem {
        days_past_due: days_past_due(row.due_date, today),
        status: row.status.as_str(),
        balance,
        id: row.id,
        creditor: row.creditor,
        debtor_name: row.debtor_name,
        currency: row.currency,
        amount_due: row.amount_due,
        due_date: row.due_date,
        country: row.country,
        segment: row.segment,
    }
}

/// The account whose id is exactly the search (as typed, or upper-case),
/// when it passes every other filter. An expediente's id typed in full is
/// the search people make most, and no index serves a substring: without
/// this, finding one id among a million would take pages of scanning.
async fn exact_id<S: Store>(
    store: &S,
    query: &AccountQuery,
    today: NaiveDate,
) -> StoreResult<Option<AccountListItem>> {
    let Some(raw) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    // Campaign membership is the store's record, not the row's: leave
    // that filter to the scan.
    if query.cursor.is_some() || query.campaign.is_some() {
        return Ok(None);
    }
    let upper = raw.to_uppercase();
    let mut candidates = vec![raw.to_string()];
    if upper != raw {
        candidates.push(upper);
    }
    let q = fold(raw);
    for id in candidates {
        let Some((account, status)) = store.account(&id).await? else {
            continue;
        };
        let row = AccountRow::new(&account, status);
        if !query.matches(&row, today, Some(&q)) {
            return Ok(None);
        }
        let (book, _) = store.book(&row.id).await?;
        let balance = book.balance(row.amount_due);
        return Ok(query
            .balance_matches(balance)
            .then(|| list_item(row, balance, today)));
    }
    Ok(None)
}

/// One page of accounts matching `query`, judged on `today`.
pub async fn list_accounts<S: Store>(
    store: &S,
    query: &AccountQuery,
    today: NaiveDate,
) -> StoreResult<AccountPage> {
    if let Some(item) = exact_id(store, query, today).await? {
        return Ok(AccountPage {
            items: vec![item],
            next: None,
        });
    }
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let q = query.q.as_deref().map(fold).filter(|q| !q.is_empty());
    let mut scan = query.scan(today, q.as_deref());
    let mut items = Vec::with_capacity(limit);
    let mut examined = 0usize;
    loop {
        let scanned = store.scan_accounts(&scan).await?;
        examined += scan.window;
        let mut candidates = scanned
            .rows
            .into_iter()
            .filter(|row| query.matches(row, today, q.as_deref()))
            .peekable();
        // Books only for what may go on the page: a slice at a time (a
        // larger one when the balance filters may reject many).
        let balance_filtered = query.amount_min.is_some() || query.amount_max.is_some();
        let slice_min = if balance_filtered { BALANCE_SLICE } else { 16 };
        while candidates.peek().is_some() {
            let want = (limit - items.len()).max(slice_min);
            let slice: Vec<AccountRow> = candidates.by_ref().take(want).collect();
            let ids: Vec<String> = slice.iter().map(|r| r.id.clone()).collect();
            let books = store.books(&ids).await?;
            for (row, book) in slice.into_iter().zip(books) {
                let balance = book.balance(row.amount_due);
                if !query.balance_matches(balance) {
                    continue;
                }
                items.push(list_item(row, balance, today));
                if items.len() == limit {
                    let next = items.last().map(|i| i.id.clone());
                    return Ok(AccountPage { items, next });
                }
            }
        }
        let Some(next) = scanned.next else {
            return Ok(AccountPage { items, next: None });
        };
        // Carry on after the last id examined, matched or not.
        if examined >= SCAN_BUDGET {
            return Ok(AccountPage {
                items,
                next: Some(next),
            });
        }
        scan.after = Some(next);
        scan.window = (scan.window * WINDOW_GROWTH)
            .min(MAX_WINDOW)
            .min(SCAN_BUDGET - examined);
    }
}
