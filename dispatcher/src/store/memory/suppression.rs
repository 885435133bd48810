//! Suppression lists, keyed by (address, channel or every channel); the
//! prefix entries (number ranges, `@domain` suffixes) are kept apart too,
//! so a check is two exact look-ups and a pass over the prefixes.

use std::collections::{BTreeMap, BTreeSet};

use cobro_campaigns::ChannelKind;

use super::{MemoryStore, to_ms};
use crate::store::{StoreResult, Suppression, SuppressionStore};

/// `""` stands for every channel (the SQLite store's key).
fn channel_key(channel: Option<ChannelKind>) -> &'static str {
    channel.map_or("", ChannelKind::as_str)
}

/// (address, channel key): sorted as the other stores list them.
type Key = (String, &'static str);

#[derive(Default)]
pub(super) struct Suppressions {
    pub(super) entries: BTreeMap<Key, Suppression>,
    prefixes: BTreeSet<Key>,
}

impl Suppressions {
    /// True when `address` is on a list for `channel` or for every
    /// channel, exactly or by prefix (an entry starting with `@` matches
    /// the end of the address: a whole email domain).
    pub fn matches(&self, channel: ChannelKind, address: &str) -> bool {
        let exact = [channel.as_str(), ""].iter().any(|ch| {
            self.entries
                .get(&(address.to_string(), *ch))
                .is_some_and(|e| !e.prefix)
        });
        exact
            || self.prefixes.iter().any(|(prefix, ch)| {
                (ch.is_empty() || *ch == channel.as_str())
                    && if prefix.starts_with('@') {
                        address.ends_with(prefix.as_str())
                    } else {
                        address.starts_with(prefix.as_str())
                    }
            })
    }
}

impl SuppressionStore for MemoryStore {
    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        let mut state = self.state()?;
        let key = (entry.address.clone(), channel_key(entry.channel));
        let mut entry = entry.clone();
        entry.at = to_ms(entry.at);
        if entry.prefix {
            state.suppressions.prefixes.insert(key.clone());
        } else {
            state.suppressions.prefixes.remove(&key);
        }
        state.suppressions.entries.insert(key, entry);
        Ok(())
    }

    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        let mut state = self.state()?;
        let key = (address.to_string(), channel_key(channel));
        state.suppressions.prefixes.remove(&key);
        Ok(state.suppressions.entries.remove(&key).is_some())
    }

    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        Ok(self
            .state()?
            .suppressions
            .entries
            .values()
            .cloned()
            .collect())
    }

    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        Ok(self.state()?.suppressions.matches(channel, address))
    }
}
