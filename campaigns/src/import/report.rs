//! What an import returns: the accounts (or their count) and every row
//! error, with the summary text `cobro import` prints.

use super::RowError;
use crate::Account;

/// Everything an import produced, for files small enough to hold in
/// memory. Large portfolios use [`import_reader_each`](super::import_reader_each) instead.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub accounts: Vec<Account>,
    pub errors: Vec<RowError>,
    /// Data rows seen (blank lines and the header excluded).
    pub rows_read: usize,
}

impl ImportReport {
    /// Rows that were skipped (a row with several errors counts once).
    pub fn bad_rows(&self) -> usize {
        self.rows_read - self.accounts.len()
    }

    /// Whether every row was accepted.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// The summary `cobro import` prints: one headline, then every error.
    pub fn render_text(&self, origin: &str) -> String {
        render(origin, self.rows_read, self.accounts.len(), &self.errors)
    }
}

/// What a streaming import returns: counts and errors, the accounts having
/// gone to the callback.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub rows_read: usize,
    pub accepted: usize,
    pub errors: Vec<RowError>,
}

impl ImportSummary {
    pub fn bad_rows(&self) -> usize {
        self.rows_read - self.accepted
    }

    pub fn render_text(&self, origin: &str) -> String {
        render(origin, self.rows_read, self.accepted, &self.errors)
    }
}

fn render(origin: &str, rows: usize, accepted: usize, errors: &[RowError]) -> String {
    let mut out = format!(
        "{origin}: {rows} rows read, {accepted} accepted, {} rejected\n",
        rows - accepted
    );
    for e in errors {
        out.push_str(&format!("{origin}: {e}\n"));
    }
    out
}
