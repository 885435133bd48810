use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{ChannelKind, ContactPoint};

/// Facts about the debtor or the debt that stop or restrict contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountFlag {
    Minor,
    Deceased,
    Disputed,
    Bankrupt,
    CeaseCommunication,
    Sued,
}

impl AccountFlag {
    pub const ALL: [AccountFlag; 6] = [
        AccountFlag::Minor,
        AccountFlag::Deceased,
        AccountFlag::Disputed,
        AccountFlag::Bankrupt,
        AccountFlag::CeaseCommunication,
        AccountFlag::Sued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountFlag::Minor => "minor",
            AccountFlag::Deceased => "deceased",
            AccountFlag::Disputed => "disputed",
            AccountFlag::Bankrupt => "bankrupt",
            AccountFlag::CeaseCommunication => "cease_communication",
            AccountFlag::Sued => "sued",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "minor" | "menor" => AccountFlag::Minor,
                "deceased" | "fallecido" => AccountFlag::Deceased,
                "disputed" | "disputa" => AccountFlag::Disputed,
                "bankrupt" | "quiebra" | "concurso" => AccountFlag::Bankrupt,
                "cease_communication" => AccountFlag::CeaseCommunication,
                "sued" | "demandado" => AccountFlag::Sued,
                _ => return None,
            },
        )
    }
}

/// One overdue debt (expediente) and everything needed to contact its
/// debtor lawfully.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    /// The creditor the debt is owed to (empresa); messages must name it.
    pub creditor: String,
    pub debtor_name: String,
    /// CIF/NIF/RFC/RUT as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    pub amount_due: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    pub due_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// BCP 47 tag of the debtor's language (`es-MX`, `en-US`…).
    pub language: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// ISO 3166-2 (`MX-BCN`), which pins the time zone in multi-zone
    /// countries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdivision: Option<String>,
    /// Explicit IANA zone; wins over subdivision and country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub flags: BTreeSet<AccountFlag>,
    #[serde(default)]
    pub contact_points: Vec<ContactPoint>,
    /// Free values for templates (payment link, branch, product…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl Account {
    /// Days past due on `today`; zero before the due date.
    pub fn days_past_due(&self, today: NaiveDate) -> i64 {
        (today - self.due_date).num_days().max(0)
    }

    /// The first address that can carry `channel`, preferring the debtor's
    /// own over other roles.
    pub fn contact_point_for(&self, channel: ChannelKind) -> Option<&ContactPoint> {
        // No allocation: planning calls this for every (account, step).
        let mut first = None;
        for cp in self.contact_points.iter().filter(|cp| cp.serves(channel)) {
            if cp.role == crate::ContactRole::Debtor {
                return Some(cp);
            }
            first.get_or_insert(cp);
        }
        first
    }
}
