use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ChannelKind;

/// What an address is: a mailbox or a phone number (E.164).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressKind {
    Email,
    Phone,
}

/// Who is at the other end of an address. Laws restrict who may be
/// contacted about a debt (no third parties, references or employers in
/// most packs), so every contact point carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    Debtor,
    Guarantor,
    CoObligor,
    ThirdParty,
    Reference,
    Employer,
}

impl ContactRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactRole::Debtor => "debtor",
            ContactRole::Guarantor => "guarantor",
            ContactRole::CoObligor => "co_obligor",
            ContactRole::ThirdParty => "third_party",
            ContactRole::Reference => "reference",
            ContactRole::Employer => "employer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "debtor" | "deudor" | "titular" => ContactRole::Debtor,
                "guarantor" | "aval" | "fiador" => ContactRole::Guarantor,
                "co_obligor" | "coobligor" | "codeudor" | "coacreditado" => ContactRole::CoObligor,
                "third_party" | "tercero" => ContactRole::ThirdParty,
                "reference" | "referencia" => ContactRole::Reference,
                "employer" | "empleador" => ContactRole::Employer,
                _ => return None,
            },
        )
    }
}

/// Where an address came from. Mexico only allows addresses the creditor
/// was given, so skip-traced ones must be distinguishable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    CreditorFile,
    DebtorProvided,
    SkipTraced,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::CreditorFile => "creditor_file",
            Provenance::DebtorProvided => "debtor_provided",
            Provenance::SkipTraced => "skip_traced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "creditor_file" | "acreedor" => Provenance::CreditorFile,
                "debtor_provided" | "deudor" => Provenance::DebtorProvided,
                "skip_traced" | "localizado" => Provenance::SkipTraced,
                _ => return None,
            },
        )
    }
}

/// Facts about one address that change whether it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactFlag {
    /// The number now belongs to someone else.
    Reassigned,
    /// A work mailbox: Reg F forbids it when the employer may read it.
    EmployerEmail,
    /// Cannot receive SMS.
    Landline,
}

impl ContactFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactFlag::Reassigned => "reassigned",
            ContactFlag::EmployerEmail => "employer_email",
            ContactFlag::Landline => "landline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "reassigned" => ContactFlag::Reassigned,
            "employer_email" => ContactFlag::EmployerEmail,
            "landline" => ContactFlag::Landline,
            _ => return None,
        })
    }
}

/// Consent recorded per channel. `None` means "not recorded", which a pack
/// that requires consent treats as "no".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
}

impl Consent {
    /// A collector's call is consented (or not) as a call.
    pub fn get(&self, channel: ChannelKind) -> Option<bool> {
        match channel.guarded_as() {
            ChannelKind::Email => self.email,
            ChannelKind::Sms => self.sms,
            ChannelKind::Voice | ChannelKind::AgentCall | ChannelKind::AgentTask => self.voice,
        }
    }

    pub fn set(&mut self, channel: ChannelKind, value: Option<bool>) {
        match channel.guarded_as() {
            ChannelKind::Email => self.email = value,
            ChannelKind::Sms => self.sms = value,
            ChannelKind::Voice | ChannelKind::AgentCall | ChannelKind::AgentTask => {
                self.voice = value
            }
        }
    }
}

/// One address through which someone connected to the account can be
/// reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPoint {
    pub kind: AddressKind,
    /// E.164 for phones (`+5215512345678`), lower-cased for email.
    pub address: String,
    pub role: ContactRole,
    pub provenance: Provenance,
    #[serde(default)]
    pub consent: Consent,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub flags: BTreeSet<ContactFlag>,
}

impl ContactPoint {
    /// Whether this address can carry the channel at all (a landline gets
    /// no SMS).
    pub fn serves(&self, channel: ChannelKind) -> bool {
        self.kind == channel.address_kind()
            && !(channel == ChannelKind::Sms && self.flags.contains(&ContactFlag::Landline))
    }
}
