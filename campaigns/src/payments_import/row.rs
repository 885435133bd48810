//! One CSV record into a payment's values, or every problem found in it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::columns::{FIELD_N, Field};
use super::header::Schema;
use super::values::{check_reference, parse_paid_at};
use crate::import::{RowError, RowReason, check_id, parse_amount_with, parse_currency};
use crate::spreadsheet::encoding::field_text;
use crate::spreadsheet::{AmountReading, Record, TextDecision};

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

/// What validating a record needs to know about its file.
pub(super) struct FileContext {
    /// The encoding, once the file has shown one (`None`: ASCII).
    pub(super) text: Option<TextDecision>,
    pub(super) amounts: AmountReading,
}

pub(super) fn parse_record(rec: &Record, schema: &Schema, file: &FileContext) -> Outcome {
    let line = rec.line;
    let fields = &rec.fields;
    let text = |i: usize| {
        fields
            .get(i)
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
    if fields.len() < n || (n..fields.len()).any(|i| text(i).is_some()) {
        return fail(vec![row_error(
            line,
            "columns",
            RowReason::FieldCount {
                expected: n,
                found: fields.len(),
            },
        )]);
    }

    let mut errs = Vec::new();
    let mut vals: [Option<&str>; FIELD_N] = [None; FIELD_N];
    for (i, field) in schema.cols.iter().enumerate() {
        let Some(field) = field else { continue };
        if let Some(why) = rec.cell_error(i) {
            errs.push(row_error(line, schema.name(*field), why.clone()));
            continue;
        }
        match field_text(fields.get(i).unwrap_or_default(), file.text) {
            Ok(t) => vals[*field as usize] = Some(t.trim()).filter(|s| !s.is_empty()),
            Err(reason) => errs.push(row_error(line, schema.name(*field), reason)),
        }
    }
    if !errs.is_empty() {
        return fail(errs);
    }
    let get = |f: Field| vals[f as usize];
    let mut check = |f: Field, required: bool| -> Option<&str> {
        let v = get(f);
        if v.is_none() && required {
            errs.push(row_error(line, schema.name(f), RowReason::Missing));
        }
        v
    };
    let account = check(Field::Account, true);
    let amount_raw = check(Field::Amount, true);
    let date_raw = check(Field::Date, true);
    let currency_raw = check(Field::Currency, false);

    let mut note = |f: Field, reason: RowReason| errs.push(row_error(line, schema.name(f), reason));
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
    let amounts = if rec.amount_is_number {
        AmountReading::number()
    } else {
        file.amounts
    };
    let amount = match amount_raw.map(|raw| parse_amount_with(raw, decimals, &amounts)) {
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
        _ if errs.is_empty() => fail(vec![row_error(line, "row", RowReason::IncompleteRow)]),
        _ => fail(errs),
    }
}

/// A [`RowError`] whose text cannot forge lines of the report, made as
/// the portfolio importer makes its own.
pub(super) fn row_error(line: usize, field: &str, reason: RowReason) -> RowError {
    RowError::new(line, field, reason)
}
