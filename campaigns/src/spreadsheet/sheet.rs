//! Workbooks (`.xlsx`, `.xlsm`, `.xls`) into rows of text, the shape both
//! importers already validate. Cells keep what their type says: a number
//! cell is a number (no separator question), a date cell or a date serial
//! in a date column is a date, whatever the cell's display format.
//!
//! calamine reads the first sheet whole (an xlsx sheet holds at most
//! 1,048,576 rows; its cells are compressed XML that has to be inflated
//! anyway); only the CSV path streams.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, ExcelDateTime, ExcelDateTimeType, Range, Reader, Sheets};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use csv::ByteRecord;
use rust_decimal::Decimal;

use super::Record;
use crate::import::RowReason;

/// The extensions read as workbooks (lower case).
pub const WORKBOOK_EXTENSIONS: [&str; 3] = ["xlsx", "xlsm", "xls"];

/// Whether `path` names a workbook by its extension.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| WORKBOOK_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The first sheet of a workbook.
pub struct Sheet {
    range: Range<Data>,
    is_1904: bool,
}

/// What a column holds, which decides how a number or date cell reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Numbers are amounts: their exact decimal text, flagged as numbers.
    Amount,
    /// Numbers are Excel date serials.
    Date,
    Text,
}

/// One cell as the importers read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellText {
    pub text: String,
    /// The cell was a number, so its text has `.` as decimal point and no
    /// grouping.
    pub is_number: bool,
}

impl Sheet {
    /// Opens a workbook file; the message says why it cannot be read.
    pub fn open(path: &Path) -> Result<Sheet, String> {
        let data = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
        Sheet::from_bytes(&data)
    }

    /// A workbook held in memory (xlsx is a zip archive: it cannot be
    /// read as a stream anyway).
    pub fn from_bytes(data: &[u8]) -> Result<Sheet, String> {
        let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(data))
            .map_err(|e| format!("not a readable .xlsx or .xls workbook: {e}"))?;
        let is_1904 = match &book {
            Sheets::Xlsx(b) => b.has_1904_epoch(),
            Sheets::Xls(b) => b.has_1904_epoch(),
            Sheets::Xlsb(b) => b.has_1904_epoch(),
            Sheets::Ods(_) => false,
        };
        let range = match book.worksheet_range_at(0) {
            None => Range::empty(),
            Some(r) => r.map_err(|e| format!("cannot read the first sheet: {e}"))?,
        };
        Ok(Sheet { range, is_1904 })
    }

    /// The header: the first row that holds anything, as text.
    pub fn header(&self) -> Option<ByteRecord> {
        let (_, cells) = self.rows().next()?;
        let mut header = ByteRecord::new();
        for cell in cells {
            let text = self.cell(cell, ColumnKind::Text).map(|c| c.text);
            header.push_field(text.unwrap_or_default().as_bytes());
        }
        Some(header)
    }

    /// The rows after the header as records, each cell read for its
    /// column's kind (`kind_of(column)`).
    pub fn records(&self, kind_of: impl Fn(usize) -> ColumnKind) -> impl Iterator<Item = Record> {
        self.rows().skip(1).map(move |(line, cells)| {
            let mut rec = Record {
                line,
                ..Record::default()
            };
            for (col, cell) in cells.iter().enumerate() {
                let kind = kind_of(col);
                match self.cell(cell, kind) {
                    Ok(c) => {
                        rec.amount_is_number |= c.is_number && kind == ColumnKind::Amount;
                        rec.fields.push_field(c.text.as_bytes());
                    }
                    Err(why) => {
                        rec.cell_errors.push((col, why));
                        rec.fields.push_field(b"");
                    }
                }
            }
            rec
        })
    }

    /// Rows that hold anything, with their 1-based sheet row number (the
    /// number Excel shows at the left), in order.
    fn rows(&self) -> impl Iterator<Item = (usize, &[Data])> {
        let first = self.range.start().map_or(0, |(r, _)| r as usize);
        self.range
            .rows()
            .enumerate()
            .filter(|(_, cells)| !cells.iter().all(is_blank))
            .map(move |(i, cells)| (first + i + 1, cells))
    }

    /// A cell's text for a column of `kind`, or why the cell cannot be
    /// used (an Excel error such as `#N/A`).
    pub fn cell(&self, cell: &Data, kind: ColumnKind) -> Result<CellText, RowReason> {
        let text = |text: String| CellText {
            text,
            is_number: false,
        };
        Ok(match cell {
            Data::Empty => text(String::new()),
            Data::String(s) => text(s.clone()),
            Data::Bool(b) => text(b.to_string()),
            Data::Error(e) => {
                return Err(RowReason::ExcelError {
                    error: e.to_string(),
                });
            }
            Data::Int(i) => self.number(*i as f64, i.to_string(), kind),
            Data::Float(f) => self.number(*f, number_text(*f), kind),
            Data::DateTime(dt) if dt.is_datetime() => match dt.as_datetime() {
                Some(at) => text(date_text(at, kind)),
                None => text(number_text(dt.as_f64())),
            },
            Data::DateTime(dt) => text(number_text(dt.as_f64())),
            Data::DateTimeIso(s) => match iso_datetime(s) {
                Some(at) => text(date_text(at, kind)),
                None => text(s.clone()),
            },
            Data::DurationIso(s) => text(s.clone()),
        })
    }

    fn number(&self, value: f64, written: String, kind: ColumnKind) -> CellText {
        match kind {
            ColumnKind::Amount => CellText {
                text: written,
                is_number: true,
            },
            ColumnKind::Date => CellText {
                text: serial_date(value, self.is_1904)
                    .map_or(written, |d| d.format("%Y-%m-%d").to_string()),
                is_number: false,
            },
            ColumnKind::Text => CellText {
                text: written,
                is_number: false,
            },
        }
    }
}

fn is_blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A date column keeps the day only: Excel stores no time zone, and a
/// due date or a payment day is what the creditor means. Elsewhere a time
/// of day is kept.
fn date_text(at: NaiveDateTime, kind: ColumnKind) -> String {
    if kind == ColumnKind::Date || at.time() == NaiveTime::MIN {
        at.date().format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

fn iso_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })
}

/// An Excel date serial (days since 1899-12-30, or 1904-01-01 in the Mac
/// epoch; the fraction is the time of day) as a date. `None` outside
/// Excel's range (years 1900–9999), so a number typed in a date column
/// (`20260821`) is reported as written rather than turned into a date.
pub fn serial_date(serial: f64, is_1904: bool) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, is_1904)
        .as_datetime()
        .map(|at| at.date())
}

/// A number cell's exact decimal text. Excel keeps 15 significant digits
/// and its XML holds the nearest binary float, so the float is rounded to
/// 15 significant digits: 55177.35 (stored as 55177.349999999998…) reads
/// `55177.35`, and 0.1+0.2 reads `0.3`, as Excel shows them.
pub fn number_text(value: f64) -> String {
    if value.is_finite()
        && let Ok(d) = Decimal::from_scientific(&format!("{value:.14e}"))
    {
        return d.normalize().to_string();
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number_text(55177.35), "55177.35");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(1.234), "1.234");
        assert_eq!(number_text(5512345678.0), "5512345678");
        assert_eq!(number_text(1500.0), "1500");
        assert_eq!(number_text(-5.5), "-5.5");
        assert_eq!(number_text(0.0), "0");
    }

    #[test]
    fn serials_are_dates_in_both_epochs() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(serial_date(46255.0, false), d(2026, 8, 21));
        assert_eq!(serial_date(46255.75, false), d(2026, 8, 21));
        assert_eq!(serial_date(46255.0 - 1462.0, true), d(2026, 8, 21));
        assert_eq!(serial_date(20260821.0, false), None);
        assert_eq!(serial_date(0.0, false), None);
    }
}
