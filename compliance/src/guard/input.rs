//! What the guard is told about one contact: the attempt, the person at
//! the other end, and their recent history.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cobro_campaigns::{
    Account, AccountFlag, ChannelKind, Consent, ContactFlag, ContactPoint, ContactRole, Provenance,
};
use serde::{Deserialize, Serialize};

use super::AvoidHours;

/// The contact about to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactAttempt {
    /// The channel the contact would use.
    pub channel: ChannelKind,
    /// The dispatcher checked its suppression lists (STOP, unsubscribe,
    /// regulator lists) and found the address; the guard blocks.
    pub suppressed: bool,
}

fn default_role() -> ContactRole {
    ContactRole::Debtor
}
fn default_provenance() -> Provenance {
    Provenance::CreditorFile
}

/// What the guard needs to know about the person at the other end: where
/// they are (for local time), what is flagged on the account, who the
/// contact point belongs to, and the hours they asked not to be contacted
/// in. Also the `--debtor` JSON of `cobro rules explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebtorProfile {
    /// ISO 3166-1 alpha-2; selects the packs and the zones.
    pub country: String,
    #[serde(default)]
    /// ISO 3166-2 (`MX-BCN`); pins the zone in multi-zone countries.
    pub subdivision: Option<String>,
    #[serde(default)]
    /// Explicit IANA zone; wins over subdivision and country.
    pub timezone: Option<String>,
    #[serde(default)]
    /// Account flags (minor, sued…) that packs may block on.
    pub flags: BTreeSet<AccountFlag>,
    #[serde(default = "default_role")]
    /// Who the contact point belongs to.
    pub role: ContactRole,
    #[serde(default = "default_provenance")]
    /// Where the contact point came from.
    pub provenance: Provenance,
    #[serde(default)]
    /// Consent recorded per channel.
    pub consent: Consent,
    #[serde(default)]
    /// Flags of the contact point (employer email…).
    pub contact_flags: BTreeSet<ContactFlag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Local hours the debtor asked not to be contacted in
    /// (`[["18:00","22:00"]]`), read in the debtor's resolved zones; closed
    /// for this debtor whatever the packs allow. Omitted when empty, so
    /// profiles without a preference serialise as before.
    pub avoid: Vec<AvoidHours>,
}

impl DebtorProfile {
    /// The profile for contacting `point` about `account`.
    pub fn from_account(account: &Account, point: &ContactPoint) -> Self {
        DebtorProfile {
            country: account.country.clone(),
            subdivision: account.subdivision.clone(),
            timezone: account.timezone.clone(),
            flags: account.flags.clone(),
            role: point.role,
            provenance: point.provenance,
            consent: point.consent,
            contact_flags: point.flags.clone(),
            avoid: Vec::new(),
        }
    }

    /// A debtor located by country only (handy in tests and tools).
    pub fn in_country(country: &str) -> Self {
        DebtorProfile {
            country: country.to_string(),
            subdivision: None,
            timezone: None,
            flags: BTreeSet::new(),
            role: ContactRole::Debtor,
            provenance: Provenance::CreditorFile,
            consent: Consent::default(),
            contact_flags: BTreeSet::new(),
            avoid: Vec::new(),
        }
    }
}

/// Whether a past contact was an attempt (counts against caps) or a
/// conversation (starts cooldowns). A call that reached the debtor is
/// recorded as both an attempt and a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PastContactKind {
    #[default]
    /// A contact attempt (counts against caps).
    Attempt,
    /// A conversation with the debtor (starts cooldowns).
    Conversation,
}

fn yes() -> bool {
    true
}

/// One earlier contact of the same debtor, from the ledger. Debtor-scope
/// caps count every entry; account-scope caps only `same_account` ones.
/// Entries after `now` are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastContact {
    /// When the contact happened.
    pub at: DateTime<Utc>,
    /// The channel it used.
    pub channel: ChannelKind,
    #[serde(default)]
    /// Attempt (default) or conversation.
    pub kind: PastContactKind,
    #[serde(default = "yes")]
    /// Whether it was about the same account (default true).
    pub same_account: bool,
}
