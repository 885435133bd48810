//! Currencies and amounts: which decimals a charge may carry, and Stripe's
//! minor units.
//!
//! cobro holds amounts in major units (`1234.50` MXN). Mercado Pago takes
//! them that way; Stripe wants an integer in the currency's minor unit,
//! which for zero-decimal currencies (CLP, JPY...) *is* the major unit.
//! An amount the currency cannot carry (CLP 10.5) is refused instead of
//! rounded: a collection must charge exactly what is owed.

use rust_decimal::Decimal;

use crate::PaymentError;

/// Stripe's zero-decimal currencies (docs.stripe.com/currencies): the API
/// amount is the major amount, not multiplied by 100.
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Three-decimal currencies: Stripe takes thousandths but requires the last
/// digit to be 0, so at most two decimals can actually be charged.
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// Currencies that are two-decimal in Stripe's API but can only be charged
/// in whole units (ISK: amounts must be multiples of 100).
const WHOLE_UNITS_ONLY: &[&str] = &["ISK"];

/// The upper-case ISO 4217 code, or an error for anything that is not
/// three ASCII letters.
pub(crate) fn currency_code(provider: &'static str, code: &str) -> Result<String, PaymentError> {
    let code = code.trim();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(PaymentError::invalid_request(
            provider,
            format!("`{code}` is not an ISO 4217 currency code"),
        ))
    }
}

/// Decimal places of Stripe's API unit for `currency` (upper case).
pub(crate) fn stripe_exponent(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    }
}

/// Decimal places a charge in `currency` (upper case) may carry.
pub(crate) fn chargeable_decimals(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency) || WHOLE_UNITS_ONLY.contains(&currency) {
        0
    } else {
        2
    }
}

/// Checks that `amount` is positive and fits `currency`'s chargeable
/// decimals; returns it with trailing zeros dropped.
pub(crate) fn check_amount(
    provider: &'static str,
    amount: Decimal,
    currency: &str,
) -> Result<Decimal, PaymentError> {
    if amount <= Decimal::ZERO {
        return Err(PaymentError::invalid_request(
            provider,
            format!("amount must be positive, got {amount} {currency}"),
        ));
    }
    let amount = amount.normalize();
    let decimals = chargeable_decimals(currency);
    if amount.scale() > decimals {
        return Err(PaymentError::invalid_request(
            provider,
            format!("{amount} {currency}: {currency} charges carry at most {decimals} decimals"),
        ));
    }
    Ok(amount)
}

/// `amount` (major units) as Stripe's integer amount for `currency`.
pub(crate) fn to_stripe_minor(
    provider: &'static str,
    amount: Decimal,
    currency: &str,
) -> Result<i64, PaymentError> {
    let amount = check_amount(provider, amount, currency)?;
    let factor = Decimal::from(10_i64.pow(stripe_exponent(currency)));
    let minor = amount
        .checked_mul(factor)
        .filter(|m| m.fract().is_zero())
        .and_then(|m| i64::try_from(m).ok());
    minor.ok_or_else(|| {
        PaymentError::invalid_request(
            provider,
            format!("{amount} {currency} does not fit Stripe's integer amount"),
        )
    })
}

/// Stripe's integer `minor` amount for `currency` in major units, exact.
pub(crate) fn from_stripe_minor(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, stripe_exponent(currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn stripe_minor_units() {
        assert_eq!(to_stripe_minor("s", d("1234.50"), "MXN").ok(), Some(123450));
        assert_eq!(to_stripe_minor("s", d("15000"), "CLP").ok(), Some(15000));
        assert_eq!(to_stripe_minor("s", d("15000.00"), "CLP").ok(), Some(15000));
        assert_eq!(to_stripe_minor("s", d("5"), "ISK").ok(), Some(500));
        assert_eq!(to_stripe_minor("s", d("5.12"), "KWD").ok(), Some(5120));
        assert!(to_stripe_minor("s", d("10.5"), "CLP").is_err());
        assert!(to_stripe_minor("s", d("5.5"), "ISK").is_err());
        assert!(to_stripe_minor("s", d("5.125"), "KWD").is_err());
        assert!(to_stripe_minor("s", d("1.001"), "USD").is_err());
        assert!(to_stripe_minor("s", d("0"), "USD").is_err());
        assert!(to_stripe_minor("s", d("-3"), "USD").is_err());
    }

    #[test]
    fn back_to_major_units() {
        assert_eq!(from_stripe_minor(123450, "MXN"), d("1234.50"));
        assert_eq!(from_stripe_minor(15000, "CLP"), d("15000"));
        assert_eq!(from_stripe_minor(5120, "KWD"), d("5.12"));
    }

    #[test]
    fn currency_codes() {
        assert_eq!(currency_code("s", " mxn ").ok().as_deref(), Some("MXN"));
        assert!(currency_code("s", "MX").is_err());
        assert!(currency_code("s", "M1N").is_err());
    }
}
