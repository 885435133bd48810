use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// A credential. Its `Debug` and `Display` print `***` so a config dump or
/// an error message can never leak it into logs.
#[derive(Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for building an auth header. Never log this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Constant-time equality of two secrets, so that response timing does not
/// leak how much of a guess was right (length differences still show,
/// which reveals nothing useful about a random token).
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Serde for `Duration` settings written the way operators write them:
/// a number of seconds (`10`, `0.5`) or a string with a unit (`"500ms"`,
/// `"10s"`, `"2min"`).
pub mod duration_serde {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Float(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}ms", d.as_millis()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Duration::from_secs(n)),
            Raw::Float(f) if f.is_finite() && f >= 0.0 => Ok(Duration::from_secs_f64(f)),
            Raw::Float(f) => Err(D::Error::custom(format!("invalid duration {f}"))),
            Raw::Text(s) => parse(&s).map_err(D::Error::custom),
        }
    }

    /// Parses `"250ms"`, `"10s"`, `"2min"`, `"1h"` or a bare number of
    /// seconds.
    pub fn parse(s: &str) -> Result<Duration, String> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let value: f64 = num.parse().map_err(|_| format!("invalid duration `{s}`"))?;
        let secs = match unit.trim() {
            "" | "s" | "sec" | "secs" => value,
            "ms" => value / 1000.0,
            "m" | "min" | "mins" => value * 60.0,
            "h" => value * 3600.0,
            other => return Err(format!("invalid duration unit `{other}` in `{s}`")),
        };
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!("invalid duration `{s}`"));
        }
        Ok(Duration::from_secs_f64(secs))
    }

    #[cfg(test)]
    mod tests {
        use super::parse;
        use std::time::Duration;

        #[test]
        fn parses_units() {
            assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
            assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
            assert_eq!(parse("2min"), Ok(Duration::from_secs(120)));
            assert_eq!(parse("3"), Ok(Duration::from_secs(3)));
            assert!(parse("ten").is_err());
            assert!(parse("5 parsecs").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Secret, secrets_equal};

    #[test]
    fn constant_time_compare() {
        assert!(secrets_equal(b"abc", b"abc"));
        assert!(!secrets_equal(b"abc", b"abd"));
        assert!(!secrets_equal(b"abc", b"abcd"));
    }

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "hunter2");
    }
}
