//! File-level failures: nothing sensible can be imported.

use std::io;

use super::ReportLang;

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

    /// The error as a person reads it in `lang`: the `Display` text in
    /// English, a Spanish wording otherwise. The causes a library reports
    /// (an I/O error, a workbook or CSV parser's reason) stay as written.
    pub fn text(&self, lang: ReportLang) -> String {
        if lang == ReportLang::En {
            return self.to_string();
        }
        match self {
            ImportError::Io { origin, source } => {
                format!("{origin}: no se pudo leer el archivo: {source}")
            }
            ImportError::UnknownFormat { origin } => format!(
                "{origin}: formato de cartera desconocido (use un archivo .csv, .tsv, .txt, .jsonl, .ndjson, .xlsx o .xls)"
            ),
            ImportError::Empty { origin } => format!(
                "{origin}: el archivo está vacío (una cartera necesita una fila de encabezados)"
            ),
            ImportError::Workbook { origin, reason } => format!("{origin}: {reason}"),
            ImportError::BadHeader { origin, reason } => {
                format!("{origin}:1: encabezados: {reason}")
            }
            ImportError::MissingColumn {
                origin,
                column,
                aliases,
            } => format!(
                "{origin}:1: encabezados: falta la columna obligatoria '{column}' (también se acepta: {aliases})"
            ),
            ImportError::Csv {
                origin,
                line,
                reason,
            } => format!("{origin}:{line}: no se pudo leer el CSV: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_names_the_same_file_line_and_column() {
        let missing = ImportError::MissingColumn {
            origin: "cartera.csv".into(),
            column: "amount_due".into(),
            aliases: "importe, monto".into(),
        };
        assert_eq!(missing.text(ReportLang::En), missing.to_string());
        assert_eq!(
            missing.text(ReportLang::Es),
            "cartera.csv:1: encabezados: falta la columna obligatoria 'amount_due' (también se acepta: importe, monto)"
        );
        let empty = ImportError::Empty {
            origin: "x.csv".into(),
        };
        assert!(empty.text(ReportLang::Es).contains("está vacío"));
    }
}
