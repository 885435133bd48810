//! The guard: one decision for one contact at one instant. Pure, no I/O;
//! the dispatcher hands in the suppression result and the contact history.
//!
//! What the guard is told (`input`), what it answers (`reason`), how it
//! decides (`decide`, with the cap and cooldown arithmetic in `caps`) and
//! how an answer is shown to officers (`explain`) live apart, so a new
//! rule touches `decide` and a new code touches `reason` only. The hours a
//! debtor asked not to be contacted in (`avoid`) are part of what the
//! guard is told.

mod avoid;
mod caps;
mod decide;
mod explain;
mod input;
mod reason;

use std::collections::BTreeMap;

use crate::pack::RulePack;

pub use avoid::{AvoidHours, AvoidHoursError};
pub use input::{ContactAttempt, DebtorProfile, PastContact, PastContactKind};
pub use reason::{ALL_CODES, Decision, Reason, ReasonCode, Verdict};

/// Decides contacts under a campaign's packs: country packs (or the
/// default for unmapped countries) stacked with house packs; the most
/// restrictive wins.
#[derive(Debug, Clone, Default)]
pub struct ComplianceGuard {
    by_country: BTreeMap<String, Vec<RulePack>>,
    default: Vec<RulePack>,
    house: Vec<RulePack>,
}

impl ComplianceGuard {
    /// `packs_by_country`: ISO country → packs; `default`: packs for
    /// countries not listed; `house`: packs applied to everyone.
    pub fn new(
        packs_by_country: BTreeMap<String, Vec<RulePack>>,
        default: Vec<RulePack>,
        house: Vec<RulePack>,
    ) -> Self {
        let by_country = packs_by_country
            .into_iter()
            .map(|(k, v)| (k.trim().to_ascii_uppercase(), v))
            .collect();
        ComplianceGuard {
            by_country,
            default,
            house,
        }
    }

    /// The same packs for every debtor (used by `rules explain`).
    pub fn with_packs(packs: Vec<RulePack>) -> Self {
        ComplianceGuard {
            by_country: BTreeMap::new(),
            default: packs,
            house: Vec::new(),
        }
    }

    fn country_packs(&self, country: &str) -> &[RulePack] {
        let c = country.trim();
        let mut buf = [0u8; 8];
        let found = if c.len() <= buf.len() {
            for (i, b) in c.bytes().enumerate() {
                buf[i] = b.to_ascii_uppercase();
            }
            std::str::from_utf8(&buf[..c.len()])
                .ok()
                .and_then(|k| self.by_country.get(k))
        } else {
            self.by_country.get(&c.to_ascii_uppercase())
        };
        found.map_or(&self.default[..], |v| &v[..])
    }

    /// Packs that apply to a debtor of `country`: its country packs (or the
    /// default), then the house packs.
    pub fn packs_for(&self, country: &str) -> Vec<&RulePack> {
        self.country_packs(country)
            .iter()
            .chain(self.house.iter())
            .collect()
    }
}
