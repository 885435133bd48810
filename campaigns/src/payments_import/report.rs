//! What an import returns: the accepted payments and every row problem.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::import::RowError;

/// One accepted payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// 1-based physical line in the file (the header is line 1).
    pub line: usize,
    /// The account id the payment is for, as in the portfolio.
    pub account: String,
    /// Positive, rescaled to the currency's decimals (2 without currency).
    pub amount: Decimal,
    /// ISO 4217 code, upper case, when the file has a currency column.
    pub currency: Option<String>,
    /// When it was paid; a date alone is 12:00 UTC of that day (see
    /// [`parse_paid_at`](super::parse_paid_at)).
    pub at: DateTime<Utc>,
    /// The creditor's reference, or a generated `auto-…` one (stable
    /// across imports of the same file) when the row had none.
    pub reference: String,
    /// Whether `reference` came from the file.
    pub reference_given: bool,
}

/// Every accepted payment in file order, and every problem with the rows
/// that were skipped.
#[derive(Debug, Clone, Default)]
pub struct PaymentsReport {
    pub rows: Vec<PaymentRow>,
    pub errors: Vec<RowError>,
    /// Data rows seen (blank lines and the header excluded).
    pub rows_read: usize,
}

impl PaymentsReport {
    /// Rows that were skipped (a row with several errors counts once).
    pub fn bad_rows(&self) -> usize {
        self.rows_read - self.rows.len()
    }

    /// Whether every row was accepted.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// The summary `cobro payments import` prints: one headline, then
    /// every error as `origin: line N: field: reason`.
    pub fn render_text(&self, origin: &str) -> String {
        let mut out = format!(
            "{origin}: {} rows read, {} accepted, {} rejected\n",
            self.rows_read,
            self.rows.len(),
            self.bad_rows()
        );
        for e in &self.errors {
            out.push_str(&format!("{origin}: {e}\n"));
        }
        out
    }
}
