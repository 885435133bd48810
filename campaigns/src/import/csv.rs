//! CSV portfolios: the header decides the schema (delimiter sniffed,
//! aliases resolved, required columns checked), then rows are validated
//! in parallel batches and accepted in file order.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use ::csv::ByteRecord;
use rayon::prelude::*;

use super::accept::{SeenIds, accept};
use super::columns::{
    CORE_COLUMNS, Col, Core, EmailAttr, FieldNames, PhoneAttr, REQUIRED, resolve_column,
};
use super::lines::{LineCounting, LineRuns};
use super::row::{RowView, build_account};
use super::{ImportError, ImportSummary, RowError};
use crate::Account;

struct CsvSchema {
    cols: Vec<Col>,
    names: FieldNames,
    /// Header text per column, for column-level messages.
    headers: Vec<String>,
    id_col: Option<usize>,
}

impl CsvSchema {
    fn from_header(header: &ByteRecord, origin: &str) -> Result<Self, ImportError> {
        let mut cols = Vec::with_capacity(header.len());
        let mut names = FieldNames::default();
        let mut headers = Vec::with_capacity(header.len());
        let mut first_of: HashMap<String, String> = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let text = std::str::from_utf8(raw).map_err(|_| ImportError::BadHeader {
                origin: origin.to_string(),
                reason: format!("column {} is not valid UTF-8", i + 1),
            })?;
            let text = text.trim().trim_start_matches('\u{feff}').to_string();
            let col = resolve_column(&text);
            let key = format!("{col:?}");
            if col != Col::Ignored
                && let Some(prev) = first_of.insert(key, text.clone())
            {
                return Err(ImportError::BadHeader {
                    origin: origin.to_string(),
                    reason: format!("columns '{prev}' and '{text}' mean the same field"),
                });
            }
            match &col {
                Col::Core(c) => names.core[*c as usize] = text.clone(),
                Col::Phone(s, a) => names.phone[*s][*a as usize] = text.clone(),
                Col::Email(s, a) => names.email[*s][*a as usize] = text.clone(),
                _ => {}
            }
            cols.push(col);
            headers.push(text);
        }
        for req in REQUIRED {
            if !cols.contains(&Col::Core(req)) {
                let (_, name, aliases) = CORE_COLUMNS[req as usize];
                return Err(ImportError::MissingColumn {
                    origin: origin.to_string(),
                    column: name.to_string(),
                    aliases: aliases.join(", "),
                });
            }
        }
        let has_address = cols.iter().any(|c| {
            matches!(
                c,
                Col::Phone(_, PhoneAttr::Number) | Col::Email(_, EmailAttr::Address)
            )
        });
        if !has_address {
            return Err(ImportError::MissingColumn {
                origin: origin.to_string(),
                column: "phone".into(),
                aliases: "telefono, email, correo (at least one phone or email column)".into(),
            });
        }
        let id_col = cols.iter().position(|c| *c == Col::Core(Core::Id));
        Ok(CsvSchema {
            cols,
            names,
            headers,
            id_col,
        })
    }

    /// Validates one record. Returns its line, the row's id (if readable)
    /// for the duplicate check, and the account or the row's errors.
    fn row(&self, rec: &ByteRecord) -> RowResult {
        let line = rec.position().map_or(0, |p| p.line() as usize);
        // The id of a bad row, for the duplicate check (a good row's id is
        // in its account, so it is not copied here).
        let id_of = || {
            self.id_col
                .and_then(|i| rec.get(i))
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let n = self.cols.len();
        if rec.len() < n
            || rec
                .iter()
                .skip(n)
                .any(|f| !f.iter().all(u8::is_ascii_whitespace))
        {
            let err = RowError::new(
                line,
                "columns",
                format!("expected {n} fields as in the header, found {}", rec.len()),
            );
            return (line, id_of(), Err(vec![err]));
        }
        let mut view = RowView::default();
        let mut errs = Vec::new();
        for (i, col) in self.cols.iter().enumerate() {
            let bytes = rec.get(i).unwrap_or_default();
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let pos = e.valid_up_to();
                    let byte = bytes.get(pos).copied().unwrap_or_default();
                    errs.push(RowError::new(
                        line,
                        self.headers[i].clone(),
                        format!(
                            "not valid UTF-8 (byte 0x{byte:02X} at position {}); save the file as UTF-8",
                            pos + 1
                        ),
                    ));
                    continue;
                }
            };
            match col {
                Col::Core(c) => view.core[*c as usize] = Some(text),
                Col::Phone(s, a) => view.phones[*s].vals[*a as usize] = Some(text),
                Col::Email(s, a) => view.emails[*s].vals[*a as usize] = Some(text),
                Col::Attribute(name) => view.attributes.push((name.as_str(), text)),
                Col::Ignored => {}
            }
        }
        if !errs.is_empty() {
            return (line, id_of(), Err(errs));
        }
        match build_account(&view, &self.names, line) {
            Ok(account) => (line, None, Ok(account)),
            Err(errs) => (line, id_of(), Err(errs)),
        }
    }
}

/// Picks the delimiter from the header line: the most frequent of `,`,
/// `;` and tab outside quotes (Excel in Spanish locales writes `;`).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
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

/// Rows validated per parallel step. The next batch is read while this one
/// is validated, so at most two batches are held however large the file.
const BATCH: usize = 4096;

pub(super) fn import_csv<R: Read>(
    reader: R,
    origin: &str,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    import_csv_with(reader, origin, BATCH, on_account)
}

/// What [`CsvSchema::row`] makes of one record: its line, the id of a bad
/// row (for the duplicate check), and the account or the row's errors.
type RowResult = (usize, Option<String>, Result<Account, Vec<RowError>>);

/// Phone validation (the `phonenumber` crate's regexes) dominates import
/// time and rows are independent, so each batch is validated on rayon's
/// pool while this thread reads the next one. The duplicate-id check and
/// the caller's callback stay on this thread, in file order, which keeps
/// the output identical to a one-thread import.
fn import_csv_with<R: Read>(
    reader: R,
    origin: &str,
    batch: usize,
    mut on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let io_err = |source| ImportError::Io {
        origin: origin.to_string(),
        source,
    };
    let mut buf = BufReader::with_capacity(1 << 16, reader);
    let delimiter = sniff_delimiter(buf.fill_buf().map_err(io_err)?);
    let lines = std::rc::Rc::new(std::cell::RefCell::new(LineRuns::default()));
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(LineCounting {
            inner: buf,
            runs: lines.clone(),
            offset: 0,
        });
    let csv_err = |e: ::csv::Error| match e.into_kind() {
        ::csv::ErrorKind::Io(source) => ImportError::Io {
            origin: origin.to_string(),
            source,
        },
        other => ImportError::Csv {
            origin: origin.to_string(),
            line: 0,
            reason: format!("{other:?}"),
        },
    };
    let mut header = ByteRecord::new();
    if !rdr.read_byte_record(&mut header).map_err(csv_err)? {
        return Err(ImportError::Empty {
            origin: origin.to_string(),
        });
    }
    let schema = CsvSchema::from_header(&header, origin)?;
    let id_field = schema.names.core(Core::Id);
    let mut summary = ImportSummary::default();
    let mut seen = SeenIds::default();

    // Fills `recs` with up to `batch` records (reusing their buffers) and
    // returns how many were read. csv's own line numbers go wrong after
    // blank lines and with CRLF, so each record gets its physical line.
    let mut read_batch = |recs: &mut Vec<ByteRecord>| -> Result<usize, ImportError> {
        recs.resize_with(batch.max(1), ByteRecord::new);
        let mut len = 0;
        while len < recs.len() {
            if !rdr.read_byte_record(&mut recs[len]).map_err(csv_err)? {
                break;
            }
            if let Some(pos) = recs[len].position() {
                let mut pos = pos.clone();
                pos.set_line(lines.borrow_mut().line_of(pos.byte()));
                recs[len].set_position(Some(pos));
            }
            len += 1;
        }
        Ok(len)
    };

    let mut current = Vec::new();
    let mut current_len = read_batch(&mut current)?;
    let mut next = Vec::new();
    while current_len > 0 {
        let mut results: Vec<RowResult> = Vec::new();
        let next_len = rayon::in_place_scope(|scope| {
            let (results, rows, schema) = (&mut results, &current[..current_len], &schema);
            scope.spawn(move |_| *results = rows.par_iter().map(|r| schema.row(r)).collect());
            read_batch(&mut next)
        });
        for (line, id, result) in results {
            summary.rows_read += 1;
            accept(
                &mut summary,
                &mut seen,
                id_field,
                id,
                result,
                line,
                &mut on_account,
            );
        }
        // A read error past this batch surfaces after the rows before it,
        // as in a sequential read.
        current_len = next_len?;
        std::mem::swap(&mut current, &mut next);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{GeneratorOptions, write_portfolio_csv};

    #[test]
    fn any_number_of_threads_gives_the_same_result() {
        let mut data = Vec::new();
        let opts = GeneratorOptions {
            bad_rows: 60,
            ..GeneratorOptions::default()
        };
        write_portfolio_csv(&mut data, 3000, 17, &opts).expect("generate");
        // Blank lines and CRLF exercise the line tracking too.
        let mut data = String::from_utf8(data).expect("utf8").replace('\n', "\r\n");
        data.insert_str(data.find("\r\n").map_or(0, |i| i + 2), "\r\n\r\n");
        // Small batches exercise the hand-over between reading and
        // validating; one thread is the sequential reference.
        let run = |workers, batch| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .expect("thread pool");
            pool.install(|| {
                let mut accounts = Vec::new();
                let s = import_csv_with(data.as_bytes(), "g.csv", batch, |a| accounts.push(a))
                    .expect("import");
                (accounts, s.errors, s.rows_read, s.accepted)
            })
        };
        let one = run(1, BATCH);
        assert_eq!(one.2, 3000);
        assert_eq!(one.3, 3000 - 60);
        assert_eq!(one, run(2, 64));
        assert_eq!(one, run(5, 1000));
    }
}
