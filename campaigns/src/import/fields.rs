//! The rules for single values (public so other crates and tests can
//! reuse them): ids, ISO codes, amounts (the decimal separator rule is
//! [`crate::spreadsheet::decimal`]'s), dates, zones, languages, phones,
//! emails, consent, roles and flag lists.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{EmailFault, RowReason};
use crate::iso;
use crate::spreadsheet::AmountReading;
use crate::spreadsheet::decimal::plain_decimal;
use crate::{ContactFlag, ContactRole, Provenance};

/// Account ids become part of contact ids (`campaign/account/step`), so
/// they may not contain `/` or whitespace.
pub fn check_id(id: &str) -> Result<(), RowReason> {
    if id.len() > 128 {
        return Err(RowReason::IdTooLong);
    }
    if let Some(c) = id
        .chars()
        .find(|c| *c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(RowReason::IdCharacter { id: id.into(), c });
    }
    Ok(())
}

/// ISO 3166-1 alpha-2, case-insensitive; returns the upper-case code.
pub fn parse_country(raw: &str) -> Result<String, RowReason> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(RowReason::NotCountryCode { raw: raw.into() });
    }
    if !iso::is_country(&code) {
        return Err(RowReason::UnknownCountry { code });
    }
    Ok(code)
}

/// ISO 4217, case-insensitive; returns the code and its decimals.
pub fn parse_currency(raw: &str) -> Result<(String, u32), RowReason> {
    let code = raw.trim().to_ascii_uppercase();
    match iso::currency_decimals(&code) {
        Some(d) => Ok((code, d)),
        None => Err(RowReason::UnknownCurrency { raw: raw.into() }),
    }
}

/// A positive amount with no more decimals than the currency has
/// (`None`: unknown currency, allow 2), rescaled to them. Read with no
/// knowledge of the file: `1.234,56`, `1,234.56`, `1234,56` and `1234.56`
/// are clear by their form, `1.234` and `1,234` are refused as ambiguous
/// (see [`parse_amount_with`]).
pub fn parse_amount(raw: &str, decimals: Option<u32>) -> Result<Decimal, RowReason> {
    parse_amount_with(raw, decimals, &AmountReading::default())
}

/// [`parse_amount`] for a value of a file whose decimal separator is
/// known (declared, or shown by its other amounts: see
/// [`crate::spreadsheet::decimal`]). Signs other than a leading `+`,
/// exponents and currency symbols are refused rather than guessed at.
pub fn parse_amount_with(
    raw: &str,
    decimals: Option<u32>,
    reading: &AmountReading,
) -> Result<Decimal, RowReason> {
    let s = raw.trim();
    if s.starts_with('-') {
        return Err(RowReason::NegativeAmount { raw: s.into() });
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let max = decimals.unwrap_or(2);
    let plain = plain_decimal(body, reading).map_err(|problem| RowReason::BadAmount {
        raw: s.into(),
        problem,
        max: Some(max),
    })?;
    let value = Decimal::from_str(&plain).map_err(|e| RowReason::NotDecimal {
        raw: s.into(),
        error: e.to_string(),
    })?;
    let value = value.normalize();
    if value.scale() > max {
        return Err(if max == 0 {
            RowReason::DecimalsNotAllowed { raw: s.into() }
        } else {
            RowReason::TooManyDecimals { raw: s.into(), max }
        });
    }
    if value.is_zero() {
        return Err(RowReason::ZeroAmount);
    }
    let mut value = value;
    value.rescale(max);
    Ok(value)
}

/// `YYYY-MM-DD`, or the day first as Latin American and Spanish systems
/// (and Excel in those locales) write it: `DD/MM/YYYY` or `DD-MM-YYYY`.
/// `MM/DD/YYYY` is never guessed.
pub fn parse_date(raw: &str) -> Result<NaiveDate, RowReason> {
    let s = raw.trim();
    let day_first = s
        .split(['/', '-'])
        .next()
        .is_some_and(|first| (1..=2).contains(&first.len()));
    let parsed = if s.contains('/') {
        NaiveDate::parse_from_str(s, "%d/%m/%Y")
    } else if day_first {
        NaiveDate::parse_from_str(s, "%d-%m-%Y")
    } else {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
    };
    let d = parsed.map_err(|_| RowReason::NotADate { raw: s.into() })?;
    use chrono::Datelike;
    if !(1900..=2200).contains(&d.year()) {
        return Err(RowReason::YearOutOfRange {
            raw: s.into(),
            year: d.year(),
        });
    }
    Ok(d)
}

/// ISO 3166-2 (`MX-BCN`; `BCN` is read as the row country's), checked
/// against the embedded lists where cobro has them and for shape
/// elsewhere.
pub fn parse_subdivision(raw: &str, country: &str) -> Result<String, RowReason> {
    let up = raw.trim().to_ascii_uppercase();
    let code = if up.contains('-') {
        up
    } else {
        format!("{country}-{up}")
    };
    let Some((prefix, suffix)) = code.split_once('-') else {
        return Err(RowReason::NotSubdivisionCode { raw: raw.into() });
    };
    let shape_ok = prefix.len() == 2
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=3).contains(&suffix.len())
        && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
    if !shape_ok {
        return Err(RowReason::SubdivisionShape { raw: raw.into() });
    }
    if prefix != country {
        return Err(RowReason::SubdivisionElsewhere {
            code,
            country: country.into(),
        });
    }
    if let Some(list) = iso::subdivisions_of(country)
        && !list.contains(&suffix)
    {
        return Err(RowReason::UnknownSubdivision {
            code,
            country: country.into(),
        });
    }
    Ok(code)
}

/// An IANA zone name known to the embedded tz database; returns its
/// canonical spelling.
pub fn parse_timezone(raw: &str) -> Result<String, RowReason> {
    let s = raw.trim();
    match chrono_tz::Tz::from_str(s) {
        Ok(tz) => Ok(tz.name().to_string()),
        Err(_) => Err(RowReason::UnknownTimezone { raw: s.into() }),
    }
}

/// `es`, `es-MX`, `es_mx` → `es-MX`.
pub fn parse_language(raw: &str) -> Result<String, RowReason> {
    let s = raw.trim().replace('_', "-");
    let (lang, region) = match s.split_once('-') {
        Some((l, r)) => (l, Some(r)),
        None => (s.as_str(), None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok =
        region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()));
    if !lang_ok || !region_ok {
        return Err(RowReason::NotLanguageTag { raw: raw.into() });
    }
    Ok(match region {
        Some(r) => format!("{}-{}", lang.to_ascii_lowercase(), r.to_ascii_uppercase()),
        None => lang.to_ascii_lowercase(),
    })
}

/// Normalises a phone number to E.164, reading national formats with the
/// row's country as default region. Numbers that are well-formed but not
/// dialable in that country's numbering plan are refused: sending to them
/// wastes money and may reach someone else.
pub fn normalize_phone(raw: &str, country: Option<&str>) -> Result<String, RowReason> {
    let s = raw.trim();
    let region = country.and_then(|c| phonenumber::country::Id::from_str(c).ok());
    if region.is_none() && !s.starts_with('+') {
        return Err(RowReason::PhoneWithoutCountry { raw: s.into() });
    }
    let number =
        phonenumber::parse(region, s).map_err(|_| RowReason::NotAPhone { raw: s.into() })?;
    // E.164 is `+`, the country code, then the national number with its
    // leading zeros (Italy); validity is judged on those same digits.
    let national = number.national().to_string();
    if !crate::phone::is_valid(&number, &national) {
        return Err(RowReason::PhoneNotValid {
            raw: s.into(),
            country: country.map(str::to_string),
        });
    }
    let code = number.code().value().to_string();
    let mut out = String::with_capacity(1 + code.len() + national.len());
    out.push('+');
    out.push_str(&code);
    out.push_str(&national);
    Ok(out)
}

/// A practical mailbox check: one `@`, a plausible local part, a dotted
/// domain with an alphabetic TLD. Lower-cased, because providers and
/// suppression lists compare addresses that way.
pub fn normalize_email(raw: &str) -> Result<String, RowReason> {
    let s = raw.trim();
    let bad = |fault| {
        Err(RowReason::BadEmail {
            raw: s.into(),
            fault,
        })
    };
    if s.len() > 254 {
        return bad(EmailFault::TooLong);
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return bad(EmailFault::MissingAt);
    };
    if local.is_empty() || local.len() > 64 {
        return bad(EmailFault::LocalPartLength);
    }
    const LOCAL_SPECIAL: &[u8] = b"!#$%&'*+-/=?^_`{|}~.";
    if !local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || LOCAL_SPECIAL.contains(&b))
    {
        return bad(EmailFault::LocalPartCharacter);
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad(EmailFault::LocalPartDot);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return bad(EmailFault::DomainWithoutDot);
    }
    for l in &labels {
        if l.is_empty()
            || l.len() > 63
            || l.starts_with('-')
            || l.ends_with('-')
            || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return bad(EmailFault::Domain);
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return bad(EmailFault::TopLevelDomain);
    }
    Ok(s.to_ascii_lowercase())
}

/// `yes/no`, `true/false`, `si/no`, `1/0`; empty means not recorded.
pub fn parse_consent(raw: Option<&str>) -> Result<Option<bool>, RowReason> {
    let Some(s) = raw else { return Ok(None) };
    let v = s.trim();
    const YES: [&str; 9] = ["yes", "y", "true", "t", "1", "si", "sí", "s", "x"];
    const NO: [&str; 5] = ["no", "n", "false", "f", "0"];
    if v.is_empty() {
        Ok(None)
    } else if YES.iter().any(|y| y.eq_ignore_ascii_case(v)) || v == "SÍ" || v == "Sí" {
        Ok(Some(true))
    } else if NO.iter().any(|n| n.eq_ignore_ascii_case(v)) {
        Ok(Some(false))
    } else {
        Err(RowReason::BadConsent { raw: s.into() })
    }
}

pub(super) fn parse_role(raw: Option<&str>) -> Result<ContactRole, RowReason> {
    match raw {
        None => Ok(ContactRole::Debtor),
        Some(s) => ContactRole::parse(s).ok_or_else(|| RowReason::UnknownRole { raw: s.into() }),
    }
}

pub(super) fn parse_provenance(raw: Option<&str>) -> Result<Provenance, RowReason> {
    match raw {
        None => Ok(Provenance::CreditorFile),
        Some(s) => {
            Provenance::parse(s).ok_or_else(|| RowReason::UnknownProvenance { raw: s.into() })
        }
    }
}

pub(super) fn parse_contact_flags(raw: Option<&str>) -> Result<BTreeSet<ContactFlag>, RowReason> {
    match raw {
        None => Ok(BTreeSet::new()),
        Some(s) => {
            parse_list(s, ContactFlag::parse).map_err(|raw| RowReason::UnknownContactFlag { raw })
        }
    }
}

/// `a;b`, `a,b` or `a|b`; returns the first unknown item on failure.
pub(super) fn parse_list<T: Ord>(
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<BTreeSet<T>, String> {
    let mut out = BTreeSet::new();
    for item in raw
        .split([';', ',', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match parse(item) {
            Some(v) => {
                out.insert(v);
            }
            None => return Err(item.to_string()),
        }
    }
    Ok(out)
}
