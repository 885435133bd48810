use std::path::PathBuf;

use crate::locate::{key_at, line_of};

/// A settings file that cannot be used. Always names the file, and the line
/// and key when the problem is inside it, so an operator can fix it without
/// guessing.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Referenced { path: PathBuf, message: String },
    #[error("environment variable `{var}` (used in {path}) is not set")]
    MissingEnv { path: PathBuf, var: String },
}

impl ConfigError {
    /// True when the operator must fix a file or the environment (exit 2),
    /// as opposed to an I/O failure.
    pub fn is_bad_input(&self) -> bool {
        // A missing file or one that is not UTF-8 text is the operator's to fix.
        !matches!(self, ConfigError::Read { source, .. }
            if !matches!(source.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData))
    }

    /// Turns a toml parse error into one naming the line and key.
    pub(crate) fn from_toml(path: &std::path::Path, src: &str, err: toml::de::Error) -> Self {
        let line = err.span().map(|span| line_of(src, span.start)).unwrap_or(0);
        let key = key_at(src, err.span().map(|s| s.start)).unwrap_or_default();
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key,
            message: err.message().to_string(),
        }
    }
}
