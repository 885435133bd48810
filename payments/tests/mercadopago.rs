//! Mercado Pago against a mock that speaks its API: Checkout Pro
//! preferences, webhook notifications signed the way Mercado Pago signs
//! them, and the payment read back from `/v1/payments/{id}`.

mod common;

use chrono::{DateTime, Utc};
use cobro_payments::{
    HeaderMap, MercadoPago, MercadoPagoConfig, Notification, PaymentError, PaymentProvider,
    SignatureFault,
};
use common::{checkout_request, decimal, failed, hmac_hex};
use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCESS_TOKEN: &str = "APP_USR-7425912035-061012-0a1b2c3d4e5f-cobro";
const WEBHOOK_SECRET: &str = "a6f1c0ffee5ecret0fcobr0webh00k1e";
const PAYMENT_ID: &str = "81234567890";
const REQUEST_ID: &str = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e";
const TS: i64 = 1_718_000_000;

fn mercadopago(base_url: &str) -> MercadoPago {
    MercadoPago::new(MercadoPagoConfig {
        access_token: ACCESS_TOKEN.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        base_url: base_url.into(),
    })
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(TS + 5, 0).expect("in range")
}

// ---------------------------------------------------------------------------
// Checkout Pro preferences

fn expected_preference(unit_price: Value, currency: &str) -> Value {
    json!({
        "items": [{
            "title": "Cuota 3 de 6 · Préstamo personal",
            "quantity": 1,
            "unit_price": unit_price,
            "currency_id": currency
        }],
        "external_reference": "acc-1042",
        "back_urls": {
            "success": "https://pagos.cobro.example/ok?acc=acc-1042",
            "failure": "https://pagos.cobro.example/cancelado",
            "pending": "https://pagos.cobro.example/ok?acc=acc-1042"
        },
        "auto_return": "approved",
        "notification_url": "https://api.cobro.example/webhooks/mercadopago?source_news=webhooks",
        "metadata": {"reference": "co-7f3a9c"},
        "payer": {"email": "deudor@example.com"}
    })
}

/// A preference as `POST /checkout/preferences` returns it.
fn created_preference(id: &str, site: &str) -> Value {
    json!({
        "additional_info": "",
        "auto_return": "approved",
        "back_urls": {
            "failure": "https://pagos.cobro.example/cancelado",
            "pending": "https://pagos.cobro.example/ok?acc=acc-1042",
            "success": "https://pagos.cobro.example/ok?acc=acc-1042"
        },
        "client_id": "7425912035",
        "collector_id": 202809963,
        "date_created": "2024-06-10T02:13:20.381-04:00",
        "external_reference": "acc-1042",
        "id": id,
        "init_point": format!("https://www.mercadopago.{site}/checkout/v1/redirect?pref_id={id}"),
        "items": [{"id": "", "title": "Cuota 3 de 6 · Préstamo personal", "quantity": 1}],
        "metadata": {"reference": "co-7f3a9c"},
        "notification_url": "https://api.cobro.example/webhooks/mercadopago?source_news=webhooks",
        "operation_type": "regular_payment",
        "sandbox_init_point": format!("https://sandbox.mercadopago.{site}/checkout/v1/redirect?pref_id={id}")
    })
}

fn preference_mock(body: Value) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path("/checkout/preferences"))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .and(header("x-idempotency-key", "co-7f3a9c"))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

#[tokio::test]
async fn checkout_in_mxn_is_a_preference() {
    let server = MockServer::start().await;
    let id = "202809963-920c288b-4ebb-40be-966f-700250fa5370";
    preference_mock(expected_preference(json!(1234.5), "MXN"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_preference(id, "com.mx")))
        .expect(1)
        .mount(&server)
        .await;

    let provider = PaymentProvider::mercadopago(MercadoPagoConfig {
        base_url: server.uri(),
        ..MercadoPagoConfig::new(ACCESS_TOKEN, WEBHOOK_SECRET)
    });
    assert_eq!(provider.name(), "mercadopago");
    let checkout = provider
        .create_checkout(&checkout_request("1234.50", "mxn"))
        .await
        .expect("checkout");
    assert_eq!(checkout.provider, "mercadopago");
    assert_eq!(checkout.id, id);
    assert_eq!(
        checkout.url,
        format!("https://www.mercadopago.com.mx/checkout/v1/redirect?pref_id={id}")
    );
}

#[tokio::test]
async fn checkout_in_clp_sends_an_integer_price() {
    let server = MockServer::start().await;
    let id = "202809963-1c2d3e4f-clp0-4000-8000-000000015000";
    // `json!(15000)` is an integer: `15000.0` would not match.
    preference_mock(expected_preference(json!(15000), "CLP"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_preference(id, "cl")))
        .expect(1)
        .mount(&server)
        .await;
    let checkout = mercadopago(&server.uri())
        .create_checkout(&checkout_request("15000.00", "CLP"))
        .await
        .expect("checkout");
    assert_eq!(checkout.id, id);
    assert!(checkout.url.starts_with("https://www.mercadopago.cl/"));
}

#[tokio::test]
async fn server_error_is_transient() {
    let server = MockServer::start().await;
    preference_mock(expected_preference(json!(1234.5), "MXN"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "message": "internal_error",
            "error": "internal_server_error",
            "status": 500,
            "cause": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = failed(
        mercadopago(&server.uri())
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn bad_request_is_permanent() {
    let server = MockServer::start().await;
    preference_mock(expected_preference(json!(1234.5), "MXN"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "message": "currency_id invalid",
            "error": "bad_request",
            "status": 400,
            "cause": [{"code": "invalid_currency_id", "description": "currency_id invalid", "data": null}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = failed(
        mercadopago(&server.uri())
            .create_checkout(&checkout_request("1234.50", "MXN"))
            .await,
    );
    assert!(!err.is_transient() && !err.is_signature(), "{err}");
    match &err {
        PaymentError::Rejected {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code.as_deref(), Some("bad_request"));
            assert_eq!(message, "currency_id invalid");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Webhook notifications

/// `x-signature` as Mercado Pago computes it: HMAC-SHA256 over
/// `id:{data.id};request-id:{x-request-id};ts:{ts};`, `data.id`
/// lower-cased when alphanumeric.
fn signed_headers(secret: &str, data_id: &str, request_id: &str, ts: i64) -> HeaderMap {
    let id = if data_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        data_id.to_ascii_lowercase()
    } else {
        data_id.to_string()
    };
    let manifest = format!("id:{id};request-id:{request_id};ts:{ts};");
    let value = format!("ts={ts},v1={}", hmac_hex(secret, manifest.as_bytes()));
    let mut headers = HeaderMap::new();
    headers.insert("x-signature", HeaderValue::from_str(&value).expect("ascii"));
    headers.insert(
        "x-request-id",
        HeaderValue::from_str(request_id).expect("ascii"),
    );
    headers
}

fn webhook_body(kind: &str, data_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "action": format!("{kind}.updated"),
        "api_version": "v1",
        "data": {"id": data_id},
        "date_created": "2024-06-10T06:13:25Z",
        "id": 114123456789_u64,
        "live_mode": true,
        "type": kind,
        "user_id": "202809963"
    }))
    .expect("json")
}

fn payment_query() -> String {
    format!("data.id={PAYMENT_ID}&type=payment")
}

/// `GET /v1/payments/{id}` as Mercado Pago answers it.
fn payment(status: &str, status_detail: &str, date_approved: Value) -> Value {
    json!({
        "id": PAYMENT_ID.parse::<u64>().expect("numeric id"),
        "date_created": "2024-06-10T02:13:20.000-04:00",
        "date_approved": date_approved,
        "date_last_updated": "2024-06-10T02:13:24.000-04:00",
        "money_release_date": "2024-06-24T02:13:24.000-04:00",
        "operation_type": "regular_payment",
        "payment_method_id": "master",
        "payment_type_id": "credit_card",
        "status": status,
        "status_detail": status_detail,
        "currency_id": "MXN",
        "description": "Cuota 3 de 6 · Préstamo personal",
        "live_mode": true,
        "collector_id": 202809963,
        "payer": {"id": "1234567", "email": "deudor@example.com", "type": null},
        "metadata": {"reference": "co-7f3a9c"},
        "external_reference": "acc-1042",
        "transaction_amount": 1234.5,
        "transaction_amount_refunded": 0,
        "installments": 1,
        "transaction_details": {
            "net_received_amount": 1180.33,
            "total_paid_amount": 1234.5,
            "overpaid_amount": 0,
            "installment_amount": 1234.5
        }
    })
}

async fn payment_server(body: Value, expected_calls: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/payments/{PAYMENT_ID}")))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(expected_calls)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn signed_approved_payment_is_a_payment() {
    let server = payment_server(
        payment(
            "approved",
            "accredited",
            json!("2024-06-10T02:13:24.000-04:00"),
        ),
        1,
    )
    .await;
    let headers = signed_headers(WEBHOOK_SECRET, PAYMENT_ID, REQUEST_ID, TS);
    let provider = PaymentProvider::from(mercadopago(&server.uri()));
    let n = provider
        .notification(
            &format!("?{}", payment_query()),
            &headers,
            &webhook_body("payment", PAYMENT_ID),
            now(),
        )
        .await
        .expect("authentic");
    let Notification::Payment(p) = n else {
        panic!("expected a payment, got {n:?}");
    };
    assert_eq!(p.provider, "mercadopago");
    assert_eq!(p.provider_id, PAYMENT_ID);
    assert_eq!(p.account, "acc-1042");
    assert_eq!(p.amount, decimal("1234.50"));
    assert_eq!(p.currency, "MXN");
    assert_eq!(
        p.at,
        DateTime::parse_from_rfc3339("2024-06-10T06:13:24Z")
            .expect("time")
            .with_timezone(&Utc)
    );
}

#[tokio::test]
async fn pending_payment_is_ignored() {
    // Cash at OXXO: created, not yet paid.
    let server = payment_server(
        payment("pending", "pending_waiting_payment", Value::Null),
        1,
    )
    .await;
    let headers = signed_headers(WEBHOOK_SECRET, PAYMENT_ID, REQUEST_ID, TS);
    let n = mercadopago(&server.uri())
        .notification(
            &payment_query(),
            &headers,
            &webhook_body("payment", PAYMENT_ID),
            now(),
        )
        .await
        .expect("authentic");
    assert!(
        matches!(&n, Notification::Ignored(reason) if reason.contains("pending")),
        "{n:?}"
    );
}

#[tokio::test]
async fn unsigned_notification_is_a_signature_error_and_not_looked_up() {
    let server = payment_server(payment("approved", "accredited", Value::Null), 0).await;
    let mut headers = HeaderMap::new();
    headers.insert("x-request-id", HeaderValue::from_static(REQUEST_ID));
    let err = failed(
        mercadopago(&server.uri())
            .notification(
                &payment_query(),
                &headers,
                &webhook_body("payment", PAYMENT_ID),
                now(),
            )
            .await,
    );
    assert!(err.is_signature(), "{err}");
    assert!(matches!(
        err.signature_fault(),
        Some(SignatureFault::Missing(_))
    ));
}

#[tokio::test]
async fn wrong_secret_is_a_signature_error() {
    let server = payment_server(payment("approved", "accredited", Value::Null), 0).await;
    let headers = signed_headers("someone-elses-secret", PAYMENT_ID, REQUEST_ID, TS);
    let err = failed(
        mercadopago(&server.uri())
            .notification(
                &payment_query(),
                &headers,
                &webhook_body("payment", PAYMENT_ID),
                now(),
            )
            .await,
    );
    assert!(err.is_signature(), "{err}");
    assert_eq!(err.signature_fault(), Some(&SignatureFault::Mismatch));
}

#[tokio::test]
async fn tampered_data_id_or_request_id_is_a_signature_error() {
    let server = payment_server(payment("approved", "accredited", Value::Null), 0).await;
    let mp = mercadopago(&server.uri());
    let body = webhook_body("payment", PAYMENT_ID);

    // Signed for one payment, pointed at another.
    let headers = signed_headers(WEBHOOK_SECRET, PAYMENT_ID, REQUEST_ID, TS);
    let err = failed(
        mp.notification("data.id=81234567891&type=payment", &headers, &body, now())
            .await,
    );
    assert!(err.is_signature(), "{err}");

    // The signature replayed under another delivery's request id.
    let mut headers = signed_headers(WEBHOOK_SECRET, PAYMENT_ID, REQUEST_ID, TS);
    headers.insert(
        "x-request-id",
        HeaderValue::from_static("00000000-0000-4000-8000-000000000000"),
    );
    let err = failed(
        mp.notification(&payment_query(), &headers, &body, now())
            .await,
    );
    assert!(err.is_signature(), "{err}");

    // The timestamp changed after signing.
    let mut headers = signed_headers(WEBHOOK_SECRET, PAYMENT_ID, REQUEST_ID, TS);
    let v1 = headers["x-signature"]
        .to_str()
        .expect("ascii")
        .split_once(",v1=")
        .map(|(_, v1)| v1.to_string())
        .expect("v1");
    headers.insert(
        "x-signature",
        HeaderValue::from_str(&format!("ts={},v1={v1}", TS + 1)).expect("ascii"),
    );
    let err = failed(
        mp.notification(&payment_query(), &headers, &body, now())
            .await,
    );
    assert_eq!(err.signature_fault(), Some(&SignatureFault::Mismatch));
}

#[tokio::test]
async fn malformed_signature_header_is_a_signature_error() {
    let server = payment_server(payment("approved", "accredited", Value::Null), 0).await;
    let mut headers = HeaderMap::new();
    headers.insert("x-signature", HeaderValue::from_static("v1=deadbeef"));
    headers.insert("x-request-id", HeaderValue::from_static(REQUEST_ID));
    let err = failed(
        mercadopago(&server.uri())
            .notification(
                &payment_query(),
                &headers,
                &webhook_body("payment", PAYMENT_ID),
                now(),
            )
            .await,
    );
    assert!(
        matches!(err.signature_fault(), Some(SignatureFault::Malformed(_))),
        "{err}"
    );
}

#[tokio::test]
async fn other_topics_are_ignored_after_the_signature_check() {
    let server = payment_server(payment("approved", "accredited", Value::Null), 0).await;
    let mp = mercadopago(&server.uri());
    // Alphanumeric ids are signed lower-cased.
    let order_id = "ORD01J2ABCDEF";
    let headers = signed_headers(WEBHOOK_SECRET, order_id, REQUEST_ID, TS);
    let n = mp
        .notification(
            &format!("data.id={order_id}&type=order"),
            &headers,
            &webhook_body("order", order_id),
            now(),
        )
        .await
        .expect("authentic");
    assert!(
        matches!(&n, Notification::Ignored(reason) if reason.contains("order")),
        "{n:?}"
    );

    // Same topic, signed by someone else: refused, not ignored.
    let headers = signed_headers("someone-elses-secret", order_id, REQUEST_ID, TS);
    let err = failed(
        mp.notification(
            &format!("data.id={order_id}&type=order"),
            &headers,
            &webhook_body("order", order_id),
            now(),
        )
        .await,
    );
    assert!(err.is_signature(), "{err}");
}

#[tokio::test]
async fn payment_lookup_failure_is_transient() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/payments/{PAYMENT_ID}")))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html>Service Unavailable</html>"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let headers = signed_headers(WEBHOOK_SECRET, PAYMENT_ID, REQUEST_ID, TS);
    let err = failed(
        mercadopago(&server.uri())
            .notification(
                &payment_query(),
                &headers,
                &webhook_body("payment", PAYMENT_ID),
                now(),
            )
            .await,
    );
    assert!(err.is_transient(), "{err}");
    assert!(!err.is_signature());
}
