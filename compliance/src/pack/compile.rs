//! Validation of a raw pack into its compiled form: every value checked
//! (with its line and key on failure) and the holidays precomputed into a
//! bit set the guard can test without allocating.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::NaiveDate;
use cobro_campaigns::{ContactFlag, TemplateElement};
use toml::Spanned;

use super::locate::Ctx;
use super::raw::{RawHolidayAdd, RawPack, RawScope};
use super::{
    Cap, CapPeriod, CapScope, Cooldown, DAY_KEYS, HOLIDAY_BASE_YEAR, HOLIDAY_YEARS, Inner, Targets,
    Windows, channel_bits,
};
use crate::error::RulesError;
use crate::holidays;

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

pub(super) fn compile(raw: RawPack, src: &str, origin: &str) -> Result<Inner, RulesError> {
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
