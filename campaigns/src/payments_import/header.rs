//! The header line decides the schema: which column holds which field,
//! and the names to quote in row errors.

use csv::ByteRecord;

use super::PaymentsImportError;
use super::columns::{FIELD_N, FIELDS, Field, REQUIRED, resolve_column};
use crate::spreadsheet::TextDecision;
use crate::spreadsheet::encoding::field_text;

pub(super) struct Schema {
    /// The field each column holds; `None` for columns that are ignored.
    pub(super) cols: Vec<Option<Field>>,
    /// The column of each field, in [`Field`] order.
    index: [Option<usize>; FIELD_N],
    /// Each field's header as written in the file (the canonical name for
    /// an absent optional column), for row errors.
    names: [String; FIELD_N],
}

impl Schema {
    pub(super) fn from_header(
        header: &ByteRecord,
        origin: &str,
        decision: Option<TextDecision>,
    ) -> Result<Self, PaymentsImportError> {
        let bad = |reason: String| PaymentsImportError::BadHeader {
            origin: origin.to_string(),
            reason,
        };
        let mut cols = Vec::with_capacity(header.len());
        let mut index = [None; FIELD_N];
        let mut names: [String; FIELD_N] = std::array::from_fn(|i| FIELDS[i].1.to_string());
        for (i, raw) in header.iter().enumerate() {
            let text = field_text(raw, decision)
                .map_err(|reason| bad(format!("column {}: {reason}", i + 1)))?
                .trim()
                .trim_start_matches('\u{feff}');
            let field = resolve_column(text);
            if let Some(f) = field {
                if index[f as usize].is_some() {
                    let prev = &names[f as usize];
                    return Err(bad(format!(
                        "columns '{prev}' and '{text}' mean the same field"
                    )));
                }
                index[f as usize] = Some(i);
                names[f as usize] = text.to_string();
            }
            cols.push(field);
        }
        for req in REQUIRED {
            if index[req as usize].is_none() {
                let (_, name, aliases) = FIELDS[req as usize];
                return Err(PaymentsImportError::MissingColumn {
                    origin: origin.to_string(),
                    column: name.to_string(),
                    aliases: aliases.join(", "),
                });
            }
        }
        Ok(Schema { cols, index, names })
    }

    /// The column holding `field`, if the file has one.
    pub(super) fn column(&self, field: Field) -> Option<usize> {
        self.index[field as usize]
    }

    /// How `field` is called in this file.
    pub(super) fn name(&self, field: Field) -> &str {
        &self.names[field as usize]
    }
}
