//! The creditor's daily payments file (`cobro payments import FILE`): a
//! CSV or workbook of payments received into [`PaymentRow`]s, with every bad row
//! reported as `line N: field: reason` and skipped while every good row
//! is kept.
//!
//! Like the portfolio importer ([`crate::import`]) it is lenient about
//! *form* and strict about *meaning*:
//!
//! - `,`, `;` or tab delimiters (the most frequent in the header line),
//!   UTF-8 or Windows-1252 text (detected, or declared: see
//!   [`crate::spreadsheet::encoding`]), a BOM, CRLF, blank lines and `;;;`
//!   lines are all fine; line numbers in errors are the physical lines an
//!   editor shows. A `.xlsx`/`.xls` workbook is read from its first sheet,
//!   line numbers being its row numbers; number cells are amounts as they
//!   are, date cells and date serials in the date column are dates.
//! - Columns, by name in any case, with or without accents:
//!   `account` (`expediente`, `cuenta`, `account_id`, `id`,
//!   `num_expediente`), `amount` (`importe`, `monto`, `pago`,
//!   `amount_paid`, `importe_pagado`), `date` (`fecha`, `fecha_pago`,
//!   `paid_at`, `at`, `payment_date`) — these three required — and the
//!   optional `reference` (`referencia`, `ref`, `folio`, `operacion`,
//!   `num_operacion`, `numero_operacion`) and `currency` (`moneda`,
//!   `divisa`). Other columns are ignored.
//! - `amount`: a positive decimal; `1234.56`, `1,234.56`, `1234,56` and
//!   `1.234,56` are read by their form, `1.234` and `1,234` by the file's
//!   other amounts or the declared separator, else refused (the rule is
//!   [`crate::spreadsheet::decimal`]'s, shared with the portfolio); zero
//!   and negative amounts are refused. With a `currency` (ISO 4217) it may
//!   not have more decimals than the currency has.
//! - `date`: `YYYY-MM-DD`, `DD/MM/YYYY`, `DD-MM-YYYY` or an RFC 3339 date-time with
//!   offset. A date alone is **12:00 UTC** of that day, which is the same
//!   calendar day in every zone from UTC−12 to UTC+11; see
//!   [`parse_paid_at`] for why one `DateTime<Utc>` rather than a
//!   date-or-instant enum.
//! - `reference`: the creditor's own, unique within the file — a second
//!   row with the same one is an error (`reference 'X' already on line
//!   N`). A row without one gets a generated `auto-<32 hex>` reference
//!   derived from its account, amount, instant and its ordinal among the
//!   identical rows before it, so **importing the same file again gives
//!   the same references** (re-imports are idempotent downstream) while
//!   two identical payments in one file stay two payments.
//!
//! File-level problems (unreadable file, no header, a required column
//! missing, two columns for one field) are [`PaymentsImportError`]s
//! naming the file; everything about one row is a
//! [`RowError`](crate::import::RowError) in the [`PaymentsReport`].
//!
//! `columns` maps headers to fields, `header` builds the file's schema,
//! `values` holds the per-value rules, `row` turns one record into a
//! payment's values, `reference` generates missing references, `lines`
//! keeps line numbers physical, and `read` ties them together in file
//! order.

mod columns;
mod error;
mod header;
mod lines;
mod read;
mod reference;
mod report;
mod row;
mod values;

use std::io::Read;
use std::path::Path;

use crate::spreadsheet::ImportOptions;
use crate::spreadsheet::sheet::{Sheet, is_workbook};

pub use error::PaymentsImportError;
pub use report::{PaymentRow, PaymentsReport};
pub use values::{parse_paid_at, parse_payment_amount};

/// Imports a payments file, detecting its encoding and decimal separator;
/// errors and reports name it by its path.
pub fn import_payments_path(path: &Path) -> Result<PaymentsReport, PaymentsImportError> {
    import_payments_path_with(path, &ImportOptions::default())
}

/// [`import_payments_path`] with what the operator declared about the
/// file. A `.xlsx`/`.xlsm`/`.xls` file is read as a workbook (its first
/// sheet), anything else as CSV.
pub fn import_payments_path_with(
    path: &Path,
    options: &ImportOptions,
) -> Result<PaymentsReport, PaymentsImportError> {
    let origin = path.display().to_string();
    let data = std::fs::read(path).map_err(|source| PaymentsImportError::Io {
        origin: origin.clone(),
        source,
    })?;
    if is_workbook(path) {
        let sheet = Sheet::from_bytes(&data).map_err(|reason| PaymentsImportError::Workbook {
            origin: origin.clone(),
            reason,
        })?;
        return read::import_sheet(&sheet, &origin, options);
    }
    read::import_bytes(&data, &origin, options)
}

/// Imports a CSV from any reader; `name` identifies it in messages. The
/// file is read whole: a day's payments are small, and the rows are kept
/// anyway.
pub fn import_payments_reader<R: Read>(
    name: &str,
    reader: R,
) -> Result<PaymentsReport, PaymentsImportError> {
    import_payments_reader_with(name, reader, &ImportOptions::default())
}

/// [`import_payments_reader`] with what the operator declared.
pub fn import_payments_reader_with<R: Read>(
    name: &str,
    mut reader: R,
    options: &ImportOptions,
) -> Result<PaymentsReport, PaymentsImportError> {
    let mut data = Vec::new();
    reader
        .read_to_end(&mut data)
        .map_err(|source| PaymentsImportError::Io {
            origin: name.to_string(),
            source,
        })?;
    read::import_bytes(&data, name, options)
}
