use std::path::PathBuf;

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

/// 1-based line number of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The `key = …` on the line of `offset`, or the nearest `[table]` above.
fn key_at(src: &str, offset: Option<usize>) -> Option<String> {
    let offset = offset?.min(src.len());
    let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[start..].lines().next().unwrap_or("").trim();
    if let Some((key, _)) = line.split_once('=') {
        return Some(key.trim().to_string());
    }
    line.strip_prefix('[')
        .map(|l| l.trim_end_matches(']').to_string())
}
