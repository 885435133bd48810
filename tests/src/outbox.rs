//! The outbox folder: which contacts it holds, checked against the ledger.

use std::path::Path;

use crate::*;

/// The contact ids in an outbox folder, checking none appears twice.
pub fn outbox_contacts(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut ids = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return ids;
    };
    for entry in entries {
        let name = entry
            .expect("outbox entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') {
            continue; // a message being written (temp file, then hard link)
        }
        let stem = percent_decode(name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s));
        assert!(ids.insert(stem.clone()), "outbox holds {stem} twice");
    }
    ids
}

/// Outbox file names percent-encode the contact id (`/` → `%2F`).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let (b'%', Some(&hi), Some(&lo)) = (bytes[i], bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(hi), Some(lo)) = (hex(hi), hex(lo))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks the outbox against the ledger: every contact recorded `sent` is
/// in the outbox exactly once, and the outbox holds nothing else but
/// `unknown` contacts (those died mid-send). Returns the sent ids.
pub fn assert_outbox_matches_ledger(
    outbox: &Path,
    rows: &[Gestion],
) -> std::collections::BTreeSet<String> {
    let sent = assert_ledger_consistent(rows);
    let unknown: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.state == "unknown")
        .map(|r| r.contact_id.as_str())
        .collect();
    let delivered = outbox_contacts(outbox);
    for id in &sent {
        assert!(
            delivered.contains(id),
            "{id} recorded sent but not in the outbox"
        );
    }
    for id in &delivered {
        assert!(
            sent.contains(id) || unknown.contains(id.as_str()),
            "{id} in the outbox but not recorded sent"
        );
    }
    sent
}
