//! When the legal window closes for a debtor: what the collector's page
//! counts down to.

use chrono::{DateTime, Duration, DurationRound, Utc};
use cobro_campaigns::ChannelKind;
use cobro_compliance::{ComplianceGuard, ContactAttempt, DebtorProfile, Decision};

/// How far ahead the close is looked for.
const HORIZON_MINUTES: i64 = 24 * 60;
const COARSE_STEP: i64 = 5;

/// The first instant after `now` at which the guard would no longer
/// allow a call to this debtor, history aside (the cap slot of this call is
/// already taken); `None` when it stays open for the next 24 hours or is
/// not open now. Windows are written to the minute, so the close is a
/// minute boundary: the search walks whole minutes after `now`.
pub(super) fn window_closes_at(
    guard: &ComplianceGuard,
    profile: &DebtorProfile,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let attempt = ContactAttempt {
        channel: ChannelKind::Voice,
        suppressed: false,
    };
    let open =
        |at: DateTime<Utc>| matches!(guard.decision(&attempt, profile, &[], at), Decision::Allow);
    if !open(now) {
        return None;
    }
    let first = now.duration_trunc(Duration::minutes(1)).ok()? + Duration::minutes(1);
    let minute = |k: i64| first + Duration::minutes(k);
    let mut k = 0;
    while k <= HORIZON_MINUTES {
        if !open(minute(k)) {
            // The minute it closed, within the last coarse step.
            let mut m = (k - COARSE_STEP + 1).max(0);
            while m < k && open(minute(m)) {
                m += 1;
            }
            return Some(minute(m));
        }
        k += COARSE_STEP;
    }
    None
}
