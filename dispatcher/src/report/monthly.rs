//! The parte de cobros: what each debtor paid in one month, the balance
//! at the month's start and end and the promises that fell due in it, with
//! totals per currency and per creditor and campaign (each with its
//! recovery rate). Read from the accounts' books (payments carry their own
//! dates), so a payments file imported late lands in the right month.
//!
//! One home for the report's shape: the JSON is the serialised
//! [`MonthlyCollections`], and [`MonthlyCollections::to_csv`] and
//! [`MonthlyCollections::to_xlsx`] write the same rows and totals.
//!
//! **Recovery rate** (`recovery_rate`, percent with two decimals): what the
//! group's accounts paid in the month divided by what the same accounts
//! owed at the month's first instant (`balance_start`: amount due less
//! every payment dated before the month). The accounts are those the report
//! lists (they paid, or a promise of theirs fell due, in the month), so the
//! rate says how much of the debt in play that month came in; it is `null`
//! when they owed nothing at the start, and can pass 100 % when a debtor
//! overpaid.
//!
//! **Campaign** of a row (last touch): the campaign whose message last went
//! out to the account (a contact handed to the provider: sending, sent,
//! delivered or unknown) with its due time before the month's end; ties go
//! to the campaign whose name sorts first. An account reached by several
//! campaigns counts once, in that one, so a creditor's campaigns add up to
//! the creditor's total; an account no campaign reached by then is under
//! `campaign: null` ("sin campaña").

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc};
use cobro_campaigns::book::PromiseState;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde::Serialize;

use crate::store::{ContactRecord, ContactState, Store, StoreResult};
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
    /// Owed at the month's first instant: the recovery rate's denominator.
    pub balance_start: Decimal,
    /// The (UTC) day of the month's last payment.
    pub last_payment: Option<NaiveDate>,
    /// The campaign the row is credited to (last touch, see the module).
    pub campaign: Option<String>,
}

/// Sums over a group of rows of one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthlyTotals {
    pub accounts: u64,
    pub payments: u64,
    pub paid: Decimal,
    pub promises_kept: u64,
    pub promises_broken: u64,
    /// What the group's accounts owed at the month's first instant.
    pub balance_start: Decimal,
    /// `paid / balance_start` in percent, two decimals; `None` when
    /// nothing was owed at the start (see the module's definition).
    pub recovery_rate: Option<Decimal>,
}

impl MonthlyTotals {
    fn add(&mut self, r: &MonthlyRow) {
        self.accounts += 1;
        self.payments += r.payments;
        self.paid += r.paid;
        self.promises_kept += r.promises_kept;
        self.promises_broken += r.promises_broken;
        self.balance_start += r.balance_start;
        self.recovery_rate = recovery_rate(self.paid, self.balance_start);
    }
}

/// `paid / owed` in percent, two decimals (always written with two).
pub fn recovery_rate(paid: Decimal, owed: Decimal) -> Option<Decimal> {
    if owed <= Decimal::ZERO {
        return None;
    }
    let mut rate = (paid * Decimal::ONE_HUNDRED / owed).round_dp(2);
    rate.rescale(2);
    Some(rate)
}

/// A creditor's month in one currency, and its campaigns'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditorTotals {
    pub creditor: String,
    pub currency: String,
    #[serde(flatten)]
    pub totals: MonthlyTotals,
    /// Per campaign (by name; `campaign: null`, accounts no campaign had
    /// reached, last); they add up to the creditor's totals.
    pub campaigns: Vec<CampaignTotals>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignTotals {
    pub campaign: Option<String>,
    #[serde(flatten)]
    pub totals: MonthlyTotals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyCollections {
    /// `YYYY-MM`.
    pub month: String,
    pub rows: Vec<MonthlyRow>,
    /// Per currency (amounts of different currencies never add up).
    pub totals: BTreeMap<String, MonthlyTotals>,
    /// Per creditor and currency, each with its campaigns.
    pub by_creditor: Vec<CreditorTotals>,
}

/// `YYYY-MM` → the month's first day.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    // `2026-1` and `2026-01-15` are not months; chrono would take the first.
    if raw.len() != 7 {
        return None;
    }
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").ok()
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// The campaign credited with an account's month ending at `end`: last
/// touch (see the module).
pub fn attributed_campaign(contacts: &[ContactRecord], end: DateTime<Utc>) -> Option<String> {
    contacts
        .iter()
        .filter(|c| {
            c.due_at < end
                && matches!(
                    c.state,
                    ContactState::Sending
                        | ContactState::Sent
                        | ContactState::Delivered
                        | ContactState::Unknown
                )
        })
        // Latest due time first, then the name that sorts first.
        .max_by(|a, b| {
            a.due_at
                .cmp(&b.due_at)
                .then_with(|| b.contact.campaign.cmp(&a.contact.campaign))
        })
        .map(|c| c.contact.campaign.clone())
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
                let paid_before = |t: DateTime<Utc>| -> Decimal {
                    book.payments
                        .iter()
                        .filter(|p| p.at < t)
                        .map(|p| p.amount)
                        .sum()
                };
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
                let contacts = store.account_contacts(&account.id).await?;
                rows.push(MonthlyRow {
                    payments: in_month.len() as u64,
                    paid: in_month.iter().map(|p| p.amount).sum(),
                    balance: (account.amount_due - paid_before(end)).max(Decimal::ZERO),
                    balance_start: (account.amount_due - paid_before(start)).max(Decimal::ZERO),
                    last_payment: in_month.iter().map(|p| p.at.date_naive()).max(),
                    campaign: attributed_campaign(&contacts, end),
                    promises_kept: kept,
                    promises_broken: broken,
                    account: account.id,
                    creditor: account.creditor,
                    debtor_name: account.debtor_name,
                    currency: account.currency,
                });
            }
        }
        Ok(Self::from_rows(first.format("%Y-%m").to_string(), rows))
    }

    /// The report of `rows` (any order): sorted by creditor and account,
    /// with every total computed from them.
    pub fn from_rows(month: String, mut rows: Vec<MonthlyRow>) -> Self {
        rows.sort_by(|a, b| (&a.creditor, &a.account).cmp(&(&b.creditor, &b.account)));
        let mut totals: BTreeMap<String, MonthlyTotals> = BTreeMap::new();
        // (creditor, currency) → (totals, campaign → totals); `None` sorts
        // first in a BTreeMap, so it is moved last below.
        type Campaigns = BTreeMap<Option<String>, MonthlyTotals>;
        let mut groups: BTreeMap<(String, String), (MonthlyTotals, Campaigns)> = BTreeMap::new();
        for r in &rows {
            totals.entry(r.currency.clone()).or_default().add(r);
            let (creditor, campaigns) = groups
                .entry((r.creditor.clone(), r.currency.clone()))
                .or_default();
            creditor.add(r);
            campaigns.entry(r.campaign.clone()).or_default().add(r);
        }
        let by_creditor = groups
            .into_iter()
            .map(|((creditor, currency), (totals, campaigns))| {
                let (none, named): (Vec<_>, Vec<_>) =
                    campaigns.into_iter().partition(|(c, _)| c.is_none());
                CreditorTotals {
                    creditor,
                    currency,
                    totals,
                    campaigns: named
                        .into_iter()
                        .chain(none)
                        .map(|(campaign, totals)| CampaignTotals { campaign, totals })
                        .collect(),
                }
            })
            .collect();
        MonthlyCollections {
            month,
            rows,
            totals,
            by_creditor,
        }
    }

    /// Only `creditor`'s rows (a staff user's filter; a creditor user is
    /// already confined by `build`, and a filter naming another creditor
    /// leaves it nothing more to see), totals recomputed.
    pub fn only_creditor(self, creditor: &str) -> Self {
        let rows = self
            .rows
            .into_iter()
            .filter(|r| r.creditor == creditor)
            .collect();
        Self::from_rows(self.month, rows)
    }

    /// The month's first day.
    fn first_day(&self) -> Option<NaiveDate> {
        parse_month(&self.month)
    }

    /// The rows as CSV (header first), what a creditor opens in Excel.
    /// Columns after `promises_broken` were added later, at the end, so
    /// a reader of the first ten keeps working.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(ROW_COLUMNS)?;
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
                &format!("{:.2}", r.balance_start),
                r.campaign.as_deref().unwrap_or(""),
                &r.last_payment.map(|d| d.to_string()).unwrap_or_default(),
            ])?;
        }
        let bytes = out.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The report as an Excel workbook: sheet `cobros` (the rows, the CSV's
    /// columns) and sheet `totales` (per creditor, per campaign within it,
    /// and per currency), with amounts as numbers in a money format, days
    /// as dates, a bold frozen header with an autofilter and set widths.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let header = Format::new().set_bold();
        let money = Format::new().set_num_format("#,##0.00");
        let percent = Format::new().set_num_format("0.00\\ \\%");
        let day = Format::new().set_num_format("yyyy-mm-dd");
        let month = Format::new().set_num_format("yyyy-mm");
        let month_cell = self
            .first_day()
            .map(|d| ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, 1))
            .transpose()?;

        let sheet = book.add_worksheet();
        sheet.set_name("cobros")?;
        start_table(sheet, &ROW_COLUMNS, &ROW_WIDTHS, &header)?;
        for (i, r) in self.rows.iter().enumerate() {
            let n = i as u32 + 1;
            match &month_cell {
                Some(m) => sheet.write_datetime_with_format(n, 0, m, &month)?,
                None => sheet.write_string(n, 0, &self.month)?,
            };
            sheet.write_string(n, 1, &r.account)?;
            sheet.write_string(n, 2, &r.creditor)?;
            sheet.write_string(n, 3, &r.debtor_name)?;
            sheet.write_string(n, 4, &r.currency)?;
            sheet.write_number(n, 5, r.payments as f64)?;
            sheet.write_number_with_format(n, 6, number(r.paid), &money)?;
            sheet.write_number_with_format(n, 7, number(r.balance), &money)?;
            sheet.write_number(n, 8, r.promises_kept as f64)?;
            sheet.write_number(n, 9, r.promises_broken as f64)?;
            sheet.write_number_with_format(n, 10, number(r.balance_start), &money)?;
            if let Some(c) = &r.campaign {
                sheet.write_string(n, 11, c)?;
            }
            if let Some(d) = r.last_payment {
                let date =
                    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                sheet.write_datetime_with_format(n, 12, &date, &day)?;
            }
        }
        sheet.autofilter(0, 0, self.rows.len() as u32, ROW_COLUMNS.len() as u16 - 1)?;

        let sheet = book.add_worksheet();
        sheet.set_name("totales")?;
        start_table(sheet, &TOTAL_COLUMNS, &TOTAL_WIDTHS, &header)?;
        let mut n = 0;
        let mut write = |sheet: &mut Worksheet,
                         creditor: &str,
                         campaign: &str,
                         currency: &str,
                         t: &MonthlyTotals|
         -> Result<(), XlsxError> {
            n += 1;
            sheet.write_string(n, 0, creditor)?;
            // The creditor's own line and the grand totals: no campaign.
            if !campaign.is_empty() {
                sheet.write_string(n, 1, campaign)?;
            }
            sheet.write_string(n, 2, currency)?;
            sheet.write_number(n, 3, t.accounts as f64)?;
            sheet.write_number(n, 4, t.payments as f64)?;
            sheet.write_number_with_format(n, 5, number(t.paid), &money)?;
            sheet.write_number(n, 6, t.promises_kept as f64)?;
            sheet.write_number(n, 7, t.promises_broken as f64)?;
            sheet.write_number_with_format(n, 8, number(t.balance_start), &money)?;
            if let Some(rate) = t.recovery_rate {
                sheet.write_number_with_format(n, 9, number(rate), &percent)?;
            }
            Ok(())
        };
        for c in &self.by_creditor {
            write(sheet, &c.creditor, "", &c.currency, &c.totals)?;
            for k in &c.campaigns {
                let name = k.campaign.as_deref().unwrap_or(NO_CAMPAIGN);
                write(sheet, &c.creditor, name, &c.currency, &k.totals)?;
            }
        }
        for (currency, t) in &self.totals {
            write(sheet, TOTAL, "", currency, t)?;
        }
        sheet.autofilter(0, 0, n, TOTAL_COLUMNS.len() as u16 - 1)?;
        book.save_to_buffer()
    }
}

/// The rows' columns, in the CSV and in the workbook's `cobros` sheet.
pub const ROW_COLUMNS: [&str; 13] = [
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
    "balance_start",
    "campaign",
    "last_payment",
];
const ROW_WIDTHS: [f64; 13] = [
    9.0, 14.0, 24.0, 28.0, 9.0, 10.0, 14.0, 14.0, 14.0, 15.0, 14.0, 18.0, 12.0,
];

/// The `totales` sheet's columns; `recovery_rate` is in percent.
pub const TOTAL_COLUMNS: [&str; 10] = [
    "creditor",
    "campaign",
    "currency",
    "accounts",
    "payments",
    "paid",
    "promises_kept",
    "promises_broken",
    "balance_start",
    "recovery_rate",
];
const TOTAL_WIDTHS: [f64; 10] = [24.0, 18.0, 9.0, 10.0, 10.0, 14.0, 14.0, 15.0, 14.0, 13.0];

/// The `totales` sheet's creditor cell of the per-currency grand totals.
pub const TOTAL: &str = "TOTAL";
/// The `totales` sheet's campaign cell of accounts no campaign reached.
pub const NO_CAMPAIGN: &str = "(sin campaña)";

/// A header row in bold, frozen, and the columns' widths.
fn start_table(
    sheet: &mut Worksheet,
    columns: &[&str],
    widths: &[f64],
    bold: &Format,
) -> Result<(), XlsxError> {
    for (i, (name, width)) in columns.iter().zip(widths).enumerate() {
        sheet.write_string_with_format(0, i as u16, *name, bold)?;
        sheet.set_column_width(i as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// An amount as Excel's number (a double: exact to the cent for any debt).
fn number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        account: &str,
        creditor: &str,
        campaign: Option<&str>,
        paid: i64,
        start: i64,
    ) -> MonthlyRow {
        MonthlyRow {
            account: account.into(),
            creditor: creditor.into(),
            debtor_name: format!("Deudor {account}"),
            currency: "MXN".into(),
            payments: u64::from(paid > 0),
            paid: Decimal::new(paid, 2),
            balance: Decimal::new(start - paid, 2),
            promises_kept: 0,
            promises_broken: 0,
            balance_start: Decimal::new(start, 2),
            last_payment: None,
            campaign: campaign.map(str::to_string),
        }
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2026-03"), NaiveDate::from_ymd_opt(2026, 3, 1));
        for bad in ["2026-13", "13-2026", "2026-3", "2026-03-15", "", "marzo"] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn totals_add_up_per_creditor_and_campaign_with_their_rates() {
        let report = MonthlyCollections::from_rows(
            "2026-03".into(),
            vec![
                row("A1", "Sol", Some("marzo"), 10_000, 40_000),
                row("A2", "Sol", None, 5_000, 10_000),
                row("A3", "Sol", Some("marzo"), 0, 50_000),
                row("B1", "Luna", Some("abril"), 2_000, 0),
            ],
        );
        let sol = &report.by_creditor[1];
        assert_eq!((sol.creditor.as_str(), sol.totals.accounts), ("Sol", 3));
        assert_eq!(sol.totals.paid, Decimal::new(15_000, 2));
        assert_eq!(sol.totals.balance_start, Decimal::new(100_000, 2));
        assert_eq!(sol.totals.recovery_rate, Some(Decimal::new(1500, 2)));
        let names: Vec<_> = sol.campaigns.iter().map(|c| c.campaign.clone()).collect();
        assert_eq!(names, [Some("marzo".to_string()), None], "no campaign last");
        assert_eq!(
            sol.campaigns[0].totals.recovery_rate,
            Some(Decimal::new(1111, 2))
        );
        assert_eq!(
            sol.campaigns[1].totals.recovery_rate,
            Some(Decimal::new(5000, 2))
        );
        let luna = &report.by_creditor[0];
        assert_eq!(luna.totals.recovery_rate, None, "owed nothing at the start");
        let all = &report.totals["MXN"];
        assert_eq!(all.paid, Decimal::new(17_000, 2));
        assert_eq!(all.recovery_rate, Some(Decimal::new(1700, 2)));
        assert_eq!(report.only_creditor("Luna").rows.len(), 1);
    }
}
