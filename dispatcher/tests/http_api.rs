//! The operations API through the Router: bearer auth, campaigns (launch,
//! progress, pause/resume/cancel), account history and events,
//! suppressions, OpenAPI.

mod http_common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use cobro_campaigns::ChannelKind;
use cobro_dispatcher::store::{ContactState, prelude::*};
use http_common::*;
use serde_json::json;

const T: Option<&str> = Some(API_TOKEN);

#[tokio::test]
async fn bearer_token_is_required() {
    let env = setup().await;
    for (method, path) in [
        ("GET", "/api/campaigns"),
        ("GET", "/api/suppressions"),
        ("POST", "/api/campaigns/c1/pause"),
        ("GET", "/api/accounts/A1/history"),
    ] {
        let (status, _) = call(&env, api(method, path, None, None)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without token"
        );
        let (status, _) = call(&env, api(method, path, None, Some("wrong-token"))).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a bad token"
        );
        let (status, _) = call(
            &env,
            api(method, path, None, Some(&API_TOKEN[..API_TOKEN.len() - 1])),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a prefix of the token");
    }
    let basic = Request::get("/api/campaigns")
        .header("authorization", format!("Basic {API_TOKEN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&env, basic).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&env, api("GET", "/api/campaigns", None, T)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_configured_token_the_api_is_closed() {
    let env = setup_with(cobro_dispatcher::http::HttpConfig {
        api_token: None,
        ..config()
    })
    .await;
    // No bootstrap token and no users: no token opens anything.
    let (status, _) = call(&env, api("GET", "/api/campaigns", None, Some(""))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&env, api("GET", "/api/suppressions", None, T)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn campaign_progress_pause_resume_cancel() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let (status, body) = call(&env, api("GET", "/api/campaigns/c1", None, T)).await;
    assert_eq!(status, StatusCode::OK);
    let progress = json(&body);
    assert_eq!(progress["total"], 4);
    assert_eq!(progress["open"], 3);
    assert_eq!(progress["states"]["sent"], 1);
    assert_eq!(progress["paused"], false);
    assert_eq!(
        call(&env, api("GET", "/api/campaigns/nope", None, T))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (status, body) = call(&env, api("POST", "/api/campaigns/c1/pause", None, T)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["progress"]["paused"], true);
    let far = Utc::now() + Duration::days(30);
    assert!(
        env.store.claim_due(far, 100).await.unwrap().is_empty(),
        "a paused campaign is not claimed"
    );
    let (_, body) = call(&env, api("POST", "/api/campaigns/c1/resume", None, T)).await;
    assert_eq!(json(&body)["progress"]["paused"], false);
    let claimed = env.store.claim_due(far, 1).await.unwrap();
    assert_eq!(claimed.len(), 1, "resumed");

    let (status, body) = call(&env, api("POST", "/api/campaigns/c1/cancel", None, T)).await;
    assert_eq!(status, StatusCode::OK);
    let body = json(&body);
    assert_eq!(body["cancelled"], 3, "queued and pending contacts");
    assert_eq!(body["progress"]["open"], 0);
    assert_eq!(
        body["progress"]["states"]["sent"], 1,
        "what went out stays sent"
    );
    assert_eq!(
        call(&env, api("POST", "/api/campaigns/c1/explode", None, T))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&env, api("POST", "/api/campaigns/nope/pause", None, T))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, body) = call(&env, api("GET", "/api/campaigns", None, T)).await;
    assert_eq!(json(&body)["campaigns"][0]["campaign"], "c1");
}

#[tokio::test]
async fn account_history_and_events() {
    let env = setup().await;
    let sent = seed(&env, "SM1").await;
    let (status, body) = call(&env, api("GET", "/api/accounts/A1/history", None, T)).await;
    assert_eq!(status, StatusCode::OK);
    let body = json(&body);
    assert_eq!(body["status"], "active");
    assert_eq!(body["rows"][0]["contact_id"], sent.id.as_str());
    assert_eq!(body["rows"][0]["state"], "sent");
    assert_eq!(
        call(&env, api("GET", "/api/accounts/nope/history", None, T))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Malformed bodies.
    let (status, body) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(&json!({"kind": "bribe"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("unknown event")
    );
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(&json!({"kind": "opt_out", "channel": "fax"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(&json!({"knd": "payment"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let raw = Request::post("/api/accounts/A1/events")
        .header("authorization", format!("Bearer {API_TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from("{\"kind\":"))
        .unwrap();
    assert_eq!(call(&env, raw).await.0, StatusCode::BAD_REQUEST);
    let no_type = Request::post("/api/accounts/A1/events")
        .header("authorization", format!("Bearer {API_TOKEN}"))
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(call(&env, no_type).await.0, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/accounts/nope/events",
            Some(&json!({"kind": "payment"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An opt-out of SMS cancels only SMS.
    let (status, body) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(&json!({"kind": "opt_out", "channel": "sms"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["cancelled"], json!(["c1/A1/s2"]));
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    // A payment stops the rest.
    let (status, body) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(&json!({"kind": "payment"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["cancelled"].as_array().unwrap().len(), 2);
    assert_eq!(state_of(&env, "c1/A1/s3").await, ContactState::Cancelled);
    let (_, body) = call(&env, api("GET", "/api/accounts/A1/history", None, T)).await;
    assert_eq!(json(&body)["status"], "paid");
    // A conversation on a paid account is still recorded.
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/accounts/A1/events",
            Some(&json!({"kind": "conversation", "channel": "voice"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn suppressions_add_list_remove() {
    let env = setup().await;
    let (status, body) = call(
        &env,
        api(
            "POST",
            "/api/suppressions",
            Some(&json!({"address": "+52 55 1111-2222", "channel": "sms"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(json(&body)["suppression"]["address"], PHONE);
    assert_eq!(json(&body)["suppression"]["source"], "officer");
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/suppressions",
            Some(&json!({"address": "Ana@Example.com"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = call(&env, api("POST", "/api/suppressions", Some(&json!({"address": "@spam.example", "prefix": true, "channel": "email", "source": "regulator"})), T)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    assert!(
        env.store
            .is_suppressed(ChannelKind::Voice, EMAIL)
            .await
            .unwrap()
    );
    assert!(
        env.store
            .is_suppressed(ChannelKind::Email, "x@spam.example")
            .await
            .unwrap()
    );

    for bad in [
        json!({"address": "call me maybe"}),
        json!({"address": "+52abc"}),
        json!({"address": "+5255111", "channel": "fax"}),
    ] {
        let (status, body) = call(&env, api("POST", "/api/suppressions", Some(&bad), T)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} -> {body}");
    }
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/suppressions",
            Some(&json!({"channel": "sms"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "address is required");
    let (status, _) = call(
        &env,
        api(
            "POST",
            "/api/suppressions",
            Some(&json!({"address": PHONE, "extra": 1})),
            T,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );

    let (status, body) = call(&env, api("GET", "/api/suppressions", None, T)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["suppressions"].as_array().unwrap().len(), 3);

    let path = format!("/api/suppressions?address={}&channel=sms", urlenc(PHONE));
    assert_eq!(
        call(&env, api("DELETE", &path, None, T)).await.0,
        StatusCode::OK
    );
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    assert_eq!(
        call(&env, api("DELETE", &path, None, T)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&env, api("DELETE", "/api/suppressions", None, T))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        call(&env, api("DELETE", &path, None, None)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

fn urlenc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .unwrap()
        .trim_start_matches("x=")
        .to_string()
}

#[tokio::test]
async fn launch_a_campaign_file_on_the_server_is_idempotent() {
    let env = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/examples")
        .canonicalize()
        .unwrap();
    let portfolio = dir.path().join("portfolio.csv");
    let options = cobro_campaigns::generator::GeneratorOptions::default();
    cobro_campaigns::generator::write_portfolio_csv(
        std::fs::File::create(&portfolio).unwrap(),
        20,
        7,
        &options,
    )
    .unwrap();
    let text = std::fs::read_to_string(examples.join("campaign.toml"))
        .unwrap()
        .replace(
            "portfolio = \"portfolio.csv\"",
            &format!("portfolio = {:?}", portfolio.display().to_string()),
        )
        .replace(
            "strategy = \"strategy.toml\"",
            &format!(
                "strategy = {:?}",
                examples.join("strategy.toml").display().to_string()
            ),
        )
        .replace(
            "templates = \"templates\"",
            &format!(
                "templates = {:?}",
                examples.join("templates").display().to_string()
            ),
        );
    let file = dir.path().join("campaign.toml");
    std::fs::write(&file, text).unwrap();

    let body = json!({"campaign_file": file.display().to_string()});
    let (status, resp) = call(&env, api("POST", "/api/campaigns", Some(&body), T)).await;
    assert_eq!(status, StatusCode::CREATED, "{resp}");
    let resp = json(&resp);
    assert!(resp["planned"].as_u64().unwrap() > 0);
    assert_eq!(resp["added"], resp["planned"]);
    let (_, again) = call(&env, api("POST", "/api/campaigns", Some(&body), T)).await;
    assert_eq!(json(&again)["added"], 0, "a re-launch adds nothing twice");
    let id = resp["campaign"].as_str().unwrap().to_string();
    let (status, _) = call(&env, api("GET", &format!("/api/campaigns/{id}"), None, T)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, resp) = call(
        &env,
        api(
            "POST",
            "/api/campaigns",
            Some(&json!({"campaign_file": "/nonexistent/campaign.toml"})),
            T,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    let (status, _) = call(
        &env,
        api("POST", "/api/campaigns", Some(&json!({"file": "x"})), T),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn openapi_description_is_public_json() {
    let env = setup().await;
    let (status, body) = call(&env, api("GET", "/api/openapi.json", None, None)).await;
    assert_eq!(status, StatusCode::OK);
    let spec = json(&body);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/campaigns",
        "/api/campaigns/{id}/{action}",
        "/api/suppressions",
        "/api/accounts/{id}/events",
        "/webhooks/{provider}/status",
        "/u/{token}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} described");
    }
}

/// `(METHOD, path)` of every operation the document describes.
fn documented_operations(spec: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_describes_every_route_of_the_router_and_no_other() {
    let env = setup().await;
    let (_, body) = call(&env, api("GET", "/api/openapi.json", None, None)).await;
    let routed: std::collections::BTreeSet<(String, String)> =
        cobro_dispatcher::http::route_table()
            .into_iter()
            .map(|(method, path)| (method.to_string(), path))
            .collect();
    assert!(routed.contains(&("GET".to_string(), "/metrics".to_string())));
    assert!(routed.contains(&("DELETE".to_string(), "/api/suppressions".to_string())));
    assert_eq!(documented_operations(&json(&body)), routed);
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_is_valid_openapi_3() {
    let env = setup().await;
    let (_, body) = call(&env, api("GET", "/api/openapi.json", None, None)).await;
    // It reads back as an OpenAPI document.
    let doc: utoipa::openapi::OpenApi = serde_json::from_str(&body).expect("an OpenAPI document");
    assert!(matches!(
        doc.openapi,
        utoipa::openapi::OpenApiVersion::Version31
    ));
    let spec = json(&body);
    assert!(spec["openapi"].as_str().expect("version").starts_with("3."));
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    // Every reference resolves inside the document.
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(spec.pointer(pointer).is_some(), "{r} does not resolve");
    }
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path} answers nothing");
            // Each `{param}` of the template is a path parameter, and
            // each security requirement names a defined scheme.
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path" && p["required"] == true)
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            for segment in path.split('/') {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(
                        params.contains(&name),
                        "{method} {path}: no path parameter {name}"
                    );
                }
            }
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().expect("requirement").keys() {
                    assert!(
                        spec["components"]["securitySchemes"][scheme].is_object(),
                        "{method} {path}: unknown scheme {scheme}"
                    );
                }
            }
        }
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer"})
    );
    // The API's operations ask for the token; the webhooks do not.
    assert!(spec["paths"]["/api/campaigns"]["get"]["security"].is_array());
    assert!(spec["paths"]["/webhooks/{provider}/status"]["post"]["security"].is_null());
}
