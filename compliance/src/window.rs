//! Wall-clock windows evaluated in the tz database. Everything here works on
//! exact instants: the next allowed instant is found by walking window
//! openings and DST transitions day by day, never by stepping minutes.

use chrono::{
    DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike,
    Utc,
};
use chrono_tz::Tz;

use crate::guard::ReasonCode;
use crate::pack::{HOLIDAY, RulePack};

/// How far ahead the guard looks for an allowed instant before giving up
/// (and blocking: a pack that never opens must not defer forever).
pub(crate) const HORIZON_DAYS: u64 = 400;

pub(crate) fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64))
            .unwrap_or(NaiveDate::MAX)
    } else {
        d.checked_sub_days(Days::new((-n) as u64))
            .unwrap_or(NaiveDate::MIN)
    }
}

fn offset_secs(tz: Tz, u: DateTime<Utc>) -> i64 {
    tz.offset_from_utc_datetime(&u.naive_utc())
        .fix()
        .local_minus_utc() as i64
}

/// The earliest instant whose local wall-clock time in `tz` is at or after
/// `local`: the instant itself when it exists once, the first of two on a
/// fall-back day, the end of the gap when it falls in a spring-forward gap.
pub(crate) fn earliest_at_or_after_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(x) => x.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => {
            let guess = Utc.from_utc_datetime(&local);
            let before = offset_secs(tz, guess - chrono::Duration::days(1));
            let after = offset_secs(tz, guess + chrono::Duration::days(1));
            let base = local.and_utc().timestamp();
            // Inside a gap the transition T satisfies base-after <= T <= base-before.
            let (mut lo, mut hi) = (
                (base - after).min(base - before),
                (base - after).max(base - before),
            );
            // Invariant: local(hi) >= local wanted; local(lo) < wanted (if the bounds hold).
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let u = DateTime::<Utc>::from_timestamp(mid, 0).unwrap_or(guess);
                if u.with_timezone(&tz).naive_local() >= local {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or(guess)
        }
    }
}

/// First instant of a local calendar day.
pub(crate) fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    earliest_at_or_after_local(tz, date.and_time(NaiveTime::MIN))
}

pub(crate) fn secs_to_time(s: u32) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt(s.min(86_399), 0).unwrap_or(NaiveTime::MIN)
}

fn local_at(date: NaiveDate, secs: u32) -> NaiveDateTime {
    if secs >= 86_400 {
        add_days(date, 1).and_time(NaiveTime::MIN)
    } else {
        date.and_time(secs_to_time(secs))
    }
}

/// Whether `t` is inside the pack's windows in zone `tz` for a channel
/// (given by its start margin in seconds). `None` means allowed; otherwise
/// the code explaining why not. Allocation-free: this is the hot path.
#[inline]
pub(crate) fn status(pack: &RulePack, tz: Tz, margin: u32, t: DateTime<Utc>) -> Option<ReasonCode> {
    let w = pack.0.windows.as_ref()?;
    let local = t.with_timezone(&tz).naive_local();
    let date = local.date();
    let secs = local.time().num_seconds_from_midnight();
    let dt = pack.day_type(date);
    let list = &w.days[dt];
    for &(s, e) in list {
        if secs >= s && secs.saturating_add(margin) < e {
            return None;
        }
    }
    Some(if dt == HOLIDAY {
        ReasonCode::Holiday
    } else if list.iter().all(|&(s, e)| e.saturating_sub(margin) <= s) {
        ReasonCode::ClosedDay
    } else {
        ReasonCode::OutsideHours
    })
}

/// The first instant in `(lo, hi]` whose offset differs from `off_lo`
/// (the offset at `lo`), assuming one transition in between.
pub(crate) fn transition_after(tz: Tz, lo: i64, hi: i64, off_lo: i64) -> Option<DateTime<Utc>> {
    let (mut lo, mut hi) = (lo + 1, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let u = DateTime::<Utc>::from_timestamp(mid, 0)?;
        if offset_secs(tz, u) != off_lo {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0)
}

/// The earliest instant `>= t` that the pack allows in zone `tz`, or `None`
/// when none exists within the horizon. Candidates are the instants where
/// the allowed set can begin: a window opening (each preimage of its local
/// time, or the end of a DST gap) and a DST transition.
pub(crate) fn next_allowed(
    pack: &RulePack,
    tz: Tz,
    margin: u32,
    t: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if status(pack, tz, margin, t).is_none() {
        return Some(t);
    }
    let w = pack.0.windows.as_ref()?;
    let first = add_days(t.with_timezone(&tz).date_naive(), -1);
    let mut best: Option<DateTime<Utc>> = None;
    let mut found_at: Option<u64> = None;
    let mut probe = first.and_time(NaiveTime::MIN).and_utc().timestamp();
    let mut probe_off = offset_secs(tz, DateTime::<Utc>::from_timestamp(probe, 0)?);
    // Fast path: when the offset is the same at both ends of the first four
    // days (no DST change near `t`, the common case), local time is monotone
    // there: yesterday's openings lie before `t`, and the day after the one
    // where an opening is found can only open later. Those days are skipped.
    const STABLE_DAYS: u64 = 4;
    let stable = offset_secs(
        tz,
        DateTime::<Utc>::from_timestamp(probe + STABLE_DAYS as i64 * 86_400, 0)?,
    ) == probe_off;
    let consider = |c: DateTime<Utc>, best: &mut Option<DateTime<Utc>>| {
        if c >= t && status(pack, tz, margin, c).is_none() && best.is_none_or(|b| c < b) {
            *best = Some(c);
        }
    };
    for i in 0..HORIZON_DAYS {
        if let Some(fi) = found_at
            && (i > fi + 1 || (stable && i < STABLE_DAYS))
        {
            break;
        }
        if stable && i == 0 {
            probe += 86_400;
            continue;
        }
        let d = add_days(first, i as i64);
        for &(s, e) in &w.days[pack.day_type(d)] {
            if e.saturating_sub(margin) <= s {
                continue;
            }
            match tz.from_local_datetime(&local_at(d, s)) {
                LocalResult::Single(x) => consider(x.with_timezone(&Utc), &mut best),
                LocalResult::Ambiguous(a, b) => {
                    consider(a.with_timezone(&Utc), &mut best);
                    consider(b.with_timezone(&Utc), &mut best);
                }
                LocalResult::None => {
                    consider(earliest_at_or_after_local(tz, local_at(d, s)), &mut best)
                }
            }
        }
        // DST transitions: probe the offset once per 24 h of UTC, starting
        // at the first day's local midnight read as UTC (at least 10 h
        // before `t`), and locate any change exactly.
        let x_next = probe + 86_400;
        if stable && i < STABLE_DAYS {
            probe = x_next;
        } else if let Some(u) = DateTime::<Utc>::from_timestamp(x_next, 0) {
            let off_next = offset_secs(tz, u);
            if off_next != probe_off
                && let Some(tr) = transition_after(tz, probe, x_next, probe_off)
            {
                consider(tr, &mut best);
            }
            probe_off = off_next;
            probe = x_next;
        } else {
            probe = x_next;
        }
        if best.is_some() && found_at.is_none() {
            found_at = Some(i);
        }
    }
    best
}

/// The earliest instant `>= t0` allowed by every `(pack, zone)` pair, found
/// by moving to each constraint's next allowed instant until all agree.
pub(crate) fn earliest_common(
    constraints: &mut dyn Iterator<Item = (&RulePack, Tz, u32)>,
    t0: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let list: Vec<(&RulePack, Tz, u32)> = constraints.collect();
    let limit = t0 + chrono::Duration::days(HORIZON_DAYS as i64);
    let mut t = t0;
    for _ in 0..10_000 {
        let mut moved = false;
        for &(p, z, m) in &list {
            let n = next_allowed(p, z, m, t)?;
            if n > t {
                t = n;
                moved = true;
            }
        }
        if !moved {
            return Some(t);
        }
        if t > limit {
            return None;
        }
    }
    None
}

/// UTC intervals in which the pack allows sends whose local date in `tz`
/// is `date` (for calendars and explanations).
pub(crate) fn utc_intervals(
    pack: &RulePack,
    tz: Tz,
    margin: u32,
    date: NaiveDate,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let Some(w) = pack.0.windows.as_ref() else {
        return vec![(start_of_day(tz, date), start_of_day(tz, add_days(date, 1)))];
    };
    w.days[pack.day_type(date)]
        .iter()
        .filter(|(s, e)| e.saturating_sub(margin) > *s)
        .map(|&(s, e)| {
            (
                earliest_at_or_after_local(tz, local_at(date, s)),
                earliest_at_or_after_local(tz, local_at(date, e - margin)),
            )
        })
        .filter(|(a, b)| b > a)
        .collect()
}

/// Intersection of two sorted lists of disjoint half-open intervals.
pub(crate) fn intersect(
    a: &[(DateTime<Utc>, DateTime<Utc>)],
    b: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let s = a[i].0.max(b[j].0);
        let e = a[i].1.min(b[j].1);
        if s < e {
            out.push((s, e));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}
