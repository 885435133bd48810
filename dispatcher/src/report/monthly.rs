//! The parte de cobros: what each debtor paid in one month, the balance
//! at the month's end and the promises that fell due in it, with totals
//! per currency. Read from the accounts' books (payments carry their own
//! dates), so a payments file imported late lands in the right month.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc};
use cobro_campaigns::book::PromiseState;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{Store, StoreResult};
use crate::users::Principal;

/// Books read per store call.
const CHUNK: usize = 500;

/// One debtor's month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyRow {
    pub account: String,
    pub creditor: String,
    pub debtor_name: String,
    pub currency: String,
    pub payments: u64,
    pub paid: Decimal,
    /// After every payment up to the month's end.
    pub balance: Decimal,
    /// Promises (and plan instalments) whose deadline fell in the month.
    pub promises_kept: u64,
    pub promises_broken: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthlyTotals {
    pub accounts: u64,
    pub payments: u64,
    pub paid: Decimal,
    pub promises_kept: u64,
    pub promises_broken: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyCollections {
    /// `YYYY-MM`.
    pub month: String,
    pub rows: Vec<MonthlyRow>,
    /// Per currency (amounts of different currencies never add up).
    pub totals: BTreeMap<String, MonthlyTotals>,
}

/// `YYYY-MM` → the month's first day.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d").ok()
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

impl MonthlyCollections {
    /// The month starting `first` for the accounts `principal` sees, with
    /// `grace_days` deciding when promises broke. Only accounts that paid
    /// or had a promise fall due in the month are listed.
    pub async fn build<S: Store>(
        store: &S,
        first: NaiveDate,
        principal: &Principal,
        grace_days: u32,
    ) -> StoreResult<Self> {
        let first = first.with_day(1).unwrap_or(first);
        let next = first + Months::new(1);
        let (start, end) = (midnight(first), midnight(next));
        let mut rows = Vec::new();
        let ids = store.book_accounts().await?;
        for chunk in ids.chunks(CHUNK) {
            let books = store.books(chunk).await?;
            let accounts = store.accounts(chunk).await?;
            for (book, account) in books.into_iter().zip(accounts) {
                let Some((account, _)) = account else {
                    continue;
                };
                if !principal.sees(&account.creditor) {
                    continue;
                }
                let in_month: Vec<_> = book
                    .payments
                    .iter()
                    .filter(|p| p.at >= start && p.at < end)
                    .collect();
                let paid_by_end: Decimal = book
                    .payments
                    .iter()
                    .filter(|p| p.at < end)
                    .map(|p| p.amount)
                    .sum();
                let (mut kept, mut broken) = (0, 0);
                for i in 0..book.promises.len() {
                    let deadline = book.promise_deadline(i, grace_days);
                    if deadline < start || deadline >= end {
                        continue;
                    }
                    match book.promise_state(i, end, grace_days) {
                        PromiseState::Kept => kept += 1,
                        PromiseState::Broken => broken += 1,
                        PromiseState::Open => {}
                    }
                }
                if in_month.is_empty() && kept + broken == 0 {
                    continue;
                }
                rows.push(MonthlyRow {
                    payments: in_month.len() as u64,
                    paid: in_month.iter().map(|p| p.amount).sum(),
                    balance: (account.amount_due - paid_by_end).max(Decimal::ZERO),
                    promises_kept: kept,
                    promises_broken: broken,
                    account: account.id,
                    creditor: account.creditor,
                    debtor_name: account.debtor_name,
                    currency: account.currency,
                });
            }
        }
        rows.sort_by(|a, b| (&a.creditor, &a.account).cmp(&(&b.creditor, &b.account)));
        let mut totals: BTreeMap<String, MonthlyTotals> = BTreeMap::new();
        for r in &rows {
            let t = totals.entry(r.currency.clone()).or_default();
            t.accounts += 1;
            t.payments += r.payments;
            t.paid += r.paid;
            t.promises_kept += r.promises_kept;
            t.promises_broken += r.promises_broken;
        }
        Ok(MonthlyCollections {
            month: first.format("%Y-%m").to_string(),
            rows,
            totals,
        })
    }

    /// The rows as CSV (header first), what a creditor opens in Excel.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record([
            "month",
            "account",
            "creditor",
            "debtor_name",
            "currency",
            "payments",
            "paid",
            "balance",
            "promises_kept",
            "promises_broken",
        ])?;
        for r in &self.rows {
            out.write_record([
                self.month.as_str(),
                &r.account,
                &r.creditor,
                &r.debtor_name,
                &r.currency,
                &r.payments.to_string(),
                &format!("{:.2}", r.paid),
                &format!("{:.2}", r.balance),
                &r.promises_kept.to_string(),
                &r.promises_broken.to_string(),
            ])?;
        }
        let bytes = out.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
