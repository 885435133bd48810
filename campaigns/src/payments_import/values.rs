//! The rules for a payment's values: the amount paid, when it was paid,
//! and the creditor's reference. Amounts and dates reuse the portfolio
//! importer's parsers, so a value accepted there means the same here.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;

use crate::import::{RowReason, parse_amount, parse_date};

/// A positive amount with no more decimals than the currency has
/// (`None`: unknown currency, allow 2), rescaled to them: exactly the
/// portfolio's [`parse_amount`] (`1234.56`, `1,234.56`, `1234,56`,
/// `1.234,56`; `1,234` and `1.234` refused as ambiguous when nothing else
/// is known), so an amount means the same in both files. A file's
/// records are read with [`crate::import::parse_amount_with`] and what
/// the file's other amounts show.
pub fn parse_payment_amount(raw: &str, decimals: Option<u32>) -> Result<Decimal, RowReason> {
    parse_amount(raw, decimals)
}

/// When a payment was made: `YYYY-MM-DD`, `DD/MM/YYYY` or `DD-MM-YYYY` (as
/// [`parse_date`] reads them) or an RFC 3339 date-time with its offset
/// (`2024-05-01T10:30:00-06:00`, `2024-05-01 16:30:00Z`).
///
/// A date alone becomes **12:00 UTC** of that day. One type for every row
/// keeps callers simple (sorting, comparing, storing), and noon UTC falls
/// on the same calendar day everywhere from UTC−12 to UTC+11 — all of the
/// Americas and Spain — so converting it to an account's local zone gives
/// back the day the creditor wrote. A date-time without an offset is
/// refused: its zone would be a guess.
pub fn parse_paid_at(raw: &str) -> Result<DateTime<Utc>, RowReason> {
    let s = raw.trim();
    if s.contains(':') {
        return parse_instant(s);
    }
    let day = parse_date(s).map_err(|reason| {
        if is_calendar_date(s) {
            // A real date, refused for its year: keep parse_date's reason.
            reason
        } else {
            RowReason::NotAPaymentDate { raw: s.into() }
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
        || NaiveDate::parse_from_str(s, "%d-%m-%Y").is_ok()
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, RowReason> {
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
                RowReason::NoUtcOffset { raw: s.into() }
            } else {
                RowReason::NotADateTime { raw: s.into() }
            });
        }
    };
    use chrono::Datelike;
    if !(1900..=2200).contains(&at.year()) {
        return Err(RowReason::YearOutOfRange {
            raw: s.into(),
            year: at.year(),
        });
    }
    Ok(at)
}

/// The creditor's payment reference: any text up to 128 characters
/// without control characters (it is quoted in reports and logs).
pub(super) fn check_reference(reference: &str) -> Result<(), RowReason> {
    if reference.chars().count() > 128 {
        return Err(RowReason::ReferenceTooLong);
    }
    if let Some(c) = reference.chars().find(|c| c.is_control()) {
        return Err(RowReason::ReferenceCharacter {
            reference: reference.into(),
            c,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Result<String, String> {
        parse_payment_amount(s, None)
            .map(|d| d.to_string())
            .map_err(|r| r.to_string())
    }

    #[test]
    fn decimal_comma_only_where_unambiguous() {
        assert_eq!(amount("1234.56").as_deref(), Ok("1234.56"));
        assert_eq!(amount("1234,5").as_deref(), Ok("1234.50"));
        assert_eq!(amount(" 55.177,35 ").as_deref(), Ok("55177.35"));
        assert_eq!(amount("1.234.567,89").as_deref(), Ok("1234567.89"));
        assert_eq!(amount("1,234.56").as_deref(), Ok("1234.56"));
        for bad in [
            "1,234",
            "1.234",
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
        // Ambiguous even for a three-decimal currency: 1234 or 1.234.
        let e = parse_payment_amount("1.234", Some(3))
            .expect_err("ambiguous")
            .to_string();
        assert!(e.contains("ambiguous"), "{e}");
        assert_eq!(
            parse_payment_amount("0.125", Some(3)).map(|d| d.to_string()),
            Ok("0.125".to_string())
        );
    }

    #[test]
    fn dates_and_instants() {
        let noon = |s| {
            parse_paid_at(s)
                .map(|d| d.to_rfc3339())
                .map_err(|r| r.to_string())
        };
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
        assert_eq!(
            noon("21-08-2026").as_deref(),
            Ok("2026-08-21T12:00:00+00:00")
        );
        assert!(noon("ayer").unwrap_err().contains("not a date"));
        assert!(noon("1800-01-01").unwrap_err().contains("out of range"));
    }
}
