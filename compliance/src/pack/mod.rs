//! Rule packs: the TOML files compliance officers read and write, parsed,
//! validated (errors name file, line and key) and compiled into a form the
//! guard can evaluate without allocating.
//!
//! `raw` is the file's shape, `compile` validates it into a [`RulePack`]
//! (with `locate` naming line and key on failure), and `builtin` holds the
//! packs shipped in the binary.

mod builtin;
mod compile;
mod locate;
mod raw;
mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use cobro_campaigns::{
    AccountFlag, ChannelKind, ContactFlag, ContactRole, Provenance, TemplateElement,
};

use crate::error::RulesError;
use crate::holidays;
use raw::RawPack;
pub use summary::CHANNELS;

/// Index of a day type in [`Windows::days`]: Monday = 0 … Sunday = 6.
pub(crate) const HOLIDAY: usize = 7;
/// Names of the day types as written in the file.
pub const DAY_KEYS: [&str; 8] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"];

/// Local wall-clock intervals `[start, end)` in seconds since midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Windows {
    pub days: [Vec<(u32, u32)>; 8],
    /// Whether holidays have their own windows (else a holiday is an
    /// ordinary weekday).
    pub holiday_rule: bool,
}

/// The period over which a cap counts contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapPeriod {
    /// The debtor's local calendar day.
    CalendarDay,
    /// The debtor's local calendar week, Monday to Sunday.
    CalendarWeek,
    /// A contact counts until the same local time `n` days later.
    Rolling(u32),
}

/// Whose contacts a cap counts: every contact of the debtor, or only those
/// about the same account (debt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapScope {
    /// Every contact of the debtor counts.
    Debtor,
    /// Only contacts about the same account count.
    Account,
}

/// A frequency cap as compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    /// Id from the file (or `cap-N`), quoted in reasons.
    pub id: String,
    /// Whose contacts count.
    pub scope: CapScope,
    /// Over which period they count.
    pub period: CapPeriod,
    /// Bit set of channels (bit = `channel_index`).
    pub(crate) channels: u8,
    /// Count only contacts on the attempt's own channel.
    pub per_channel: bool,
    /// Maximum contacts per period (reaching it defers the next).
    pub max: Option<u32>,
    /// Minimum local calendar days between contacts.
    pub min_gap_days: Option<u32>,
}

/// A cooldown: no contact on `channels` for `days` local calendar days
/// after a conversation, the conversation day being day 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cooldown {
    /// Id from the file (or `cooldown-N`), quoted in reasons.
    pub id: String,
    /// Whose conversations start it.
    pub scope: CapScope,
    pub(crate) channels: u8,
    /// Length in local calendar days, the conversation day being day 1.
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Targets {
    /// Bit set over `ContactRole` discriminants; `None` = every role.
    pub allowed_roles: Option<BTreeSet<ContactRole>>,
    pub blocked_flags: BTreeSet<AccountFlag>,
    pub blocked_provenance: BTreeSet<Provenance>,
    pub blocked_contact_flags: [BTreeSet<ContactFlag>; 3],
    pub consent_required: u8,
}

/// First year of the precomputed holiday bit set.
const HOLIDAY_BASE_YEAR: i32 = 1990;
/// Number of years in the precomputed holiday bit set.
const HOLIDAY_YEARS: i32 = 111;

#[derive(Debug)]
pub(crate) struct Inner {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub country: Option<String>,
    pub windows: Option<Windows>,
    /// Per-channel start margin in seconds.
    pub margins: [u32; 3],
    pub calendar: Option<String>,
    pub holiday_add: BTreeMap<NaiveDate, String>,
    pub holiday_remove: BTreeSet<NaiveDate>,
    /// Bit per day since `HOLIDAY_BASE_YEAR`-01-01.
    holiday_bits: Vec<u64>,
    holiday_base: NaiveDate,
    pub caps: Vec<Cap>,
    pub cooldowns: Vec<Cooldown>,
    pub targets: Targets,
    pub content: [Vec<TemplateElement>; 3],
}

/// A parsed and validated rule pack. Cheap to clone (shared inside), so
/// the same pack can be mapped to many countries.
#[derive(Debug, Clone)]
pub struct RulePack(pub(crate) Arc<Inner>);

pub(crate) fn channel_index(c: ChannelKind) -> usize {
    match c {
        ChannelKind::Email => 0,
        ChannelKind::Sms => 1,
        // A collector's work is held to the rules of a call.
        ChannelKind::Voice | ChannelKind::AgentCall | ChannelKind::AgentTask => 2,
    }
}

pub(crate) fn channel_bits(chs: &[ChannelKind]) -> u8 {
    chs.iter().fold(0, |acc, c| acc | (1 << channel_index(*c)))
}

impl RulePack {
    /// Parses and validates a pack; `origin` (usually the file name) starts
    /// every error message.
    pub fn from_toml_str(src: &str, origin: &str) -> Result<RulePack, RulesError> {
        let raw: RawPack =
            toml::from_str(src).map_err(|e| locate::syntax_error(src, origin, &e))?;
        compile::compile(raw, src, origin).map(|inner| RulePack(Arc::new(inner)))
    }

    /// Reads and parses a pack file.
    pub fn load(path: &Path) -> Result<RulePack, RulesError> {
        let bytes = std::fs::read(path).map_err(|source| RulesError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        RulePack::from_utf8_bytes(bytes, &path.display().to_string())
    }

    /// Parses a pack from a file's bytes (read from disk or uploaded);
    /// bytes that are not UTF-8 give an error naming the line and column
    /// of the first bad one, under `origin`.
    pub fn from_utf8_bytes(bytes: Vec<u8>, origin: &str) -> Result<RulePack, RulesError> {
        let src =
            cobro_campaigns::text_file::decode_utf8(bytes).map_err(|source| RulesError::Io {
                path: origin.into(),
                source,
            })?;
        RulePack::from_toml_str(&src, origin)
    }

    /// The pack id, reported in every verdict and ledger row.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// Human title, if the file gives one.
    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// Free-text description, if any.
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The country the pack was written for, if declared.
    pub fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// Template elements every message on `channel` must carry; launch
    /// refuses templates that miss one.
    pub fn required_elements(&self, channel: ChannelKind) -> Vec<TemplateElement> {
        self.0.content[channel_index(channel)].clone()
    }

    /// The frequency caps of the pack.
    pub fn caps(&self) -> &[Cap] {
        &self.0.caps
    }

    /// The cooldowns of the pack.
    pub fn cooldowns(&self) -> &[Cooldown] {
        &self.0.cooldowns
    }

    /// Whether `date` is a holiday under this pack (national calendar plus
    /// `add`, minus `remove`). Packs without a calendar have no holidays.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        let inner = &*self.0;
        let idx = (date - inner.holiday_base).num_days();
        if idx >= 0 && (idx as usize) < inner.holiday_bits.len() * 64 {
            let i = idx as usize;
            return inner.holiday_bits[i / 64] & (1 << (i % 64)) != 0;
        }
        self.holiday_name(date).is_some()
    }

    /// The holiday's name when `date` is a holiday under this pack.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<String> {
        let inner = &*self.0;
        if inner.holiday_remove.contains(&date) {
            return None;
        }
        if let Some(n) = inner.holiday_add.get(&date) {
            return Some(n.clone());
        }
        let cal = inner.calendar.as_deref()?;
        holidays::holidays(cal, date.year())
            .into_iter()
            .find(|(d, _)| *d == date)
            .map(|(_, n)| n)
    }

    /// The holiday calendar (country code) the pack uses, if any.
    pub fn calendar(&self) -> Option<&str> {
        self.0.calendar.as_deref()
    }

    /// Local windows `(start, end)` in seconds since midnight that apply
    /// on `date` for `channel`, after the channel's start margin. `None`
    /// means the pack does not restrict hours at all.
    pub fn windows_on(&self, date: NaiveDate, channel: ChannelKind) -> Option<Vec<(u32, u32)>> {
        let w = self.0.windows.as_ref()?;
        let margin = self.0.margins[channel_index(channel)];
        let dt = self.day_type(date);
        Some(
            w.days[dt]
                .iter()
                .filter_map(|&(s, e)| {
                    let e = e.saturating_sub(margin);
                    (e > s).then_some((s, e))
                })
                .collect(),
        )
    }

    /// Day type index for a local date: the weekday, or `HOLIDAY` when the
    /// pack has holiday windows and the date is a holiday.
    #[inline]
    pub(crate) fn day_type(&self, date: NaiveDate) -> usize {
        let inner = &*self.0;
        if let Some(w) = &inner.windows
            && w.holiday_rule
            && self.is_holiday(date)
        {
            return HOLIDAY;
        }
        date.weekday().num_days_from_monday() as usize
    }
}
