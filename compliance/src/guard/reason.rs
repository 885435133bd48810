//! What the guard answers: the decision, the machine codes of the rules
//! that stood in the way, and the verdict that carries both for the
//! ledger and for `cobro rules explain`.

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::tz::TzSource;

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send now.
    Allow,
    /// Not now; `until` is the earliest instant every rule allows.
    Defer {
        /// Earliest instant (UTC) at or after `now` that every rule allows.
        until: DateTime<Utc>,
    },
    /// Never (for this contact as it stands).
    Block,
}

impl Decision {
    /// The deferral instant, when deferred.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            Decision::Defer { until } => Some(*until),
            _ => None,
        }
    }

    /// `allow`, `defer` or `block`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Defer { .. } => "defer",
            Decision::Block => "block",
        }
    }
}

/// Machine codes of the `rules explain` contract (see ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Outside the day's windows (or within the channel's end margin).
    OutsideHours,
    /// The weekday has no window.
    ClosedDay,
    /// A holiday the pack closes.
    Holiday,
    /// A frequency cap is reached.
    FrequencyCap,
    /// A cooldown after a conversation is running.
    Cooldown,
    /// The address is on a suppression list.
    Suppressed,
    /// Consent is missing or refused for the channel.
    NoConsent,
    /// The contact point's role, provenance or flags are not allowed.
    TargetNotAllowed,
    /// The account carries a blocking flag.
    Flagged,
    /// The debtor's zone (or country) cannot be resolved.
    UnknownTimezone,
    /// The debtor asked not to be contacted at this local hour (Reg F
    /// §1006.6(b)(1)(i), honoured in every country).
    DebtorPreference,
}

impl ReasonCode {
    /// The snake_case code used in JSON, the ledger and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::OutsideHours => "outside_hours",
            ReasonCode::ClosedDay => "closed_day",
            ReasonCode::Holiday => "holiday",
            ReasonCode::FrequencyCap => "frequency_cap",
            ReasonCode::Cooldown => "cooldown",
            ReasonCode::Suppressed => "suppressed",
            ReasonCode::NoConsent => "no_consent",
            ReasonCode::TargetNotAllowed => "target_not_allowed",
            ReasonCode::Flagged => "flagged",
            ReasonCode::UnknownTimezone => "unknown_timezone",
            ReasonCode::DebtorPreference => "debtor_preference",
        }
    }

    /// True for codes that pass with time (the contact is deferred).
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            ReasonCode::OutsideHours
                | ReasonCode::ClosedDay
                | ReasonCode::Holiday
                | ReasonCode::FrequencyCap
                | ReasonCode::Cooldown
                | ReasonCode::DebtorPreference
        )
    }
}

impl std::str::FromStr for ReasonCode {
    type Err = String;
    /// Parses the snake_case code (as stored in the ledger).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_CODES
            .iter()
            .copied()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| format!("unknown reason code `{s}`"))
    }
}

/// Every reason code, in the order the `rules explain` contract lists them.
pub const ALL_CODES: [ReasonCode; 11] = [
    ReasonCode::OutsideHours,
    ReasonCode::ClosedDay,
    ReasonCode::Holiday,
    ReasonCode::FrequencyCap,
    ReasonCode::Cooldown,
    ReasonCode::Suppressed,
    ReasonCode::NoConsent,
    ReasonCode::TargetNotAllowed,
    ReasonCode::Flagged,
    ReasonCode::UnknownTimezone,
    ReasonCode::DebtorPreference,
];

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule that stood in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Pack id (or `suppression`, `consent`, `timezone`, `guard`, or
    /// `debtor` for the debtor's own avoided hours).
    pub rule: String,
    /// Machine code.
    pub code: ReasonCode,
    /// Human explanation (local time, zone, window or cap).
    pub detail: String,
}

/// A decision with everything needed to explain and audit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Allow, defer or block.
    pub decision: Decision,
    /// The zones the decision was evaluated in.
    pub timezones: Vec<Tz>,
    /// Where the zones came from (`None` when they could not be resolved).
    pub tz_source: Option<TzSource>,
    /// Ids of the packs applied.
    pub rules: Vec<String>,
    /// Empty for `Allow`.
    pub reasons: Vec<Reason>,
}
