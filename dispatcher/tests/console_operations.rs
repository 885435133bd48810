//! The operations pages through the Router, signed in through `/login`:
//! campaigns (pause, resume, cancel with CSRF and a confirmation; a
//! compliance officer reads but cannot act; progress per day and
//! channel), the simulation of a server's campaign file (nothing written
//! to the live store) and its launch, the review queue of `unknown`
//! contacts (evidence; delivered or not sent, each a state-machine move
//! with a ledger row naming the operator; also through `/api/review`), the
//! suppression list (add, remove, import; masked), and a creditor refused
//! on every one of them.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use cobro_campaigns::ChannelKind;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::{at, sample_account, sample_contact};
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{
    ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation, ReserveOutcome, Suppression,
};
use cobro_dispatcher::users::{Role, User, new_secret, secret_hash};
use cobro_testkit::RedisServer;
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "una clave bastante larga";
const OPS: &str = "ops@cobro.mx";
const COMPLIANCE: &str = "cumplimiento@cobro.mx";
const CREDITOR: &str = "ana@bancodelsol.mx";

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
    _dir: Option<tempfile::TempDir>,
    _redis: Option<RedisServer>,
}

fn example_campaign() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/examples/campaign.toml")
}

async fn env_on(store: AnyStore) -> (Arc<AnyStore>, axum::Router) {
    let store = Arc::new(store);
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some("bootstrap-token-0123456789".into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let app =
        router(AppState::new(store.clone(), config).with_campaign_files(vec![example_campaign()]));
    for (email, role, creditor) in [
        (OPS, Role::Operations, None),
        (COMPLIANCE, Role::Compliance, None),
        (CREDITOR, Role::Creditor, Some("Banco del Sol")),
    ] {
        let user = User::new(email, role, creditor, PASSWORD, Utc::now()).expect("user");
        store.put_user(&user).await.expect("put user");
    }
    (store, app)
}

async fn sqlite_env() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let (store, app) = env_on(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("sqlite"),
    ))
    .await;
    Env {
        store,
        app,
        _dir: Some(dir),
        _redis: None,
    }
}

async fn redis_env() -> Env {
    let server = RedisServer::start().expect("redis-server starts");
    let (store, app) = env_on(AnyStore::Redis(
        RedisStore::connect(&server.url()).await.expect("redis"),
    ))
    .await;
    Env {
        store,
        app,
        _dir: None,
        _redis: Some(server),
    }
}

struct Answer {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(env: &Env, req: Request<Body>) -> Answer {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        location,
        cookies,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn cookie_pair(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .to_string()
}

fn csrf_in(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

/// A signed-in browser: its session cookie and the session's CSRF value.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn login(env: &Env, email: &str) -> Browser {
    let form = send(
        env,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    let pre = cookie_pair(&form.cookies, "cobro_login");
    let body = serde_urlencoded::to_string([
        ("csrf", csrf_in(&form.body).as_str()),
        ("email", email),
        ("password", PASSWORD),
    ])
    .expect("form");
    let done = send(
        env,
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", pre)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{email} signs in");
    let cookie = cookie_pair(&done.cookies, "cobro_session");
    // Any page carries the session's CSRF value (the sign-out form).
    let page = send(
        env,
        Request::get("/console/accounts?lang=en")
            .header("cookie", cookie.clone())
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    Browser {
        csrf: csrf_in(&page.body),
        cookie,
    }
}

impl Browser {
    async fn get(&self, env: &Env, path: &str) -> Answer {
        send(
            env,
            Request::get(path)
                .header("cookie", self.cookie.clone())
                .header("accept-language", "en")
                .body(Body::empty())
                .expect("req"),
        )
        .await
    }

    /// Posts `fields` (plus this session's CSRF value when `with_csrf`).
    async fn post(
        &self,
        env: &Env,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
    ) -> Answer {
        let mut pairs: Vec<(&str, &str)> = fields.to_vec();
        if with_csrf {
            pairs.push(("csrf", self.csrf.as_str()));
        }
        send(
            env,
            Request::post(path)
                .header("cookie", self.cookie.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(
                    serde_urlencoded::to_string(pairs).expect("form"),
                ))
                .expect("req"),
        )
        .await
    }

    async fn post_multipart(
        &self,
        env: &Env,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> Answer {
        let boundary = "cobro-test-boundary-7MA4YWxk";
        let mut body = String::new();
        for (name, file_name, value) in parts {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
            ));
            if let Some(f) = file_name {
                body.push_str(&format!("; filename=\"{f}\"\r\nContent-Type: text/csv"));
            }
            body.push_str(&format!("\r\n\r\n{value}\r\n"));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        send(
            env,
            Request::post(path)
                .header("cookie", self.cookie.clone())
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .expect("req"),
        )
        .await
    }
}

async fn state(env: &Env, id: &str) -> ContactState {
    env.store
        .contact(id)
        .await
        .expect("contact")
        .expect("stored")
        .state
}

/// Three pending contacts of campaign `c1`, and ledger rows of one day.
async fn campaign_c1(env: &Env) {
    let accounts: Vec<_> = ["A1", "A2", "A3"]
        .iter()
        .map(|a| sample_account(a))
        .collect();
    env.store.put_accounts(&accounts).await.expect("accounts");
    let plan: Vec<_> = ["A1", "A2", "A3"]
        .iter()
        .map(|a| sample_contact("c1", a, "s1", ChannelKind::Sms, at(3600 * 24 * 400)))
        .collect();
    env.store.add_contacts(&plan).await.expect("plan");
    let day = Utc
        .with_ymd_and_hms(2026, 3, 2, 15, 0, 0)
        .single()
        .expect("instant");
    let rows: Vec<LedgerEntry> = [
        LedgerState::Sent,
        LedgerState::Sent,
        LedgerState::Deferred,
        LedgerState::Blocked,
    ]
    .into_iter()
    .map(|s| LedgerEntry::for_contact(&plan[0], s, day))
    .collect();
    env.store.append_ledger(&rows).await.expect("ledger");
}

#[tokio::test]
async fn pause_resume_cancel_through_the_page() {
    let env = sqlite_env().await;
    campaign_c1(&env).await;
    let ops = login(&env, OPS).await;
    let compliance = login(&env, COMPLIANCE).await;

    let list = ops.get(&env, "/console/campaigns").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("data-campaign=\"c1\""), "{}", list.body);
    assert!(
        list.body.contains("campaign.toml"),
        "the server's campaign file is offered"
    );
    let page = ops.get(&env, "/console/campaigns/c1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/console/campaigns/c1/pause"));
    assert!(page.body.contains("/console/campaigns/c1/cancel"));
    // Progress per day and channel, from the ledger rows.
    let row_start = page
        .body
        .find("data-day=\"2026-03-02\" data-channel=\"sms\"")
        .expect("a row for the day and channel");
    let row: String = page.body[row_start..]
        .chars()
        .take_while(|c| *c != '\n')
        .collect();
    let cells: Vec<&str> = row
        .split("<td class=\"n\"")
        .skip(1)
        .map(|c| c.split('>').nth(1).unwrap_or("").trim_end_matches("</td"))
        .collect();
    // sent, delivered, undelivered, deferred, blocked, failed, cancelled, unknown
    assert_eq!(cells, ["2", "0", "0", "1", "1", "0", "0", "0"], "{row}");

    // Without the CSRF value, or with another's: 403 and nothing changes.
    let no = ops
        .post(&env, "/console/campaigns/c1/pause", &[], false)
        .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    let wrong = ops
        .post(
            &env,
            "/console/campaigns/c1/pause",
            &[("csrf", "forged")],
            false,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let other = ops
        .post(
            &env,
            "/console/campaigns/c1/pause",
            &[("csrf", compliance.csrf.as_str())],
            false,
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(
        env.store
            .paused_campaigns()
            .await
            .expect("paused")
            .is_empty()
    );

    let paused = ops
        .post(&env, "/console/campaigns/c1/pause", &[], true)
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert!(
        paused
            .location
            .starts_with("/console/campaigns/c1?done=pause"),
        "{}",
        paused.location
    );
    assert_eq!(env.store.paused_campaigns().await.expect("paused"), ["c1"]);
    let page = ops.get(&env, &paused.location).await;
    assert!(page.body.contains("id=\"flash\""));
    assert!(page.body.contains("/console/campaigns/c1/resume"));

    // A compliance officer reads the page, without buttons, and cannot post.
    let read = compliance.get(&env, "/console/campaigns/c1").await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(
        !read.body.contains("id=\"actions\""),
        "no buttons for compliance"
    );
    for action in ["pause", "resume", "cancel"] {
        let refused = compliance
            .post(
                &env,
                &format!("/console/campaigns/c1/{action}"),
                &[("confirm", "yes")],
                true,
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "compliance {action}");
    }
    assert_eq!(env.store.paused_campaigns().await.expect("paused"), ["c1"]);

    let resumed = ops
        .post(&env, "/console/campaigns/c1/resume", &[], true)
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    assert!(
        env.store
            .paused_campaigns()
            .await
            .expect("paused")
            .is_empty()
    );

    // Cancel asks for the confirmation box first.
    let unconfirmed = ops
        .post(&env, "/console/campaigns/c1/cancel", &[], true)
        .await;
    assert_eq!(unconfirmed.status, StatusCode::SEE_OTHER);
    assert!(
        unconfirmed.location.ends_with("?error=confirm"),
        "{}",
        unconfirmed.location
    );
    let counts = env.store.counts(Some("c1")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Pending), Some(&3));
    let cancelled = ops
        .post(
            &env,
            "/console/campaigns/c1/cancel",
            &[("confirm", "yes")],
            true,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert!(
        cancelled.location.contains("done=cancel&n=3"),
        "{}",
        cancelled.location
    );
    let counts = env.store.counts(Some("c1")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Cancelled), Some(&3));
    let rows = env
        .store
        .ledger(&LedgerFilter {
            campaign: Some("c1".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let cancel_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.state == LedgerState::Cancelled)
        .collect();
    assert_eq!(cancel_rows.len(), 3);
    assert!(
        cancel_rows
            .iter()
            .all(|r| r.code.as_deref() == Some("campaign_cancelled")
                && r.detail.as_deref().is_some_and(|d| d.contains(OPS)))
    );
    // An unknown campaign answers 404, to read or to act.
    assert_eq!(
        ops.get(&env, "/console/campaigns/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ops.post(&env, "/console/campaigns/nope/pause", &[], true)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_simulation_writes_nothing_live_and_launch_does() {
    let env = sqlite_env().await;
    let ops = login(&env, OPS).await;
    let compliance = login(&env, COMPLIANCE).await;
    assert_eq!(
        compliance
            .post(&env, "/console/campaigns/simulate", &[("file", "0")], true)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ops.post(&env, "/console/campaigns/simulate", &[("file", "0")], false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ops.post(&env, "/console/campaigns/simulate", &[("file", "7")], true)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "only the files the server was given"
    );
    let report = ops
        .post(&env, "/console/campaigns/simulate", &[("file", "0")], true)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("2026-12-mensual"));
    for id in [
        "total-sent",
        "sms-segments",
        // The example campaign's [costs]: segments × price, in dollars.
        "Costo estimado",
        "id=\"cost\"",
        " USD</b>",
        "id=\"deferred\"",
        "id=\"per-day\"",
        "/console/campaigns/launch",
    ] {
        assert!(report.body.contains(id), "{id} in the report");
    }
    assert!(
        env.store.campaigns().await.expect("campaigns").is_empty(),
        "the live store is untouched"
    );
    assert_eq!(env.store.account_count().await.expect("accounts"), 0);

    let launched = ops
        .post(&env, "/console/campaigns/launch", &[("file", "0")], false)
        .await;
    assert_eq!(launched.status, StatusCode::FORBIDDEN);
    assert!(env.store.campaigns().await.expect("campaigns").is_empty());
    let launched = ops
        .post(&env, "/console/campaigns/launch", &[("file", "0")], true)
        .await;
    assert_eq!(launched.status, StatusCode::SEE_OTHER);
    assert!(
        launched
            .location
            .starts_with("/console/campaigns/2026-12-mensual?done=launch"),
        "{}",
        launched.location
    );
    assert_eq!(
        env.store.campaigns().await.expect("campaigns"),
        ["2026-12-mensual"]
    );
    let page = ops.get(&env, &launched.location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"flash\""));
}

/// Two contacts whose sends were interrupted (`unknown`), with evidence.
async fn two_unknown(env: &Env) -> (String, String) {
    let plan: Vec<_> = ["R1", "R2"]
        .iter()
        .map(|a| sample_contact("rv", a, "s1", ChannelKind::Sms, at(0)))
        .collect();
    env.store.add_contacts(&plan).await.expect("plan");
    assert_eq!(
        env.store.claim_due(at(0), 10).await.expect("claim").len(),
        2
    );
    for c in &plan {
        let outcome = env
            .store
            .reserve(&Reservation {
                contact_id: c.id.clone(),
                account: c.account.clone(),
                debtor_key: c.account.clone(),
                channel: c.channel,
                at: at(5),
                history_version: 0,
            })
            .await
            .expect("reserve");
        assert_eq!(outcome, ReserveOutcome::Reserved);
    }
    let mut retry = LedgerEntry::for_contact(&plan[0], LedgerState::Retry, at(2));
    retry.provider = Some("twilio".into());
    retry.provider_id = Some("SM0123456789".into());
    retry.detail = Some("provider timeout after 30 s".into());
    retry.attempt = 1;
    env.store.append_ledger(&[retry]).await.expect("evidence");
    assert_eq!(
        env.store
            .recover_stale(at(-1), at(30))
            .await
            .expect("recover"),
        (0, 2)
    );
    (plan[0].id.clone(), plan[1].id.clone())
}

async fn review_through_the_page(env: Env) {
    let (first, second) = two_unknown(&env).await;
    let ops = login(&env, OPS).await;
    let compliance = login(&env, COMPLIANCE).await;
    assert_eq!(
        compliance.get(&env, "/console/review").await.status,
        StatusCode::FORBIDDEN
    );

    let page = ops.get(&env, "/console/review").await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        format!("data-contact=\"{}\"", html(&first)),
        format!("data-contact=\"{}\"", html(&second)),
        "SM0123456789".to_string(),
        "provider timeout after 30 s".to_string(),
        "twilio".to_string(),
    ] {
        assert!(page.body.contains(&needle), "{needle} on the page");
    }

    // No CSRF value: 403, the contact stays in review.
    let refused = ops
        .post(
            &env,
            "/console/review",
            &[("contact", &first), ("outcome", "delivered")],
            false,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(state(&env, &first).await, ContactState::Unknown);
    let refused = compliance
        .post(
            &env,
            "/console/review",
            &[("contact", &first), ("outcome", "delivered")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(state(&env, &first).await, ContactState::Unknown);

    let done = ops
        .post(
            &env,
            "/console/review",
            &[("contact", &first), ("outcome", "delivered")],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location, "/console/review?done=delivered");
    assert_eq!(state(&env, &first).await, ContactState::Delivered);
    let rows = env
        .store
        .ledger(&LedgerFilter {
            account: Some("R1".into()),
            contact_id: Some(first.clone()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let last = rows.last().expect("rows");
    assert_eq!(last.state, LedgerState::Delivered);
    assert_eq!(last.code.as_deref(), Some("operator_review"));
    assert!(
        last.detail.as_deref().is_some_and(|d| d.contains(OPS)),
        "{last:?}"
    );

    let before = Utc::now();
    let done = ops
        .post(
            &env,
            "/console/review",
            &[("contact", &second), ("outcome", "not_sent")],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let record = env
        .store
        .contact(&second)
        .await
        .expect("contact")
        .expect("stored");
    assert_eq!(record.state, ContactState::Pending, "back to the plan");
    assert!(record.due_at <= Utc::now() && record.due_at >= before - chrono::Duration::seconds(1));
    let rows = env
        .store
        .ledger(&LedgerFilter {
            account: Some("R2".into()),
            contact_id: Some(second.clone()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let last = rows.last().expect("rows");
    assert_eq!(last.state, LedgerState::Retry);
    assert_eq!(last.code.as_deref(), Some("operator_review"));
    assert!(last.detail.as_deref().is_some_and(|d| d.contains(OPS)));
    // The feeder claims it again, so the guard decides it afresh.
    let claimed = env.store.claim_due(Utc::now(), 10).await.expect("claim");
    assert_eq!(
        claimed
            .iter()
            .map(|r| r.contact.id.clone())
            .collect::<Vec<_>>(),
        std::slice::from_ref(&second)
    );

    // Resolved contacts leave the queue; answering again says so.
    let page = ops.get(&env, "/console/review").await;
    assert!(page.body.contains("id=\"no-review\""), "{}", page.body);
    let again = ops
        .post(
            &env,
            "/console/review",
            &[("contact", &first), ("outcome", "not_sent")],
            true,
        )
        .await;
    assert_eq!(again.location, "/console/review?error=gone");
    assert_eq!(state(&env, &first).await, ContactState::Delivered);
    let unknown = ops
        .post(
            &env,
            "/console/review",
            &[("contact", "rv/none/s1"), ("outcome", "delivered")],
            true,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn review_queue_through_the_page_on_sqlite() {
    review_through_the_page(sqlite_env().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_queue_through_the_page_on_redis() {
    review_through_the_page(redis_env().await).await;
}

async fn user_token(env: &Env, email: &str) -> String {
    let mut user = env.store.user(email).await.expect("user").expect("stored");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("put user");
    token
}

#[tokio::test]
async fn review_through_the_api() {
    let env = sqlite_env().await;
    let (first, second) = two_unknown(&env).await;
    let ops = user_token(&env, OPS).await;
    let compliance = user_token(&env, COMPLIANCE).await;
    let api = |method: &str, path: &str, token: &str, body: Option<&str>| {
        Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("req")
    };
    let list = send(&env, api("GET", "/api/review?limit=1", &ops, None)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let json: serde_json::Value = serde_json::from_str(&list.body).expect("json");
    assert_eq!(json["items"][0]["contact"], first.as_str());
    assert_eq!(
        json["items"][0]["evidence"][0]["provider_id"],
        "SM0123456789"
    );
    assert_eq!(json["next"], first.as_str());
    let rest = send(
        &env,
        api(
            "GET",
            &format!("/api/review?after={}", urlencode(&first)),
            &ops,
            None,
        ),
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&rest.body).expect("json");
    assert_eq!(json["items"][0]["contact"], second.as_str());

    let path = format!("/api/review/{}", urlencode(&second));
    assert_eq!(
        send(&env, api("GET", "/api/review", &compliance, None))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &env,
            api(
                "POST",
                &path,
                &compliance,
                Some(r#"{"outcome":"not_sent"}"#)
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &env,
            api("POST", &path, &ops, Some(r#"{"outcome":"lost"}"#))
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(state(&env, &second).await, ContactState::Unknown);
    let done = send(
        &env,
        api("POST", &path, &ops, Some(r#"{"outcome":"not_sent"}"#)),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let json: serde_json::Value = serde_json::from_str(&done.body).expect("json");
    assert_eq!(json["state"], "pending");
    assert_eq!(state(&env, &second).await, ContactState::Pending);
    let again = send(
        &env,
        api("POST", &path, &ops, Some(r#"{"outcome":"delivered"}"#)),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let missing = send(
        &env,
        api(
            "POST",
            "/api/review/rv%2Fnone%2Fs1",
            &ops,
            Some(r#"{"outcome":"delivered"}"#),
        ),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// How the pages write `s` (minijinja escapes `/` too).
fn html(s: &str) -> String {
    s.replace('/', "&#x2f;")
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).expect("encode")[2..].to_string()
}

#[tokio::test]
async fn suppressions_add_remove_import_through_the_page() {
    let env = sqlite_env().await;
    let ops = login(&env, OPS).await;
    let page = ops.get(&env, "/console/suppressions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"no-entries\""));

    // Without CSRF nothing is stored.
    let refused = ops
        .post(
            &env,
            "/console/suppressions/add",
            &[("address", "+525512345678"), ("channel", "all")],
            false,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(env.store.suppressions().await.expect("list").is_empty());
    // A bad address: 422, nothing stored.
    let bad = ops
        .post(
            &env,
            "/console/suppressions/add",
            &[("address", "5512"), ("channel", "sms")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(env.store.suppressions().await.expect("list").is_empty());

    let added = ops
        .post(
            &env,
            "/console/suppressions/add",
            &[
                ("address", "+52 55 1234-5678"),
                ("channel", "sms"),
                ("reason", "regulator"),
            ],
            true,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(added.location, "/console/suppressions?done=add");
    let list = env.store.suppressions().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].address, "+525512345678");
    assert_eq!(list[0].channel, Some(ChannelKind::Sms));
    assert_eq!(list[0].source, format!("regulator ({OPS})"));
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, "+525512345678")
            .await
            .expect("check")
    );

    // Shown masked; the page never carries the address itself.
    let page = ops.get(&env, "/console/suppressions").await;
    assert!(
        !page.body.contains("+525512345678") && !page.body.contains("12345678"),
        "masked"
    );
    assert!(page.body.contains("5678"));
    let found = ops
        .get(&env, "/console/suppressions?q=%2B52%2055%201234")
        .await;
    assert!(found.body.contains("id=\"suppressions\""));
    let none = ops.get(&env, "/console/suppressions?q=ana%40").await;
    assert!(none.body.contains("id=\"no-entries\""));

    // Import: one bad line refuses the whole file, naming it.
    let bad_file = ops
        .post_multipart(
            &env,
            "/console/suppressions/import",
            &[
                ("csrf", None, ops.csrf.as_str()),
                ("file", Some("bajas.csv"), "+573001234567\nnot-an-address\n"),
            ],
        )
        .await;
    assert_eq!(bad_file.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_file.body.contains("bajas.csv:2: address"),
        "{}",
        bad_file.body
    );
    assert_eq!(env.store.suppressions().await.expect("list").len(), 1);
    let forged = ops
        .post_multipart(
            &env,
            "/console/suppressions/import",
            &[
                ("csrf", None, "forged"),
                ("file", Some("bajas.csv"), "+573001234567\n"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(env.store.suppressions().await.expect("list").len(), 1);
    let imported = ops
        .post_multipart(
            &env,
            "/console/suppressions/import",
            &[
                (
                    "file",
                    Some("bajas.csv"),
                    "# bajas\n+573001234567\nLuis@Example.com,email\n",
                ),
                ("reason", None, "regulator list"),
                ("csrf", None, ops.csrf.as_str()),
            ],
        )
        .await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.body);
    assert_eq!(imported.location, "/console/suppressions?done=import&n=2");
    assert!(
        env.store
            .is_suppressed(ChannelKind::Voice, "+573001234567")
            .await
            .expect("check")
    );
    assert!(
        env.store
            .is_suppressed(ChannelKind::Email, "luis@example.com")
            .await
            .expect("check")
    );
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Sms, "luis@example.com")
            .await
            .expect("check")
    );

    // Remove by the row's key.
    let page = ops.get(&env, "/console/suppressions").await;
    let entry = env
        .store
        .suppressions()
        .await
        .expect("list")
        .into_iter()
        .find(|s: &Suppression| s.address == "+525512345678")
        .expect("entry");
    let key_at = page
        .body
        .find("name=\"key\" value=\"")
        .expect("a remove form")
        + 18;
    let keys: Vec<String> = page.body[key_at - 18..]
        .split("name=\"key\" value=\"")
        .skip(1)
        .map(|s| s.chars().take_while(|c| *c != '"').collect())
        .collect();
    assert_eq!(keys.len(), 3);
    let mut removed_one = false;
    for key in &keys {
        let no = ops
            .post(&env, "/console/suppressions/remove", &[("key", key)], false)
            .await;
        assert_eq!(no.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(env.store.suppressions().await.expect("list").len(), 3);
    for key in keys {
        let done = ops
            .post(&env, "/console/suppressions/remove", &[("key", &key)], true)
            .await;
        assert_eq!(done.location, "/console/suppressions?done=remove");
        if !env
            .store
            .is_suppressed(ChannelKind::Sms, &entry.address)
            .await
            .expect("check")
        {
            removed_one = true;
            break;
        }
    }
    assert!(removed_one, "the entry's key removes it");
    let gone = ops
        .post(
            &env,
            "/console/suppressions/remove",
            &[("key", "0000")],
            true,
        )
        .await;
    assert_eq!(gone.location, "/console/suppressions?error=gone");
}

#[tokio::test]
async fn a_creditor_gets_403_on_every_operations_page() {
    let env = sqlite_env().await;
    campaign_c1(&env).await;
    two_unknown(&env).await;
    let creditor = login(&env, CREDITOR).await;
    for path in [
        "/console/campaigns",
        "/console/campaigns/c1",
        "/console/review",
        "/console/suppressions",
    ] {
        let page = creditor.get(&env, path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "GET {path}");
    }
    for (path, fields) in [
        ("/console/campaigns/c1/pause", vec![]),
        ("/console/campaigns/c1/cancel", vec![("confirm", "yes")]),
        ("/console/campaigns/simulate", vec![("file", "0")]),
        ("/console/campaigns/launch", vec![("file", "0")]),
        (
            "/console/review",
            vec![("contact", "rv/R1/s1"), ("outcome", "delivered")],
        ),
        (
            "/console/suppressions/add",
            vec![("address", "+525512345678")],
        ),
        ("/console/suppressions/remove", vec![("key", "x")]),
    ] {
        let answer = creditor.post(&env, path, &fields, true).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    assert!(
        env.store
            .paused_campaigns()
            .await
            .expect("paused")
            .is_empty()
    );
    assert_eq!(state(&env, "rv/R1/s1").await, ContactState::Unknown);
    assert!(env.store.suppressions().await.expect("list").is_empty());
    assert_eq!(
        env.store.campaigns().await.expect("campaigns"),
        ["c1", "rv"]
    );
    // The navigation offers none of them.
    let page = creditor.get(&env, "/console/accounts").await;
    for href in [
        "/console/campaigns",
        "/console/review",
        "/console/suppressions",
    ] {
        assert!(
            !page.body.contains(&format!("href=\"{href}\"")),
            "{href} in the navigation"
        );
    }
}
