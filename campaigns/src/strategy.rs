//! Collection strategies: the ordered steps a campaign takes with each
//! account (which channel, which template, on which day, for whom) and the
//! events that end the sequence.
//!
//! Strategies are written by operations teams as TOML files (see
//! `config/examples/strategy.toml`), so a mistake must be reported with the
//! file, line and key the person has to fix, e.g.
//! `strategy.toml:14: key 'steps[2].channel': unknown channel 'fax'`.
//! Step indices in keys count from 0, in file order.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::{Account, ChannelKind};

/// When a step fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepTrigger {
    /// This many days after the campaign start (`day = 3`).
    DayOffset(u32),
    /// When the debt reaches this many days past due (`days_past_due =
    /// 30`), but never before the campaign start.
    DaysPastDue(u32),
}

/// Which accounts a step applies to. Empty or absent bounds match all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFilter {
    /// Lower-case segment names; empty matches every segment (and none).
    pub segments: Vec<String>,
    pub dpd_min: Option<u32>,
    pub dpd_max: Option<u32>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    /// An event the step waits for (`after = "broken_promise"`). Planned
    /// like any step; the engine sends it only when the event happened by
    /// its due time (see `StepAfter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<StepAfter>,
}

/// What a step may wait for. The plan is made at launch, before anyone
/// knows whether a promise will break, so such a step is planned for every
/// account and decided when due: sent when a promise of the account has
/// broken, held while one is open, cancelled when none was made or all
/// were kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAfter {
    BrokenPromise,
}

impl StepFilter {
    /// Whether the account qualifies on `day` (days past due are those of
    /// the day the step fires, not of the import). Bounds are inclusive.
    pub fn matches(&self, account: &Account, day: NaiveDate) -> bool {
        if !self.segments.is_empty() {
            let Some(seg) = &account.segment else {
                return false;
            };
            if !self.segments.iter().any(|s| s.eq_ignore_ascii_case(seg)) {
                return false;
            }
        }
        let dpd = account.days_past_due(day);
        if self.dpd_min.is_some_and(|m| dpd < i64::from(m)) {
            return false;
        }
        if self.dpd_max.is_some_and(|m| dpd > i64::from(m)) {
            return false;
        }
        if self.amount_min.is_some_and(|m| account.amount_due < m) {
            return false;
        }
        if self.amount_max.is_some_and(|m| account.amount_due > m) {
            return false;
        }
        true
    }

    /// Whether the filter lets every account through.
    pub fn is_empty(&self) -> bool {
        *self == StepFilter::default()
    }
}

/// One contact the strategy makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `[a-z0-9_-]+`, unique in the strategy; part of the contact id.
    pub id: String,
    pub trigger: StepTrigger,
    pub channel: ChannelKind,
    pub template: String,
    /// Local wall-clock time in the debtor's zone at which the contact
    /// becomes due (the guard may still defer it).
    pub send_at: NaiveTime,
    pub when: StepFilter,
    /// Channel to try when this one is blocked or fails permanently.
    pub fallback: Option<ChannelKind>,
    /// The collectors' team that works an agent step (`agent_call`,
    /// `agent_task`); `None` for every other channel. Segments reach
    /// different teams through steps with different `when.segments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// The team an agent step goes to when the strategy names none.
pub const DEFAULT_TEAM: &str = "general";

/// Events that end an account's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopEvent {
    Paid,
    PromiseToPay,
    Dispute,
    OptOut,
}

impl StopEvent {
    pub const ALL: [StopEvent; 4] = [
        StopEvent::Paid,
        StopEvent::PromiseToPay,
        StopEvent::Dispute,
        StopEvent::OptOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StopEvent::Paid => "paid",
            StopEvent::PromiseToPay => "promise_to_pay",
            StopEvent::Dispute => "dispute",
            StopEvent::OptOut => "opt_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        StopEvent::ALL.into_iter().find(|e| e.as_str() == s.trim())
    }
}

impl fmt::Display for StopEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    pub id: String,
    pub steps: Vec<Step>,
    pub stop_on: Vec<StopEvent>,
}

/// Why a strategy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    #[error("{origin}: cannot read the file: {source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}: {}{reason}", key_label(.key))]
    Invalid {
        origin: String,
        line: usize,
        key: String,
        reason: String,
    },
}

fn key_label(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("key '{key}': ")
    }
}

impl StrategyError {
    /// The 1-based line of the problem, when it is about the content.
    pub fn line(&self) -> Option<usize> {
        match self {
            StrategyError::Invalid { line, .. } => Some(*line),
            StrategyError::Io { .. } => None,
        }
    }

    /// The dotted key of the problem (`steps[2].channel`), if known.
    pub fn key(&self) -> Option<&str> {
        match self {
            StrategyError::Invalid { key, .. } if !key.is_empty() => Some(key),
            _ => None,
        }
    }

    pub fn is_io(&self) -> bool {
        matches!(self, StrategyError::Io { .. })
    }
}

// ---------------------------------------------------------------------------
// TOML shape

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    id: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
    #[serde(default)]
    stop_on: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    day: Option<Spanned<i64>>,
    days_past_due: Option<Spanned<i64>>,
    channel: Spanned<String>,
    template: Spanned<String>,
    send_at: Option<Spanned<toml::Value>>,
    fallback: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
    when: Option<Spanned<RawWhen>>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    #[serde(default)]
    segments: Vec<Spanned<String>>,
    dpd_min: Option<Spanned<i64>>,
    dpd_max: Option<Spanned<i64>>,
    amount_min: Option<Spanned<toml::Value>>,
    amount_max: Option<Spanned<toml::Value>>,
    after: Option<Spanned<String>>,
}

/// The default local send hour when a step gives none.
pub const DEFAULT_SEND_AT: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

struct Ctx<'a> {
    src: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.src.len());
        self.src.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<T, StrategyError> {
        Err(StrategyError::Invalid {
            origin: self.origin.to_string(),
            line: self.line_of(span.start),
            key: key.into(),
            reason: reason.into(),
        })
    }
}

/// Reconstructs the dotted key at `offset` by scanning table headers, for
/// serde errors, which carry a span but no path we can read.
fn key_path_at(src: &str, offset: usize) -> String {
    let mut table = String::new();
    let mut steps = 0usize;
    let mut pos = 0usize;
    for line in src.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim();
            if name == "steps" {
                steps += 1;
                table = format!("steps[{}]", steps - 1);
            } else {
                table = name.to_string();
            }
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let name = name.trim();
            table = match name.strip_prefix("steps.") {
                Some(rest) if steps > 0 => format!("steps[{}].{rest}", steps - 1),
                _ => name.to_string(),
            };
        }
        if offset < pos || pos == src.len() {
            // The line holding the offset: `key = …` adds the key.
            let is_header = t.starts_with('[');
            if !is_header
                && offset >= start
                && let Some((k, _)) = t.split_once('=')
            {
                let k = k.trim().trim_matches('"');
                return if table.is_empty() {
                    k.to_string()
                } else {
                    format!("{table}.{k}")
                };
            }
            return table;
        }
    }
    table
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn parse_time(v: &toml::Value) -> Option<NaiveTime> {
    match v {
        toml::Value::String(s) => NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
            .ok(),
        toml::Value::Datetime(dt) if dt.date.is_none() && dt.offset.is_none() => {
            let t = dt.time?;
            NaiveTime::from_hms_nano_opt(
                t.hour.into(),
                t.minute.into(),
                t.second.into(),
                t.nanosecond,
            )
        }
        _ => None,
    }
}

/// Amounts are strings (`"1500.50"`) or integers; floats are refused
/// because they cannot hold money exactly.
fn parse_money(v: &toml::Value) -> Result<Decimal, String> {
    let d = match v {
        toml::Value::String(s) => {
            Decimal::from_str(s.trim()).map_err(|_| format!("'{s}' is not a decimal amount"))?
        }
        toml::Value::Integer(i) => Decimal::from(*i),
        toml::Value::Float(_) => {
            return Err("write amounts as strings (\"1500.50\") or integers: floats cannot hold money exactly".into());
        }
        other => return Err(format!("expected an amount, found {}", other.type_str())),
    };
    if d.is_sign_negative() {
        return Err(format!("negative amount '{d}'"));
    }
    Ok(d)
}

impl Strategy {
    /// Reads and validates a strategy file.
    pub fn load(path: &Path) -> Result<Strategy, StrategyError> {
        let origin = path.display().to_string();
        let src = crate::text_file::read_utf8(path).map_err(|source| StrategyError::Io {
            origin: origin.clone(),
            source,
        })?;
        Strategy::from_toml_str(&src, &origin)
    }

    /// Parses and validates TOML; `origin` names the source in errors.
    pub fn from_toml_str(src: &str, origin: &str) -> Result<Strategy, StrategyError> {
        let cx = Ctx { src, origin };
        let raw: RawStrategy = toml::from_str(src).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            StrategyError::Invalid {
                origin: origin.to_string(),
                line: cx.line_of(span.start),
                key: key_path_at(src, span.start),
                reason: e.message().trim().to_string(),
            }
        })?;

        if !valid_id(raw.id.get_ref()) {
            return cx.err(
                raw.id.span(),
                "id",
                format!("'{}' is not a valid id (use [a-z0-9_-]+)", raw.id.get_ref()),
            );
        }
        if raw.steps.is_empty() {
            return cx.err(
                0..0,
                "steps",
                "a strategy needs at least one step ([[steps]])",
            );
        }

        let mut steps = Vec::with_capacity(raw.steps.len());
        let mut ids = BTreeSet::new();
        for (i, rs) in raw.steps.iter().enumerate() {
            let k = |f: &str| format!("steps[{i}].{f}");
            let span = rs.span();
            let rs = rs.get_ref();
            let id = rs.id.get_ref().clone();
            if !valid_id(&id) {
                return cx.err(
                    rs.id.span(),
                    k("id"),
                    format!("'{id}' is not a valid step id (use [a-z0-9_-]+)"),
                );
            }
            if !ids.insert(id.clone()) {
                return cx.err(
                    rs.id.span(),
                    k("id"),
                    format!("step id '{id}' is used twice"),
                );
            }
            let trigger = match (&rs.day, &rs.days_past_due) {
                (Some(d), None) => StepTrigger::DayOffset(non_negative(&cx, d, k("day"))?),
                (None, Some(d)) => {
                    StepTrigger::DaysPastDue(non_negative(&cx, d, k("days_past_due"))?)
                }
                (Some(d), Some(_)) => {
                    return cx.err(
                        d.span(),
                        k("day"),
                        "give either 'day' or 'days_past_due', not both",
                    );
                }
                (None, None) => {
                    return cx.err(
                        span,
                        format!("steps[{i}]"),
                        "a step needs 'day' (from campaign start) or 'days_past_due'",
                    );
                }
            };
            let channel = ChannelKind::from_str(rs.channel.get_ref())
                .or_else(|e| cx.err(rs.channel.span(), k("channel"), e.to_string()))?;
            let fallback = match &rs.fallback {
                None => None,
                Some(f) => {
                    let fb = ChannelKind::from_str(f.get_ref())
                        .or_else(|e| cx.err(f.span(), k("fallback"), e.to_string()))?;
                    if fb == channel {
                        return cx.err(
                            f.span(),
                            k("fallback"),
                            format!("fallback must differ from the step's channel ({channel})"),
                        );
                    }
                    if fb.is_agent() {
                        return cx.err(
                            f.span(),
                            k("fallback"),
                            format!("a fallback is a message channel (email, sms or voice), not {fb}: plan a collector's work as its own step"),
                        );
                    }
                    Some(fb)
                }
            };
            let template = rs.template.get_ref().trim().to_string();
            if template.is_empty() || template.chars().any(char::is_whitespace) {
                return cx.err(
                    rs.template.span(),
                    k("template"),
                    "template must be a name without spaces",
                );
            }
            let send_at = match &rs.send_at {
                None => DEFAULT_SEND_AT,
                Some(v) => match parse_time(v.get_ref()) {
                    Some(t) => t,
                    None => {
                        return cx.err(
                            v.span(),
                            k("send_at"),
                            "expected a local time like \"09:00\"",
                        );
                    }
                },
            };
            let when = match &rs.when {
                None => StepFilter::default(),
                Some(w) => parse_when(&cx, w.get_ref(), w.span(), i)?,
            };
            let team = match (&rs.team, channel.is_agent()) {
                (None, false) => None,
                (None, true) => Some(DEFAULT_TEAM.to_string()),
                (Some(t), true) if valid_id(t.get_ref().trim()) => {
                    Some(t.get_ref().trim().to_string())
                }
                (Some(t), true) => {
                    return cx.err(
                        t.span(),
                        k("team"),
                        format!("'{}' is not a valid team id (use [a-z0-9_-]+)", t.get_ref()),
                    );
                }
                (Some(t), false) => {
                    return cx.err(
                        t.span(),
                        k("team"),
                        format!("only a collector's step (agent_call, agent_task) has a team, not a {channel} step"),
                    );
                }
            };
            steps.push(Step {
                id,
                trigger,
                channel,
                template,
                send_at,
                when,
                fallback,
                team,
            });
        }

        let mut stop_on = Vec::new();
        for (i, ev) in raw.stop_on.iter().enumerate() {
            let Some(e) = StopEvent::parse(ev.get_ref()) else {
                return cx.err(
                    ev.span(),
                    format!("stop_on[{i}]"),
                    format!("unknown stop event '{}' (expected paid, promise_to_pay, dispute or opt_out)", ev.get_ref()),
                );
            };
            if stop_on.contains(&e) {
                return cx.err(
                    ev.span(),
                    format!("stop_on[{i}]"),
                    format!("'{e}' is listed twice"),
                );
            }
            stop_on.push(e);
        }

        Ok(Strategy {
            id: raw.id.into_inner(),
            steps,
            stop_on,
        })
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Whether `event` ends the sequence of an account.
    pub fn stops_on(&self, event: StopEvent) -> bool {
        self.stop_on.contains(&event)
    }
}

fn non_negative(cx: &Ctx<'_>, v: &Spanned<i64>, key: String) -> Result<u32, StrategyError> {
    match u32::try_from(*v.get_ref()) {
        Ok(n) if n <= 3650 => Ok(n),
        _ => cx.err(
            v.span(),
            key,
            format!("{} is out of range (0 to 3650 days)", v.get_ref()),
        ),
    }
}

fn parse_when(
    cx: &Ctx<'_>,
    w: &RawWhen,
    span: std::ops::Range<usize>,
    i: usize,
) -> Result<StepFilter, StrategyError> {
    let k = |f: &str| format!("steps[{i}].when.{f}");
    let mut segments = Vec::new();
    for s in &w.segments {
        let seg = s.get_ref().trim().to_lowercase();
        if seg.is_empty() {
            return cx.err(s.span(), k("segments"), "empty segment name");
        }
        segments.push(seg);
    }
    let dpd_min = w
        .dpd_min
        .as_ref()
        .map(|v| non_negative(cx, v, k("dpd_min")))
        .transpose()?;
    let dpd_max = w
        .dpd_max
        .as_ref()
        .map(|v| non_negative(cx, v, k("dpd_max")))
        .transpose()?;
    if let (Some(a), Some(b)) = (dpd_min, dpd_max)
        && a > b
    {
        return cx.err(
            span,
            k("dpd_min"),
            format!("dpd_min ({a}) is greater than dpd_max ({b})"),
        );
    }
    let money =
        |v: &Option<Spanned<toml::Value>>, f: &str| -> Result<Option<Decimal>, StrategyError> {
            match v {
                None => Ok(None),
                Some(v) => parse_money(v.get_ref())
                    .map(Some)
                    .or_else(|r| cx.err(v.span(), k(f), r)),
            }
        };
    let amount_min = money(&w.amount_min, "amount_min")?;
    let amount_max = money(&w.amount_max, "amount_max")?;
    if let (Some(a), Some(b)) = (amount_min, amount_max)
        && a > b
    {
        return cx.err(
            span,
            k("amount_min"),
            format!("amount_min ({a}) is greater than amount_max ({b})"),
        );
    }
    let after = match &w.after {
        None => None,
        Some(v) => match v.get_ref().trim() {
            "broken_promise" => Some(StepAfter::BrokenPromise),
            other => {
                return cx.err(
                    v.span(),
                    k("after"),
                    format!("unknown event '{other}' (broken_promise)"),
                );
            }
        },
    };
    Ok(StepFilter {
        segments,
        dpd_min,
        dpd_max,
        amount_min,
        amount_max,
        after,
    })
}
