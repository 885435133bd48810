//! Users, roles and tenancy through the Router, on SQLite and on a private
//! Redis: two creditors' users each list only their own accounts; the
//! other's id answers exactly as an unknown one; `?creditor=other`, the
//! history, the payments and the disputes of the other creditor are out
//! of reach; a creditor cannot run campaigns; a replaced or disabled
//! user's token opens nothing; a session cookie reads but never writes.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use cobro_campaigns::book::{BookAction, BookLimits, EventSource};
use cobro_dispatcher::engine::actions::record_action;
use cobro_dispatcher::http::auth::SESSION_COOKIE;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::sample_account;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::users::{Role, Session, User, new_secret, secret_hash};
use cobro_testkit::RedisServer;
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

const BOOTSTRAP: &str = "bootstrap-token-0123456789";
const SOL: &str = "Banco del Sol";
const LUNA: &str = "Financiera Luna";

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
}

async fn env(store: AnyStore) -> Env {
    let store = Arc::new(store);
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some(BOOTSTRAP.into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config));
    // 30 accounts: S-00..S-19 of Banco del Sol, L-00..L-09 of Luna.
    let mut accounts = Vec::new();
    for i in 0..20 {
        let mut a = sample_account(&format!("S-{i:02}"));
        a.creditor = SOL.into();
        a.debtor_name = if i == 7 {
            "Verónica López".into()
        } else {
            format!("Deudor Sol {i}")
        };
        a.country = if i % 2 == 0 { "MX".into() } else { "CO".into() };
        accounts.push(a);
    }
    for i in 0..10 {
        let mut a = sample_account(&format!("L-{i:02}"));
        a.creditor = LUNA.into();
        a.debtor_name = format!("Deudor Luna {i}");
        accounts.push(a);
    }
    store.put_accounts(&accounts).await.expect("accounts");
    // One dispute each, and a payment on L-04 and on S-03.
    let act = |id: &'static str, action: BookAction| {
        let store = store.clone();
        async move {
            record_action(
                store.as_ref(),
                id,
                &action,
                EventSource::Api,
                Utc::now(),
                &BookLimits::default(),
            )
            .await
            .expect("book action");
        }
    };
    for id in ["S-01", "L-01"] {
        act(
            id,
            BookAction::Dispute {
                reason: "not_mine".into(),
                text: String::new(),
            },
        )
        .await;
    }
    for (id, cents, reference) in [("L-04", 2550, "l1"), ("S-03", 1000, "p1")] {
        act(
            id,
            BookAction::Payment {
                amount: Decimal::new(cents, 2),
                at: Utc::now(),
                reference: reference.into(),
            },
        )
        .await;
    }
    Env { store, app }
}

/// A user with a current API token; returns the token.
async fn user_with_token(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> String {
    let mut user = User::new(email, role, creditor, "a long password", Utc::now()).expect("user");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("put user");
    token
}

async fn call(env: &Env, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

fn post(path: &str, token: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items in {page}"))
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

/// Every page of `path` (which has a `?`), following `next`.
async fn all_pages(env: &Env, path: &str, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let (status, page) = call(env, get(&format!("{path}&cursor={cursor}"), token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        out.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => return out,
        }
    }
    panic!("no end to the pages of {path}");
}

async fn tenancy_holds(env: Env) {
    let sol = user_with_token(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let luna = user_with_token(&env, "eva@luna.co", Role::Creditor, Some(LUNA)).await;
    let ops = user_with_token(&env, "ops@cobro.mx", Role::Operations, None).await;

    // Each creditor lists its own accounts, every page of them.
    let sol_ids = all_pages(&env, "/api/accounts?limit=7", &sol).await;
    assert_eq!(sol_ids.len(), 20, "{sol_ids:?}");
    assert!(sol_ids.iter().all(|id| id.starts_with("S-")));
    let mut sorted = sol_ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, sol_ids, "pages neither overlap nor skip");
    let luna_ids = all_pages(&env, "/api/accounts?limit=50", &luna).await;
    assert_eq!(luna_ids.len(), 10);
    assert!(luna_ids.iter().all(|id| id.starts_with("L-")));
    // Filter tampering: asking for the other creditor changes nothing.
    let tampered = all_pages(&env, "/api/accounts?creditor=Financiera%20Luna", &sol).await;
    assert_eq!(tampered, sol_ids);
    // Staff see both, and may filter by creditor.
    assert_eq!(
        all_pages(&env, "/api/accounts?limit=200", &ops).await.len(),
        30
    );
    let only_luna = all_pages(&env, "/api/accounts?creditor=Financiera%20Luna", &ops).await;
    assert_eq!(only_luna, luna_ids);
    // Filters and search (accents and case ignored).
    let (_, page) = call(&env, get("/api/accounts?q=veronica%20lopez", &sol)).await;
    assert_eq!(ids(&page), ["S-07"]);
    assert_eq!(page["items"][0]["debtor_name"], "Verónica López");
    let (_, page) = call(&env, get("/api/accounts?q=veronica", &luna)).await;
    assert!(ids(&page).is_empty(), "search stays inside the tenant");
    // An id typed in full (any case) is found at once, inside the tenant
    // only, and still under the other filters.
    let (_, page) = call(&env, get("/api/accounts?q=s-03", &sol)).await;
    assert_eq!(ids(&page), ["S-03"]);
    assert!(page["next"].is_null());
    let (_, page) = call(&env, get("/api/accounts?q=L-01", &sol)).await;
    assert!(ids(&page).is_empty(), "another creditor's id is not found");
    let (_, page) = call(&env, get("/api/accounts?q=S-03&country=CO", &sol)).await;
    assert_eq!(ids(&page), ["S-03"], "S-03 is odd: a CO account");
    let (_, page) = call(&env, get("/api/accounts?q=S-03&country=MX", &sol)).await;
    assert!(ids(&page).is_empty(), "the other filters still apply");
    let co = all_pages(&env, "/api/accounts?country=co", &sol).await;
    assert_eq!(co.len(), 10);
    let (_, page) = call(&env, get("/api/accounts?status=disputed", &sol)).await;
    assert_eq!(ids(&page), ["S-01"]);
    let full = sample_account("x").amount_due;
    let (_, page) = call(
        &env,
        get(
            &format!("/api/accounts?amount_max={}", full - Decimal::ONE),
            &sol,
        ),
    )
    .await;
    assert_eq!(ids(&page), ["S-03"], "only the one that paid owes less");
    assert_eq!(
        page["items"][0]["balance"],
        (full - Decimal::new(1000, 2)).to_string()
    );
    let (status, _) = call(&env, get("/api/accounts?status=nonsense", &sol)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Id guessing: another creditor's account is as unknown as a made-up id.
    let (s_other, other) = call(&env, get("/api/accounts/L-01", &sol)).await;
    let (s_none, none) = call(&env, get("/api/accounts/NOPE-1", &sol)).await;
    assert_eq!(
        (s_other, s_none),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        other["error"].as_str().map(|e| e.replace("L-01", "ID")),
        none["error"].as_str().map(|e| e.replace("NOPE-1", "ID")),
        "the same answer for both"
    );
    let (status, own) = call(&env, get("/api/accounts/S-01", &sol)).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["creditor"], SOL);
    for path in ["/api/accounts/L-01/history"] {
        assert_eq!(call(&env, get(path, &sol)).await.0, StatusCode::NOT_FOUND);
    }
    let (status, _) = call(
        &env,
        post(
            "/api/accounts/L-02/payments",
            &sol,
            r#"{"amount":"1.00","reference":"x"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (book, _) = env.store.book("L-02").await.expect("book");
    assert!(book.payments.is_empty(), "nothing recorded on the other's");
    // Disputes: each sees its own.
    let (_, disputes) = call(&env, get("/api/disputes", &sol)).await;
    let accounts: Vec<&str> = disputes
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["account"].as_str())
        .collect();
    assert_eq!(accounts, ["S-01"]);
    let (_, disputes) = call(&env, get("/api/disputes", &ops)).await;
    assert_eq!(disputes.as_array().map(Vec::len), Some(2));

    // The parte de cobros of this month: each creditor its own rows.
    let month = Utc::now().format("%Y-%m").to_string();
    let report_path = format!("/api/reports/collections?month={month}");
    let rows_of = |r: &serde_json::Value| -> Vec<String> {
        r["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("rows in {r}"))
            .iter()
            .map(|row| row["account"].as_str().expect("account").to_string())
            .collect()
    };
    let (status, report) = call(&env, get(&report_path, &sol)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(rows_of(&report), ["S-03"]);
    assert_eq!(report["rows"][0]["paid"], "10.00");
    assert_eq!(report["totals"]["MXN"]["paid"], "10.00", "{report}");
    let (_, report) = call(&env, get(&report_path, &luna)).await;
    assert_eq!(rows_of(&report), ["L-04"]);
    let (_, report) = call(&env, get(&report_path, &ops)).await;
    assert_eq!(
        rows_of(&report),
        ["S-03", "L-04"],
        "staff see both, by creditor"
    );
    let (_, report) = call(&env, get("/api/reports/collections?month=2020-01", &ops)).await;
    assert!(rows_of(&report).is_empty(), "another month");
    let resp = env
        .app
        .clone()
        .oneshot(get(&format!("{report_path}&format=csv"), &sol))
        .await
        .expect("csv");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.into_body().collect().await.expect("body").to_bytes();
    let csv = String::from_utf8_lossy(&csv);
    assert!(csv.starts_with("month,account,creditor"), "{csv}");
    assert!(
        csv.contains(&format!("{month},S-03,{SOL}")) && !csv.contains("L-04"),
        "{csv}"
    );
    let (status, _) = call(&env, get("/api/reports/collections?month=13-2026", &sol)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Roles: a creditor does not run campaigns or read suppressions.
    for req in [
        get("/api/campaigns", &sol),
        get("/api/suppressions", &sol),
        post("/api/campaigns/c1/pause", &sol, "{}"),
        post("/api/accounts/S-01/events", &sol, r#"{"kind":"opt_out"}"#),
    ] {
        assert_eq!(call(&env, req).await.0, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        call(&env, get("/api/campaigns", &ops)).await.0,
        StatusCode::OK
    );
    let (_, me) = call(&env, get("/api/me", &sol)).await;
    assert_eq!(me["role"], "creditor");
    assert_eq!(me["creditor"], SOL);
    let (_, me) = call(&env, get("/api/me", BOOTSTRAP)).await;
    assert_eq!(me["role"], "admin");

    // A new token replaces the old; a disabled user's token opens nothing.
    let newer = user_with_token(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    assert_eq!(
        call(&env, get("/api/accounts", &sol)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&env, get("/api/accounts", &newer)).await.0,
        StatusCode::OK
    );
    let mut ana = env
        .store
        .user("ana@bancodelsol.mx")
        .await
        .expect("user")
        .expect("ana");
    ana.disabled = true;
    env.store.put_user(&ana).await.expect("disable");
    assert_eq!(
        call(&env, get("/api/accounts", &newer)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A session cookie reads; it never writes (no CSRF on the API), and
    // it dies with the user.
    let id = new_secret("");
    let session = Session {
        id_hash: secret_hash(&id),
        email: "eva@luna.co".into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::hours(1),
    };
    env.store.put_session(&session).await.expect("session");
    let with_cookie = |method: &str, path: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", format!("other=1; {SESSION_COOKIE}={id}"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"amount":"1.00","reference":"csrf"}"#))
            .expect("request")
    };
    let (status, page) = call(&env, with_cookie("GET", "/api/accounts")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page).len(), 10);
    let (status, _) = call(&env, with_cookie("POST", "/api/accounts/L-03/payments")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut eva = env
        .store
        .user("eva@luna.co")
        .await
        .expect("user")
        .expect("eva");
    eva.disabled = true;
    env.store.put_user(&eva).await.expect("disable");
    assert_eq!(
        call(&env, with_cookie("GET", "/api/accounts")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tenancy_holds_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::connect(&url).await.expect("sqlite");
    tenancy_holds(env(AnyStore::Sqlite(store)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenancy_holds_on_redis() {
    let server = RedisServer::start().expect("redis-server starts");
    let store = RedisStore::connect(&server.url()).await.expect("redis");
    tenancy_holds(env(AnyStore::Redis(store)).await).await;
}

/// The `name=value` of every Set-Cookie of a response.
fn set_cookies(resp: &axum::response::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

fn cookie_pair(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .to_string()
}

async fn html(env: &Env, req: Request<Body>) -> (StatusCode, Vec<String>, String) {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let cookies = set_cookies(&resp);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, cookies, String::from_utf8_lossy(&body).into_owned())
}

fn csrf_in(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn a_creditor_logs_in_sees_its_own_list_and_logs_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let env = env(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("sqlite"),
    ))
    .await;
    let user = User::new(
        "ana@bancodelsol.mx",
        Role::Creditor,
        Some(SOL),
        "la clave larga",
        Utc::now(),
    )
    .expect("user");
    env.store.put_user(&user).await.expect("put");

    // Not signed in: the console sends to the login page.
    let (status, _, _) = html(
        &env,
        Request::get("/console/accounts")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, cookies, page) = html(
        &env,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("lang=\"es\"") && page.contains("Iniciar sesión"),
        "{page}"
    );
    assert!(!page.contains("<script") && !page.contains("https://"));
    let pre = cookie_pair(&cookies, "cobro_login");
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax"))
    );
    assert!(
        cookies.iter().all(|c| c.contains("Secure")),
        "https public URL: {cookies:?}"
    );
    let csrf = csrf_in(&page);
    let login = |body: String, cookie: &str| {
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie.to_string())
            .body(Body::from(body))
            .expect("req")
    };
    // No CSRF, or another browser's: refused before any password check.
    let (status, cookies, _) = html(
        &env,
        login(
            "email=ana%40bancodelsol.mx&password=la+clave+larga".into(),
            &pre,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!cookies.iter().any(|c| c.starts_with("cobro_session=")));
    let (status, _, _) = html(
        &env,
        login(
            format!("csrf={csrf}&email=ana%40bancodelsol.mx&password=la+clave+larga"),
            "cobro_login=other",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Wrong passwords back off: the sixth attempt is locked even with the
    // right password.
    for _ in 0..5 {
        let (status, _, page) = html(
            &env,
            login(
                format!("csrf={csrf}&email=ana%40bancodelsol.mx&password=wrong+one"),
                &pre,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            page.contains("incorrectos") || page.contains("Demasiados"),
            "{page}"
        );
    }
    let (status, _, page) = html(
        &env,
        login(
            format!("csrf={csrf}&email=ana%40bancodelsol.mx&password=la+clave+larga"),
            &pre,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Demasiados intentos"), "{page}");
    let mut ana = env
        .store
        .user("ana@bancodelsol.mx")
        .await
        .expect("user")
        .expect("ana");
    assert!(ana.locked_until.is_some());
    ana.locked_until = None;
    ana.failed_logins = 0;
    env.store.put_user(&ana).await.expect("unlock");

    let (status, cookies, _) = html(
        &env,
        login(
            format!("csrf={csrf}&email=ANA%40bancodelsol.mx&password=la+clave+larga"),
            &pre,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = cookie_pair(&cookies, "cobro_session");
    let page_req = |path: &str| {
        Request::get(path)
            .header("cookie", session.clone())
            .body(Body::empty())
            .expect("req")
    };
    let (status, _, page) = html(&env, page_req("/console/accounts")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("data-account=\"S-").count(), 20, "{page}");
    assert!(
        !page.contains("data-account=\"L-"),
        "another creditor's row: {page}"
    );
    assert!(page.contains("Expedientes") && page.contains("ana@bancodelsol.mx"));
    let (_, _, page) = html(
        &env,
        page_req("/console/accounts?creditor=Financiera%20Luna&q=luna"),
    )
    .await;
    assert!(
        page.contains("id=\"no-accounts\""),
        "tampering finds nothing: {page}"
    );
    let (_, _, page) = html(&env, page_req("/console/accounts?q=ver%C3%B3nica&lang=en")).await;
    assert!(
        page.contains("lang=\"en\"") && page.contains("data-account=\"S-07\""),
        "{page}"
    );

    // Logging out needs the session's CSRF value, then the cookie is dead.
    let logout = |body: &str| {
        Request::post("/logout")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", session.clone())
            .body(Body::from(body.to_string()))
            .expect("req")
    };
    let (status, _, _) = html(&env, logout("csrf=forged")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, page) = html(&env, page_req("/console/accounts")).await;
    let csrf = csrf_in(&page);
    let (status, _, _) = html(&env, logout(&format!("csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = html(&env, page_req("/console/accounts")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
}
