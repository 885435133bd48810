//! File-level failures: nothing sensible can be imported.

use std::io;

/// A problem with the file as a whole: nothing sensible can be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{origin}: cannot read the file: {source}")]
    Io {
        origin: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{origin}: unknown portfolio format (use a .csv, .tsv, .txt, .jsonl, .ndjson, .xlsx or .xls file)"
    )]
    UnknownFormat { origin: String },
    #[error("{origin}: the file is empty (a portfolio needs a header row)")]
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

impl ImportError {
    /// Whether the file could not be read at all (as opposed to being
    /// readable but malformed).
    pub fn is_io(&self) -> bool {
        matches!(self, ImportError::Io { .. })
    }

    /// Whether the header lacks a required column.
    pub fn is_missing_column(&self) -> bool {
        matches!(self, ImportError::MissingColumn { .. })
    }
}
