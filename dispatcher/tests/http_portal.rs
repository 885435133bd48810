//! The debtor's side through the Router on a real SQLite store: the page
//! behind a signed link, its CSRF-bound forms, the account API with
//! payments as money, and the payment providers' signed notifications
//! (Stripe in-process; Mercado Pago reads the payment back from a
//! wiremock server speaking its API).

mod http_common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use cobro_dispatcher::engine::portal_token::portal_token;
use cobro_dispatcher::http::portal::{PortalSettings, csrf_for};
use cobro_dispatcher::http::{AppState, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{ContactState, prelude::*};
use cobro_payments::{MercadoPagoConfig, PaymentProvider, StripeConfig};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

use http_common::{API_TOKEN, LINK_SECRET, account, config, contact};

const STRIPE_SECRET: &str = "whsec_test_portal";
const MP_SECRET: &str = "mp-webhook-secret";

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<AnyStore>,
    app: axum::Router,
}

async fn setup(payments: Option<PaymentProvider>) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("open store"),
    ));
    let portal = PortalSettings {
        collector: "Cobranzas Andinas S.A. de C.V.".into(),
        collector_contact: "+52 55 5000 1234".into(),
        payments: payments.map(Arc::new),
        ..Default::default()
    };
    let app = router(AppState::new(store.clone(), config()).with_portal(portal));
    // A1: MXN 1000.00 (sample account), a pending SMS due an hour ago.
    let mut a = account("A1", "es-MX");
    a.amount_due = Decimal::new(100000, 2);
    a.currency = "MXN".into();
    store.put_accounts(&[a]).await.expect("put");
    // The example strategy's stop_on: promises pause, payments stop.
    store
        .set_campaign_stop_from("c1", cobro_dispatcher::store::AccountStatus::Paid)
        .await
        .expect("stop_on");
    store
        .add_contacts(&[contact("c1", "A1", "s1", cobro_campaigns::ChannelKind::Sms)])
        .await
        .expect("add");
    Env {
        _dir: dir,
        store,
        app,
    }
}

async fn call(env: &Env, req: Request<Body>) -> (StatusCode, String, Option<String>) {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        location,
    )
}

fn token(account: &str) -> String {
    portal_token(LINK_SECRET, account, Utc::now(), 45)
}

fn form(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .expect("request")
}

async fn account_json(env: &Env) -> serde_json::Value {
    let (status, body, _) = call(
        env,
        Request::get("/api/accounts/A1")
            .header("authorization", format!("Bearer {API_TOKEN}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).expect("json")
}

#[tokio::test]
async fn the_page_is_in_spanish_and_a_forged_or_expired_link_shows_nothing() {
    let env = setup(None).await;
    let t = token("A1");
    let (status, body, _) = call(
        &env,
        Request::get(format!("/d/{t}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("lang=\"es-MX\""), "{body}");
    assert!(body.contains("Saldo pendiente"), "{body}");
    assert!(body.contains("$1,000.00 MXN"), "{body}");
    assert!(body.contains("Cobranzas Andinas S.A. de C.V."));
    assert!(!body.contains("<script") && !body.contains("https://"));

    // Another account's id in a token signed with another key.
    let forged = portal_token(b"not-our-secret", "A1", Utc::now(), 45);
    let expired = portal_token(LINK_SECRET, "A1", Utc::now() - Duration::days(50), 45);
    let mut tampered = t.clone();
    tampered.replace_range(..4, "eyJB");
    for (bad, word) in [
        (forged, "no es válido"),
        (expired, "caducado"),
        (tampered, "no es válido"),
    ] {
        let (status, body, _) = call(
            &env,
            Request::get(format!("/d/{bad}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
        assert!(body.contains(word), "{body}");
        assert!(!body.contains("1,000.00"), "no account data: {body}");
    }
}

#[tokio::test]
async fn a_form_without_its_csrf_value_stores_nothing_and_a_promise_pauses_contacts() {
    let env = setup(None).await;
    let t = token("A1");
    let date = (Utc::now() + Duration::days(10)).date_naive();
    let fields = format!("date={date}&amount=400.00");
    for body in [fields.clone(), format!("{fields}&csrf=wrong")] {
        let (status, _, _) = call(&env, form(&format!("/d/{t}/promise"), &body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // The CSRF value of another debtor's page does not work here.
    let other = csrf_for(LINK_SECRET, &token("B2"));
    let (status, _, _) = call(
        &env,
        form(
            &format!("/d/{t}/promise"),
            &format!("{fields}&csrf={other}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (book, _) = env.store.book("A1").await.expect("book");
    assert!(book.promises.is_empty(), "nothing stored");

    let csrf = csrf_for(LINK_SECRET, &t);
    let (status, _, location) = call(
        &env,
        form(&format!("/d/{t}/promise"), &format!("{fields}&csrf={csrf}")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/d/{t}?ok=promise").as_str())
    );
    let view = account_json(&env).await;
    assert_eq!(view["status"], "promise_to_pay", "{view}");
    assert_eq!(view["promises"][0]["state"], "open");
    let next: chrono::DateTime<Utc> = view["next_contact_at"]
        .as_str()
        .unwrap_or_else(|| panic!("next_contact_at in {view}"))
        .parse()
        .expect("rfc3339");
    assert!(
        next.date_naive() > date,
        "the pending SMS waits past the promised date and grace: {next}"
    );

    // A date past the house limit is refused with the field named.
    let late = (Utc::now() + Duration::days(90)).date_naive();
    let (status, _, location) = call(
        &env,
        form(
            &format!("/d/{t}/promise"),
            &format!("date={late}&amount=1&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap_or_default().ends_with("err=date"));
    let (book, _) = env.store.book("A1").await.expect("book");
    assert_eq!(book.promises.len(), 1);
}

#[tokio::test]
async fn partial_payments_lower_the_balance_and_a_reference_counts_once() {
    let env = setup(None).await;
    let pay = |amount: &str, reference: &str| {
        Request::post("/api/accounts/A1/payments")
            .header("authorization", format!("Bearer {API_TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({"amount": amount, "reference": reference}).to_string(),
            ))
            .expect("request")
    };
    let (status, body, _) = call(&env, pay("250.50", "dep-1")).await;
    assert!(status.is_success(), "{status} {body}");
    let (status, body, _) = call(&env, pay("250.50", "dep-1")).await;
    assert!(status.is_success(), "a redelivery is not an error: {body}");
    let view = account_json(&env).await;
    assert_eq!(view["balance"], "749.50", "{view}");
    assert_eq!(view["payments"].as_array().map(Vec::len), Some(1));
    assert_eq!(view["status"], "active");

    let (status, _, _) = call(&env, pay("749.50", "dep-2")).await;
    assert!(status.is_success());
    let view = account_json(&env).await;
    assert_eq!(view["status"], "paid", "{view}");
    assert_eq!(view["balance"], "0.00");
    let pending = env
        .store
        .account_contacts("A1")
        .await
        .expect("contacts")
        .into_iter()
        .filter(|c| c.state == ContactState::Pending)
        .count();
    assert_eq!(pending, 0, "paid at zero: the pending SMS is cancelled");

    let (status, _, _) = call(&env, pay("-5", "dep-3")).await;
    assert!(status.is_client_error());
}

fn stripe_event(id: &str, account: &str, amount_total: i64) -> String {
    serde_json::json!({
        "id": format!("evt_{id}"),
        "object": "event",
        "type": "checkout.session.completed",
        "created": Utc::now().timestamp(),
        "data": {"object": {
            "id": format!("cs_test_{id}"),
            "object": "checkout.session",
            "client_reference_id": account,
            "metadata": {"account": account, "reference": "co-1"},
            "amount_total": amount_total,
            "currency": "mxn",
            "payment_status": "paid",
            "status": "complete"
        }}
    })
    .to_string()
}

#[tokio::test]
async fn stripe_notifications_are_verified_and_recorded_once() {
    let mut config = StripeConfig::new("sk_test_x".to_string(), STRIPE_SECRET.to_string());
    config.base_url = "http://127.0.0.1:9".into();
    let env = setup(Some(PaymentProvider::stripe(config))).await;
    let body = stripe_event("a1", "A1", 30000);
    let post = |signature: String, body: String| {
        Request::post("/webhooks/stripe")
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(Body::from(body))
            .expect("request")
    };
    let now = Utc::now().timestamp();
    let bad = cobro_payments::signing::stripe_signature("whsec_other", now, body.as_bytes());
    let (status, _, _) = call(&env, post(bad, body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let tampered = stripe_event("a1", "A1", 90000);
    let good_for_original =
        cobro_payments::signing::stripe_signature(STRIPE_SECRET, now, body.as_bytes());
    let (status, _, _) = call(&env, post(good_for_original.clone(), tampered)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (book, _) = env.store.book("A1").await.expect("book");
    assert!(
        book.payments.is_empty(),
        "nothing stored on a bad signature"
    );

    for _ in 0..3 {
        let (status, body, _) = call(&env, post(good_for_original.clone(), body.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let view = account_json(&env).await;
    assert_eq!(view["payments"].as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(view["balance"], "700.00");
    assert_eq!(view["payments"][0]["reference"], "stripe:cs_test_a1");
}

#[tokio::test]
async fn mercadopago_notifications_are_verified_and_read_back_from_its_api() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/payments/1234567890"))
        .and(header("authorization", "Bearer APP_USR-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": 1234567890_i64,
            "status": "approved",
            "status_detail": "accredited",
            "external_reference": "A1",
            "transaction_amount": 125.75,
            "currency_id": "MXN",
            "date_approved": "2026-12-03T10:15:00.000-04:00",
            "date_created": "2026-12-03T10:14:00.000-04:00"
        })))
        .mount(&server)
        .await;
    let mut config = MercadoPagoConfig::new("APP_USR-test".to_string(), MP_SECRET.to_string());
    config.base_url = server.uri();
    let env = setup(Some(PaymentProvider::mercadopago(config))).await;
    let body = serde_json::json!({
        "action": "payment.updated",
        "api_version": "v1",
        "data": {"id": "1234567890"},
        "type": "payment",
        "live_mode": false
    })
    .to_string();
    let post = |signature: String| {
        Request::post("/webhooks/mercadopago?data.id=1234567890&type=payment")
            .header("content-type", "application/json")
            .header("x-request-id", "req-42")
            .header("x-signature", signature)
            .body(Body::from(body.clone()))
            .expect("request")
    };
    let ts = Utc::now().timestamp_millis();
    let bad = cobro_payments::signing::mercadopago_signature("other", "1234567890", "req-42", ts);
    let (status, _, _) = call(&env, post(bad)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (book, _) = env.store.book("A1").await.expect("book");
    assert!(book.payments.is_empty());

    let good =
        cobro_payments::signing::mercadopago_signature(MP_SECRET, "1234567890", "req-42", ts);
    for _ in 0..2 {
        let (status, body, _) = call(&env, post(good.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let view = account_json(&env).await;
    assert_eq!(view["payments"].as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(view["balance"], "874.25", "{view}");
}

#[tokio::test]
async fn pay_sends_the_debtor_to_a_stripe_checkout_for_the_amount_chosen() {
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(header("authorization", "Bearer sk_test_x"))
        .and(body_string_contains("client_reference_id=A1"))
        .and(body_string_contains("unit_amount%5D=25050"))
        .and(body_string_contains("currency%5D=mxn"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "cs_test_pay1",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_pay1",
            "payment_status": "unpaid",
            "status": "open"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = StripeConfig::new("sk_test_x".to_string(), STRIPE_SECRET.to_string());
    config.base_url = server.uri();
    let env = setup(Some(PaymentProvider::stripe(config))).await;
    let t = token("A1");
    let csrf = csrf_for(LINK_SECRET, &t);
    let (status, _, location) = call(
        &env,
        form(
            &format!("/d/{t}/pay"),
            &format!("amount=250.50&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("https://checkout.stripe.com/c/pay/cs_test_pay1")
    );
    // Nothing is paid until Stripe says so.
    let (book, _) = env.store.book("A1").await.expect("book");
    assert!(book.payments.is_empty());
}

fn api(method: &str, path: &str, body: Option<&str>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {API_TOKEN}"));
    match body {
        Some(b) => builder
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}

#[tokio::test]
async fn a_dispute_from_the_page_is_listed_for_review_until_resolved() {
    let env = setup(None).await;
    let (status, body, _) = call(&env, api("GET", "/api/disputes", None)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[]"));
    let t = token("A1");
    let csrf = csrf_for(LINK_SECRET, &t);
    let (status, _, location) = call(
        &env,
        form(
            &format!("/d/{t}/dispute"),
            &format!("reason=not_mine&text=No+reconozco+esta+deuda&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap_or_default().contains("ok=dispute"));

    // Without the token the list is closed like every API call.
    let (status, _, _) = call(
        &env,
        Request::get("/api/disputes")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body, _) = call(&env, api("GET", "/api/disputes", None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["account"], "A1");
    assert_eq!(list[0]["reason"], "not_mine");
    assert_eq!(list[0]["text"], "No reconozco esta deuda");
    assert_eq!(list[0]["source"], "portal");
    assert!(list[0]["resolved_at"].is_null());
    let view = account_json(&env).await;
    assert_eq!(view["status"], "disputed", "{view}");

    // Resolved through the API: off the review list, on `state=all`.
    let (status, body, _) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(r#"{"kind":"dispute_resolved"}"#),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body, _) = call(&env, api("GET", "/api/disputes", None)).await;
    assert_eq!(body, "[]");
    let (_, body, _) = call(&env, api("GET", "/api/disputes?state=all", None)).await;
    let list: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(list[0]["resolved_at"].is_string(), "{list}");
    let (status, _, _) = call(&env, api("GET", "/api/disputes?state=maybe", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let view = account_json(&env).await;
    assert_ne!(view["status"], "disputed", "{view}");
}
