//! Checking `Stripe-Signature` (scheme in [`crate::signing`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

use super::PROVIDER;
use crate::signing::verify_hex;
use crate::{PaymentError, SignatureFault};

/// The parts of `Stripe-Signature: t=..,v1=..[,v1=..][,v0=..]`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct StripeSignature<'a> {
    pub t: i64,
    /// Every `v1` given: while a signing secret is rolled Stripe signs with
    /// the old and the new one, and either matching is enough.
    pub v1: Vec<&'a str>,
}

pub(super) fn parse(header: &str) -> Result<StripeSignature<'_>, SignatureFault> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            // A second `t` would let the signed and the checked timestamp
            // differ; Stripe never sends one.
            "t" if t.is_some() => return Err(SignatureFault::Malformed("Stripe-Signature t")),
            "t" => t = Some(value.trim()),
            "v1" => v1.push(value.trim()),
            // `v0` is Stripe's test-mode scheme, which is not HMAC-SHA256
            // of this secret; other schemes may come later.
            _ => {}
        }
    }
    let t = t
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or(SignatureFault::Malformed("Stripe-Signature t"))?;
    v1.retain(|v| !v.is_empty());
    if v1.is_empty() {
        return Err(SignatureFault::Malformed("Stripe-Signature v1"));
    }
    Ok(StripeSignature { t, v1 })
}

/// Verifies `Stripe-Signature` over `{t}.{body}` and that `t` is within
/// `tolerance` of `now` either way. The MAC is checked first, so a forgery
/// is reported as a mismatch and only a genuine but old signature as stale
/// (a replay, or a clock gone wrong on our side).
pub(super) fn verify(
    secret: &str,
    tolerance: Duration,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), PaymentError> {
    let fail = |fault| PaymentError::signature(PROVIDER, fault);
    let header = headers
        .get("stripe-signature")
        .ok_or_else(|| fail(SignatureFault::Missing("Stripe-Signature header")))?
        .to_str()
        .map_err(|_| fail(SignatureFault::Malformed("Stripe-Signature header")))?;
    let sig = parse(header).map_err(fail)?;
    let mut signed = Vec::with_capacity(body.len() + 12);
    signed.extend_from_slice(sig.t.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    // Every candidate is checked, so the time taken does not tell which
    // one (if any) matched.
    let matched = sig
        .v1
        .iter()
        .fold(false, |ok, v1| verify_hex(secret, &signed, v1) | ok);
    if !matched {
        return Err(fail(SignatureFault::Mismatch));
    }
    let age_seconds = now.timestamp().saturating_sub(sig.t);
    if age_seconds.unsigned_abs() > tolerance.as_secs() {
        return Err(fail(SignatureFault::Stale {
            age_seconds,
            tolerance_seconds: tolerance.as_secs(),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::stripe_signature;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_rolled_secrets_and_ignores_v0() {
        assert_eq!(
            parse("t=1492774577, v1=aa,v0=zz,v1=bb"),
            Ok(StripeSignature {
                t: 1492774577,
                v1: vec!["aa", "bb"]
            })
        );
        assert_eq!(
            parse("v1=aa"),
            Err(SignatureFault::Malformed("Stripe-Signature t"))
        );
        assert_eq!(
            parse("t=-5,v1=aa"),
            Err(SignatureFault::Malformed("Stripe-Signature t"))
        );
        assert_eq!(
            parse("t=1,t=2,v1=aa"),
            Err(SignatureFault::Malformed("Stripe-Signature t"))
        );
        assert_eq!(
            parse("t=1,v0=aa"),
            Err(SignatureFault::Malformed("Stripe-Signature v1"))
        );
    }

    #[test]
    fn any_v1_may_match_and_time_is_bounded_both_ways() {
        let body = br#"{"id":"evt_1"}"#;
        let t = 1_700_000_000;
        let good = stripe_signature("whsec_new", t, body);
        let v1 = good.trim_start_matches(&format!("t={t},v1="));
        let header = format!("t={t},v1={},v1={v1}", "00".repeat(32));
        let mut headers = HeaderMap::new();
        headers.insert(
            "stripe-signature",
            HeaderValue::from_str(&header).expect("ascii"),
        );
        let at = |s| DateTime::from_timestamp(s, 0).expect("in range");
        let tol = Duration::from_secs(300);
        assert!(verify("whsec_new", tol, &headers, body, at(t + 300)).is_ok());
        let future = verify("whsec_new", tol, &headers, body, at(t - 301));
        assert!(matches!(
            future.as_ref().err().and_then(|e| e.signature_fault()),
            Some(SignatureFault::Stale {
                age_seconds: -301,
                ..
            })
        ));
        let forged = verify("whsec_old", tol, &headers, body, at(t));
        assert_eq!(
            forged.err().and_then(|e| e.signature_fault().cloned()),
            Some(SignatureFault::Mismatch)
        );
    }
}
