//! JSONL portfolios: one object per line, keys named like the CSV
//! columns, with an optional full `contact_points` array. JSON text is
//! UTF-8 (RFC 8259), so nothing is detected: another encoding must be
//! declared. Amounts that are JSON numbers are numbers; amounts written
//! as strings follow the decimal rule with `.` as the default.

use std::io::{BufRead, BufReader, Read};

use super::accept::{SeenIds, accept};
use super::columns::{Col, Core, FieldNames, normalize_key, resolve_column};
use super::row::{RowView, build_account, nonempty};
use super::{ImportError, ImportSummary, RowError, RowReason};
use crate::Account;
use crate::spreadsheet::encoding::{DecodingReader, field_text};
use crate::spreadsheet::{AmountReading, FormatDefault, ImportOptions, TextEncoding};

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(json_text)
                .collect::<Vec<_>>()
                .join(";"),
        ),
        serde_json::Value::Object(_) => Some(v.to_string()),
    }
}

pub(super) fn import_jsonl<R: Read>(
    reader: R,
    origin: &str,
    options: &ImportOptions,
    mut on_account: impl FnMut(usize, Account),
) -> Result<ImportSummary, ImportError> {
    let encoding = match options.encoding {
        TextEncoding::Auto => TextEncoding::Declared(encoding_rs::UTF_8),
        declared => declared,
    };
    let decoding = DecodingReader::new(reader, encoding);
    let decision = decoding.decision();
    let strings = crate::spreadsheet::DecimalEvidence::default()
        .reading(FormatDefault::Json)
        .unless_declared(options.decimal);
    let mut buf = BufReader::with_capacity(1 << 16, decoding);
    let names = FieldNames::default();
    let id_field = "id";
    let mut summary = ImportSummary::default();
    let mut seen = SeenIds::default();
    let mut raw = Vec::new();
    let mut line = 0usize;
    loop {
        raw.clear();
        let n = buf
            .read_until(b'\n', &mut raw)
            .map_err(|source| ImportError::Io {
                origin: origin.to_string(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        let bytes = if line == 1 {
            raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw)
        } else {
            &raw
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.rows_read += 1;
        let text = match field_text(bytes, decision.get()) {
            Ok(t) => t,
            Err(reason) => {
                summary.errors.push(RowError::new(line, "row", reason));
                continue;
            }
        };
        let obj = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => {
                summary
                    .errors
                    .push(RowError::new(line, "row", RowReason::NotJsonObject));
                continue;
            }
            Err(e) => {
                summary.errors.push(RowError::new(
                    line,
                    "row",
                    RowReason::InvalidJson {
                        error: e.to_string(),
                    },
                ));
                continue;
            }
        };
        // Owned texts first, then a view borrowing them.
        let mut texts: Vec<(Col, String)> = Vec::with_capacity(obj.len());
        let mut contact_points = None;
        let mut row_errs = Vec::new();
        let mut seen_cols: Vec<(Col, &str)> = Vec::new();
        let mut amount_is_number = false;
        for (k, v) in &obj {
            if normalize_key(k) == "contact_points" {
                contact_points = Some(v);
                continue;
            }
            if normalize_key(k) == "attributes" {
                match v {
                    serde_json::Value::Object(map) => {
                        for (ak, av) in map {
                            if let Some(t) = json_text(av) {
                                texts.push((Col::Attribute(ak.clone()), t));
                            }
                        }
                    }
                    _ => row_errs.push(RowError::new(line, k.clone(), RowReason::NotAnObject)),
                }
                continue;
            }
            let col = resolve_column(k);
            if col == Col::Core(Core::AmountDue) {
                amount_is_number = v.is_number();
            }
            if col != Col::Ignored && !matches!(col, Col::Attribute(_)) {
                if let Some((_, prev)) = seen_cols.iter().find(|(c, _)| *c == col) {
                    row_errs.push(RowError::new(
                        line,
                        k.clone(),
                        RowReason::SameFieldAs {
                            key: prev.to_string(),
                        },
                    ));
                    continue;
                }
                seen_cols.push((col.clone(), k.as_str()));
            }
            if let Some(t) = json_text(v) {
                texts.push((col, t));
            }
        }
        let mut view = RowView {
            contact_points,
            ..RowView::default()
        };
        for (col, t) in &texts {
            match col {
                Col::Core(c) => view.core[*c as usize] = Some(t),
                Col::Phone(s, a) => view.phones[*s].vals[*a as usize] = Some(t),
                Col::Email(s, a) => view.emails[*s].vals[*a as usize] = Some(t),
                Col::Attribute(name) => view.attributes.push((name.as_str(), t)),
                Col::Ignored => {}
            }
        }
        let id = nonempty(view.core[Core::Id as usize]).map(str::to_string);
        let amounts = if amount_is_number {
            AmountReading::number()
        } else {
            strings
        };
        let result = if row_errs.is_empty() {
            build_account(&view, &names, line, &amounts)
        } else {
            Err(row_errs)
        };
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
    Ok(summary)
}
