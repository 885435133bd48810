//! Portfolio import: CSV, JSONL or workbook (xlsx) files of overdue accounts into
//! [`Account`]s, with every bad row reported as `line N: field: reason`
//! and skipped while every good row is kept.
//!
//! Collections shops receive portfolios from creditors in whatever shape
//! their systems export, so the importer is lenient about *form* (Spanish
//! or English column names, case and accents, `,`/`;`/tab delimiters,
//! Windows-1252 or UTF-8 text, `55.177,35` or `55,177.35` amounts,
//! `DD/MM/YYYY` dates, local phone formats) and strict about
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
//! turns one row's text into an [`Account`], `csv`, `jsonl` and `xlsx`
//! read the three formats, `lines` keeps CSV line numbers physical, and
//! `accept` applies the duplicate-id check in file order. What is shared
//! with the payments importer (encodings, the decimal separator,
//! workbooks) lives in [`crate::spreadsheet`].

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
mod row_reason;
mod xlsx;

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use crate::Account;
use crate::spreadsheet::sheet::{Sheet, WORKBOOK_EXTENSIONS};

pub use crate::spreadsheet::{DecimalSeparator, ImportOptions, TextEncoding, UnknownEncoding};
pub use error::ImportError;
pub use fields::{
    check_id, normalize_email, normalize_phone, parse_amount, parse_amount_with, parse_consent,
    parse_country, parse_currency, parse_date, parse_language, parse_subdivision, parse_timezone,
};
pub use report::{ImportReport, ImportSummary};
pub use row_error::{RowError, printable_reason};
pub use row_reason::{EmailFault, ReportLang, RowReason, Utf8Hint};

/// The file formats a portfolio can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioFormat {
    /// Comma-, semicolon- or tab-separated with a header line.
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// A workbook (`.xlsx`, `.xlsm`, `.xls`): the first sheet.
    Xlsx,
}

impl PortfolioFormat {
    /// The format implied by a file's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(PortfolioFormat::Csv),
            "jsonl" | "ndjson" => Some(PortfolioFormat::Jsonl),
            e if WORKBOOK_EXTENSIONS.contains(&e) => Some(PortfolioFormat::Xlsx),
            _ => None,
        }
    }

    /// The format of an uploaded file: a workbook by its first bytes (a
    /// zip archive or an OLE compound file, whatever the name says), else
    /// by the name's extension, else a CSV (what people upload most).
    pub fn detect(name: &str, bytes: &[u8]) -> Self {
        const ZIP: &[u8] = b"PK\x03\x04";
        const OLE: &[u8] = b"\xD0\xCF\x11\xE0";
        if bytes.starts_with(ZIP) || bytes.starts_with(OLE) {
            return PortfolioFormat::Xlsx;
        }
        Self::from_path(Path::new(name)).unwrap_or(PortfolioFormat::Csv)
    }
}

/// Imports a whole file into memory, choosing the format by extension and
/// detecting the encoding and the decimal separator.
pub fn import_path(path: &Path) -> Result<ImportReport, ImportError> {
    import_path_with(path, &ImportOptions::default())
}

/// [`import_path`] with what the operator declared about the file.
pub fn import_path_with(path: &Path, options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let mut accounts = Vec::new();
    let summary = import_path_each_with(path, options, |a| accounts.push(a))?;
    Ok(report_of(accounts, summary))
}

/// Streams a file: each accepted account goes to `on_account` in file
/// order, so a million rows can be stored in batches without holding them.
pub fn import_path_each(
    path: &Path,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    import_path_each_with(path, &ImportOptions::default(), on_account)
}

/// [`import_path_each`] with what the operator declared about the file.
///
/// A CSV on disk whose decimal separator is not declared is read twice:
/// a first pass reads only its amount column, so that an ambiguous amount
/// (`1.234`) is judged by every other amount of the file, not only by the
/// ones before it; memory stays flat either way.
pub fn import_path_each_with(
    path: &Path,
    options: &ImportOptions,
    mut on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let on_account = move |_line: usize, account| on_account(account);
    let origin = path.display().to_string();
    let format = PortfolioFormat::from_path(path).ok_or_else(|| ImportError::UnknownFormat {
        origin: origin.clone(),
    })?;
    let io_err = |source| ImportError::Io {
        origin: origin.clone(),
        source,
    };
    match format {
        PortfolioFormat::Xlsx => {
            let sheet = Sheet::open(path).map_err(|reason| ImportError::Workbook {
                origin: origin.clone(),
                reason,
            })?;
            xlsx::import_sheet(&sheet, &origin, options, on_account)
        }
        PortfolioFormat::Csv => {
            let mut file = File::open(path).map_err(io_err)?;
            // A pipe or a device cannot be read twice: its first batch of
            // rows is the evidence instead.
            let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
            let evidence = if regular && options.decimal.is_none() {
                let scanned = csv::scan_amounts(&file, options, &origin)?;
                file.rewind().map_err(io_err)?;
                scanned
            } else {
                None
            };
            csv::import_csv(file, &origin, options, evidence, on_account)
        }
        PortfolioFormat::Jsonl => {
            let file = File::open(path).map_err(io_err)?;
            jsonl::import_jsonl(file, &origin, options, on_account)
        }
    }
}

/// Imports from any reader; `origin` names it in messages.
pub fn import_reader<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
) -> Result<ImportReport, ImportError> {
    import_reader_with(reader, format, origin, &ImportOptions::default())
}

/// [`import_reader`] with what the operator declared about the file.
pub fn import_reader_with<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut accounts = Vec::new();
    let summary = import_reader_each_with(reader, format, origin, options, |a| accounts.push(a))?;
    Ok(report_of(accounts, summary))
}

/// The streaming form of [`import_reader`].
pub fn import_reader_each<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    import_reader_each_with(
        reader,
        format,
        origin,
        &ImportOptions::default(),
        on_account,
    )
}

/// The streaming form of [`import_reader_with`]. A stream is read once,
/// so for a CSV the decimal separator of ambiguous amounts is judged by
/// the first 4,096 rows (the whole file when it is shorter); a workbook
/// is read whole (it is a zip archive).
pub fn import_reader_each_with<R: Read>(
    mut reader: R,
    format: PortfolioFormat,
    origin: &str,
    options: &ImportOptions,
    mut on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let on_account = move |_line: usize, account| on_account(account);
    match format {
        PortfolioFormat::Csv => csv::import_csv(reader, origin, options, None, on_account),
        PortfolioFormat::Jsonl => jsonl::import_jsonl(reader, origin, options, on_account),
        PortfolioFormat::Xlsx => {
            let mut data = Vec::new();
            reader
                .read_to_end(&mut data)
                .map_err(|source| ImportError::Io {
                    origin: origin.to_string(),
                    source,
                })?;
            let sheet = Sheet::from_bytes(&data).map_err(|reason| ImportError::Workbook {
                origin: origin.to_string(),
                reason,
            })?;
            xlsx::import_sheet(&sheet, origin, options, on_account)
        }
    }
}

/// Imports a file held in memory (an upload), handing each accepted
/// account to `on_account` with its line, so that the caller can still
/// refuse a row for a reason only it knows (an id another tenant owns)
/// and report it where it is. A CSV is judged by all its amounts, as a
/// file on disk is.
pub fn import_bytes_each(
    bytes: &[u8],
    format: PortfolioFormat,
    origin: &str,
    options: &ImportOptions,
    on_account: impl FnMut(usize, Account),
) -> Result<ImportSummary, ImportError> {
    match format {
        PortfolioFormat::Csv => {
            let evidence = match options.decimal {
                None => csv::scan_amounts(bytes, options, origin)?,
                Some(_) => None,
            };
            csv::import_csv(bytes, origin, options, evidence, on_account)
        }
        PortfolioFormat::Jsonl => jsonl::import_jsonl(bytes, origin, options, on_account),
        PortfolioFormat::Xlsx => {
            let sheet = Sheet::from_bytes(bytes).map_err(|reason| ImportError::Workbook {
                origin: origin.to_string(),
                reason,
            })?;
            xlsx::import_sheet(&sheet, origin, options, on_account)
        }
    }
}

fn report_of(accounts: Vec<Account>, summary: ImportSummary) -> ImportReport {
    ImportReport {
        accounts,
        errors: summary.errors,
        rows_read: summary.rows_read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_judged_by_all_its_amounts_and_gives_each_line() {
        // The only clear amount comes after the first 4,096 rows: a file
        // in memory is read twice, like one on disk.
        let mut text =
            String::from("id;creditor;debtor_name;amount_due;currency;due_date;country;email\r\n");
        let amounts = std::iter::once("1.234")
            .chain(std::iter::repeat_n("100", 4200))
            .chain(std::iter::once("55.177,35"));
        for (i, a) in amounts.enumerate() {
            text.push_str(&format!(
                "A{i};X;Ana;{a};MXN;21/08/2026;MX;a{i}@example.com\r\n"
            ));
        }
        let mut got = Vec::new();
        let summary = import_bytes_each(
            text.as_bytes(),
            PortfolioFormat::detect("cartera.csv", text.as_bytes()),
            "cartera.csv",
            &ImportOptions::default(),
            |line, a| got.push((line, a)),
        )
        .expect("import");
        assert!(summary.errors.is_empty(), "{:?}", &summary.errors[..1]);
        assert_eq!(summary.accepted, 4202);
        assert_eq!(got[0].0, 2);
        assert_eq!(got[0].1.amount_due.to_string(), "1234.00");
        assert_eq!(got[4201].0, 4203);
    }

    #[test]
    fn a_workbook_is_known_by_its_bytes_whatever_its_name() {
        assert_eq!(
            PortfolioFormat::detect("blob", b"PK\x03\x04rest"),
            PortfolioFormat::Xlsx
        );
        assert_eq!(
            PortfolioFormat::detect("c.csv", b"\xD0\xCF\x11\xE0"),
            PortfolioFormat::Xlsx
        );
        assert_eq!(
            PortfolioFormat::detect("c.jsonl", b"{}"),
            PortfolioFormat::Jsonl
        );
        assert_eq!(PortfolioFormat::detect("", b"id;x"), PortfolioFormat::Csv);
        assert_eq!(
            PortfolioFormat::detect("c.xlsx", b"not a zip"),
            PortfolioFormat::Xlsx,
            "calamine then says what is wrong"
        );
    }
}
