//! The rules for a payment's values: the amount paid, when it was paid,
//! and the creditor's reference. Amounts and dates reuse the portfolio
//! importer's parsers, so a value accepted there means the same here.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;

use crate::import::{parse_amount, parse_date};

/// A positive amount with no more decimals than the currency has
/// (`None`: unknown currency, allow 2), rescaled to them.
///
/// Accepts what [`parse_amount`] accepts (`1234.56`), plus the decimal
/// comma where it cannot be misread: `1234,56` (one comma, 1–2 digits
/// after it, no dot) and `1.234,56` (`.` grouping thousands in threes,
/// `,` before 1–2 decimals). `1,234` could be either and is refused, as
/// are zero, negative amounts, exponents and other thousands styles.
pub fn parse_payment_amount(raw: &str, decimals: Option<u32>) -> Result<Decimal, String> {
    let s = raw.trim();
    if !s.contains(',') {
        return parse_amount(s, decimals);
    }
    let Some(plain) = decimal_comma(s) else {
        return Err(format!(
            "'{s}' is not an amount cobro can read unambiguously (write 1234.56, 1234,56 or 1.234,56)"
        ));
    };
    // parse_amount quotes the text it was given; quote the file's.
    parse_amount(&plain, decimals)
        .map_err(|reason| reason.replacen(&format!("'{plain}'"), &format!("'{s}'"), 1))
}

/// `1234,56` → `1234.56`, `-1.234,5` → `-1234.5`; `None` when the comma
/// is not unambiguously the decimal separator.
fn decimal_comma(s: &str) -> Option<String> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+' | b'-') => s.split_at(1),
        _ => ("", s),
    };
    let (int, frac) = body.split_once(',')?;
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&frac.len()) || !digits(frac) {
        return None;
    }
    let int = if int.contains('.') {
        let mut groups = int.split('.');
        let first = groups.next()?;
        if !digits(first) || first.len() > 3 || !groups.all(|g| g.len() == 3 && digits(g)) {
            return None;
        }
        int.replace('.', "")
    } else if digits(int) {
        int.to_string()
    } else {
        return None;
    };
    Some(format!("{sign}{int}.{frac}"))
}

/// When a payment was made: `YYYY-MM-DD` or `DD/MM/YYYY` (as
/// [`parse_date`] reads them) or an RFC 3339 date-time with its offset
/// (`2024-05-01T10:30:00-06:00`, `2024-05-01 16:30:00Z`).
///
/// A date alone becomes **12:00 UTC** of that day. One type for every row
/// keeps callers simple (sorting, comparing, storing), and noon UTC falls
/// on the same calendar day everywhere from UTC−12 to UTC+11 — all of the
/// Americas and Spain — so converting it to an account's local zone gives
/// back the day the creditor wrote. A date-time without an offset is
/// refused: its zone would be a guess.
pub fn parse_paid_at(raw: &str) -> Result<DateTime<Utc>, String> {
    let s = raw.trim();
    if s.contains(':') {
        return parse_instant(s);
    }
    let day = parse_date(s).map_err(|reason| {
        if is_calendar_date(s) {
            // A real date, refused for its year: keep parse_date's reason.
            reason
        } else {
            format!(
                "'{s}' is not a date (use YYYY-MM-DD, DD/MM/YYYY or an RFC 3339 date-time such as 2024-05-01T10:30:00-06:00)"
            )
        }
    })?;
    Ok(day.and_time(NOON).and_utc())
}

/// The time a date-only payment is given (see [`parse_paid_at`]).
const NOON: NaiveTime = match NaiveTime::from_hms_opt(12, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

fn is_calendar_date(s: &str) -> bool {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        || NaiveDate::parse_from_str(s, "%d/%m/%Y").is_ok()
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    let at = match DateTime::parse_from_rfc3339(s) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let naive = [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok());
            return Err(if naive {
                format!(
                    "'{s}' has no UTC offset; add one (e.g. 2024-05-01T10:30:00-06:00 or …Z) or give the date alone"
                )
            } else {
                format!(
                    "'{s}' is not a date-time (use RFC 3339, e.g. 2024-05-01T10:30:00-06:00, or a date alone)"
                )
            });
        }
    };
    use chrono::Datelike;
    if !(1900..=2200).contains(&at.year()) {
        return Err(format!("'{s}': year {} is out of range", at.year()));
    }
    Ok(at)
}

/// The creditor's payment reference: any text up to 128 characters
/// without control characters (it is quoted in reports and logs).
pub(super) fn check_reference(reference: &str) -> Result<(), String> {
    if reference.chars().count() > 128 {
        return Err("reference is longer than 128 characters".into());
    }
    if let Some(c) = reference.chars().find(|c| c.is_control()) {
        return Err(format!(
            "reference '{reference}' contains {c:?}; references may not contain control characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Result<String, String> {
        parse_payment_amount(s, None).map(|d| d.to_string())
    }

    #[test]
    fn decimal_comma_only_where_unambiguous() {
        assert_eq!(amount("1234.56").as_deref(), Ok("1234.56"));
        assert_eq!(amount("1234,5").as_deref(), Ok("1234.50"));
        assert_eq!(amount(" 55.177,35 ").as_deref(), Ok("55177.35"));
        assert_eq!(amount("1.234.567,89").as_deref(), Ok("1234567.89"));
        for bad in [
            "1,234",
            "1,234.56",
            "12.34,5",
            "1.2345,6",
            ",5",
            "1,2,3",
            "1.234,567",
        ] {
            assert!(amount(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn amounts_must_be_positive_and_fit_the_currency() {
        assert!(amount("0").is_err());
        assert!(amount("0,00").is_err());
        let neg = amount("-10,50").expect_err("negative");
        assert!(neg.contains("'-10,50'"), "{neg}");
        assert!(amount("abc").is_err());
        assert!(parse_payment_amount("1.234,5", Some(0)).is_err());
        assert_eq!(
            parse_payment_amount("1.234", Some(3)).map(|d| d.to_string()),
            Ok("1.234".to_string())
        );
    }

    #[test]
    fn dates_and_instants() {
        let noon = |s| parse_paid_at(s).map(|d| d.to_rfc3339());
        assert_eq!(
            noon("2024-05-01").as_deref(),
            Ok("2024-05-01T12:00:00+00:00")
        );
        assert_eq!(
            noon("01/05/2024").as_deref(),
            Ok("2024-05-01T12:00:00+00:00")
        );
        assert_eq!(
            noon("2024-05-01T22:30:00-06:00").as_deref(),
            Ok("2024-05-02T04:30:00+00:00")
        );
        assert_eq!(
            noon("2024-05-01 10:00:00Z").as_deref(),
            Ok("2024-05-01T10:00:00+00:00")
        );
        assert!(
            noon("2024-05-01T10:00:00")
                .unwrap_err()
                .contains("no UTC offset")
        );
        assert!(noon("31/02/2024").unwrap_err().contains("not a date"));
        assert!(noon("ayer").unwrap_err().contains("not a date"));
        assert!(noon("1800-01-01").unwrap_err().contains("out of range"));
    }
}
