//! CSV portfolios: the bytes are decoded (encoding detected or declared),
//! the header decides the schema (delimiter sniffed, aliases resolved,
//! required columns checked), then rows are validated in parallel batches
//! and accepted in file order. The schema and the batch pipeline serve
//! workbooks too (`xlsx.rs`), which arrive as the same records.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use ::csv::ByteRecord;
use rayon::prelude::*;

use super::accept::{SeenIds, accept};
use super::columns::{
    CORE_COLUMNS, Col, Core, EmailAttr, FieldNames, PhoneAttr, REQUIRED, resolve_column,
};
use super::lines::{LineCounting, LineRuns};
use super::row::{RowView, build_account};
use super::{ImportError, ImportSummary, RowError, RowReason};
use crate::Account;
use crate::spreadsheet::encoding::{DecisionHandle, DecodingReader, field_text};
use crate::spreadsheet::header::sniff_delimiter;
use crate::spreadsheet::{
    AmountReading, DecimalEvidence, FormatDefault, ImportOptions, Record, TextDecision, tally,
};

pub(super) struct Schema {
    cols: Vec<Col>,
    pub(super) names: FieldNames,
    /// Header text per column, for column-level messages.
    headers: Vec<String>,
    id_col: Option<usize>,
}

/// What validating a row needs to know about its file.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowContext {
    /// The encoding, once the file has shown one (`None`: ASCII so far).
    text: Option<TextDecision>,
    amounts: AmountReading,
}

impl Schema {
    pub(super) fn from_header(
        header: &ByteRecord,
        origin: &str,
        decision: Option<TextDecision>,
    ) -> Result<Self, ImportError> {
        let mut cols = Vec::with_capacity(header.len());
        let mut names = FieldNames::default();
        let mut headers = Vec::with_capacity(header.len());
        let mut first_of: HashMap<String, String> = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let text = field_text(raw, decision).map_err(|reason| ImportError::BadHeader {
                origin: origin.to_string(),
                reason: format!("column {}: {reason}", i + 1),
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
        Ok(Schema {
            cols,
            names,
            headers,
            id_col,
        })
    }

    /// The column holding an account field, if the file has one.
    pub(super) fn column(&self, core: Core) -> Option<usize> {
        self.cols.iter().position(|c| *c == Col::Core(core))
    }

    /// Validates one record. Returns its line, the row's id (if readable)
    /// for the duplicate check, and the account or the row's errors.
    fn row(&self, rec: &Record, ctx: &RowContext) -> RowResult {
        let line = rec.line;
        let fields = &rec.fields;
        // The id of a bad row, for the duplicate check (a good row's id is
        // in its account, so it is not copied here).
        let id_of = || {
            self.id_col
                .and_then(|i| fields.get(i))
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let n = self.cols.len();
        if fields.len() < n
            || fields
                .iter()
                .skip(n)
                .any(|f| !f.iter().all(u8::is_ascii_whitespace))
        {
            let err = RowError::new(
                line,
                "columns",
                RowReason::FieldCount {
                    expected: n,
                    found: fields.len(),
                },
            );
            return (line, id_of(), Err(vec![err]));
        }
        let mut view = RowView::default();
        let mut errs = Vec::new();
        for (i, col) in self.cols.iter().enumerate() {
            if *col == Col::Ignored {
                continue;
            }
            if let Some(why) = rec.cell_error(i) {
                errs.push(RowError::new(line, self.headers[i].clone(), why.clone()));
                continue;
            }
            let text = match field_text(fields.get(i).unwrap_or_default(), ctx.text) {
                Ok(t) => t,
                Err(reason) => {
                    errs.push(RowError::new(line, self.headers[i].clone(), reason));
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
        let amounts = if rec.amount_is_number {
            AmountReading::number()
        } else {
            ctx.amounts
        };
        match build_account(&view, &self.names, line, &amounts) {
            Ok(account) => (line, None, Ok(account)),
            Err(errs) => (line, id_of(), Err(errs)),
        }
    }
}

/// Rows validated per parallel step. The next batch is read while this one
/// is validated, so at most two batches are held however large the file.
pub(super) const BATCH: usize = 4096;

/// What [`Schema::row`] makes of one record: its line, the id of a bad
/// row (for the duplicate check), and the account or the row's errors.
type RowResult = (usize, Option<String>, Result<Account, Vec<RowError>>);

/// Phone validation (the `phonenumber` crate's regexes) dominates import
/// time and rows are independent, so each batch is validated on rayon's
/// pool while this thread reads the next one. The duplicate-id check and
/// the caller's callback stay on this thread, in file order, which keeps
/// the output identical to a one-thread import.
///
/// `read_batch` fills the records (reusing their buffers) and returns how
/// many it read and the file's encoding as known after them; `amounts`
/// fixes how the file's amounts are read, once, from the first batch.
pub(super) fn validate_in_order(
    schema: &Schema,
    batch: usize,
    amounts: impl FnOnce(&[Record]) -> AmountReading,
    mut read_batch: impl FnMut(
        &mut Vec<Record>,
        usize,
    ) -> Result<(usize, Option<TextDecision>), ImportError>,
    mut on_account: impl FnMut(usize, Account),
) -> Result<ImportSummary, ImportError> {
    let batch = batch.max(1);
    let id_field = schema.names.core(Core::Id);
    let mut summary = ImportSummary::default();
    let mut seen = SeenIds::default();
    let mut current = Vec::new();
    let (mut current_len, mut text) = read_batch(&mut current, batch)?;
    let amounts = amounts(&current[..current_len]);
    let mut next = Vec::new();
    while current_len > 0 {
        let mut results: Vec<RowResult> = Vec::new();
        // Records before the encoding was decided are ASCII, so the
        // decision as of the batch's end is right for all of them.
        let ctx = RowContext { text, amounts };
        let next_read = rayon::in_place_scope(|scope| {
            let (results, rows, schema) = (&mut results, &current[..current_len], schema);
            scope.spawn(move |_| *results = rows.par_iter().map(|r| schema.row(r, &ctx)).collect());
            read_batch(&mut next, batch)
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
        (current_len, text) = next_read?;
        std::mem::swap(&mut current, &mut next);
    }
    Ok(summary)
}

/// A CSV reader over the decoded text, with physical line tracking.
struct CsvSource<R: Read> {
    rdr: ::csv::Reader<LineCounting<BufReader<DecodingReader<R>>>>,
    lines: Rc<RefCell<LineRuns>>,
    decision: DecisionHandle,
    delimiter: u8,
}

fn open_csv<R: Read>(
    reader: R,
    options: &ImportOptions,
    origin: &str,
) -> Result<CsvSource<R>, ImportError> {
    let decoding = DecodingReader::new(reader, options.encoding);
    let decision = decoding.decision();
    let mut buf = BufReader::with_capacity(1 << 16, decoding);
    let delimiter = sniff_delimiter(buf.fill_buf().map_err(|source| ImportError::Io {
        origin: origin.to_string(),
        source,
    })?);
    let lines = Rc::new(RefCell::new(LineRuns::default()));
    let rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(LineCounting {
            inner: buf,
            runs: lines.clone(),
            offset: 0,
        });
    Ok(CsvSource {
        rdr,
        lines,
        decision,
        delimiter,
    })
}

fn csv_error(origin: &str) -> impl Fn(::csv::Error) -> ImportError + '_ {
    move |e: ::csv::Error| match e.into_kind() {
        ::csv::ErrorKind::Io(source) => ImportError::Io {
            origin: origin.to_string(),
            source,
        },
        other => ImportError::Csv {
            origin: origin.to_string(),
            line: 0,
            reason: format!("{other:?}"),
        },
    }
}

/// What a comma-separated file implies for ambiguous amounts.
fn format_default(delimiter: u8) -> FormatDefault {
    if delimiter == b',' {
        FormatDefault::CommaDelimited
    } else {
        FormatDefault::None
    }
}

/// The first pass over a file that can be read twice: what its amount
/// column shows about the decimal separator. `None` when the header is
/// unusable (the import itself reports that).
pub(super) fn scan_amounts<R: Read>(
    reader: R,
    options: &ImportOptions,
    origin: &str,
) -> Result<Option<DecimalEvidence>, ImportError> {
    let mut src = open_csv(reader, options, origin)?;
    let csv_err = csv_error(origin);
    let mut rec = ByteRecord::new();
    if !src.rdr.read_byte_record(&mut rec).map_err(&csv_err)? {
        return Ok(None);
    }
    let Some(col) = rec
        .iter()
        .position(|h| resolve_column(&String::from_utf8_lossy(h)) == Col::Core(Core::AmountDue))
    else {
        return Ok(None);
    };
    let mut evidence = DecimalEvidence::default();
    loop {
        match src.rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                if let Some(text) = rec.get(col).and_then(|b| std::str::from_utf8(b).ok()) {
                    evidence.see(text);
                }
            }
            Err(e) if e.is_io_error() => return Err(csv_err(e)),
            // The import reports a malformed record where it is.
            Err(_) => break,
        }
    }
    Ok(Some(evidence))
}

/// Imports a CSV. `evidence` is what a first pass over the whole file
/// found; without it (a stream that cannot be read twice) the first batch
/// of rows is the evidence.
pub(super) fn import_csv<R: Read>(
    reader: R,
    origin: &str,
    options: &ImportOptions,
    evidence: Option<DecimalEvidence>,
    on_account: impl FnMut(usize, Account),
) -> Result<ImportSummary, ImportError> {
    import_csv_with(reader, origin, options, evidence, BATCH, on_account)
}

fn import_csv_with<R: Read>(
    reader: R,
    origin: &str,
    options: &ImportOptions,
    evidence: Option<DecimalEvidence>,
    batch: usize,
    on_account: impl FnMut(usize, Account),
) -> Result<ImportSummary, ImportError> {
    let mut src = open_csv(reader, options, origin)?;
    let csv_err = csv_error(origin);
    let mut header = ByteRecord::new();
    if !src.rdr.read_byte_record(&mut header).map_err(&csv_err)? {
        return Err(ImportError::Empty {
            origin: origin.to_string(),
        });
    }
    let schema = Schema::from_header(&header, origin, src.decision.get())?;
    let amount_col = schema.column(Core::AmountDue);
    let default = format_default(src.delimiter);
    let amounts = |first: &[Record]| {
        evidence
            .unwrap_or_else(|| tally(first, amount_col))
            .reading(default)
            .unless_declared(options.decimal)
    };
    let CsvSource {
        mut rdr,
        lines,
        decision,
        ..
    } = src;
    // csv's own line numbers go wrong after blank lines and with CRLF, so
    // each record gets its physical line.
    let read_batch = |recs: &mut Vec<Record>, batch: usize| {
        recs.resize_with(batch, Record::default);
        let mut len = 0;
        while len < recs.len() {
            let rec = &mut recs[len];
            if !rdr.read_byte_record(&mut rec.fields).map_err(&csv_err)? {
                break;
            }
            rec.line = rec
                .fields
                .position()
                .map_or(0, |p| lines.borrow_mut().line_of(p.byte()) as usize);
            len += 1;
        }
        Ok((len, decision.get()))
    };
    validate_in_order(&schema, batch, amounts, read_batch, on_account)
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
                let s = import_csv_with(
                    data.as_bytes(),
                    "g.csv",
                    &ImportOptions::default(),
                    None,
                    batch,
                    |_, a| accounts.push(a),
                )
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
