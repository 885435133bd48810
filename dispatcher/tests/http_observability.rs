//! `/healthz`, `/metrics` and the dashboard through the Router.

mod http_common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_common::*;

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn healthz_reports_the_store() {
    let env = setup().await;
    let (status, body) = call(&env, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["store"], "ok");
}

#[tokio::test]
async fn metrics_expose_counts_decisions_and_webhooks() {
    let env = setup().await;
    seed(&env, "SM1").await;
    call(
        &env,
        twilio(
            "/webhooks/twilio/status",
            &[("MessageSid", "SM1"), ("MessageStatus", "delivered")],
        ),
    )
    .await;
    call(
        &env,
        twilio_unsigned(
            "/webhooks/twilio/status",
            &[("MessageSid", "SM1")],
            Some("bad"),
        ),
    )
    .await;
    call(
        &env,
        twilio(
            "/webhooks/twilio/inbound",
            &[("MessageSid", "SMi"), ("From", PHONE), ("Body", "BAJA")],
        ),
    )
    .await;
    let (status, text) = call(&env, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "cobro_contacts{campaign=\"c1\",state=\"delivered\"} 1",
        "cobro_contacts{campaign=\"c1\",state=\"pending\"} 2",
        "cobro_contacts{campaign=\"c1\",state=\"cancelled\"} 1",
        "cobro_decisions{campaign=\"c1\",state=\"cancelled\",code=\"opt_out\"} 1",
        "cobro_queue_depth 0",
        "cobro_campaign_paused{campaign=\"c1\"} 0",
        "cobro_webhooks_total{provider=\"twilio\",kind=\"status\",outcome=\"recorded\"} 1",
        "cobro_webhooks_total{provider=\"twilio\",kind=\"status\",outcome=\"bad_signature\"} 1",
        "cobro_webhooks_total{provider=\"twilio\",kind=\"inbound\",outcome=\"opt_out\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(text.contains("# TYPE cobro_contacts gauge"));
}

#[tokio::test]
async fn dashboard_shows_campaign_numbers_with_ids() {
    let env = setup().await;
    seed(&env, "SM1").await;
    call(
        &env,
        twilio(
            "/webhooks/twilio/inbound",
            &[("MessageSid", "SMi"), ("From", PHONE), ("Body", "STOP")],
        ),
    )
    .await;
    let (status, html) = call(&env, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    for fragment in [
        "id=\"campaign-count\">1<",
        "id=\"c-c1-total\">4<",
        "id=\"c-c1-open\">2<",
        "id=\"c-c1-sent\">1<",
        "id=\"c-c1-cancelled\">1<",
        "id=\"c-c1-sent-total\">1<",
        "id=\"c-c1-cancelled-opt_out\">1<",
        "id=\"suppression-count\">",
    ] {
        assert!(html.contains(fragment), "missing {fragment}");
    }
    assert!(!html.contains(PHONE), "addresses are masked");
    assert!(
        !html.contains("<script src") && !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
}
