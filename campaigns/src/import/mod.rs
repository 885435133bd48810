//! Portfolio import: CSV or JSONL files of overdue accounts into
//! [`Account`]s, with every bad row reported as `line N: field: reason`
//! and skipped while every good row is kept.
//!
//! Collections shops receive portfolios from creditors in whatever shape
//! their systems export, so the importer is lenient about *form* (Spanish
//! or English column names, case and accents, `,`/`;`/tab delimiters, a
//! UTF-8 BOM, `DD/MM/YYYY` dates, local phone formats) and strict about
//! *meaning* (a phone that cannot be dialled, a country or zone that does
//! not exist, a negative debt). The column set is documented in
//! `campaigns/PORTFOLIO.md`.
//!
//! File-level problems (unreadable file, no header, a required column
//! missing) are [`ImportError`]s; everything about one row is a
//! [`RowError`] in the report.
//!
//! Each stage has its own file so a change to one rule (a new alias, a
//! stricter phone check, another delimiter) touches one place: `columns`
//! maps headers to fields, `fields` holds the per-value rules, `row`
//! turns one row's text into an [`Account`], `csv` and `jsonl` read the
//! two formats, `lines` keeps CSV line numbers physical, and `accept`
//! applies the duplicate-id check in file order.

mod accept;
mod columns;
mod csv;
mod error;
mod fields;
mod jsonl;
mod lines;
mod report;
mod row;
mod row_error;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::Account;

pub use error::ImportError;
pub use fields::{
    check_id, normalize_email, normalize_phone, parse_amount, parse_consent, parse_country,
    parse_currency, parse_date, parse_language, parse_subdivision, parse_timezone,
};
pub use report::{ImportReport, ImportSummary};
pub use row_error::RowError;

/// The two file formats a portfolio can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioFormat {
    /// Comma-, semicolon- or tab-separated with a header line.
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
}

impl PortfolioFormat {
    /// The format implied by a file's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(PortfolioFormat::Csv),
            "jsonl" | "ndjson" => Some(PortfolioFormat::Jsonl),
            _ => None,
        }
    }
}

/// Imports a whole file into memory, choosing the format by extension.
pub fn import_path(path: &Path) -> Result<ImportReport, ImportError> {
    let mut accounts = Vec::new();
    let summary = import_path_each(path, |a| accounts.push(a))?;
    Ok(ImportReport {
        accounts,
        errors: summary.errors,
        rows_read: summary.rows_read,
    })
}

/// Streams a file: each accepted account goes to `on_account` in file
/// order, so a million rows can be stored in batches without holding them.
pub fn import_path_each(
    path: &Path,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let origin = path.display().to_string();
    let format = PortfolioFormat::from_path(path).ok_or_else(|| ImportError::UnknownFormat {
        origin: origin.clone(),
    })?;
    let file = File::open(path).map_err(|source| ImportError::Io {
        origin: origin.clone(),
        source,
    })?;
    import_reader_each(file, format, &origin, on_account)
}

/// Imports from any reader; `origin` names it in messages.
pub fn import_reader<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
) -> Result<ImportReport, ImportError> {
    let mut accounts = Vec::new();
    let summary = import_reader_each(reader, format, origin, |a| accounts.push(a))?;
    Ok(ImportReport {
        accounts,
        errors: summary.errors,
        rows_read: summary.rows_read,
    })
}

/// The streaming form of [`import_reader`].
pub fn import_reader_each<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    match format {
        PortfolioFormat::Csv => csv::import_csv(reader, origin, on_account),
        PortfolioFormat::Jsonl => jsonl::import_jsonl(reader, origin, on_account),
    }
}
