//! Reading the file: the bytes are decoded (encoding detected or
//! declared), the header decides the schema (delimiter sniffed, aliases
//! resolved, required columns checked), the amount column shows the
//! decimal separator, then each record is validated and accepted in file
//! order, where the duplicate-reference check and the generated
//! references need it. A workbook's first sheet arrives as the same
//! records.

use std::collections::HashMap;

use super::columns::Field;
use super::header::Schema;
use super::lines::Lines;
use super::reference::Generator;
use super::row::{FileContext, parse_record, row_error};
use super::{PaymentRow, PaymentsImportError, PaymentsReport};
use crate::import::{RowError, RowReason};
use crate::spreadsheet::encoding::decode_all;
use crate::spreadsheet::header::sniff_delimiter;
use crate::spreadsheet::sheet::{ColumnKind, Sheet};
use crate::spreadsheet::{FormatDefault, ImportOptions, Record, TextDecision, tally};

/// Remembers references in file order so the *second* use is the bad row.
#[derive(Default)]
struct SeenReferences(HashMap<String, usize>);

impl SeenReferences {
    fn check(&mut self, reference: &str, line: usize, field: &str) -> Option<RowError> {
        match self.0.get(reference) {
            Some(first) => Some(row_error(
                line,
                field,
                RowReason::DuplicateReference {
                    reference: reference.to_string(),
                    first: *first,
                },
            )),
            None => {
                self.0.insert(reference.to_string(), line);
                None
            }
        }
    }
}

pub(super) fn import_bytes(
    data: &[u8],
    origin: &str,
    options: &ImportOptions,
) -> Result<PaymentsReport, PaymentsImportError> {
    let (text, decision) =
        decode_all(data, options.encoding).map_err(|source| PaymentsImportError::Io {
            origin: origin.to_string(),
            source,
        })?;
    let data = &text[..];
    let delimiter = sniff_delimiter(data);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data);
    let mut lines = Lines::new(data);
    let csv_err = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line() as usize);
        match e.into_kind() {
            csv::ErrorKind::Io(source) => PaymentsImportError::Io {
                origin: origin.to_string(),
                source,
            },
            other => PaymentsImportError::Csv {
                origin: origin.to_string(),
                line,
                reason: format!("{other:?}"),
            },
        }
    };

    let mut header = Record::default();
    loop {
        if !rdr.read_byte_record(&mut header.fields).map_err(csv_err)? {
            return Err(PaymentsImportError::Empty {
                origin: origin.to_string(),
            });
        }
        if !header.is_blank() {
            break;
        }
    }
    let schema = Schema::from_header(&header.fields, origin, decision)?;
    // A day's payments are small and already in memory: holding the
    // records lets the whole amount column decide the separator.
    let mut records = Vec::new();
    let mut rec = Record::default();
    while rdr.read_byte_record(&mut rec.fields).map_err(csv_err)? {
        if rec.is_blank() {
            continue;
        }
        rec.line = rec.fields.position().map_or(0, |p| lines.line_of(p.byte()));
        records.push(std::mem::take(&mut rec));
    }
    let default = if delimiter == b',' {
        FormatDefault::CommaDelimited
    } else {
        FormatDefault::None
    };
    Ok(accept_all(&schema, &records, decision, default, options))
}

pub(super) fn import_sheet(
    sheet: &Sheet,
    origin: &str,
    options: &ImportOptions,
) -> Result<PaymentsReport, PaymentsImportError> {
    let header = sheet.header().ok_or_else(|| PaymentsImportError::Empty {
        origin: origin.to_string(),
    })?;
    let schema = Schema::from_header(&header, origin, None)?;
    let (amount, date) = (schema.column(Field::Amount), schema.column(Field::Date));
    let kind_of = |col| {
        if Some(col) == amount {
            ColumnKind::Amount
        } else if Some(col) == date {
            ColumnKind::Date
        } else {
            ColumnKind::Text
        }
    };
    let records: Vec<Record> = sheet.records(kind_of).collect();
    Ok(accept_all(
        &schema,
        &records,
        None,
        FormatDefault::None,
        options,
    ))
}

fn accept_all(
    schema: &Schema,
    records: &[Record],
    text: Option<TextDecision>,
    default: FormatDefault,
    options: &ImportOptions,
) -> PaymentsReport {
    let amounts = tally(records, schema.column(Field::Amount))
        .reading(default)
        .unless_declared(options.decimal);
    let file = FileContext { text, amounts };
    let reference_field = schema.name(Field::Reference).to_string();
    let mut report = PaymentsReport::default();
    let mut seen = SeenReferences::default();
    let mut generator = Generator::default();
    for rec in records {
        let line = rec.line;
        report.rows_read += 1;
        let outcome = parse_record(rec, schema, &file);
        match outcome.result {
            Ok(p) => {
                let (reference, reference_given) = match p.reference {
                    Some(r) => (r, true),
                    None => (generator.next(&p.account, p.amount, p.at), false),
                };
                match seen.check(&reference, line, &reference_field) {
                    Some(dup) => report.errors.push(dup),
                    None => report.rows.push(PaymentRow {
                        line,
                        account: p.account,
                        amount: p.amount,
                        currency: p.currency,
                        at: p.at,
                        reference,
                        reference_given,
                    }),
                }
            }
            Err(errs) => {
                report.errors.extend(errs);
                if let Some(r) = outcome.reference {
                    report.errors.extend(seen.check(&r, line, &reference_field));
                }
            }
        }
    }
    report
}
