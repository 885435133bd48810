//! Errors of the compliance crate. Two families: a rules file that cannot be
//! used ([`RulesError`], which names file, line and key so an officer can fix
//! it) and a debtor the guard cannot place in time ([`ComplianceError`],
//! which makes the guard fail closed).

use std::fmt;
use std::path::PathBuf;

/// Why a debtor's time zones could not be resolved. Every variant makes the
/// guard block with `unknown_timezone`: a contact we cannot place in local
/// time must not go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplianceError {
    /// The explicit IANA zone is not in the tz database.
    #[error("unknown time zone `{0}`")]
    UnknownTimezone(String),
    /// The country has no zone table here.
    #[error("unknown country `{0}` (no time-zone table; give an explicit `timezone`)")]
    UnknownCountry(String),
    /// The subdivision is not known for a multi-zone country, or belongs to
    /// another country.
    #[error("unknown subdivision `{subdivision}` for country `{country}`")]
    UnknownSubdivision {
        /// The debtor's country as given.
        country: String,
        /// The subdivision as given.
        subdivision: String,
    },
}

impl ComplianceError {
    /// True when the explicit zone name itself is wrong (fix the data).
    pub fn is_unknown_timezone(&self) -> bool {
        matches!(self, ComplianceError::UnknownTimezone(_))
    }
    /// True when the country is not covered (add an explicit zone or a table).
    pub fn is_unknown_country(&self) -> bool {
        matches!(self, ComplianceError::UnknownCountry(_))
    }
    /// True when the subdivision code is not recognised.
    pub fn is_unknown_subdivision(&self) -> bool {
        matches!(self, ComplianceError::UnknownSubdivision { .. })
    }
}

/// A rules file (or built-in name) that cannot be used. `Display` reads like
/// `rules.toml:12: key `windows.mon`: end 25:00 is not a time`, so the CLI can
/// print it as is.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        #[source]
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The text is not valid TOML, or does not fit the schema (unknown key,
    /// wrong type, missing key).
    #[error("{}", Located { origin, line: *line, key: key.as_deref(), message })]
    Syntax {
        /// File name (or built-in name) of the pack.
        origin: String,
        /// 1-based line, when the parser gave a position.
        line: Option<usize>,
        /// Dotted key path, when it could be determined.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The TOML fits the schema but a value is wrong (a time that is not a
    /// time, overlapping windows, a cap of zero…).
    #[error("{}", Located { origin, line: *line, key: key.as_deref(), message })]
    Invalid {
        /// File name (or built-in name) of the pack.
        origin: String,
        /// 1-based line of the offending value.
        line: Option<usize>,
        /// Dotted key path (`windows.mon`, `caps[1].max`).
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Neither a built-in pack name nor an existing file.
    #[error("`{spec}` is neither a built-in rules pack ({known}) nor a readable file")]
    NotFound {
        /// What was asked for.
        spec: String,
        /// The built-in names, for the message.
        known: String,
    },
}

struct Located<'a> {
    origin: &'a str,
    line: Option<usize>,
    key: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(key) = self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(self.message)
    }
}

impl RulesError {
    /// 1-based line of the offending text, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            RulesError::Syntax { line, .. } | RulesError::Invalid { line, .. } => *line,
            _ => None,
        }
    }
    /// Dotted key path (`windows.mon`, `caps[1].max`), when known.
    pub fn key(&self) -> Option<&str> {
        match self {
            RulesError::Syntax { key, .. } | RulesError::Invalid { key, .. } => key.as_deref(),
            _ => None,
        }
    }
    /// The file name (or built-in name) the error is about.
    pub fn origin(&self) -> String {
        match self {
            RulesError::Io { path, .. } => path.display().to_string(),
            RulesError::Syntax { origin, .. } | RulesError::Invalid { origin, .. } => {
                origin.clone()
            }
            RulesError::NotFound { spec, .. } => spec.clone(),
        }
    }
    /// True when the file could not be read at all (retrying may help).
    pub fn is_io(&self) -> bool {
        matches!(self, RulesError::Io { .. })
    }
    /// True when the content is wrong and the author must edit the file.
    pub fn is_content(&self) -> bool {
        matches!(self, RulesError::Syntax { .. } | RulesError::Invalid { .. })
    }
    /// True when the name matched neither a built-in pack nor a file.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RulesError::NotFound { .. })
    }
}
