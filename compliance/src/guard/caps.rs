//! Frequency caps and cooldowns: when the contact history frees a
//! contact again, counted in the debtor's local calendar.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use cobro_campaigns::ChannelKind;

use super::{PastContact, PastContactKind, Reason, ReasonCode};
use crate::pack::{Cap, CapPeriod, CapScope, RulePack, channel_index};
use crate::window::{self, add_days, start_of_day};

/// The instant at which all caps and cooldowns of a pack free this contact,
/// or `None` when none binds now. Caps only ever free with time (the
/// history is in the past), so everything at or after that instant passes.
pub(super) fn caps_free_at(
    p: &RulePack,
    channel: ChannelKind,
    history: &[PastContact],
    zones: &[Tz],
    now: DateTime<Utc>,
    out: &mut Option<Vec<Reason>>,
) -> Option<DateTime<Utc>> {
    let bit = 1u8 << channel_index(channel);
    let mut free: Option<DateTime<Utc>> = None;
    for cap in &p.0.caps {
        if cap.channels & bit == 0 {
            continue;
        }
        if let Some((f, detail)) = cap_free_at(cap, channel, history, zones, now, out.is_some()) {
            free = Some(free.map_or(f, |x| x.max(f)));
            if let Some(v) = out.as_mut() {
                v.push(Reason {
                    rule: p.id().to_string(),
                    code: ReasonCode::FrequencyCap,
                    detail,
                });
            }
        }
    }
    for cd in &p.0.cooldowns {
        if cd.channels & bit == 0 {
            continue;
        }
        let mut last: Option<DateTime<Utc>> = None;
        for h in history {
            if h.kind == PastContactKind::Conversation
                && h.at <= now
                && (cd.scope == CapScope::Debtor || h.same_account)
                && last.is_none_or(|l| h.at > l)
            {
                last = Some(h.at);
            }
        }
        let Some(last) = last else { continue };
        let mut f_max: Option<DateTime<Utc>> = None;
        for z in zones {
            let d = last.with_timezone(z).date_naive();
            let f = start_of_day(*z, add_days(d, cd.days as i64));
            if f > now {
                f_max = Some(f_max.map_or(f, |x| x.max(f)));
            }
        }
        if let Some(f) = f_max {
            free = Some(free.map_or(f, |x| x.max(f)));
            if let Some(v) = out.as_mut() {
                v.push(Reason {
                    rule: p.id().to_string(),
                    code: ReasonCode::Cooldown,
                    detail: format!(
                        "{}: no {} within {} days after the conversation of {} (conversation day is day 1); free from {}",
                        cd.id,
                        channels_text(cd.channels),
                        cd.days,
                        last.to_rfc3339_opts(SecondsFormat::Secs, true),
                        f.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                });
            }
        }
    }
    free
}

fn cap_free_at(
    cap: &Cap,
    channel: ChannelKind,
    history: &[PastContact],
    zones: &[Tz],
    now: DateTime<Utc>,
    explain: bool,
) -> Option<(DateTime<Utc>, String)> {
    let counts = |h: &PastContact| {
        h.kind == PastContactKind::Attempt
            && h.at <= now
            && (cap.scope == CapScope::Debtor || h.same_account)
            && if cap.per_channel {
                h.channel == channel
            } else {
                cap.channels & (1 << channel_index(h.channel)) != 0
            }
    };
    let mut free: Option<DateTime<Utc>> = None;
    let mut why = String::new();
    let scope = match cap.scope {
        CapScope::Debtor => "debtor",
        CapScope::Account => "account",
    };
    let what = if cap.per_channel {
        channel.as_str().to_string()
    } else {
        channels_text(cap.channels)
    };
    let mut bump = |f: DateTime<Utc>, text: &dyn Fn() -> String, why: &mut String| {
        if f > now && free.is_none_or(|x| f > x) {
            free = Some(f);
            if explain {
                *why = text();
            }
        }
    };
    for z in zones {
        let today = now.with_timezone(z).date_naive();
        if let Some(max) = cap.max {
            match cap.period {
                CapPeriod::CalendarDay | CapPeriod::CalendarWeek => {
                    let (first, len, label) = if cap.period == CapPeriod::CalendarDay {
                        (today, 1, "calendar day")
                    } else {
                        let monday =
                            add_days(today, -(today.weekday().num_days_from_monday() as i64));
                        (monday, 7, "calendar week (Mon–Sun)")
                    };
                    let end = add_days(first, len);
                    let n = history
                        .iter()
                        .filter(|h| counts(h))
                        .filter(|h| {
                            let d = h.at.with_timezone(z).date_naive();
                            d >= first && d < end
                        })
                        .count() as u32;
                    if n >= max {
                        let f = start_of_day(*z, end);
                        bump(
                            f,
                            &|| {
                                format!(
                                    "{n} {what} contact(s) this {label} in {} (max {max} per {scope})",
                                    z.name()
                                )
                            },
                            &mut why,
                        );
                    }
                }
                CapPeriod::Rolling(days) => {
                    let mut expiries: Vec<DateTime<Utc>> = history
                        .iter()
                        .filter(|h| counts(h))
                        .map(|h| {
                            let l = h.at.with_timezone(z).naive_local();
                            let e = add_days(l.date(), days as i64).and_time(l.time());
                            window::earliest_at_or_after_local(*z, e)
                        })
                        .filter(|e| *e > now)
                        .collect();
                    let n = expiries.len() as u32;
                    if n >= max {
                        expiries.sort_unstable();
                        let f = expiries[(n - max) as usize];
                        bump(
                            f,
                            &|| {
                                format!(
                                    "{n} {what} contact(s) in the last {days} days (max {max} per {scope}, rolling)"
                                )
                            },
                            &mut why,
                        );
                    }
                }
            }
        }
        if let Some(gap) = cap.min_gap_days {
            let last = history
                .iter()
                .filter(|h| counts(h))
                .map(|h| h.at.with_timezone(z).date_naive())
                .max();
            if let Some(last) = last {
                let ok_from: NaiveDate = add_days(last, gap as i64);
                if today < ok_from {
                    let f = start_of_day(*z, ok_from);
                    bump(
                        f,
                        &|| {
                            format!(
                                "last {what} contact on {last} ({}); {gap} calendar days must pass",
                                z.name()
                            )
                        },
                        &mut why,
                    );
                }
            }
        }
    }
    let f = free?;
    if !explain {
        return Some((f, String::new()));
    }
    Some((
        f,
        format!(
            "{}: {why}; free from {}",
            cap.id,
            f.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    ))
}

fn channels_text(bits: u8) -> String {
    ChannelKind::AUTOMATED
        .iter()
        .filter(|c| bits & (1 << channel_index(**c)) != 0)
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join("+")
}
