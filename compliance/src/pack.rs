//! Rule packs: the TOML files compliance officers read and write, parsed,
//! validated (errors name file, line and key) and compiled into a form the
//! guard can evaluate without allocating.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use cobro_campaigns::{
    AccountFlag, ChannelKind, ContactFlag, ContactRole, Provenance, TemplateElement,
};
use serde::Deserialize;
use toml::Spanned;

use crate::error::RulesError;
use crate::holidays;

// ---------------------------------------------------------------------------
// Raw schema (what the file says)
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// ISO country the pack is written for (documentation, and the default
    /// holiday calendar).
    #[serde(default)]
    country: Option<Spanned<String>>,
    #[serde(default)]
    windows: Option<Spanned<RawWindows>>,
    #[serde(default)]
    margins: RawMargins,
    #[serde(default)]
    holidays: Option<RawHolidays>,
    #[serde(default)]
    caps: Vec<RawCap>,
    #[serde(default)]
    cooldowns: Vec<RawCooldown>,
    #[serde(default)]
    targets: RawTargets,
    #[serde(default)]
    content: RawContent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindows {
    mon: Option<Vec<Spanned<String>>>,
    tue: Option<Vec<Spanned<String>>>,
    wed: Option<Vec<Spanned<String>>>,
    thu: Option<Vec<Spanned<String>>>,
    fri: Option<Vec<Spanned<String>>>,
    sat: Option<Vec<Spanned<String>>>,
    sun: Option<Vec<Spanned<String>>>,
    holiday: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMargins {
    email: Option<Spanned<i64>>,
    sms: Option<Spanned<i64>>,
    voice: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHolidays {
    #[serde(default)]
    calendar: Option<Spanned<String>>,
    #[serde(default)]
    add: Vec<Spanned<RawHolidayAdd>>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
}

/// `"2026-12-12"` or `{ date = "2026-12-12", name = "…" }`. Deserialized
/// by hand: serde's untagged enums buffer their input and lose the spans
/// that error messages need.
#[derive(Debug)]
enum RawHolidayAdd {
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
struct RawNamedHoliday {
    date: String,
    name: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawScope {
    Debtor,
    Account,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCap {
    #[serde(default)]
    id: Option<String>,
    #[serde(default = "default_scope")]
    scope: RawScope,
    period: Spanned<String>,
    #[serde(default)]
    days: Option<Spanned<i64>>,
    #[serde(default)]
    channels: Option<Spanned<Vec<ChannelKind>>>,
    #[serde(default)]
    per_channel: bool,
    #[serde(default)]
    max: Option<Spanned<i64>>,
    #[serde(default)]
    min_gap_days: Option<Spanned<i64>>,
}

fn default_scope() -> RawScope {
    RawScope::Debtor
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCooldown {
    #[serde(default)]
    id: Option<String>,
    after: Spanned<String>,
    #[serde(default = "default_scope")]
    scope: RawScope,
    #[serde(default)]
    channels: Option<Spanned<Vec<ChannelKind>>>,
    days: Spanned<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    #[serde(default)]
    allowed_roles: Option<Vec<ContactRole>>,
    #[serde(default)]
    blocked_flags: Vec<AccountFlag>,
    #[serde(default)]
    blocked_provenance: Vec<Provenance>,
    #[serde(default)]
    blocked_contact_flags: RawPerChannel<ContactFlag>,
    #[serde(default)]
    consent_required: Vec<ChannelKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerChannel<T> {
    #[serde(default = "Vec::new")]
    all: Vec<T>,
    #[serde(default = "Vec::new")]
    email: Vec<T>,
    #[serde(default = "Vec::new")]
    sms: Vec<T>,
    #[serde(default = "Vec::new")]
    voice: Vec<T>,
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

type RawContent = RawPerChannel<TemplateElement>;

// ---------------------------------------------------------------------------
// Compiled form
// ---------------------------------------------------------------------------

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
        ChannelKind::Voice => 2,
    }
}

pub(crate) fn channel_bits(chs: &[ChannelKind]) -> u8 {
    chs.iter().fold(0, |acc, c| acc | (1 << channel_index(*c)))
}

const BUILTINS: &[(&str, &str)] = &[
    (
        "mx-profeco",
        include_str!("../../config/rules/mx-profeco.toml"),
    ),
    (
        "co-ley2300",
        include_str!("../../config/rules/co-ley2300.toml"),
    ),
    (
        "cl-ley21320",
        include_str!("../../config/rules/cl-ley21320.toml"),
    ),
    (
        "pe-consumidor",
        include_str!("../../config/rules/pe-consumidor.toml"),
    ),
    ("us-regf", include_str!("../../config/rules/us-regf.toml")),
];
const BUILTIN_NAMES: &[&str] = &[
    "mx-profeco",
    "co-ley2300",
    "cl-ley21320",
    "pe-consumidor",
    "us-regf",
];

impl RulePack {
    /// A pack built into the binary (`mx-profeco`, `co-ley2300`,
    /// `cl-ley21320`, `pe-consumidor`, `us-regf`); the same text ships as
    /// an editable file in `config/rules/`.
    pub fn builtin(name: &str) -> Option<RulePack> {
        let (n, src) = BUILTINS.iter().find(|(n, _)| *n == name)?;
        // The embedded packs are tested to parse; a failure here would be a
        // build defect, reported as "not available" rather than a panic.
        RulePack::from_toml_str(src, &format!("{n}.toml")).ok()
    }

    /// The TOML text of a built-in pack, for officers who want to copy it.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// Names accepted by [`RulePack::builtin`].
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// Parses and validates a pack; `origin` (usually the file name) starts
    /// every error message.
    pub fn from_toml_str(src: &str, origin: &str) -> Result<RulePack, RulesError> {
        let raw: RawPack = toml::from_str(src).map_err(|e| syntax_error(src, origin, &e))?;
        compile(raw, src, origin).map(|inner| RulePack(Arc::new(inner)))
    }

    /// Reads and parses a pack file.
    pub fn load(path: &Path) -> Result<RulePack, RulesError> {
        let src = cobro_campaigns::text_file::read_utf8(path).map_err(|source| RulesError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        RulePack::from_toml_str(&src, &path.display().to_string())
    }

    /// A built-in name, else a path to a file.
    pub fn load_named_or_file(spec: &str) -> Result<RulePack, RulesError> {
        let spec = spec.trim();
        if let Some(p) = RulePack::builtin(spec) {
            return Ok(p);
        }
        let path = Path::new(spec);
        if path.exists() {
            return RulePack::load(path);
        }
        Err(RulesError::NotFound {
            spec: spec.to_string(),
            known: BUILTIN_NAMES.join(", "),
        })
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

// ---------------------------------------------------------------------------
// Errors with line and key
// ---------------------------------------------------------------------------

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

fn syntax_error(src: &str, origin: &str, e: &toml::de::Error) -> RulesError {
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

struct Ctx<'a> {
    src: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(
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

/// Parses `HH:MM` or `HH:MM:SS` (24:00 allowed as an end) into seconds.
fn parse_time(s: &str, allow_24: bool) -> Option<u32> {
    let mut parts = s.trim().split(':');
    let h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = parts.next()?.trim().parse().ok()?;
    let sec: u32 = match parts.next() {
        Some(p) => p.trim().parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() || m > 59 || sec > 59 {
        return None;
    }
    if h == 24 && m == 0 && sec == 0 && allow_24 {
        return Some(86_400);
    }
    if h > 23 {
        return None;
    }
    Some(h * 3600 + m * 60 + sec)
}

fn parse_interval(ctx: &Ctx, key: &str, v: &Spanned<String>) -> Result<(u32, u32), RulesError> {
    let span = Some(v.span());
    let text = v.get_ref().trim();
    let (a, b) = text
        .split_once('-')
        .or_else(|| text.split_once('–'))
        .ok_or_else(|| {
            ctx.err(
                span.clone(),
                key,
                format!("`{text}` is not a window (write \"07:00-22:00\")"),
            )
        })?;
    let start = parse_time(a, false).ok_or_else(|| {
        ctx.err(
            span.clone(),
            key,
            format!("start {} is not a time", a.trim()),
        )
    })?;
    let end = parse_time(b, true)
        .ok_or_else(|| ctx.err(span.clone(), key, format!("end {} is not a time", b.trim())))?;
    if end <= start {
        return Err(ctx.err(
            span,
            key,
            format!(
                "window `{text}` ends before it starts (windows cannot cross midnight; split them)"
            ),
        ));
    }
    Ok((start, end))
}

fn parse_date(ctx: &Ctx, key: &str, v: &Spanned<String>) -> Result<NaiveDate, RulesError> {
    parse_date_at(ctx, key, v.get_ref(), v.span())
}

fn parse_date_at(
    ctx: &Ctx,
    key: &str,
    v: &str,
    span: Range<usize>,
) -> Result<NaiveDate, RulesError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| ctx.err(Some(span), key, format!("`{v}` is not a date (YYYY-MM-DD)")))
}

fn positive(ctx: &Ctx, key: &str, v: &Spanned<i64>, min: i64, max: i64) -> Result<u32, RulesError> {
    let n = *v.get_ref();
    if n < min || n > max {
        return Err(ctx.err(
            Some(v.span()),
            key,
            format!("{n} is out of range ({min}..={max})"),
        ));
    }
    Ok(n as u32)
}

fn compile(raw: RawPack, src: &str, origin: &str) -> Result<Inner, RulesError> {
    let ctx = Ctx { src, origin };
    let id = raw.id.get_ref().trim().to_string();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ctx.err(
            Some(raw.id.span()),
            "id",
            format!("`{id}` is not a pack id (letters, digits, `-`, `_`)"),
        ));
    }
    let country = match &raw.country {
        Some(c) => {
            let code = c.get_ref().trim().to_ascii_uppercase();
            if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(ctx.err(
                    Some(c.span()),
                    "country",
                    format!("`{}` is not an ISO 3166-1 alpha-2 code", c.get_ref()),
                ));
            }
            Some(code)
        }
        None => None,
    };

    // Windows.
    let windows = match &raw.windows {
        None => None,
        Some(w) => {
            let wr = w.get_ref();
            let lists = [
                &wr.mon,
                &wr.tue,
                &wr.wed,
                &wr.thu,
                &wr.fri,
                &wr.sat,
                &wr.sun,
                &wr.holiday,
            ];
            let mut days: [Vec<(u32, u32)>; 8] = Default::default();
            for (i, list) in lists.iter().enumerate() {
                let key = format!("windows.{}", DAY_KEYS[i]);
                match list {
                    None if i < 7 => {
                        return Err(ctx.err(
                            Some(w.span()),
                            key,
                            "missing (write `[]` for a closed day)",
                        ));
                    }
                    None => {}
                    Some(items) => {
                        let mut v = Vec::with_capacity(items.len());
                        for item in items {
                            v.push(parse_interval(&ctx, &key, item)?);
                        }
                        v.sort_unstable();
                        for pair in v.windows(2) {
                            if pair[1].0 < pair[0].1 {
                                let span = items.first().map(|s| s.span());
                                return Err(ctx.err(span, key, "windows overlap"));
                            }
                        }
                        days[i] = v;
                    }
                }
            }
            if days[..7].iter().all(Vec::is_empty) {
                return Err(ctx.err(
                    Some(w.span()),
                    "windows",
                    "every day is closed; nothing could ever be sent",
                ));
            }
            Some(Windows {
                days,
                holiday_rule: wr.holiday.is_some(),
            })
        }
    };

    let mut margins = [0u32; 3];
    for (i, (name, m)) in [
        ("email", &raw.margins.email),
        ("sms", &raw.margins.sms),
        ("voice", &raw.margins.voice),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(m) = m {
            margins[i] = positive(&ctx, &format!("margins.{name}"), m, 0, 24 * 60)? * 60;
        }
    }

    // Holidays.
    let mut calendar = None;
    let mut holiday_add = BTreeMap::new();
    let mut holiday_remove = BTreeSet::new();
    if let Some(h) = &raw.holidays {
        if let Some(c) = &h.calendar {
            let code = c.get_ref().trim().to_ascii_uppercase();
            if code != "NONE" {
                if !holidays::is_supported(&code) {
                    return Err(ctx.err(
                        Some(c.span()),
                        "holidays.calendar",
                        format!(
                            "no holiday calendar for `{}` (known: {}, or \"none\")",
                            c.get_ref(),
                            holidays::SUPPORTED.join(", ")
                        ),
                    ));
                }
                calendar = Some(code);
            }
        } else {
            calendar = country.clone().filter(|c| holidays::is_supported(c));
        }
        for (i, a) in h.add.iter().enumerate() {
            let key = format!("holidays.add[{i}]");
            let span = a.span();
            let (d, name) = match a.get_ref() {
                RawHolidayAdd::Date(d) => (
                    parse_date_at(&ctx, &key, d, span)?,
                    "Feriado (pack)".to_string(),
                ),
                RawHolidayAdd::Named(n) => {
                    (parse_date_at(&ctx, &key, &n.date, span)?, n.name.clone())
                }
            };
            holiday_add.insert(d, name);
        }
        for (i, r) in h.remove.iter().enumerate() {
            holiday_remove.insert(parse_date(&ctx, &format!("holidays.remove[{i}]"), r)?);
        }
    } else if windows.as_ref().is_some_and(|w| w.holiday_rule) {
        calendar = country.clone().filter(|c| holidays::is_supported(c));
    }
    if let Some(w) = &raw.windows
        && w.get_ref().holiday.is_some()
        && calendar.is_none()
        && holiday_add.is_empty()
    {
        return Err(ctx.err(
            Some(w.span()),
            "windows.holiday",
            "holiday windows need a calendar: set `holidays.calendar` (or `country`) or `holidays.add`",
        ));
    }

    // Caps.
    let mut caps = Vec::with_capacity(raw.caps.len());
    for (i, c) in raw.caps.iter().enumerate() {
        let base = format!("caps[{i}]");
        let period = match c.period.get_ref().trim() {
            "calendar_day" | "day" => CapPeriod::CalendarDay,
            "calendar_week" | "week" => CapPeriod::CalendarWeek,
            "rolling" | "rolling_days" => {
                let d = c.days.as_ref().ok_or_else(|| {
                    ctx.err(
                        Some(c.period.span()),
                        format!("{base}.days"),
                        "a rolling period needs `days`",
                    )
                })?;
                CapPeriod::Rolling(positive(&ctx, &format!("{base}.days"), d, 1, 3660)?)
            }
            other => {
                return Err(ctx.err(
                    Some(c.period.span()),
                    format!("{base}.period"),
                    format!("`{other}` is not a period (calendar_day, calendar_week or rolling)"),
                ));
            }
        };
        if !matches!(period, CapPeriod::Rolling(_))
            && let Some(d) = &c.days
        {
            return Err(ctx.err(
                Some(d.span()),
                format!("{base}.days"),
                "`days` only applies to period = \"rolling\"",
            ));
        }
        let channels = match &c.channels {
            Some(ch) if ch.get_ref().is_empty() => {
                return Err(ctx.err(
                    Some(ch.span()),
                    format!("{base}.channels"),
                    "empty channel set",
                ));
            }
            Some(ch) => channel_bits(ch.get_ref()),
            None => 0b111,
        };
        let max = c
            .max
            .as_ref()
            .map(|m| positive(&ctx, &format!("{base}.max"), m, 1, 1_000_000))
            .transpose()?;
        let min_gap_days = c
            .min_gap_days
            .as_ref()
            .map(|m| positive(&ctx, &format!("{base}.min_gap_days"), m, 1, 3660))
            .transpose()?;
        if max.is_none() && min_gap_days.is_none() {
            return Err(ctx.err(
                Some(c.period.span()),
                format!("{base}.max"),
                "a cap needs `max` or `min_gap_days`",
            ));
        }
        caps.push(Cap {
            id: c.id.clone().unwrap_or_else(|| format!("cap-{}", i + 1)),
            scope: match c.scope {
                RawScope::Debtor => CapScope::Debtor,
                RawScope::Account => CapScope::Account,
            },
            period,
            channels,
            per_channel: c.per_channel,
            max,
            min_gap_days,
        });
    }

    let mut cooldowns = Vec::with_capacity(raw.cooldowns.len());
    for (i, c) in raw.cooldowns.iter().enumerate() {
        let base = format!("cooldowns[{i}]");
        if c.after.get_ref().trim() != "conversation" {
            return Err(ctx.err(
                Some(c.after.span()),
                format!("{base}.after"),
                format!(
                    "`{}` is not an event (known: conversation)",
                    c.after.get_ref()
                ),
            ));
        }
        let channels = match &c.channels {
            Some(ch) if ch.get_ref().is_empty() => {
                return Err(ctx.err(
                    Some(ch.span()),
                    format!("{base}.channels"),
                    "empty channel set",
                ));
            }
            Some(ch) => channel_bits(ch.get_ref()),
            None => 0b111,
        };
        cooldowns.push(Cooldown {
            id: c
                .id
                .clone()
                .unwrap_or_else(|| format!("cooldown-{}", i + 1)),
            scope: match c.scope {
                RawScope::Debtor => CapScope::Debtor,
                RawScope::Account => CapScope::Account,
            },
            channels,
            days: positive(&ctx, &format!("{base}.days"), &c.days, 1, 3660)?,
        });
    }

    let t = &raw.targets;
    let mut blocked_contact_flags: [BTreeSet<ContactFlag>; 3] = Default::default();
    for (i, list) in [
        &t.blocked_contact_flags.email,
        &t.blocked_contact_flags.sms,
        &t.blocked_contact_flags.voice,
    ]
    .into_iter()
    .enumerate()
    {
        blocked_contact_flags[i].extend(t.blocked_contact_flags.all.iter().copied());
        blocked_contact_flags[i].extend(list.iter().copied());
    }
    let targets = Targets {
        allowed_roles: t
            .allowed_roles
            .as_ref()
            .map(|r| r.iter().copied().collect()),
        blocked_flags: t.blocked_flags.iter().copied().collect(),
        blocked_provenance: t.blocked_provenance.iter().copied().collect(),
        blocked_contact_flags,
        consent_required: channel_bits(&t.consent_required),
    };

    let c = &raw.content;
    let mut content: [Vec<TemplateElement>; 3] = Default::default();
    for (i, list) in [&c.email, &c.sms, &c.voice].into_iter().enumerate() {
        let mut set: BTreeSet<TemplateElement> = c.all.iter().copied().collect();
        set.extend(list.iter().copied());
        content[i] = set.into_iter().collect();
    }

    let mut inner = Inner {
        id,
        name: raw.name,
        description: raw.description,
        country,
        windows,
        margins,
        calendar,
        holiday_add,
        holiday_remove,
        holiday_bits: Vec::new(),
        holiday_base: NaiveDate::from_ymd_opt(HOLIDAY_BASE_YEAR, 1, 1).unwrap_or(NaiveDate::MIN),
        caps,
        cooldowns,
        targets,
        content,
    };
    inner.holiday_bits = holiday_bits(&inner);
    Ok(inner)
}

fn holiday_bits(inner: &Inner) -> Vec<u64> {
    let total_days = (NaiveDate::from_ymd_opt(HOLIDAY_BASE_YEAR + HOLIDAY_YEARS, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        - inner.holiday_base)
        .num_days()
        .max(0) as usize;
    let mut bits = vec![0u64; total_days.div_ceil(64)];
    let mut set = |d: NaiveDate, on: bool| {
        let idx = (d - inner.holiday_base).num_days();
        if idx >= 0 && (idx as usize) < total_days {
            let i = idx as usize;
            if on {
                bits[i / 64] |= 1 << (i % 64);
            } else {
                bits[i / 64] &= !(1 << (i % 64));
            }
        }
    };
    if let Some(cal) = &inner.calendar {
        for y in HOLIDAY_BASE_YEAR..HOLIDAY_BASE_YEAR + HOLIDAY_YEARS {
            for (d, _) in holidays::holidays(cal, y) {
                set(d, true);
            }
        }
    }
    for d in inner.holiday_add.keys() {
        set(*d, true);
    }
    for d in &inner.holiday_remove {
        set(*d, false);
    }
    bits
}
