//! What a pack says, read back for people: the windows of each day type,
//! the holidays of a year, the channel margins and consent, and the
//! channels of each cap. The console's rules pages show these beside the
//! pack's source text, so an officer can check the file says what they
//! meant without reading the guard.

use chrono::{Datelike, NaiveDate};
use cobro_campaigns::ChannelKind;

use super::{Cap, Cooldown, HOLIDAY, RulePack, channel_index};
use crate::holidays;

/// One day type's local windows `(start, end)`, seconds since midnight.
pub type DayWindows = Vec<(u32, u32)>;

/// The three channels, in the order the packs index them.
pub const CHANNELS: [ChannelKind; 3] = [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Voice];

fn channels_of(bits: u8) -> Vec<ChannelKind> {
    CHANNELS
        .into_iter()
        .filter(|c| bits & (1 << channel_index(*c)) != 0)
        .collect()
}

impl RulePack {
    /// The local windows `(start, end)` in seconds since midnight of each
    /// day type in [`super::DAY_KEYS`] order (mon … sun, holiday), before
    /// any channel margin; `None` when the pack does not restrict hours.
    /// The holiday entry is `None` when the pack gives holidays no windows
    /// of their own (a holiday is then an ordinary weekday).
    pub fn day_windows(&self) -> Option<Vec<Option<DayWindows>>> {
        let w = self.0.windows.as_ref()?;
        Some(
            w.days
                .iter()
                .enumerate()
                .map(|(i, d)| (i != HOLIDAY || w.holiday_rule).then(|| d.clone()))
                .collect(),
        )
    }

    /// Seconds before a window's end after which a send on `channel` may
    /// no longer start.
    pub fn margin(&self, channel: ChannelKind) -> u32 {
        self.0.margins[channel_index(channel)]
    }

    /// Whether the pack requires recorded consent to use `channel`.
    pub fn consent_required(&self, channel: ChannelKind) -> bool {
        self.0.targets.consent_required & (1 << channel_index(channel)) != 0
    }

    /// The holidays the pack observes in `year` (its calendar plus `add`,
    /// minus `remove`), by date.
    pub fn holidays_in(&self, year: i32) -> Vec<(NaiveDate, String)> {
        let inner = &*self.0;
        let mut out: Vec<(NaiveDate, String)> = inner
            .calendar
            .as_deref()
            .map(|c| holidays::holidays(c, year))
            .unwrap_or_default()
            .into_iter()
            .filter(|(d, _)| !inner.holiday_add.contains_key(d))
            .chain(
                inner
                    .holiday_add
                    .iter()
                    .filter(|(d, _)| d.year() == year)
                    .map(|(d, n)| (*d, n.clone())),
            )
            .filter(|(d, _)| !inner.holiday_remove.contains(d))
            .collect();
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }
}

impl Cap {
    /// The channels whose contacts the cap counts.
    pub fn channel_list(&self) -> Vec<ChannelKind> {
        channels_of(self.channels)
    }
}

impl Cooldown {
    /// The channels the cooldown closes.
    pub fn channel_list(&self) -> Vec<ChannelKind> {
        channels_of(self.channels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colombia_reads_back_as_its_file_says() {
        let p = RulePack::builtin("co-ley2300").expect("built-in");
        let days = p.day_windows().expect("windows");
        assert_eq!(days[0], Some(vec![(7 * 3600, 19 * 3600)]));
        assert_eq!(days[5], Some(vec![(8 * 3600, 15 * 3600)]));
        assert_eq!(days[6], Some(vec![]));
        assert_eq!(days[7], Some(vec![]));
        let dec25 = NaiveDate::from_ymd_opt(2026, 12, 25).expect("date");
        assert!(p.holidays_in(2026).iter().any(|(d, _)| *d == dec25));
        assert!(p.consent_required(ChannelKind::Sms));
        assert_eq!(p.caps()[0].channel_list(), CHANNELS.to_vec());
    }
}
