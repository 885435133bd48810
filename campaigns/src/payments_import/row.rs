//! One CSV record into a payment's values, or every problem found in it.

use chrono::{DateTime, Utc};
use csv::ByteRecord;
use rust_decimal::Decimal;

use super::columns::{FIELD_N, Field};
use super::header::Schema;
use super::values::{check_reference, parse_paid_at, parse_payment_amount};
use crate::import::{RowError, check_id, parse_currency};

/// A valid row's values; the reference is still the file's (or none).
pub(super) struct Parsed {
    pub(super) account: String,
    pub(super) amount: Decimal,
    pub(super) currency: Option<String>,
    pub(super) at: DateTime<Utc>,
    pub(super) reference: Option<String>,
}

/// What one record gave: its reference as written (kept for bad rows too,
/// so a later row reusing it is still a duplicate), and the values or the
/// row's errors.
pub(super) struct Outcome {
    pub(super) reference: Option<String>,
    pub(super) result: Result<Parsed, Vec<RowError>>,
}

/// Whether a record carries nothing at all (`;;;` lines Excel leaves at
/// the end of a sheet): such lines are skipped like blank ones.
pub(super) fn is_blank(rec: &ByteRecord) -> bool {
    rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

pub(super) fn parse_record(rec: &ByteRecord, schema: &Schema, line: usize) -> Outcome {
    let text = |i: usize| {
        rec.get(i)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let reference = schema
        .column(Field::Reference)
        .and_then(text)
        .map(str::to_string);
    let fail = |errs| Outcome {
        reference: reference.clone(),
        result: Err(errs),
    };

    let n = schema.cols.len();
    if rec.len() < n || (n..rec.len()).any(|i| text(i).is_some()) {
        return fail(vec![row_error(
            line,
            "columns",
            format!("expected {n} fields as in the header, found {}", rec.len()),
        )]);
    }

    let mut errs = Vec::new();
    let mut vals: [Option<&str>; FIELD_N] = [None; FIELD_N];
    for (i, field) in schema.cols.iter().enumerate() {
        let Some(field) = field else { continue };
        let bytes = rec.get(i).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(t) => vals[*field as usize] = Some(t.trim()).filter(|s| !s.is_empty()),
            Err(e) => {
                let pos = e.valid_up_to();
                let byte = bytes.get(pos).copied().unwrap_or_default();
                errs.push(row_error(
                    line,
                    schema.name(*field),
                    format!(
                        "not valid UTF-8 (byte 0x{byte:02X} at position {}); save the file as UTF-8",
                        pos + 1
                    ),
                ));
            }
        }
    }
    if !errs.is_empty() {
        return fail(errs);
    }
    let get = |f: Field| vals[f as usize];
    let mut check = |f: Field, required: bool| -> Option<&str> {
        let v = get(f);
        if v.is_none() && required {
            errs.push(row_error(line, schema.name(f), "required value is missing"));
        }
        v
    };
    let account = check(Field::Account, true);
    let amount_raw = check(Field::Amount, true);
    let date_raw = check(Field::Date, true);
    let currency_raw = check(Field::Currency, false);

    let mut note = |f: Field, reason: String| errs.push(row_error(line, schema.name(f), reason));
    if let Some(Err(reason)) = account.map(check_id) {
        note(Field::Account, reason);
    }
    let currency = match currency_raw.map(parse_currency) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(reason)) => {
            note(Field::Currency, reason);
            None
        }
    };
    let decimals = currency.as_ref().map(|(_, d)| *d);
    let amount = match amount_raw.map(|raw| parse_payment_amount(raw, decimals)) {
        Some(Ok(a)) => Some(a),
        Some(Err(reason)) => {
            note(Field::Amount, reason);
            None
        }
        None => None,
    };
    let at = match date_raw.map(parse_paid_at) {
        Some(Ok(at)) => Some(at),
        Some(Err(reason)) => {
            note(Field::Date, reason);
            None
        }
        None => None,
    };
    if let Some(Err(reason)) = reference.as_deref().map(check_reference) {
        note(Field::Reference, reason);
    }

    match (account, amount, at) {
        (Some(account), Some(amount), Some(at)) if errs.is_empty() => Outcome {
            reference: reference.clone(),
            result: Ok(Parsed {
                account: account.to_string(),
                amount,
                currency: currency.map(|(code, _)| code),
                at,
                reference,
            }),
        },
        _ if errs.is_empty() => fail(vec![row_error(line, "row", "incomplete row")]),
        _ => fail(errs),
    }
}

/// A [`RowError`] whose text cannot forge lines of the report: control
/// characters escaped and huge values cut, as the portfolio importer does.
pub(super) fn row_error(line: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError {
        line,
        field: printable(field.to_string()),
        reason: printable(reason.into()),
    }
}

fn printable(text: String) -> String {
    const MAX_CHARS: usize = 300;
    if !text.chars().any(char::is_control) && text.len() <= MAX_CHARS {
        return text;
    }
    let total = text.chars().count();
    let mut out = String::new();
    for c in text.chars().take(MAX_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if total > MAX_CHARS {
        out.push_str(&format!("… ({total} characters in all)"));
    }
    out
}
