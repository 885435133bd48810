//! When the legal window closes for a debtor: what the collector's page
//! counts down to.

use chrono::{DateTime, Duration, Utc};
use cobro_campaigns::ChannelKind;
use cobro_compliance::{ComplianceGuard, ContactAttempt, DebtorProfile, Decision};

/// How far ahead the close is looked for.
const HORIZON_MINUTES: i64 = 24 * 60;
const COARSE_STEP: i64 = 5;

/// The first minute after `now` at which the guard would no longer allow a
/// call to this debtor, history aside (the cap slot of this call is
/// already taken); `None` when it stays open for the next 24 hours or is
/// not open now.
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
    let mut step = COARSE_STEP;
    while step <= HORIZON_MINUTES {
        let at = now + Duration::minutes(step);
        if !open(at) {
            // The minute it closed, within the last coarse step.
            let mut minute = step - COARSE_STEP + 1;
            while minute < step && open(now + Duration::minutes(minute)) {
                minute += 1;
            }
            return Some(now + Duration::minutes(minute));
        }
        step += COARSE_STEP;
    }
    None
}
