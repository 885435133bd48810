//! Reading the file: the header decides the schema (delimiter sniffed,
//! aliases resolved, required columns checked), then each record is
//! validated and accepted in file order, where the duplicate-reference
//! check and the generated references need it.

use std::collections::HashMap;

use csv::ByteRecord;

use super::columns::Field;
use super::header::Schema;
use super::lines::Lines;
use super::reference::Generator;
use super::row::{is_blank, parse_record, row_error};
use super::{PaymentRow, PaymentsImportError, PaymentsReport};
use crate::import::RowError;

/// Picks the delimiter from the header line: the most frequent of `,`,
/// `;` and tab outside quotes (Excel in Spanish locales writes `;`).
fn sniff_delimiter(data: &[u8]) -> u8 {
    let line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - *i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Remembers references in file order so the *second* use is the bad row.
#[derive(Default)]
struct SeenReferences(HashMap<String, usize>);

impl SeenReferences {
    fn check(&mut self, reference: &str, line: usize, field: &str) -> Option<RowError> {
        match self.0.get(reference) {
            Some(first) => Some(row_error(
                line,
                field,
                format!("reference '{reference}' already on line {first}"),
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
) -> Result<PaymentsReport, PaymentsImportError> {
    let data = data.strip_prefix("\u{feff}".as_bytes()).unwrap_or(data);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(data))
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

    let mut header = ByteRecord::new();
    loop {
        if !rdr.read_byte_record(&mut header).map_err(csv_err)? {
            return Err(PaymentsImportError::Empty {
                origin: origin.to_string(),
            });
        }
        if !is_blank(&header) {
            break;
        }
    }
    let schema = Schema::from_header(&header, origin)?;
    let reference_field = schema.name(Field::Reference).to_string();

    let mut report = PaymentsReport::default();
    let mut seen = SeenReferences::default();
    let mut generator = Generator::default();
    let mut rec = ByteRecord::new();
    while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        if is_blank(&rec) {
            continue;
        }
        let line = rec.position().map_or(0, |p| lines.line_of(p.byte()));
        report.rows_read += 1;
        let outcome = parse_record(&rec, &schema, line);
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
    Ok(report)
}
