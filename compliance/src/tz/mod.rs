//! Time-zone resolution: explicit IANA zone > ISO 3166-2 subdivision >
//! country. A multi-zone country (or subdivision) yields every zone it spans,
//! and the guard only allows instants allowed in all of them: the strict
//! reading when we do not know where exactly the debtor is.
//!
//! Zone assignments follow the tz database's `zone1970.tab` comments.
//!
//! The zone tables themselves live in `zones`: a data table, longer than
//! a logic file, that grows with each country cobro serves.

mod zones;

use chrono_tz::Tz;
use serde::Serialize;

use crate::error::ComplianceError;
use zones::COUNTRIES;

/// Where the zones of a debtor came from; reported in every verdict so an
/// auditor can see why a zone was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TzSource {
    /// The account named an IANA zone.
    Explicit,
    /// Derived from the ISO 3166-2 subdivision.
    Subdivision,
    /// Derived from the country alone (all its zones when several).
    Country,
}

impl TzSource {
    /// snake_case name as used in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            TzSource::Explicit => "explicit",
            TzSource::Subdivision => "subdivision",
            TzSource::Country => "country",
        }
    }
}

impl std::fmt::Display for TzSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The zones a debtor's local time must be evaluated in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedZones {
    /// Every zone the debtor may be in; all must allow.
    pub zones: Vec<Tz>,
    /// Which field the zones came from.
    pub source: TzSource,
}

/// Resolves the zones of a debtor. Errors mean "cannot place this debtor in
/// time": the guard turns them into a block (fail closed).
pub fn resolve_timezones(
    country: &str,
    subdivision: Option<&str>,
    timezone: Option<&str>,
) -> Result<ResolvedZones, ComplianceError> {
    let z = resolve(country, subdivision, timezone)?;
    Ok(ResolvedZones {
        zones: z.zones().to_vec(),
        source: z.source,
    })
}

/// Allocation-free result of [`resolve`], used on the guard's hot path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Zones {
    one: Option<Tz>,
    many: &'static [Tz],
    pub(crate) source: TzSource,
}

impl Zones {
    pub(crate) fn zones(&self) -> &[Tz] {
        match &self.one {
            Some(tz) => std::slice::from_ref(tz),
            None => self.many,
        }
    }
}

fn upper2(s: &str) -> Option<[u8; 2]> {
    let b = s.trim().as_bytes();
    if b.len() != 2 {
        return None;
    }
    Some([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()])
}

pub(crate) fn resolve(
    country: &str,
    subdivision: Option<&str>,
    timezone: Option<&str>,
) -> Result<Zones, ComplianceError> {
    if let Some(name) = timezone.map(str::trim).filter(|s| !s.is_empty()) {
        let tz: Tz = name
            .parse()
            .map_err(|_| ComplianceError::UnknownTimezone(name.to_string()))?;
        return Ok(Zones {
            one: Some(tz),
            many: &[],
            source: TzSource::Explicit,
        });
    }
    let code = upper2(country).ok_or_else(|| ComplianceError::UnknownCountry(country.into()))?;
    let table = COUNTRIES
        .iter()
        .find(|c| c.code.as_bytes() == code)
        .ok_or_else(|| ComplianceError::UnknownCountry(country.to_string()))?;
    if let Some(sub) = subdivision.map(str::trim).filter(|s| !s.is_empty()) {
        // Accept `MX-BCN` and `BCN`.
        let local = match sub.split_once('-') {
            Some((prefix, rest)) => {
                if !prefix.eq_ignore_ascii_case(table.code) {
                    return Err(ComplianceError::UnknownSubdivision {
                        country: country.to_string(),
                        subdivision: sub.to_string(),
                    });
                }
                rest
            }
            None => sub,
        };
        if table.zones.len() == 1 {
            // Any subdivision of a single-zone country lies in that zone.
            return Ok(Zones {
                one: None,
                many: table.zones,
                source: TzSource::Subdivision,
            });
        }
        let found = table
            .subdivisions
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(local))
            .ok_or_else(|| ComplianceError::UnknownSubdivision {
                country: country.to_string(),
                subdivision: sub.to_string(),
            })?;
        return Ok(Zones {
            one: None,
            many: found.1,
            source: TzSource::Subdivision,
        });
    }
    Ok(Zones {
        one: None,
        many: table.zones,
        source: TzSource::Country,
    })
}

/// Countries with a zone table (ISO 3166-1 alpha-2).
pub fn supported_countries() -> impl Iterator<Item = &'static str> {
    COUNTRIES.iter().map(|c| c.code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz as Z;
    use zones::MX_ALL;

    #[test]
    fn precedence() {
        let r = resolve_timezones("MX", Some("MX-BCN"), Some("Europe/Madrid")).unwrap();
        assert_eq!(r.zones, vec![Z::Europe__Madrid]);
        assert_eq!(r.source, TzSource::Explicit);
        let r = resolve_timezones("mx", Some("bcn"), None).unwrap();
        assert_eq!(r.zones, vec![Z::America__Tijuana]);
        assert_eq!(r.source, TzSource::Subdivision);
        let r = resolve_timezones("MX", None, None).unwrap();
        assert_eq!(r.zones.len(), MX_ALL.len());
        assert_eq!(r.source, TzSource::Country);
        assert!(
            resolve_timezones("XX", None, None)
                .unwrap_err()
                .is_unknown_country()
        );
        assert!(
            resolve_timezones("MX", None, Some("Mars/Olympus"))
                .unwrap_err()
                .is_unknown_timezone()
        );
        assert!(
            resolve_timezones("MX", Some("MX-ZZZ"), None)
                .unwrap_err()
                .is_unknown_subdivision()
        );
        assert!(
            resolve_timezones("MX", Some("US-TX"), None)
                .unwrap_err()
                .is_unknown_subdivision()
        );
        let r = resolve_timezones("CO", Some("CO-ANT"), None).unwrap();
        assert_eq!(r.zones, vec![Z::America__Bogota]);
    }
}
