//! What every door to the suppression list shares (the API, the console,
//! `cobro suppress`): how an address is written there, and how a file of
//! addresses is read, so an entry added anywhere matches the same
//! addresses.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;

use crate::store::Suppression;

/// Emails compare lower-case; phone numbers as E.164 (spaces and dashes
/// dropped). Anything else is refused rather than stored as a list entry
/// that never matches. With `prefix`, a number range (`+52155`) or a whole
/// domain (`@example.com`).
pub fn normalise_address(raw: &str, prefix: bool) -> Result<String, String> {
    let a = raw.trim();
    if a.contains('@') {
        let a = a.to_lowercase();
        if a.chars().any(char::is_whitespace) || (!prefix && a.starts_with('@')) {
            return Err(format!("'{raw}' is not an email address"));
        }
        return Ok(a);
    }
    let a = a.replace([' ', '-'], "");
    let digits = a.strip_prefix('+').unwrap_or(&a);
    let min = if prefix { 1 } else { 6 };
    if !a.starts_with('+')
        || digits.len() < min
        || digits.len() > 15
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(format!(
            "'{raw}' is neither an email address nor an E.164 number (+525512345678)"
        ));
    }
    Ok(a)
}

/// `email`, `sms`, `voice`; `None` for every channel (absent, empty, `all`
/// or `*`).
pub fn parse_channel(value: Option<&str>) -> Result<Option<ChannelKind>, String> {
    match value.map(str::trim) {
        None | Some("") | Some("all") | Some("*") => Ok(None),
        Some(c) => ChannelKind::from_str(c)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

/// A line of an imported list that cannot be an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {field}: {reason}")]
pub struct ImportError {
    /// The file's name.
    pub origin: String,
    pub line: usize,
    /// `address` or `channel`.
    pub field: &'static str,
    pub reason: String,
}

/// Reads a list of addresses, one a line, optionally `address,channel`
/// (blank lines and `#` comments skipped), into entries of `source` at
/// `at`. The first bad line stops the import: a half-imported list would
/// leave the officer guessing which addresses are protected.
pub fn parse_import(
    text: &str,
    origin: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<Vec<Suppression>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |field, reason| ImportError {
            origin: origin.to_string(),
            line: i + 1,
            field,
            reason,
        };
        let (address, channel) = match line.split_once(',') {
            Some((a, c)) => (a, Some(c)),
            None => (line, None),
        };
        let channel = parse_channel(channel).map_err(|e| error("channel", e))?;
        let address = normalise_address(address, false).map_err(|e| error("address", e))?;
        entries.push(Suppression {
            channel,
            address,
            prefix: false,
            source: source.to_string(),
            at,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_reads_addresses_and_channels_and_names_the_bad_line() {
        let at = Utc::now();
        let entries = parse_import(
            "\u{feff}# list\n+52 55 1234-5678\nAna@Example.com,email\n\n+573001234567,all\n",
            "bajas.csv",
            "regulator",
            at,
        )
        .expect("valid list");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].address, "+525512345678");
        assert_eq!(entries[0].channel, None);
        assert_eq!(entries[1].address, "ana@example.com");
        assert_eq!(entries[1].channel, Some(ChannelKind::Email));
        assert_eq!(entries[2].channel, None);
        assert!(entries.iter().all(|e| e.source == "regulator" && !e.prefix));
        let err =
            parse_import("+525512345678\n+52x\n", "b.csv", "import", at).expect_err("bad address");
        assert_eq!((err.line, err.field), (2, "address"));
        assert!(err.to_string().starts_with("b.csv:2: address: "), "{err}");
        let err =
            parse_import("+525512345678,fax\n", "b.csv", "import", at).expect_err("bad channel");
        assert_eq!((err.line, err.field), (1, "channel"));
    }
}
