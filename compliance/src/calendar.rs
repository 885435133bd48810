//! Month calendars for `cobro rules calendar`: for each local day, the
//! instants every pack allows in every zone, shown on each zone's clock,
//! and the holidays the packs observe.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use cobro_campaigns::ChannelKind;

use crate::pack::{RulePack, channel_index};
use crate::window::{self, add_days, start_of_day};

/// One zone's view of an allowed interval, in its local wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneDay {
    /// The zone whose clock the windows are shown on.
    pub zone: Tz,
    /// Allowed local intervals `[start, end)` as local date-times.
    pub windows: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)>,
}

/// One day of the calendar (a local date of the first zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    /// The local date (in the first zone).
    pub date: NaiveDate,
    /// `(pack id, holiday name)` for every pack that observes a holiday.
    pub holidays: Vec<(String, String)>,
    /// The allowed UTC intervals starting that day (intersection of every
    /// pack in every zone).
    pub allowed_utc: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The same intervals on each zone's clock.
    pub zones: Vec<ZoneDay>,
}

/// The allowed windows of each day of `year`-`month` for `channel` under
/// all `packs` stacked, in every one of `zones` (the first zone's dates
/// define the days). Empty `zones` gives an empty calendar.
pub fn month_calendar(
    packs: &[RulePack],
    zones: &[Tz],
    channel: ChannelKind,
    year: i32,
    month: u32,
) -> Vec<CalendarDay> {
    let Some(reference) = zones.first().copied() else {
        return Vec::new();
    };
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return Vec::new();
    };
    let ch = channel_index(channel);
    let mut out = Vec::new();
    let mut d = first;
    while d.month() == month {
        let day_start = start_of_day(reference, d);
        let day_end = start_of_day(reference, add_days(d, 1));
        let mut allowed = vec![(day_start, day_end)];
        for p in packs {
            for z in zones {
                let mut iv = Vec::new();
                let zd = day_start.with_timezone(z).date_naive();
                for k in -1..=1 {
                    iv.extend(window::utc_intervals(
                        p,
                        *z,
                        p.0.margins[ch],
                        add_days(zd, k),
                    ));
                }
                iv.sort();
                allowed = window::intersect(&allowed, &iv);
            }
        }
        let holidays = packs
            .iter()
            .filter_map(|p| p.holiday_name(d).map(|n| (p.id().to_string(), n)))
            .collect();
        let zones_view = zones
            .iter()
            .map(|z| ZoneDay {
                zone: *z,
                windows: allowed
                    .iter()
                    .map(|(a, b)| {
                        (
                            a.with_timezone(z).naive_local(),
                            b.with_timezone(z).naive_local(),
                        )
                    })
                    .collect(),
            })
            .collect();
        out.push(CalendarDay {
            date: d,
            holidays,
            allowed_utc: allowed,
            zones: zones_view,
        });
        d = add_days(d, 1);
    }
    out
}
