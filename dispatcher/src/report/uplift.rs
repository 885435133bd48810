//! Uplift of an arm over the holdout, with a 95 % confidence interval, and
//! its verdict in plain words (Spanish and English).
//!
//! The measure is the recovery rate: the share of an arm's accounts that
//! paid something within the attribution window (a proportion, so each
//! account counts once whatever it paid). The uplift is the arm's rate
//! minus the holdout's, in percentage points. Its interval is Newcombe's
//! hybrid score interval for a difference of independent proportions
//! (Newcombe 1998, method 10): it combines the two Wilson score intervals
//! and, unlike the Wald interval, stays inside [-1, 1] and keeps its
//! coverage with few payers or a small holdout. When the interval holds
//! zero the data cannot tell the arm from not contacting at all.

use serde::Serialize;

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `k` successes in `n` trials, as
/// (low, high); `None` for `n = 0`.
pub fn wilson(k: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Newcombe's interval for `p1 - p2` (`k1` of `n1` against `k2` of `n2`):
/// (difference, low, high), as fractions; `None` when a group is empty.
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64, z: f64) -> Option<(f64, f64, f64)> {
    let (l1, u1) = wilson(k1, n1, z)?;
    let (l2, u2) = wilson(k2, n2, z)?;
    let p1 = k1 as f64 / n1 as f64;
    let p2 = k2 as f64 / n2 as f64;
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, low, high))
}

/// An arm's uplift over the holdout, in percentage points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uplift {
    /// Recovery rate of the arm minus the holdout's, in points.
    pub points: f64,
    /// The 95 % interval's ends, in points.
    pub low: f64,
    pub high: f64,
    /// `better`, `worse` or `not_enough_data`.
    pub verdict: &'static str,
    /// The verdict in words.
    pub verdict_es: String,
    pub verdict_en: String,
}

/// Always `"newcombe_hybrid_score_95"`: which interval the numbers are.
pub const METHOD: &str = "newcombe_hybrid_score_95";

impl Uplift {
    /// The uplift of `paid` of `accounts` over the holdout's `h_paid` of
    /// `h_accounts`; `None` when either group has no account.
    pub fn over_holdout(
        arm: &str,
        paid: u64,
        accounts: u64,
        h_paid: u64,
        h_accounts: u64,
    ) -> Option<Uplift> {
        let (d, low, high) = newcombe(paid, accounts, h_paid, h_accounts, Z95)?;
        let (points, low, high) = (d * 100.0, low * 100.0, high * 100.0);
        let range = format!("{low:+.1} a {high:+.1}");
        let range_en = format!("{low:+.1} to {high:+.1}");
        let (verdict, es, en) = if low > 0.0 {
            (
                "better",
                format!(
                    "El brazo «{arm}» recupera más que no contactar: {points:+.1} puntos (IC 95 % {range})."
                ),
                format!(
                    "Arm '{arm}' recovers more than not contacting: {points:+.1} points (95 % CI {range_en})."
                ),
            )
        } else if high < 0.0 {
            (
                "worse",
                format!(
                    "El brazo «{arm}» recupera menos que no contactar: {points:+.1} puntos (IC 95 % {range})."
                ),
                format!(
                    "Arm '{arm}' recovers less than not contacting: {points:+.1} points (95 % CI {range_en})."
                ),
            )
        } else {
            (
                "not_enough_data",
                format!(
                    "Aún no hay datos suficientes: el intervalo ({range} puntos) incluye el cero."
                ),
                format!("Not enough data yet: the interval ({range_en} points) includes zero."),
            )
        };
        Some(Uplift {
            points,
            low,
            high,
            verdict,
            verdict_es: es,
            verdict_en: en,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_published_values() {
        // Newcombe (1998), table I: 81/263 → 0.2553 to 0.3662.
        let (l, u) = wilson(81, 263, Z95).expect("n > 0");
        assert!(
            (l - 0.2553).abs() < 5e-4 && (u - 0.3662).abs() < 5e-4,
            "{l} {u}"
        );
        // 0/10 → 0 to 0.2775.
        let (l, u) = wilson(0, 10, Z95).expect("n > 0");
        assert_eq!(l, 0.0);
        assert!((u - 0.2775).abs() < 5e-4, "{u}");
        assert!(wilson(0, 0, Z95).is_none());
    }

    #[test]
    fn newcombe_matches_the_published_example() {
        // Newcombe (1998), table II, example (a): 56/70 vs 48/80 →
        // 0.2000, interval 0.0524 to 0.3339 (method 10).
        let (d, l, u) = newcombe(56, 70, 48, 80, Z95).expect("groups");
        assert!((d - 0.2).abs() < 1e-9);
        assert!(
            (l - 0.0524).abs() < 5e-4 && (u - 0.3339).abs() < 5e-4,
            "{l} {u}"
        );
        // Example (b): 9/10 vs 3/10 → 0.1705 to 0.8090.
        let (_, l, u) = newcombe(9, 10, 3, 10, Z95).expect("groups");
        assert!(
            (l - 0.1705).abs() < 5e-4 && (u - 0.8090).abs() < 5e-4,
            "{l} {u}"
        );
    }

    #[test]
    fn the_verdict_says_not_enough_data_when_the_interval_holds_zero() {
        let u = Uplift::over_holdout("sms", 12, 100, 10, 100).expect("groups");
        assert_eq!(u.verdict, "not_enough_data");
        assert!(u.verdict_es.starts_with("Aún no hay datos suficientes"));
        assert!(u.verdict_en.starts_with("Not enough data yet"));
        let u = Uplift::over_holdout("sms", 300, 1000, 50, 1000).expect("groups");
        assert_eq!(u.verdict, "better");
        assert!((u.points - 25.0).abs() < 1e-9);
        assert!(u.verdict_en.contains("recovers more"), "{}", u.verdict_en);
        let u = Uplift::over_holdout("sms", 10, 1000, 80, 1000).expect("groups");
        assert_eq!(u.verdict, "worse");
        assert!(Uplift::over_holdout("sms", 1, 10, 0, 0).is_none());
    }
}
