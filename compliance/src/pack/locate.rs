//! Errors that name the file, the line and the dotted key: what an
//! officer editing a pack needs to find the mistake.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::error::RulesError;

fn line_of(src: &str, offset: usize) -> usize {
    let offset = offset.min(src.len());
    src.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Best-effort dotted key for a byte offset: the enclosing `[table]` (with
/// an index for `[[array]]` tables) and the key on that line.
fn key_at(src: &str, offset: usize) -> Option<String> {
    let offset = offset.min(src.len());
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
    let line = src[line_start..line_end].trim();
    let mut header: Option<String> = None;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in src[..line_start].lines() {
        let l = l.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            header = Some(format!("{name}[{n}]"));
            *n += 1;
        } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            header = Some(name.trim().to_string());
        }
    }
    let own = if line.starts_with('[') {
        None
    } else {
        line.split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_string())
    };
    match (header, own) {
        (Some(h), Some(k)) => Some(format!("{h}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(h), None) => Some(h),
        (None, None) => None,
    }
}

pub(super) fn syntax_error(src: &str, origin: &str, e: &toml::de::Error) -> RulesError {
    let message = e.message().trim().to_string();
    let (line, mut key) = match e.span() {
        Some(span) => (Some(line_of(src, span.start)), key_at(src, span.start)),
        None => (None, None),
    };
    // "missing field `x`" points at the table; name the missing key.
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(field) = rest.split('`').next()
    {
        key = Some(match key {
            Some(k)
                if src
                    .lines()
                    .nth(line.unwrap_or(1) - 1)
                    .is_some_and(|l| l.trim().starts_with('[')) =>
            {
                format!("{k}.{field}")
            }
            _ => field.to_string(),
        });
    }
    RulesError::Syntax {
        origin: origin.to_string(),
        line,
        key,
        message,
    }
}

pub(super) struct Ctx<'a> {
    pub(super) src: &'a str,
    pub(super) origin: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err(
        &self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> RulesError {
        RulesError::Invalid {
            origin: self.origin.to_string(),
            line: span.map(|s| line_of(self.src, s.start)),
            key: Some(key.into()),
            message: message.into(),
        }
    }
}
