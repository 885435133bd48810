//! Checking `x-signature` (scheme in [`crate::signing`]).

use reqwest::header::HeaderMap;

use super::PROVIDER;
use crate::signing::{mercadopago_manifest, verify_hex};
use crate::{PaymentError, SignatureFault};

/// The parts of `x-signature: ts=..,v1=..`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct XSignature<'a> {
    pub ts: &'a str,
    pub v1: &'a str,
}

pub(super) fn parse(header: &str) -> Result<XSignature<'_>, SignatureFault> {
    let mut ts = None;
    let mut v1 = None;
    for part in header.split(',') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "ts" => ts = Some(value.trim()),
            "v1" => v1 = Some(value.trim()),
            _ => {}
        }
    }
    let ts = ts
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
        .ok_or(SignatureFault::Malformed("x-signature ts"))?;
    let v1 = v1
        .filter(|v| !v.is_empty())
        .ok_or(SignatureFault::Malformed("x-signature v1"))?;
    Ok(XSignature { ts, v1 })
}

/// Verifies the notification's `x-signature` against `data_id` (from the
/// query string) and the `x-request-id` header.
///
/// The age of `ts` is not bounded: Mercado Pago documents neither its unit
/// (seconds and milliseconds are both seen) nor whether retries, which run
/// for days, are re-signed. A replayed notification can do no harm here:
/// the payment is always read back from the API, and the dispatcher
/// deduplicates on the payment id.
pub(super) fn verify(
    secret: &str,
    headers: &HeaderMap,
    data_id: Option<&str>,
) -> Result<(), PaymentError> {
    let fail = |fault| PaymentError::signature(PROVIDER, fault);
    let header = headers
        .get("x-signature")
        .ok_or_else(|| fail(SignatureFault::Missing("x-signature header")))?
        .to_str()
        .map_err(|_| fail(SignatureFault::Malformed("x-signature header")))?;
    let sig = parse(header).map_err(fail)?;
    let request_id = match headers.get("x-request-id") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| fail(SignatureFault::Malformed("x-request-id header")))?
                .trim(),
        ),
        None => None,
    };
    let manifest = mercadopago_manifest(data_id, request_id, sig.ts);
    if verify_hex(secret, manifest.as_bytes(), sig.v1) {
        Ok(())
    } else {
        Err(fail(SignatureFault::Mismatch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_with_spaces_and_any_order() {
        assert_eq!(
            parse("v1=abc, ts=1704908010"),
            Ok(XSignature {
                ts: "1704908010",
                v1: "abc"
            })
        );
        assert_eq!(
            parse("ts=,v1=abc"),
            Err(SignatureFault::Malformed("x-signature ts"))
        );
        assert_eq!(
            parse("ts=12x,v1=abc"),
            Err(SignatureFault::Malformed("x-signature ts"))
        );
        assert_eq!(
            parse("ts=1"),
            Err(SignatureFault::Malformed("x-signature v1"))
        );
    }

    #[test]
    fn missing_request_id_leaves_it_out_of_the_manifest() {
        let mut headers = HeaderMap::new();
        let value = crate::signing::mercadopago_signature("s", "77", "", 5);
        headers.insert("x-signature", HeaderValue::from_str(&value).expect("ascii"));
        assert!(verify("s", &headers, Some("77")).is_ok());
        headers.insert("x-request-id", HeaderValue::from_static("r"));
        assert!(verify("s", &headers, Some("77")).is_err());
    }
}
