//! What the expedientes list asks a store for: accounts after a cursor, in
//! id order, narrowed by what the store can narrow cheaply, a bounded
//! number examined per call. The list (`crate::account_list`) applies
//! every filter again on the rows it gets, so a store may answer more
//! than the filters admit (an index it lacks, a stale index entry) but
//! never less; that keeps the filtering semantics in one place while each
//! store uses its own indexes.

use chrono::NaiveDate;
use cobro_campaigns::Account;
use cobro_campaigns::spreadsheet::header::fold_accent;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::AccountStatus;

/// One call's worth of the list's filters, as a store sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountScan {
    /// Exactly, as stored.
    pub creditor: Option<String>,
    /// Accounts that have contacts planned in this campaign. The one
    /// filter the list cannot check again on a row: membership is the
    /// store's record of the plan.
    pub campaign: Option<String>,
    pub status: Option<AccountStatus>,
    /// ASCII case ignored.
    pub country: Option<String>,
    /// ASCII case ignored.
    pub segment: Option<String>,
    /// Already folded ([`fold`]); part of the folded id, name or tax id.
    pub q: Option<String>,
    /// Due on or after this date (inclusive).
    pub due_from: Option<NaiveDate>,
    /// Due on or before this date (inclusive).
    pub due_to: Option<NaiveDate>,
    /// The amount due is at least this (the balance never exceeds the
    /// amount due, so a balance floor is an amount-due floor too).
    pub amount_due_min: Option<Decimal>,
    /// Only ids strictly after this one.
    pub after: Option<String>,
    /// The store examines at most this many accounts of the set it walks
    /// (all accounts, or those of the most selective index it has), so a
    /// filter that matches little costs a bounded time per call.
    pub window: usize,
}

/// What the list shows and filters on, without the contact points and
/// attributes that make an account's full record heavy to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: String,
    pub creditor: String,
    pub debtor_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    pub amount_due: Decimal,
    pub currency: String,
    pub due_date: NaiveDate,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Kept apart by the stores (it changes without a re-import).
    #[serde(skip, default = "active")]
    pub status: AccountStatus,
}

fn active() -> AccountStatus {
    AccountStatus::Active
}

impl AccountRow {
    pub fn new(account: &Account, status: AccountStatus) -> AccountRow {
        AccountRow {
            id: account.id.clone(),
            creditor: account.creditor.clone(),
            debtor_name: account.debtor_name.clone(),
            tax_id: account.tax_id.clone(),
            amount_due: account.amount_due,
            currency: account.currency.clone(),
            due_date: account.due_date,
            country: account.country.clone(),
            segment: account.segment.clone(),
            status,
        }
    }

    /// What search looks in: the folded id, name and tax id, apart.
    pub fn search_text(&self) -> String {
        search_text(&self.id, &self.debtor_name, self.tax_id.as_deref())
    }
}

/// The answer to one [`AccountScan`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScannedAccounts {
    /// Every account in `(after, next]` (to the end when `next` is `None`)
    /// that matches the scan's filters, and possibly others, in id order.
    pub rows: Vec<AccountRow>,
    /// The last id examined, to scan on from; `None` when the store has
    /// nothing after the rows.
    pub next: Option<String>,
}

/// Lower-case without accents: how search compares.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(fold_accent)
        .collect()
}

/// The folded id, name and tax id joined by a separator search text never
/// holds, so a search never matches across two fields.
pub fn search_text(id: &str, name: &str, tax_id: Option<&str>) -> String {
    let mut out = fold(id);
    out.push('\u{1f}');
    out.push_str(&fold(name));
    out.push('\u{1f}');
    out.push_str(&fold(tax_id.unwrap_or("")));
    out
}
