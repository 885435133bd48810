//! References for payments the creditor sent without one.
//!
//! A generated reference depends only on the row's meaning — account,
//! amount, instant — and on how many identical rows came before it in the
//! file, so importing the same file twice gives the same references (and
//! a re-import is recognised as such downstream), while two identical
//! payments on the same day stay two payments. The hash is FNV-1a 128,
//! written out here so it never changes with a Rust or crate upgrade.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

/// Prefix of every generated reference, so operators can tell them apart.
pub(super) const GENERATED_PREFIX: &str = "auto-";

/// Counts identical rows without a reference, in file order.
#[derive(Default)]
pub(super) struct Generator {
    seen: HashMap<String, usize>,
}

impl Generator {
    /// The next reference for a row with these values.
    pub(super) fn next(&mut self, account: &str, amount: Decimal, at: DateTime<Utc>) -> String {
        // `normalize`: 100 and 100.00 are the same payment whatever the
        // currency's decimals made of them.
        let key = format!(
            "{account}\u{1f}{}\u{1f}{}",
            amount.normalize(),
            at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        );
        let ordinal = self.seen.entry(key.clone()).or_insert(0);
        let hash = fnv1a_128(format!("cobro-payment-v1\u{1f}{key}\u{1f}{ordinal}").as_bytes());
        *ordinal += 1;
        format!("{GENERATED_PREFIX}{hash:032x}")
    }
}

fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_vectors() {
        assert_eq!(fnv1a_128(b""), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
    }

    #[test]
    fn identical_rows_get_distinct_stable_references() {
        let at = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let amount = Decimal::new(10000, 2);
        let run = || {
            let mut g = Generator::default();
            [
                g.next("A1", amount, at),
                g.next("A1", amount, at),
                g.next("A2", amount, at),
            ]
        };
        let first = run();
        assert_eq!(first, run());
        assert_ne!(first[0], first[1]);
        assert_ne!(first[0], first[2]);
        assert_eq!(
            first[0],
            Generator::default().next("A1", Decimal::new(100, 0), at)
        );
        assert!(first[0].starts_with(GENERATED_PREFIX) && first[0].len() == 5 + 32);
    }
}
