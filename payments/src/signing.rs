//! How each provider signs its notifications, as functions that produce
//! the header a genuine notification carries. The verifiers use the same
//! functions, and tests use them to forge valid notifications.
//!
//! Both schemes are HMAC-SHA256, hex-encoded, keyed with the webhook secret
//! shown in the provider's dashboard (used as is: Stripe's `whsec_...`
//! prefix is part of the key).
//!
//! * Mercado Pago, header `x-signature: ts={ts},v1={hex}` over the manifest
//!   `id:{data.id};request-id:{x-request-id};ts:{ts};` where `data.id` is
//!   the query parameter of the notification URL (lower-cased when
//!   alphanumeric) and `x-request-id` the request header. A value that is
//!   absent is left out of the manifest together with its label.
//! * Stripe, header `Stripe-Signature: t={t},v1={hex}` over
//!   `{t}.{raw body}`. Several `v1` may be sent while a secret is rolled.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The `x-signature` header Mercado Pago sends for a notification about
/// `data_id`, delivered with `x-request-id: request_id` (empty: absent) and
/// signed at `ts`.
pub fn mercadopago_signature(secret: &str, data_id: &str, request_id: &str, ts: i64) -> String {
    let ts = ts.to_string();
    let manifest = mercadopago_manifest(Some(data_id), Some(request_id), &ts);
    format!(
        "ts={ts},v1={}",
        hex::encode(hmac_sha256(secret, manifest.as_bytes()))
    )
}

/// The `Stripe-Signature` header Stripe sends for `body` signed at `t`
/// (Unix seconds).
pub fn stripe_signature(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(stripe_mac(secret, t, body)))
}

/// Mercado Pago's signed manifest. `data.id` is lower-cased when it is
/// alphanumeric, as Mercado Pago documents; empty values are left out with
/// their label.
pub(crate) fn mercadopago_manifest(
    data_id: Option<&str>,
    request_id: Option<&str>,
    ts: &str,
) -> String {
    let mut manifest = String::new();
    if let Some(id) = data_id.filter(|s| !s.is_empty()) {
        manifest.push_str("id:");
        manifest.push_str(&mercadopago_data_id(id));
        manifest.push(';');
    }
    if let Some(rid) = request_id.filter(|s| !s.is_empty()) {
        manifest.push_str("request-id:");
        manifest.push_str(rid);
        manifest.push(';');
    }
    manifest.push_str("ts:");
    manifest.push_str(ts);
    manifest.push(';');
    manifest
}

/// `data.id` as it enters the manifest (and as the payment is looked up).
pub(crate) fn mercadopago_data_id(id: &str) -> String {
    if id.chars().all(|c| c.is_ascii_alphanumeric()) {
        id.to_ascii_lowercase()
    } else {
        id.to_string()
    }
}

/// The MAC Stripe computes for `body` at `t`.
pub(crate) fn stripe_mac(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    let mut signed = Vec::with_capacity(body.len() + 12);
    signed.extend_from_slice(t.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    hmac_sha256(secret, &signed)
}

pub(crate) fn hmac_sha256(secret: &str, data: &[u8]) -> Vec<u8> {
    mac(secret, data).finalize().into_bytes().to_vec()
}

/// Whether `given` (hex, any case) is the MAC of `data`, compared in
/// constant time so timing does not reveal how much of a guess was right.
pub(crate) fn verify_hex(secret: &str, data: &[u8], given: &str) -> bool {
    let Ok(given) = hex::decode(given.trim()) else {
        return false;
    };
    mac(secret, data).verify_slice(&given).is_ok()
}

fn mac(secret: &str, data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this cannot
    // fail; the fallback only keeps the signature free of panics.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_shapes() {
        assert_eq!(
            mercadopago_manifest(Some("123"), Some("req-1"), "1704908010"),
            "id:123;request-id:req-1;ts:1704908010;"
        );
        assert_eq!(
            mercadopago_manifest(Some("ABC123"), None, "1"),
            "id:abc123;ts:1;"
        );
        // Not alphanumeric: left as it came.
        assert_eq!(mercadopago_data_id("AB-12"), "AB-12");
    }

    /// HMAC-SHA256 test case 2 of RFC 4231, to pin the primitive.
    #[test]
    fn rfc4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256("Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_hex_accepts_only_the_mac() {
        let good = hex::encode(hmac_sha256("k", b"data"));
        assert!(verify_hex("k", b"data", &good));
        assert!(verify_hex("k", b"data", &good.to_uppercase()));
        assert!(!verify_hex("k", b"datA", &good));
        assert!(!verify_hex("k2", b"data", &good));
        assert!(!verify_hex("k", b"data", "zz"));
        assert!(!verify_hex("k", b"data", &good[..10]));
    }

    #[test]
    fn header_shapes() {
        let mp = mercadopago_signature("s", "123", "r", 42);
        assert!(mp.starts_with("ts=42,v1=") && mp.len() == "ts=42,v1=".len() + 64);
        let st = stripe_signature("whsec_x", 42, b"{}");
        assert_eq!(
            st,
            format!("t=42,v1={}", hex::encode(hmac_sha256("whsec_x", b"42.{}")))
        );
    }
}
