//! The compliance guard of cobro: rule packs, holiday calendars, time-zone
//! resolution, windows, caps, targets and consent. Pure decisions, no I/O
//! (besides reading a pack file when asked), deterministic, fast enough to
//! sit in front of every single send.
//!
//! The dispatcher builds a [`ComplianceGuard`] from the campaign's packs and
//! calls [`ComplianceGuard::decide`] before each contact; `cobro rules`
//! exposes the same machinery to compliance officers.

#![warn(missing_docs)]

pub mod calendar;
pub mod error;
pub mod guard;
pub mod holidays;
pub mod optout_words;
pub mod pack;
pub mod tz;
mod window;

pub use calendar::{CalendarDay, ZoneDay, month_calendar};
pub use error::{ComplianceError, RulesError};
pub use guard::{
    AvoidHours, AvoidHoursError, ComplianceGuard, ContactAttempt, DebtorProfile, Decision,
    PastContact, PastContactKind, Reason, ReasonCode, Verdict,
};
pub use optout_words::{ReplyIntent, classify_reply};
pub use pack::{CHANNELS, Cap, CapPeriod, CapScope, Cooldown, DAY_KEYS, RulePack};
pub use tz::{ResolvedZones, TzSource, resolve_timezones};
