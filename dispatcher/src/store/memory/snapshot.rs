//! The memory store's content as a `StoreSnapshot`, for another store to
//! record (the demo's month, written to SQLite once).

use super::{MemoryStore, from_ms};
use crate::store::StoreResult;
use crate::store::snapshot::StoreSnapshot;

impl MemoryStore {
    /// Everything the store holds, each list in a stable order (ids, keys;
    /// the ledger in append order).
    pub fn snapshot(&self) -> StoreResult<StoreSnapshot> {
        let s = self.state()?;
        let mut stop_from: Vec<_> = s.stop_from.iter().map(|(c, st)| (c.clone(), *st)).collect();
        stop_from.sort_by(|a, b| a.0.cmp(&b.0));
        let mut contacts: Vec<_> = s
            .contacts
            .values()
            .map(|c| (c.record(), c.claimed.map(from_ms)))
            .collect();
        contacts.sort_by(|a, b| a.0.contact.id.cmp(&b.0.contact.id));
        let mut history: Vec<_> = s
            .history
            .iter()
            .map(|(key, (entries, version))| (key.clone(), entries.clone(), *version))
            .collect();
        history.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tokens: Vec<_> = s
            .tokens
            .iter()
            .map(|(hash, email)| (hash.clone(), email.clone()))
            .collect();
        tokens.sort();
        let mut sessions: Vec<_> = s.sessions.values().cloned().collect();
        sessions.sort_by(|a, b| a.id_hash.cmp(&b.id_hash));
        Ok(StoreSnapshot {
            accounts: s
                .accounts
                .values()
                .map(|a| (a.account.clone(), a.status))
                .collect(),
            stop_from,
            paused: s.plan.paused.iter().cloned().collect(),
            contacts,
            history,
            ledger: s.ledger.all(),
            suppressions: s.suppressions.entries.values().cloned().collect(),
            books: s
                .books
                .iter()
                .map(|(account, (book, version))| (account.clone(), book.clone(), *version))
                .collect(),
            users: s.users.values().cloned().collect(),
            tokens,
            sessions,
            leases: s.leases.values().cloned().collect(),
        })
    }
}
