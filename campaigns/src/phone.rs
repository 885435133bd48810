//! Phone-number validity with the `phonenumber` crate's own metadata, but
//! without its shared regex cache.
//!
//! `phonenumber::is_valid` runs every pattern through one process-wide
//! `Mutex<LruCache>` keyed by the pattern text: each check hashes patterns
//! of up to a few kilobytes with SipHash and holds the lock while the
//! regex runs, so validation neither scales across threads nor runs fast
//! (it was about 70% of importing a 1M-row portfolio). This module compiles
//! each region's patterns once into plain `regex::Regex`es and applies
//! exactly the same rules as `phonenumber::validator::is_valid_with`
//! (region choice for shared country codes, possible lengths, a match
//! starting at 0 of the general pattern and of at least one number type).
//! A test checks it against `phonenumber::is_valid` on many numbers.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use phonenumber::PhoneNumber;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder};

/// "The leftmost match starts at 0" (phonenumber's test) is the same as
/// "some match starts at 0", i.e. a match of the pattern anchored at the
/// start. Anchoring keeps the lazy DFA small: unanchored, the big
/// alternations of a country's patterns kept building new DFA states for
/// every number, which cost more than the lock this module avoids.
fn anchored(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(&format!("^(?:{pattern}\n)"))
        .ignore_whitespace(true)
        .build()
        .ok()
}

struct Desc {
    re: Regex,
    lengths: Vec<u16>,
}

impl Desc {
    fn new(d: &Descriptor) -> Option<Desc> {
        let re = anchored(d.national_number().as_str())?;
        Some(Desc {
            re,
            lengths: d.possible_length().to_vec(),
        })
    }

    /// `phonenumber::metadata::Descriptor::is_match`.
    fn is_match(&self, value: &str) -> bool {
        if !self.lengths.is_empty() && !self.lengths.contains(&(value.len() as u16)) {
            return false;
        }
        self.re.is_match(value)
    }
}

struct RegionRules {
    leading_digits: Option<Regex>,
    general: Desc,
    types: Vec<Desc>,
}

impl RegionRules {
    fn new(meta: &Metadata) -> Option<RegionRules> {
        let d = meta.descriptors();
        let leading_digits = match meta.leading_digits() {
            Some(re) => Some(anchored(re.as_str())?),
            None => None,
        };
        let mut types = Vec::new();
        for desc in [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ]
        .into_iter()
        .flatten()
        {
            types.push(Desc::new(desc)?);
        }
        Some(RegionRules {
            leading_digits,
            general: Desc::new(d.general())?,
            types,
        })
    }

    /// `number_type(meta, value) != Type::Unknown`.
    fn has_type(&self, national: &str) -> bool {
        self.general.is_match(national) && self.types.iter().any(|t| t.is_match(national))
    }
}

type Cache = RwLock<HashMap<String, Option<Arc<RegionRules>>>>;

/// Compiled rules of a region (`"MX"`, or `"001"` for non-geographic
/// codes), compiled on first use. `None` if a pattern would not compile
/// here, in which case callers fall back to `phonenumber` itself.
fn rules(region: &str) -> Option<Arc<RegionRules>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    if let Ok(map) = cache.read()
        && let Some(r) = map.get(region)
    {
        return r.clone();
    }
    let compiled = DATABASE
        .by_id(region)
        .and_then(RegionRules::new)
        .map(Arc::new);
    if let Ok(mut map) = cache.write() {
        map.insert(region.to_string(), compiled.clone());
    }
    compiled
}

/// Whether a parsed number is valid: the same answer as
/// `phonenumber::is_valid(number)`, faster and without a global lock.
/// `national` is `number.national().to_string()`, which the caller has.
pub fn is_valid(number: &PhoneNumber, national: &str) -> bool {
    let code = number.code().value();
    let Some(regions) = DATABASE.region(&code) else {
        return false;
    };
    // `source_for`: the single region of the code, or the first region of
    // a shared code (+1, +7…) whose leading digits or patterns fit.
    // Non-geographic codes (+800, +808…) all share the id "001", so they
    // cannot be looked up by id: leave those rare numbers to phonenumber.
    if regions.contains(&"001") {
        return phonenumber::is_valid(number);
    }
    let chosen: Option<Arc<RegionRules>> = if regions.len() == 1 {
        match rules(regions[0]) {
            Some(r) => Some(r),
            None => return phonenumber::is_valid(number),
        }
    } else {
        let mut found = None;
        for region in regions {
            let Some(r) = rules(region) else {
                return phonenumber::is_valid(number);
            };
            let fits = match &r.leading_digits {
                Some(ld) => ld.is_match(national),
                None => r.has_type(national),
            };
            if fits {
                found = Some(r);
                break;
            }
        }
        found
    };
    chosen.is_some_and(|r| r.has_type(national))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn both(region: &str, text: &str) -> Option<(bool, bool)> {
        let id = phonenumber::country::Id::from_str(region).ok();
        let n = phonenumber::parse(id, text).ok()?;
        Some((
            is_valid(&n, &n.national().to_string()),
            phonenumber::is_valid(&n),
        ))
    }

    #[test]
    fn agrees_on_known_numbers() {
        for (region, text, valid) in [
            ("MX", "55 1234 5678", true),
            ("MX", "+52 664 123 4567", true),
            ("MX", "12345", false),
            ("US", "(212) 734-5678", true),
            ("US", "(212) 111-5678", false),
            ("CA", "+1 416 555 0123", true),
            ("CO", "310 123 4567", true),
            ("CL", "9 8765 4321", true),
            ("PE", "987 654 321", true),
            ("ES", "612 345 678", true),
            ("AR", "11 2345 6789", true),
            ("BR", "11 91234 5678", true),
            ("GB", "+44 7912345678", true),
        ] {
            let (mine, theirs) = both(region, text).unwrap_or((false, false));
            assert_eq!(mine, theirs, "{region} {text}");
            assert_eq!(mine, valid, "{region} {text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn agrees_with_phonenumber(
            region in prop::sample::select(vec!["MX", "US", "CA", "CO", "CL", "PE", "ES", "AR", "BR", "GB", "DO", "PR"]),
            digits in "[0-9]{6,12}",
            plus in any::<bool>(),
        ) {
            let text = if plus { format!("+{digits}") } else { digits };
            if let Some((mine, theirs)) = both(region, &text) {
                prop_assert_eq!(mine, theirs, "{} {}", region, text);
            }
        }
    }
}
