//! One problem with one row, as `cobro import` prints it.

use std::fmt;

use super::{ReportLang, RowReason};

/// One problem with one row. A row may have several; it is skipped once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based physical line in the file (the CSV header is line 1).
    pub line: usize,
    /// The column as written in the file (or the canonical name when the
    /// column is missing altogether).
    pub field: String,
    /// The English text of `kind`, made printable (what `cobro import`
    /// prints and the JSON reports carry).
    pub reason: String,
    /// The reason as data, to be worded in the reader's language.
    pub kind: RowReason,
}

impl RowError {
    /// A row error; the field and reason are made printable (control
    /// characters escaped, long values cut), as every row error is.
    pub fn new(line: usize, field: impl Into<String>, kind: RowReason) -> Self {
        RowError {
            line,
            field: printable(field.into()),
            reason: printable(kind.to_string()),
            kind,
        }
    }

    /// The reason in `lang`, made printable like `reason`.
    pub fn reason_in(&self, lang: ReportLang) -> String {
        match lang {
            ReportLang::En => self.reason.clone(),
            ReportLang::Es => printable(self.kind.es()),
        }
    }
}

/// [`printable`] for a reason worded elsewhere (the console's own
/// wording of a [`RowReason`]).
pub fn printable_reason(kind: &RowReason, lang: ReportLang) -> String {
    printable(kind.text(lang))
}

/// Reasons quote the offending value: control characters are escaped so
/// a value cannot forge lines of the report (`\r\nBcc: …`), and a huge
/// value is cut so the report stays readable.
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
        out.push_str(&format!("… ({} characters in all)", total));
    }
    out
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}
