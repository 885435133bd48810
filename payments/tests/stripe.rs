//! Stripe against a mock that speaks its API: the Checkout Session create
//! call as Stripe documents it, and webhook events signed the way Stripe
//! signs them.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use cobro_payments::{
    HeaderMap, Notification, PaymentError, PaymentProvider, SignatureFault, Stripe, StripeConfig,
};
use common::{FormBody, checkout_request, decimal, failed, hmac_hex};
use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET_KEY: &str = "sk_test_51PzCobroFakeKey";
const WEBHOOK_SECRET: &str = "whsec_8fK2cobroTestSigningSecret";
/// When the test events were "sent".
const T: i64 = 1_718_000_000;

fn stripe(base_url: &str) -> Stripe {
    Stripe::new(StripeConfig {
        secret_key: SECRET_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        base_url: base_url.into(),
        tolerance: Duration::from_secs(300),
    })
}

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).expect("in range")
}

/// A Checkout Session as `POST /v1/checkout/sessions` returns it (trimmed
/// of the fields nobody reads, but with their shapes).
fn created_session(id: &str, amount_total: i64, currency: &str) -> Value {
    json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "cancel_url": "https://pagos.cobro.example/cancelado",
        "client_reference_id": "acc-1042",
        "currency": currency,
        "customer": null,
        "customer_email": "deudor@example.com",
        "expires_at": 1_718_086_400,
        "livemode": false,
        "metadata": {"account": "acc-1042", "reference": "co-7f3a9c"},
        "mode": "payment",
        "payment_intent": null,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": "https://pagos.cobro.example/ok?acc=acc-1042",
        "url": format!("https://checkout.stripe.com/c/pay/{id}#fidkdWxOYHwnPyd1blpxYHZxWjA0")
    })
}

fn expected_form(currency: &str, unit_amount: &str) -> FormBody {
    FormBody::new(&[
        ("mode", "payment"),
        ("success_url", "https://pagos.cobro.example/ok?acc=acc-1042"),
        ("cancel_url", "https://pagos.cobro.example/cancelado"),
        ("client_reference_id", "acc-1042"),
        ("metadata[account]", "acc-1042"),
        ("metadata[reference]", "co-7f3a9c"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", currency),
        ("line_items[0][price_data][unit_amount]", unit_amount),
        (
            "line_items[0][price_data][product_data][name]",
            "Cuota 3 de 6 · Préstamo personal",
        ),
        ("customer_email", "deudor@example.com"),
    ])
}

fn create_mock(form: FormBody) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(header(
            "authorization",
            format!("Bearer {SECRET_KEY}").as_str(),
        ))
        .and(header("idempotency-key", "co-7f3a9c"))
        .and(form)
}

#[tokio::test]
async fn checkout_in_mxn_sends_centavos() {
    let server = MockServer::start().await;
    let id = "cs_test_a1MXNb2c3d4e5f6g7h8i9j0";
    create_mock(expected_form("mxn", "123450"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_session(id, 123450, "mxn")))
        .expect(1)
        .mount(&server)
        .await;

    let provider = PaymentProvider::stripe(StripeConfig {
        base_url: server.uri(),
        ..StripeConfig::new(SECRET_KEY, WEBHOOK_SECRET)
    });
    assert_eq!(provider.name(), "stripe");
    let checkout = provider
        .create_checkout(&checkout_request("1234.50", "MXN"))
        .await
        .expect("checkout");
    assert_eq!(checkout.provider, "stripe");
    assert_eq!(checkout.id, id);
    assert_eq!(
        checkout.url,
        format!("https://checkout.stripe.com/c/pay/{id}#fidkdWxOYHwnPyd1blpxYHZxWjA0")
    );
}

#[tokio::test]
async fn checkout_in_clp_sends_whole_pesos() {
    let server = MockServer::start().await;
    let id = "cs_test_a1CLPb2c3d4e5f6g7h8i9j0";
    // Zero-decimal: 15 000 CLP is `unit_amount=15000`, not 1 500 000.
    create_mock(expected_form("clp", "15000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_session(id, 15000, "clp")))
        .expect(1)
        .mount(&server)
        .await;

    let checkout = stripe(&server.uri())
        .create_checkout(&checkout_request("15000", "clp"))
        .await
        .expect("checkout");
    assert_eq!(checkout.id, id);
    assert!(
        checkout
            .url
            .starts_with("https://checkout.stripe.com/c/pay/")
    );
}

#[tokio::test]
async fn fractional_clp_never_reaches_stripe() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = failed(
        stripe(&server.uri())
            .create_checkout(&checkout_request("15000.5", "CLP"))
            .await,
    );
    assert!(matches!(err, PaymentError::InvalidRequest { .. }), "{err}");
    assert!(err.is_permanent());
}

#[tokio::test]
async fn server_error_is_transient() {
    let server = MockServer::start().await;
    create_mock(expected_form("mxn", "123450"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": {
                "message": "An unknown error occurred",
                "type": "api_error"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = failed(
        stripe(&server.uri())
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.status(), Some(500));
    assert!(
        err.to_string().contains("An unknown error occurred"),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limit_is_transient() {
    let server = MockServer::start().await;
    create_mock(expected_form("mxn", "123450"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({
            "error": {
                "code": "rate_limit",
                "message": "Request rate limit exceeded.",
                "type": "invalid_request_error"
            }
        })))
        .mount(&server)
        .await;
    let err = failed(
        stripe(&server.uri())
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn bad_request_is_permanent_with_stripes_code() {
    let server = MockServer::start().await;
    create_mock(expected_form("mxn", "123450"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("stripe-should-retry", "false")
                .set_body_json(json!({
                    "error": {
                        "code": "parameter_invalid_integer",
                        "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-integer",
                        "message": "Invalid integer: 1234.50",
                        "param": "line_items[0][price_data][unit_amount]",
                        "request_log_url": "https://dashboard.stripe.com/test/logs/req_x",
                        "type": "invalid_request_error"
                    }
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = failed(
        stripe(&server.uri())
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(!err.is_transient() && !err.is_signature(), "{err}");
    match &err {
        PaymentError::Rejected { status, code, .. } => {
            assert_eq!(*status, 400);
            assert_eq!(code.as_deref(), Some("parameter_invalid_integer"));
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn should_retry_header_overrides_the_status() {
    let server = MockServer::start().await;
    create_mock(expected_form("mxn", "123450"))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("stripe-should-retry", "true")
                .set_body_json(json!({
                    "error": {"code": "lock_timeout", "message": "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.", "type": "invalid_request_error"}
                })),
        )
        .mount(&server)
        .await;
    let err = failed(
        stripe(&server.uri())
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn unreachable_api_is_transient() {
    // wiremock pools its servers, so a dropped one keeps listening; a
    // port that was just freed refuses connections instead.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let uri = format!("http://127.0.0.1:{port}");
    let err = failed(
        stripe(&uri)
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.status(), None);
}

// ---------------------------------------------------------------------------
// Webhook events

/// A `checkout.session.*` event as Stripe posts it.
fn session_event(kind: &str, payment_status: &str, amount_total: i64, currency: &str) -> Vec<u8> {
    let event = json!({
        "id": "evt_1PzCobroEvent0001",
        "object": "event",
        "api_version": "2024-06-20",
        "created": T - 2,
        "data": {
            "object": {
                "id": "cs_test_a1PAIDb2c3d4e5f6g7h8i9j0",
                "object": "checkout.session",
                "amount_subtotal": amount_total,
                "amount_total": amount_total,
                "client_reference_id": "acc-1042",
                "currency": currency,
                "customer_details": {"email": "deudor@example.com", "name": null},
                "livemode": false,
                "metadata": {"account": "acc-1042", "reference": "co-7f3a9c"},
                "mode": "payment",
                "payment_intent": "pi_3PzCobroIntent01",
                "payment_status": payment_status,
                "status": "complete",
                "url": null
            }
        },
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind
    });
    // Pretty-printed, as Stripe sends it: the MAC covers these exact bytes.
    serde_json::to_vec_pretty(&event).expect("json")
}

fn signed_headers(secret: &str, t: i64, body: &[u8]) -> HeaderMap {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let value = format!("t={t},v1={}", hmac_hex(secret, &signed));
    let mut headers = HeaderMap::new();
    headers.insert(
        "stripe-signature",
        HeaderValue::from_str(&value).expect("ascii"),
    );
    headers
}

#[tokio::test]
async fn signed_paid_session_is_a_payment() {
    let body = session_event("checkout.session.completed", "paid", 123450, "mxn");
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    // Through the provider enum, as the dispatcher calls it.
    let provider = PaymentProvider::from(stripe("http://127.0.0.1:9"));
    let n = provider
        .notification("", &headers, &body, at(T + 30))
        .await
        .expect("authentic");
    let Notification::Payment(p) = n else {
        panic!("expected a payment, got {n:?}");
    };
    assert_eq!(p.provider, "stripe");
    assert_eq!(p.provider_id, "cs_test_a1PAIDb2c3d4e5f6g7h8i9j0");
    assert_eq!(p.account, "acc-1042");
    assert_eq!(p.amount, decimal("1234.50"));
    assert_eq!(p.amount.to_string(), "1234.50");
    assert_eq!(p.currency, "MXN");
    assert_eq!(p.at, at(T - 2));
}

#[test]
fn zero_decimal_amount_is_not_divided() {
    let body = session_event(
        "checkout.session.async_payment_succeeded",
        "paid",
        15000,
        "clp",
    );
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    let n = stripe("http://127.0.0.1:9")
        .notification(&headers, &body, at(T))
        .expect("authentic");
    let Notification::Payment(p) = n else {
        panic!("expected a payment, got {n:?}");
    };
    assert_eq!(p.amount, decimal("15000"));
    assert_eq!(p.currency, "CLP");
}

#[test]
fn unpaid_completion_is_ignored() {
    // A delayed method (OXXO) completes the session before the money.
    let body = session_event("checkout.session.completed", "unpaid", 123450, "mxn");
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    let n = stripe("http://127.0.0.1:9")
        .notification(&headers, &body, at(T))
        .expect("authentic");
    assert!(
        matches!(&n, Notification::Ignored(reason) if reason.contains("unpaid")),
        "{n:?}"
    );
}

#[test]
fn other_event_types_are_ignored() {
    let body = session_event("checkout.session.expired", "unpaid", 123450, "mxn");
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    let n = stripe("http://127.0.0.1:9")
        .notification(&headers, &body, at(T))
        .expect("authentic");
    assert!(
        matches!(&n, Notification::Ignored(reason) if reason.contains("checkout.session.expired")),
        "{n:?}"
    );
}

#[test]
fn wrong_secret_is_a_signature_error() {
    let body = session_event("checkout.session.completed", "paid", 123450, "mxn");
    let headers = signed_headers("whsec_someoneElsesSecret", T, &body);
    let err = failed(stripe("http://127.0.0.1:9").notification(&headers, &body, at(T)));
    assert!(err.is_signature(), "{err}");
    assert_eq!(err.signature_fault(), Some(&SignatureFault::Mismatch));
}

#[test]
fn tampered_body_is_a_signature_error() {
    let body = session_event("checkout.session.completed", "paid", 123450, "mxn");
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    let tampered = String::from_utf8(body)
        .expect("utf-8")
        .replace("123450", "999999")
        .into_bytes();
    let err = failed(stripe("http://127.0.0.1:9").notification(&headers, &tampered, at(T)));
    assert!(err.is_signature(), "{err}");
    assert_eq!(err.signature_fault(), Some(&SignatureFault::Mismatch));
}

#[test]
fn stale_timestamp_is_a_signature_error() {
    let body = session_event("checkout.session.completed", "paid", 123450, "mxn");
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    let ok = stripe("http://127.0.0.1:9").notification(&headers, &body, at(T + 300));
    assert!(ok.is_ok(), "at the edge of the tolerance: {ok:?}");
    let err = failed(stripe("http://127.0.0.1:9").notification(&headers, &body, at(T + 301)));
    assert!(err.is_signature(), "{err}");
    assert_eq!(
        err.signature_fault(),
        Some(&SignatureFault::Stale {
            age_seconds: 301,
            tolerance_seconds: 300
        })
    );
}

#[test]
fn unsigned_and_malformed_are_signature_errors() {
    let body = session_event("checkout.session.completed", "paid", 123450, "mxn");
    let s = stripe("http://127.0.0.1:9");
    let err = failed(s.notification(&HeaderMap::new(), &body, at(T)));
    assert!(err.is_signature(), "{err}");
    assert!(matches!(
        err.signature_fault(),
        Some(SignatureFault::Missing(_))
    ));

    for bad in ["garbage", "t=abc,v1=00", "t=1718000000", "v1=00ff"] {
        let mut headers = HeaderMap::new();
        headers.insert("stripe-signature", HeaderValue::from_static(bad));
        let err = failed(s.notification(&headers, &body, at(T)));
        assert!(
            matches!(err.signature_fault(), Some(SignatureFault::Malformed(_))),
            "{bad}: {err}"
        );
    }
}

#[test]
fn signed_but_not_json_is_malformed_not_a_signature_error() {
    let body = b"<html>not an event</html>".to_vec();
    let headers = signed_headers(WEBHOOK_SECRET, T, &body);
    let err = failed(stripe("http://127.0.0.1:9").notification(&headers, &body, at(T)));
    assert!(!err.is_signature(), "{err}");
    assert!(matches!(err, PaymentError::Malformed { .. }), "{err}");
}
