//! What a pack file says, before any validation: serde's view of the
//! TOML, keeping the spans that error messages need.

use cobro_campaigns::{
    AccountFlag, ChannelKind, ContactFlag, ContactRole, Provenance, TemplateElement,
};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPack {
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    /// ISO country the pack is written for (documentation, and the default
    /// holiday calendar).
    #[serde(default)]
    pub(super) country: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) windows: Option<Spanned<RawWindows>>,
    #[serde(default)]
    pub(super) margins: RawMargins,
    #[serde(default)]
    pub(super) holidays: Option<RawHolidays>,
    #[serde(default)]
    pub(super) caps: Vec<RawCap>,
    #[serde(default)]
    pub(super) cooldowns: Vec<RawCooldown>,
    #[serde(default)]
    pub(super) targets: RawTargets,
    #[serde(default)]
    pub(super) content: RawContent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindows {
    pub(super) mon: Option<Vec<Spanned<String>>>,
    pub(super) tue: Option<Vec<Spanned<String>>>,
    pub(super) wed: Option<Vec<Spanned<String>>>,
    pub(super) thu: Option<Vec<Spanned<String>>>,
    pub(super) fri: Option<Vec<Spanned<String>>>,
    pub(super) sat: Option<Vec<Spanned<String>>>,
    pub(super) sun: Option<Vec<Spanned<String>>>,
    pub(super) holiday: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMargins {
    pub(super) email: Option<Spanned<i64>>,
    pub(super) sms: Option<Spanned<i64>>,
    pub(super) voice: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHolidays {
    #[serde(default)]
    pub(super) calendar: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) add: Vec<Spanned<RawHolidayAdd>>,
    #[serde(default)]
    pub(super) remove: Vec<Spanned<String>>,
}

/// `"2026-12-12"` or `{ date = "2026-12-12", name = "…" }`. Deserialized
/// by hand: serde's untagged enums buffer their input and lose the spans
/// that error messages need.
#[derive(Debug)]
pub(super) enum RawHolidayAdd {
    Date(String),
    Named(RawNamedHoliday),
}

impl<'de> Deserialize<'de> for RawHolidayAdd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawHolidayAdd;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#"a date "YYYY-MM-DD" or { date = "YYYY-MM-DD", name = "…" }"#)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawHolidayAdd, E> {
                Ok(RawHolidayAdd::Date(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawHolidayAdd, A::Error> {
                RawNamedHoliday::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawHolidayAdd::Named)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNamedHoliday {
    pub(super) date: String,
    pub(super) name: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawScope {
    Debtor,
    Account,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCap {
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default = "default_scope")]
    pub(super) scope: RawScope,
    pub(super) period: Spanned<String>,
    #[serde(default)]
    pub(super) days: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) channels: Option<Spanned<Vec<ChannelKind>>>,
    #[serde(default)]
    pub(super) per_channel: bool,
    #[serde(default)]
    pub(super) max: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) min_gap_days: Option<Spanned<i64>>,
}

fn default_scope() -> RawScope {
    RawScope::Debtor
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCooldown {
    #[serde(default)]
    pub(super) id: Option<String>,
    pub(super) after: Spanned<String>,
    #[serde(default = "default_scope")]
    pub(super) scope: RawScope,
    #[serde(default)]
    pub(super) channels: Option<Spanned<Vec<ChannelKind>>>,
    pub(super) days: Spanned<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTargets {
    #[serde(default)]
    pub(super) allowed_roles: Option<Vec<ContactRole>>,
    #[serde(default)]
    pub(super) blocked_flags: Vec<AccountFlag>,
    #[serde(default)]
    pub(super) blocked_provenance: Vec<Provenance>,
    #[serde(default)]
    pub(super) blocked_contact_flags: RawPerChannel<ContactFlag>,
    #[serde(default)]
    pub(super) consent_required: Vec<ChannelKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerChannel<T> {
    #[serde(default = "Vec::new")]
    pub(super) all: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(super) email: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(super) sms: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(super) voice: Vec<T>,
}

impl<T> Default for RawPerChannel<T> {
    fn default() -> Self {
        RawPerChannel {
            all: Vec::new(),
            email: Vec::new(),
            sms: Vec::new(),
            voice: Vec::new(),
        }
    }
}

pub(super) type RawContent = RawPerChannel<TemplateElement>;
