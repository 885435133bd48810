//! A data row on its way to validation, whatever file it came from: the
//! CSV readers fill it from the decoded text, the workbook reader from a
//! sheet's cells, and both importers validate it the same way.

use std::borrow::Borrow;

use csv::ByteRecord;

use super::DecimalEvidence;
use crate::import::RowReason;

#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The row's fields as text (UTF-8, or a UTF-8 file's own bytes).
    pub fields: ByteRecord,
    /// 1-based physical line (CSV) or sheet row (workbook).
    pub line: usize,
    /// The amount was a typed number (a workbook's number cell), so it
    /// has no separator question.
    pub amount_is_number: bool,
    /// Cells that cannot be used at all (an Excel `#N/A`), by column.
    pub cell_errors: Vec<(usize, RowReason)>,
}

impl Record {
    /// Whether the row carries nothing at all (`;;;` lines Excel leaves
    /// at the end of a sheet).
    pub fn is_blank(&self) -> bool {
        self.fields
            .iter()
            .all(|f| f.iter().all(u8::is_ascii_whitespace))
    }

    /// Why the cell in `col` cannot be used, if it cannot.
    pub fn cell_error(&self, col: usize) -> Option<&RowReason> {
        self.cell_errors
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, why)| why)
    }
}

/// What the text amounts in column `amount_col` of `records` show about
/// the decimal separator.
pub fn tally(
    records: impl IntoIterator<Item = impl Borrow<Record>>,
    amount_col: Option<usize>,
) -> DecimalEvidence {
    let mut evidence = DecimalEvidence::default();
    let Some(col) = amount_col else {
        return evidence;
    };
    for rec in records {
        let rec = rec.borrow();
        if rec.amount_is_number {
            continue;
        }
        if let Some(text) = rec
            .fields
            .get(col)
            .and_then(|b| std::str::from_utf8(b).ok())
        {
            evidence.see(text);
        }
    }
    evidence
}
