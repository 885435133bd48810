//! Shared by the provider tests: an independent HMAC signer (so a bug in
//! the crate's own signing helpers cannot hide a bug in its verifiers),
//! a matcher for Stripe's form bodies, and a sample checkout request.

#![allow(dead_code)]

use std::collections::BTreeMap;

use cobro_payments::{CheckoutRequest, PaymentError};
use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use sha2::Sha256;

/// Hex HMAC-SHA256 of `data` keyed with `secret`, straight from the
/// primitives.
pub fn hmac_hex(secret: &str, data: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

pub fn decimal(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

pub fn checkout_request(amount: &str, currency: &str) -> CheckoutRequest {
    CheckoutRequest {
        account: "acc-1042".into(),
        reference: "co-7f3a9c".into(),
        title: "Cuota 3 de 6 · Préstamo personal".into(),
        amount: decimal(amount),
        currency: currency.into(),
        payer_email: Some("deudor@example.com".into()),
        success_url: "https://pagos.cobro.example/ok?acc=acc-1042".into(),
        cancel_url: "https://pagos.cobro.example/cancelado".into(),
        notification_url: "https://api.cobro.example/webhooks/mercadopago".into(),
    }
}

/// Matches a form-encoded body whose fields are exactly `expected` (no
/// more, no fewer, each once), in any order, sent with the form content
/// type.
pub struct FormBody(pub BTreeMap<String, String>);

impl FormBody {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        FormBody(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

impl wiremock::Match for FormBody {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let form_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&request.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let fields: BTreeMap<String, String> = pairs.iter().cloned().collect();
        form_type && fields.len() == pairs.len() && fields == self.0
    }
}

/// The error, for a result that must have failed.
pub fn failed<T: std::fmt::Debug>(result: Result<T, PaymentError>) -> PaymentError {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}
