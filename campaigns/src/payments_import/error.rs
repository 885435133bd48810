//! File-level failures: nothing sensible can be imported.

use std::io;

/// A problem with the payments file as a whole; every message starts with
/// the file's name.
#[derive(Debug, thiserror::Error)]
pub enum PaymentsImportError {
    #[error("{origin}: cannot read the file: {source}")]
    Io {
        origin: String,
        #[source]
        source: io::Error,
    },
    #[error("{origin}: the file is empty (a payments file needs a header line)")]
    Empty { origin: String },
    #[error("{origin}: {reason}")]
    Workbook { origin: String, reason: String },
    #[error("{origin}:1: header: {reason}")]
    BadHeader { origin: String, reason: String },
    #[error("{origin}:1: header: missing required column '{column}' (also accepted: {aliases})")]
    MissingColumn {
        origin: String,
        column: String,
        aliases: String,
    },
    #[error("{origin}:{line}: cannot read the CSV: {reason}")]
    Csv {
        origin: String,
        line: usize,
        reason: String,
    },
}

impl PaymentsImportError {
    /// Whether the file could not be read at all.
    pub fn is_io(&self) -> bool {
        matches!(self, PaymentsImportError::Io { .. })
    }

    /// Whether the header lacks a required column.
    pub fn is_missing_column(&self) -> bool {
        matches!(self, PaymentsImportError::MissingColumn { .. })
    }
}
