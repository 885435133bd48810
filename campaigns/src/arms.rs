//! Strategy arms (champion/challenger): which arm of a campaign an account
//! is in, or whether it is in the holdout that no arm contacts.
//!
//! The assignment is a pure function of (campaign id, account id, arms):
//! `u = first 8 bytes of SHA-256("{campaign}/{account}")` read big-endian
//! and divided by 2^64, a number in [0, 1). The holdout takes
//! `[0, holdout/100)`; the arms share the rest in proportion to their
//! weights, in the order the campaign file lists them. Nothing is stored:
//! a relaunch, another process, the export and the report all compute the
//! same arm, and `tests/arms_recompute.py` recomputes it independently.
//!
//! Why not stratified by segment at assignment time: an exact per-segment
//! split must rank every account of the segment, so adding one row to the
//! portfolio would move other accounts to another arm and they would get
//! two arms' contacts. A uniform hash gives each segment the weights'
//! mix in expectation; the report shows each arm's segment mix so an
//! imbalance is visible.
//!
//! An arm's steps are planned under arm-prefixed step ids
//! (`{arm}.{step}`, [`arm_step_id`]): the contact id then says its arm
//! (`campaign/account/arm.step`), two arms may reuse step ids, and
//! promoting the winner as the sole arm keeps its contacts' ids.

use sha2::{Digest, Sha256};

/// One arm as the assignment sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmWeight {
    pub id: String,
    pub weight: f64,
}

/// Where an account goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Assignment {
    /// No contact from this campaign: the control group.
    Holdout,
    /// The index of its arm in the campaign file's order.
    Arm(usize),
}

/// The name of the holdout in reports and the export's `arm` column.
pub const HOLDOUT: &str = "holdout";

/// The arms of a campaign and its holdout percentage.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSplit {
    pub campaign: String,
    pub arms: Vec<ArmWeight>,
    /// Percent of accounts in the holdout, `0 <= holdout < 100`.
    pub holdout: f64,
}

/// The account's point in [0, 1) for `campaign` (see the module docs).
pub fn unit_hash(campaign: &str, account: &str) -> f64 {
    let mut h = Sha256::new();
    h.update(campaign.as_bytes());
    h.update(b"/");
    h.update(account.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // u64 → f64 rounds to nearest; dividing by 2^64 is exact.
    (u64::from_be_bytes(first) as f64) / 18_446_744_073_709_551_616.0
}

impl ArmSplit {
    /// The arm of `account`, or the holdout.
    pub fn assign(&self, account: &str) -> Assignment {
        self.assign_point(unit_hash(&self.campaign, account))
    }

    /// The cut of [0, 1): the holdout below `holdout / 100`, then each
    /// arm's share of the rest by weight. The last arm takes whatever
    /// rounding leaves, so every point has an arm.
    pub fn assign_point(&self, u: f64) -> Assignment {
        let h = self.holdout / 100.0;
        if u < h || self.arms.is_empty() {
            return Assignment::Holdout;
        }
        let total: f64 = self.arms.iter().map(|a| a.weight).sum();
        let mut cumulative = 0.0;
        for (i, arm) in self.arms.iter().enumerate() {
            cumulative += arm.weight;
            if u < h + (1.0 - h) * (cumulative / total) {
                return Assignment::Arm(i);
            }
        }
        Assignment::Arm(self.arms.len() - 1)
    }

    /// The id of an assignment: the arm's, or [`HOLDOUT`].
    pub fn name(&self, a: Assignment) -> &str {
        match a {
            Assignment::Holdout => HOLDOUT,
            Assignment::Arm(i) => self.arms.get(i).map_or(HOLDOUT, |a| a.id.as_str()),
        }
    }
}

/// The step id an arm's step is planned under: `{arm}.{step}`. Step and
/// arm ids are `[a-z0-9_-]+`, so the first `.` separates them.
pub fn arm_step_id(arm: &str, step: &str) -> String {
    format!("{arm}.{step}")
}

/// The arm a planned step id names (`champion.d1` → `champion`); `None`
/// for a campaign without arms. A fallback's step (`arm.d1+sms`) too.
pub fn arm_of_step(step: &str) -> Option<&str> {
    step.split_once('.').map(|(arm, _)| arm)
}

/// Whether `id` may name an arm: `[a-z0-9_-]+`, and not the holdout.
pub fn valid_arm_id(id: &str) -> bool {
    !id.is_empty()
        && id != HOLDOUT
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(weights: &[(&str, f64)], holdout: f64) -> ArmSplit {
        ArmSplit {
            campaign: "2026-12".into(),
            arms: weights
                .iter()
                .map(|(id, w)| ArmWeight {
                    id: (*id).into(),
                    weight: *w,
                })
                .collect(),
            holdout,
        }
    }

    #[test]
    fn the_hash_is_sha256_of_campaign_slash_account() {
        // sha256("2026-12/A-1") starts 0x…; recomputed here by hand from
        // the digest so a change of the input format fails.
        let digest = Sha256::digest(b"2026-12/A-1");
        let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        assert_eq!(unit_hash("2026-12", "A-1"), n as f64 / 2f64.powi(64));
        assert!(unit_hash("2026-12", "A-1") < 1.0);
        assert_ne!(unit_hash("2026-12", "A-1"), unit_hash("2026-11", "A-1"));
    }

    #[test]
    fn the_cut_follows_holdout_then_weights_in_order() {
        let s = split(&[("a", 1.0), ("b", 3.0)], 10.0);
        assert_eq!(s.assign_point(0.0), Assignment::Holdout);
        assert_eq!(s.assign_point(0.0999), Assignment::Holdout);
        assert_eq!(s.assign_point(0.1), Assignment::Arm(0));
        // a takes [0.1, 0.325), b [0.325, 1).
        assert_eq!(s.assign_point(0.3249), Assignment::Arm(0));
        assert_eq!(s.assign_point(0.325), Assignment::Arm(1));
        assert_eq!(s.assign_point(0.999_999), Assignment::Arm(1));
        assert_eq!(s.name(Assignment::Arm(1)), "b");
        assert_eq!(s.name(Assignment::Holdout), "holdout");
    }

    #[test]
    fn shares_follow_the_weights_and_the_same_account_always_lands_alike() {
        let s = split(&[("champion", 1.0), ("challenger", 1.0)], 20.0);
        let mut counts = [0usize; 3];
        for i in 0..20_000 {
            let id = format!("ACC-{i}");
            let a = s.assign(&id);
            assert_eq!(a, s.assign(&id));
            counts[match a {
                Assignment::Holdout => 0,
                Assignment::Arm(i) => i + 1,
            }] += 1;
        }
        // 20 % / 40 % / 40 % of 20,000, within 4 standard deviations.
        assert!((counts[0] as i64 - 4_000).abs() < 230, "{counts:?}");
        assert!((counts[1] as i64 - 8_000).abs() < 280, "{counts:?}");
        assert!((counts[2] as i64 - 8_000).abs() < 280, "{counts:?}");
    }

    #[test]
    fn step_ids_carry_the_arm() {
        assert_eq!(arm_step_id("challenger", "d1-sms"), "challenger.d1-sms");
        assert_eq!(arm_of_step("challenger.d1-sms"), Some("challenger"));
        assert_eq!(arm_of_step("challenger.d1-sms+email"), Some("challenger"));
        assert_eq!(arm_of_step("d1-sms"), None);
        assert!(valid_arm_id("sms-first_2"));
        assert!(!valid_arm_id("Sms"));
        assert!(!valid_arm_id("a.b"));
        assert!(!valid_arm_id("holdout"));
        assert!(!valid_arm_id(""));
    }
}
