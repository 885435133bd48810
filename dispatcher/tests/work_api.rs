//! `GET /api/work/next` and `POST /api/work/{task}/outcome` on the Router,
//! on the wall clock: a collector's token gets a task under a pack open
//! now, 204 under a pack closed at this instant; outcomes are the caller's
//! own; other roles are refused.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Timelike, Utc};
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::testing::open_around_the_clock_pack;
use cobro_dispatcher::users::{Role, User, new_secret, secret_hash};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod work_common;
use work_common::{debtor_row, launched, write_campaign_from};

const STEPS: &str = "[[steps]]\nid = \"llamada\"\nday = 0\nchannel = \"agent_call\"\ntemplate = \"llamada\"\nsend_at = \"00:00\"\nteam = \"norte\"\n";

/// A router serving a campaign started yesterday whose pack is `pack`.
async fn app(dir: &Path, pack: &str) -> (axum::Router, Arc<AnyStore>) {
    std::fs::write(dir.join("now.toml"), pack).expect("pack");
    let yesterday = (Utc::now() - chrono::Duration::days(1)).date_naive();
    let campaign = write_campaign_from(
        dir,
        "default = [\"now.toml\"]",
        STEPS,
        &[
            debtor_row("CO-1", "9001", "+573001110001"),
            debtor_row("CO-2", "9002", "+573001110002"),
        ],
        &yesterday.to_string(),
    );
    let url = format!("sqlite://{}", dir.join("cobro.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.expect("store"));
    let desk = launched(store.clone(), &campaign).await;
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some("bootstrap-token".into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"link-secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config).with_work(desk));
    (app, store)
}

async fn token(store: &AnyStore, email: &str, role: Role, creditor: Option<&str>) -> String {
    let mut user =
        User::new(email, role, creditor, "long enough password", Utc::now()).expect("user");
    let token = new_secret("cobro_");
    user.token_hash = Some(secret_hash(&token));
    store.put_user(&user).await.expect("put user");
    store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    token
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String) {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = app.clone().oneshot(req).await.expect("answer");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn encoded(task: &str) -> String {
    task.replace('/', "%2F")
}

#[tokio::test]
async fn a_collector_gets_a_task_records_it_and_nobody_else_can() {
    let dir = tempfile::tempdir().expect("dir");
    let pack = open_around_the_clock_pack(&["debtor"], &["minor"]);
    let (app, store) = app(dir.path(), &pack).await;
    let ana = token(&store, "ana@cobro.mx", Role::Collector, None).await;
    let beto = token(&store, "beto@cobro.mx", Role::Collector, None).await;
    let creditor = token(
        &store,
        "acreedor@banco.co",
        Role::Creditor,
        Some("Banco Cafetero S.A."),
    )
    .await;

    let (status, body) = call(&app, "GET", "/api/work/next", &ana, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let task: serde_json::Value = serde_json::from_str(&body).expect("json");
    for field in [
        "task",
        "account",
        "contact_id",
        "phone",
        "window_closes_at",
        "script",
        "lease_until",
    ] {
        assert!(task.get(field).is_some(), "{field} missing: {body}");
    }
    assert_eq!(task["account"], "CO-1");
    assert_eq!(task["phone"], "+573001110001");
    assert_eq!(task["channel"], "agent_call");
    let id = task["task"].as_str().expect("task id").to_string();

    // Beto gets the other one; a creditor gets nothing at all.
    let (status, body) = call(&app, "GET", "/api/work/next", &beto, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("CO-2"), "{body}");
    let (status, _) = call(&app, "GET", "/api/work/next", &creditor, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, "GET", "/api/work/stats", &ana, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a collector does not supervise"
    );

    let path = format!("/api/work/{}/outcome", encoded(&id));
    let promise = serde_json::json!({"outcome": "promise", "amount": "250000", "date": (Utc::now().date_naive() + chrono::Duration::days(5)).to_string()});
    let (status, _) = call(&app, "POST", &path, &beto, Some(promise.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "not beto's task");
    let (status, body) = call(
        &app,
        "POST",
        &path,
        &ana,
        Some(serde_json::json!({"outcome": "maybe"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(&app, "POST", &path, &ana, Some(promise.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let done: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (done["state"].as_str(), done["late"].as_bool()),
        (Some("delivered"), Some(false))
    );
    let (status, _) = call(&app, "POST", &path, &ana, Some(promise)).await;
    assert_eq!(status, StatusCode::CONFLICT, "recorded once");
    let (book, _) = store.book("CO-1").await.expect("book");
    assert_eq!(book.promises.len(), 1);

    // The supervisor (the bootstrap admin) sees it.
    let (status, body) = call(&app, "GET", "/api/work/stats", "bootstrap-token", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).expect("json");
    let ana_row = stats["collectors"]
        .as_array()
        .and_then(|c| c.iter().find(|r| r["collector"] == "ana@cobro.mx"))
        .expect("ana's row");
    assert_eq!(ana_row["tasks_done"], 1);
    assert_eq!(ana_row["promises"], 1);
    // Beto's open task is released by the supervisor and becomes due.
    let (status, body) = call(&app, "GET", "/api/work/next", &beto, None).await;
    let beto_task: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(status, StatusCode::OK);
    let move_path = format!(
        "/api/work/{}/move",
        encoded(beto_task["task"].as_str().expect("id"))
    );
    let (status, body) = call(
        &app,
        "POST",
        &move_path,
        "bootstrap-token",
        Some(serde_json::json!({"action": "release"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(store.leases(None).await.expect("leases").is_empty());
}

#[tokio::test]
async fn nothing_is_handed_out_while_the_pack_is_closed() {
    let dir = tempfile::tempdir().expect("dir");
    // Open one hour a day, an hour that is not this one in Bogotá.
    let hour = (Utc::now() - chrono::Duration::hours(5)).hour();
    let window = if hour < 12 {
        "18:00-19:00"
    } else {
        "06:00-07:00"
    };
    let mut pack = String::from("id = \"now\"\nname = \"Closed now\"\n[windows]\n");
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        pack.push_str(&format!("{day} = [\"{window}\"]\n"));
    }
    pack.push_str("[targets]\nallowed_roles = [\"debtor\"]\n");
    let (app, store) = app(dir.path(), &pack).await;
    let ana = token(&store, "ana@cobro.mx", Role::Collector, None).await;
    let (status, body) = call(&app, "GET", "/api/work/next", &ana, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(body.is_empty());
    // The calls wait in the plan for the window, deferred by the guard.
    let record = store
        .contact("cola-dic/CO-1/llamada")
        .await
        .expect("read")
        .expect("planned");
    assert_eq!(record.state, cobro_dispatcher::store::ContactState::Pending);
    assert!(
        record.due_at > Utc::now(),
        "deferred to the window: {}",
        record.due_at
    );
    assert!(store.leases(None).await.expect("leases").is_empty());
}
