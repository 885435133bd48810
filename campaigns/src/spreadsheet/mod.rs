//! What the portfolio importer ([`crate::import`]) and the payments-file
//! importer ([`crate::payments_import`]) share about reading files people
//! export from spreadsheets, one home per concept:
//!
//! - [`encoding`]: bytes into text, streaming, with Windows-1252 detected
//!   and every field the detection does not fit reported;
//! - [`decimal`]: `55.177,35` and `55,177.35`, and what to do with
//!   `1.234`;
//! - [`sheet`]: `.xlsx`/`.xls` workbooks into rows of text, with number
//!   and date cells read by their type;
//! - [`header`]: the delimiter and the column-name comparison;
//! - [`Record`]: one row on its way to validation, from either source.
//!
//! The options an operator can give (`--encoding`, `--decimal`) are one
//! [`ImportOptions`] for both importers.

pub mod decimal;
pub mod encoding;
pub mod header;
mod record;
pub mod sheet;

pub use decimal::{AmountReading, DecimalEvidence, DecimalSeparator, FormatDefault};
pub use encoding::{TextDecision, TextEncoding, UnknownEncoding};
pub use record::{Record, tally};

/// What the operator says about a file, when detection is not enough.
/// The default detects both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The text encoding of a CSV (or JSONL) file.
    pub encoding: TextEncoding,
    /// The decimal separator of amounts written as text; `None` reads
    /// each amount by its form and the file's other amounts.
    pub decimal: Option<DecimalSeparator>,
}
