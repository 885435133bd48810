//! Hours of the day a debtor asked not to be contacted in (US Reg F
//! §1006.6(b)(1)(i) makes it a right; cobro honours it in every country).
//! The guard treats them as closed for that debtor on top of every pack,
//! in the debtor's resolved zones, exactly: the range is wall-clock time,
//! start inclusive, end exclusive.

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::window::{add_days, earliest_at_or_after_local, transition_after};

/// A range of local wall-clock time `[from, to)` the debtor asked not to
/// be contacted in. `from < to` is a same-day range (18:00–22:00);
/// `from > to` wraps midnight (22:00–07:00). In JSON it is a pair of
/// `"HH:MM"` strings: `["18:00","22:00"]`.
///
/// The fields are private so every value upholds what deserialisation
/// checks: the ends differ (an empty range would silently avoid nothing,
/// and reading it as "all day" would silently stop every contact) and are
/// whole minutes (so the JSON form round-trips exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AvoidHours {
    from: NaiveTime,
    to: NaiveTime,
}

/// Why a range of avoided hours was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvoidHoursError {
    /// `from == to`: the range would be empty (or, read otherwise, the
    /// whole day); neither is what a debtor means, so it is refused.
    #[error(
        "avoided hours {0}–{0} are empty: `from` and `to` must differ (`from` later than `to` wraps midnight, e.g. [\"22:00\",\"07:00\"])"
    )]
    Empty(String),
    /// A time that is not `HH:MM` (00:00–23:59).
    #[error("avoided hours: `{0}` is not a time of day (want \"HH:MM\", 00:00–23:59)")]
    NotATime(String),
    /// A time with seconds: avoided hours are whole minutes.
    #[error("avoided hours: {0} is not a whole minute")]
    NotWholeMinute(NaiveTime),
}

fn whole_minute(t: NaiveTime) -> bool {
    t.second() == 0 && t.nanosecond() == 0
}

fn parse_hhmm(s: &str) -> Result<NaiveTime, AvoidHoursError> {
    let bad = || AvoidHoursError::NotATime(s.to_string());
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return Err(bad());
    }
    let two = |hi: u8, lo: u8| -> Option<u32> {
        (hi.is_ascii_digit() && lo.is_ascii_digit())
            .then(|| u32::from(hi - b'0') * 10 + u32::from(lo - b'0'))
    };
    let (Some(h), Some(m)) = (two(b[0], b[1]), two(b[3], b[4])) else {
        return Err(bad());
    };
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

impl AvoidHours {
    /// The range `[from, to)`; `from > to` wraps midnight. Refuses equal
    /// ends and times that are not whole minutes.
    pub fn new(from: NaiveTime, to: NaiveTime) -> Result<Self, AvoidHoursError> {
        for t in [from, to] {
            if !whole_minute(t) {
                return Err(AvoidHoursError::NotWholeMinute(t));
            }
        }
        if from == to {
            return Err(AvoidHoursError::Empty(from.format("%H:%M").to_string()));
        }
        Ok(AvoidHours { from, to })
    }

    /// Parses the two `"HH:MM"` ends.
    pub fn parse(from: &str, to: &str) -> Result<Self, AvoidHoursError> {
        AvoidHours::new(parse_hhmm(from.trim())?, parse_hhmm(to.trim())?)
    }

    /// First avoided wall-clock time (inclusive).
    pub fn from(&self) -> NaiveTime {
        self.from
    }

    /// First wall-clock time allowed again (exclusive end).
    pub fn to(&self) -> NaiveTime {
        self.to
    }

    /// True when the range wraps midnight (`from > to`).
    pub fn wraps_midnight(&self) -> bool {
        self.from > self.to
    }

    /// Whether the wall-clock time `t` is avoided.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.wraps_midnight() {
            t >= self.from || t < self.to
        } else {
            self.from <= t && t < self.to
        }
    }

    /// Whether the instant `t` is avoided in zone `tz`.
    pub(crate) fn avoids(&self, tz: Tz, t: DateTime<Utc>) -> bool {
        self.contains(t.with_timezone(&tz).time())
    }

    /// For an instant `t` this range avoids in `tz`: an instant `> t` such
    /// that every instant in `[t, result)` is avoided. It is the range's
    /// end in local time, or the first offset change before it (a fall-back
    /// can move local time out of the range early; the guard then asks
    /// again there), so the guard's search stays exact.
    pub(crate) fn skip(&self, tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = t.with_timezone(&tz).naive_local();
        // The range's next end in local time: today's when the range runs
        // into it, else tomorrow's (a wrapping range entered before midnight).
        let date = if self.wraps_midnight() && local.time() >= self.from {
            add_days(local.date(), 1)
        } else {
            local.date()
        };
        let end_local = date.and_time(self.to);
        let end = match tz.from_local_datetime(&end_local) {
            LocalResult::Single(x) => x.with_timezone(&Utc),
            // On a fall-back day, the first preimage may already lie behind
            // `t` (when `t` is in the repeated hour); then the second counts.
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                if a > t { a } else { b }
            }
            LocalResult::None => earliest_at_or_after_local(tz, end_local),
        };
        let off = |u: DateTime<Utc>| {
            tz.offset_from_utc_datetime(&u.naive_utc())
                .fix()
                .local_minus_utc() as i64
        };
        let off_t = off(t);
        let first_change = if off(end) != off_t {
            transition_after(tz, t.timestamp(), end.timestamp(), off_t)
        } else {
            None
        };
        let next = first_change.map_or(end, |tr| tr.min(end));
        // Never stand still: the search must move forward.
        if next > t {
            next
        } else {
            t + chrono::Duration::seconds(1)
        }
    }
}

impl fmt::Display for AvoidHours {
    /// `18:00–22:00`, the form shown in `rules explain` details.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
}

impl Serialize for AvoidHours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            self.from.format("%H:%M").to_string(),
            self.to.format("%H:%M").to_string(),
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for AvoidHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (from, to) = <(String, String)>::deserialize(d)?;
        AvoidHours::parse(&from, &to).map_err(serde::de::Error::custom)
    }
}

/// The instant `t` as avoided by `ranges` in any of `zones`: `None` when
/// no range avoids it, else an instant `> t` before which every instant
/// stays avoided (the latest of the avoiding ranges' [`AvoidHours::skip`]:
/// `[t, skip)` is covered by that range alone).
pub(crate) fn skip_avoided(
    ranges: &[AvoidHours],
    zones: &[Tz],
    t: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut out: Option<DateTime<Utc>> = None;
    for r in ranges {
        for z in zones {
            if r.avoids(*z, t) {
                let s = r.skip(*z, t);
                out = Some(out.map_or(s, |o| o.max(s)));
            }
        }
    }
    out
}
