//! Workbook portfolios (`.xlsx`, `.xls`): the first sheet, its first
//! non-empty row the header (the same aliases as a CSV), each later
//! non-empty row a record for the same validation pipeline as CSV rows.
//! Line numbers are the sheet's row numbers.

use super::columns::Core;
use super::csv::{BATCH, Schema, validate_in_order};
use super::{ImportError, ImportSummary};
use crate::Account;
use crate::spreadsheet::sheet::{ColumnKind, Sheet};
use crate::spreadsheet::{FormatDefault, ImportOptions, Record, tally};

pub(super) fn import_sheet(
    sheet: &Sheet,
    origin: &str,
    options: &ImportOptions,
    on_account: impl FnMut(usize, Account),
) -> Result<ImportSummary, ImportError> {
    let header = sheet.header().ok_or_else(|| ImportError::Empty {
        origin: origin.to_string(),
    })?;
    let schema = Schema::from_header(&header, origin, None)?;
    let amount_col = schema.column(Core::AmountDue);
    let date_col = schema.column(Core::DueDate);
    let kind_of = |col: usize| {
        if Some(col) == amount_col {
            ColumnKind::Amount
        } else if Some(col) == date_col {
            ColumnKind::Date
        } else {
            ColumnKind::Text
        }
    };
    // The sheet is in memory: the whole amount column is the evidence
    // (its text cells; number cells have no separator).
    let reading = tally(sheet.records(kind_of), amount_col)
        .reading(FormatDefault::None)
        .unless_declared(options.decimal);
    let mut records = sheet.records(kind_of);
    let read_batch = |recs: &mut Vec<Record>, batch: usize| {
        recs.clear();
        recs.extend(records.by_ref().take(batch));
        Ok((recs.len(), None))
    };
    validate_in_order(&schema, BATCH, |_| reading, read_batch, on_account)
}
