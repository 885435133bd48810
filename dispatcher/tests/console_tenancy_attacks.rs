//! Adversarial sweep of tenancy and authorisation over every route the
//! service answers (`http::route_table()`), on SQLite and on a private
//! Redis. Two creditors, "Banco del Sol" and "Financiera Luna", each with
//! accounts, payments of this month, promises, planned contacts, ledger
//! rows and a dispute. As Banco del Sol's creditor user:
//!
//! - every GET route is requested with Luna's values in its path and with
//!   query tampering (`?creditor=`, `?account=`, `?q=`, `?month=`), by
//!   bearer token and by session cookie: the answer is 403, 404 (the same
//!   body as an unknown id's), a redirect, a 400, or a 200 holding none of
//!   Luna's ids, names, references or amounts;
//! - every POST/DELETE route, without CSRF, with a forged CSRF, riding the
//!   session cookie on the API, or with its own token where its role may
//!   not write: nothing in the store changes;
//! - a collector is refused every console page and every API route
//!   outside its role; a disabled user's and a logged-out session's
//!   credentials open nothing;
//! - console pages are `no-store` HTML without scripts or outside loads.
//!
//! A route added later without a case here fails the sweep: [`case`] is an
//! exhaustive table of route → substitution and panics on anything else.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{BookAction, BookLimits, EventSource};
use cobro_dispatcher::engine::actions::record_action;
use cobro_dispatcher::http::auth::SESSION_COOKIE;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, route_table, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::{sample_account, sample_contact};
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{LedgerEntry, LedgerFilter, LedgerState, Suppression, TaskLease};
use cobro_dispatcher::users::{Role, Session, User, new_secret, secret_hash};
use cobro_testkit::RedisServer;
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

const BOOTSTRAP: &str = "bootstrap-token-0123456789";
const SOL: &str = "Banco del Sol";
const LUNA: &str = "Financiera Luna";
const PASSWORD: &str = "una clave bastante larga";
const BOUNDARY: &str = "attack-boundary-5d1c0e";
/// The collector who holds Luna's contact as a work-queue task: nobody
/// else may record its outcome.
const OTHER_COLLECTOR: &str = "otro.gestor@cobro.mx";
/// Luna's campaign, and the contact it planned for L-01.
const LUNA_CAMPAIGN: &str = "luna-cobranza";
const SOL_CAMPAIGN: &str = "sol-cobranza";
const PACK: &str = "mx-profeco";

/// What must never reach a Banco del Sol user: Luna's account ids, debtor
/// names, tax ids, payment references, amounts (as JSON, CSV and both
/// money formats write them) and the text of its debtors' replies.
const LUNA_SECRETS: &[&str] = &[
    "L-01",
    "L-02",
    "L-03",
    "Zorayda",
    "Quintana",
    "Ximena",
    "Ortuño",
    "Wenceslao",
    "RFC-LUNA",
    "LUNA-REF-8841",
    "4321.09",
    "4,321.09",
    "4.321,09",
    "7777.77",
    "7,777.77",
    "7.777,77",
    "654.32",
    "654,32",
    "Mensaje secreto de Luna",
];

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
    /// Luna's contact (for `/review/{contact}`).
    luna_contact: String,
    _keep: Box<dyn std::any::Any>,
}

async fn env(store: AnyStore, keep: Box<dyn std::any::Any>) -> Env {
    let store = Arc::new(store);
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some(BOOTSTRAP.into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config));
    let mut accounts = Vec::new();
    for (i, name) in ["Verónica López", "Sol Deudor Dos", "Sol Deudor Tres"]
        .iter()
        .enumerate()
    {
        let mut a = sample_account(&format!("S-0{}", i + 1));
        a.creditor = SOL.into();
        a.debtor_name = (*name).into();
        accounts.push(a);
    }
    for (i, name) in ["Zorayda Quintana", "Ximena Ortuño", "Wenceslao Ibarra"]
        .iter()
        .enumerate()
    {
        let mut a = sample_account(&format!("L-0{}", i + 1));
        a.creditor = LUNA.into();
        a.debtor_name = (*name).into();
        a.tax_id = Some(format!("RFC-LUNA-{i}"));
        a.amount_due = Decimal::new(777_777, 2);
        accounts.push(a);
    }
    store.put_accounts(&accounts).await.expect("accounts");

    let now = Utc::now();
    let limits = BookLimits::default();
    let limits = &limits;
    let act = |id: &'static str, action: BookAction| {
        let store = store.clone();
        async move {
            record_action(store.as_ref(), id, &action, EventSource::Api, now, limits)
                .await
                .expect("book action");
        }
    };
    for (id, cents, reference) in [
        ("L-01", 432_109, "LUNA-REF-8841"),
        ("S-01", 1000, "SOL-REF-1"),
    ] {
        act(
            id,
            BookAction::Payment {
                amount: Decimal::new(cents, 2),
                at: now,
                reference: reference.into(),
            },
        )
        .await;
    }
    for (id, cents) in [("L-01", 65_432), ("S-02", 2_000)] {
        act(
            id,
            BookAction::Promise {
                date: (now + Duration::days(5)).date_naive(),
                amount: Decimal::new(cents, 2),
            },
        )
        .await;
    }
    for id in ["L-03", "S-03"] {
        act(
            id,
            BookAction::Dispute {
                reason: "not_mine".into(),
                text: String::new(),
            },
        )
        .await;
    }

    let luna = sample_contact(LUNA_CAMPAIGN, "L-01", "recordatorio", ChannelKind::Sms, now);
    let sol = sample_contact(SOL_CAMPAIGN, "S-01", "recordatorio", ChannelKind::Sms, now);
    store
        .add_contacts(&[luna.clone(), sol.clone()])
        .await
        .expect("contacts");
    let mut reply = LedgerEntry::for_contact(&luna, LedgerState::Inbound, now);
    reply.contact_id = "inbound/SM-LUNA".into();
    reply.code = Some("message".into());
    reply.detail = Some("Mensaje secreto de Luna".into());
    let deferred = LedgerEntry::for_contact(&sol, LedgerState::Deferred, now);
    store
        .append_ledger(&[reply, deferred])
        .await
        .expect("ledger");
    store
        .suppress(&Suppression {
            channel: None,
            address: "+525500000001".into(),
            prefix: false,
            source: "officer".into(),
            at: now,
        })
        .await
        .expect("suppress");
    store
        .put_lease(&TaskLease {
            contact_id: luna.id.clone(),
            collector: OTHER_COLLECTOR.into(),
            team: "general".into(),
            leased_at: now,
            until: now + Duration::days(1),
        })
        .await
        .expect("lease");
    Env {
        store,
        app,
        luna_contact: luna.id,
        _keep: keep,
    }
}

/// Everything a request could change, as text to compare.
async fn snapshot(store: &AnyStore) -> String {
    // Every id an attack could write, and the count to catch any other.
    let ids: Vec<String> = [
        "S-01", "S-02", "S-03", "L-01", "L-02", "L-03", "L-09", "L-77", "S-99",
    ]
    .map(String::from)
    .to_vec();
    let accounts = store.accounts(&ids).await.expect("accounts");
    let count = store.account_count().await.expect("count");
    let books = store.books(&ids).await.expect("books");
    let mut contacts = Vec::new();
    for id in &ids {
        contacts.push(store.account_contacts(id).await.expect("contacts"));
    }
    let mut users = store.users().await.expect("users");
    users.sort_by(|a, b| a.email.cmp(&b.email));
    format!(
        "{count} {accounts:?}\n{books:?}\n{contacts:?}\n{:?}\n{users:?}\n{:?}\n{:?}\n{:?}",
        store.suppressions().await.expect("suppressions"),
        store.paused_campaigns().await.expect("paused"),
        store.counts(None).await.expect("counts"),
        store
            .ledger(&LedgerFilter::default())
            .await
            .expect("ledger"),
    )
}

/// A user with an API token; returns the token.
async fn user(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> String {
    let mut user = User::new(email, role, creditor, PASSWORD, Utc::now()).expect("user");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("put user");
    token
}

/// A console session started the way a browser does: the login form's
/// pre-session cookie and CSRF value, then `POST /login`. Returns the
/// `cobro_session=…` pair and the session's CSRF value.
async fn login(env: &Env, email: &str) -> (String, String) {
    let resp = send(
        env,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::OK);
    let pre = cookie_pair(&resp.headers, "cobro_login");
    let csrf = csrf_in(&resp.body);
    let body = format!(
        "csrf={csrf}&email={}&password={}",
        urlencode(email),
        urlencode(PASSWORD)
    );
    let resp = send(
        env,
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", pre)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let session = cookie_pair(&resp.headers, SESSION_COOKIE);
    let page = send(env, get_with("/console/accounts", Cred::Cookie(&session))).await;
    let csrf = csrf_in(&page.body);
    (session, csrf)
}

/// A session put straight into the store (for roles without a page that
/// shows a form, e.g. a collector); returns the cookie pair and CSRF value.
async fn stored_session(env: &Env, email: &str) -> (String, String) {
    let id = new_secret("");
    let session = Session {
        id_hash: secret_hash(&id),
        email: email.into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::hours(1),
    };
    env.store.put_session(&session).await.expect("session");
    let csrf = cobro_dispatcher::http::console::csrf_value(b"secret", "session", &session.id_hash);
    (format!("{SESSION_COOKIE}={id}"), csrf)
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .expect("encode")
        .trim_start_matches("v=")
        .to_string()
}

fn cookie_pair(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
        .to_string()
}

fn csrf_in(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {page}"))
        + 19;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn send(env: &Env, req: Request<Body>) -> Answer {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[derive(Clone, Copy, Debug)]
enum Cred<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

fn with_cred(builder: axum::http::request::Builder, cred: Cred) -> axum::http::request::Builder {
    match cred {
        Cred::Bearer(t) => builder.header("authorization", format!("Bearer {t}")),
        Cred::Cookie(c) => builder.header("cookie", format!("other=1; {c}")),
    }
}

fn get_with(path: &str, cred: Cred) -> Request<Body> {
    with_cred(Request::get(path), cred)
        .body(Body::empty())
        .expect("request")
}

/// The values a route's path parameters take in an attack: Luna's where
/// the parameter names something of a creditor's, a made-up one where it
/// is a secret (a link token), and an unknown id for comparison.
struct Case {
    /// The path with Luna's values.
    luna: String,
    /// The same path with an id that does not exist, where the route looks
    /// an id up (its 404 must read exactly like the other creditor's).
    unknown: Option<String>,
    /// The body a write sends (form, JSON or multipart) given a CSRF value.
    body: Body_,
}

#[derive(Clone, Copy)]
enum Body_ {
    None,
    Form(&'static str),
    Json(&'static str),
    /// A portfolio file, multipart.
    Upload,
}

/// Every route the router answers, with its attack values. Panics on a
/// route it does not know: a new route needs a case here (and a thought
/// about who may reach it).
fn case(method: &Method, path: &str, env: &Env, luna_report: &str) -> Case {
    let plain = |p: &str| Case {
        luna: p.to_string(),
        unknown: None,
        body: Body_::None,
    };
    let lookup = |luna: String, unknown: String| Case {
        luna,
        unknown: Some(unknown),
        body: Body_::None,
    };
    let write = |p: &str, body: Body_| Case {
        luna: p.to_string(),
        unknown: None,
        body,
    };
    let sub = |p: &str, from: &str, to: &str| p.replace(from, to);
    match (method.as_str(), path) {
        // Public or service routes (no tenant data, or a secret in the path).
        ("GET", "/" | "/healthz" | "/metrics" | "/login" | "/api/openapi.json") => plain(path),
        ("GET", "/u/{token}") => plain("/u/not-a-real-token"),
        ("GET", "/d/{token}") => plain("/d/not-a-real-token"),
        ("GET", "/console/lang/{lang}") => plain("/console/lang/en"),
        ("POST", "/login") => write(
            path,
            Body_::Form("email=eva%40luna.co&password=una+clave+bastante+larga"),
        ),
        ("POST", "/logout") => write(path, Body_::Form("")),
        ("POST", "/webhooks/{provider}/status") => write(
            "/webhooks/twilio/status",
            Body_::Form("MessageSid=SM1&MessageStatus=delivered"),
        ),
        ("POST", "/webhooks/{provider}/inbound") => write(
            "/webhooks/twilio/inbound",
            Body_::Form("From=%2B525500000002&Body=STOP"),
        ),
        ("POST", "/webhooks/mercadopago" | "/webhooks/stripe") => {
            write(path, Body_::Json(r#"{"type":"payment","data":{"id":"1"}}"#))
        }
        ("POST", "/u/{token}") => write(
            "/u/not-a-real-token",
            Body_::Form("List-Unsubscribe=One-Click"),
        ),
        ("POST", "/d/{token}/{action}") => write(
            "/d/not-a-real-token/promise",
            Body_::Form("amount=1.00&date=2030-01-01"),
        ),
        // Console pages.
        ("GET", "/console/accounts" | "/console/collections" | "/console/upload") => plain(path),
        ("GET", "/console/campaigns" | "/console/review" | "/console/suppressions") => plain(path),
        ("GET", "/console/rules" | "/console/rules/check" | "/console/rules/calendar") => {
            plain(path)
        }
        ("GET", "/console/rules/explain") => plain("/console/rules/explain?account=L-01"),
        ("GET", "/console/rules/{pack}") => plain(&sub(path, "{pack}", PACK)),
        ("GET", "/console/accounts/{id}") => {
            lookup(sub(path, "{id}", "L-01"), sub(path, "{id}", "NOPE-1"))
        }
        // Staff only (a creditor is refused whatever the id); the server
        // was given no campaign file, so both ids are unknown to it.
        ("GET", "/console/campaigns/{id}/arms") => lookup(
            sub(path, "{id}", LUNA_CAMPAIGN),
            sub(path, "{id}", "nope-campaign"),
        ),
        ("GET", "/console/campaigns/{id}") => lookup(
            sub(path, "{id}", LUNA_CAMPAIGN),
            sub(path, "{id}", "nope-campaign"),
        ),
        ("GET", "/console/upload/{report}") => lookup(
            sub(path, "{report}", luna_report),
            sub(path, "{report}", "nope-report"),
        ),
        ("POST", "/console/rules/check") => write(
            path,
            Body_::Form("account=L-01&channel=sms&at=2030-01-01T12%3A00"),
        ),
        ("POST", "/console/upload") => write(path, Body_::Upload),
        ("POST", "/console/campaigns/simulate" | "/console/campaigns/launch") => {
            write(path, Body_::Form("file=0&confirm=yes"))
        }
        ("POST", "/console/campaigns/{id}/{action}") => write(
            &format!("/console/campaigns/{LUNA_CAMPAIGN}/cancel"),
            Body_::Form("confirm=yes"),
        ),
        ("POST", "/console/review") => {
            // The contact id is filled in by `body_bytes`.
            write(path, Body_::Form("outcome=not_sent&contact="))
        }
        ("POST", "/console/suppressions/{action}") => write(
            "/console/suppressions/remove",
            Body_::Form("address=%2B525500000001&channel="),
        ),
        // The work queue: Luna's contact is another collector's task (the
        // task id is filled in by `write_request`).
        ("GET", "/console/work" | "/console/work/team") => plain(path),
        ("POST", "/console/work/next") => write(path, Body_::Form("")),
        ("POST", "/console/work/outcome") => write(path, Body_::Form("outcome=no_answer&task=")),
        ("POST", "/console/work/team/move") => write(path, Body_::Form("action=release&task=")),
        // The API.
        ("GET", "/api/me" | "/api/accounts" | "/api/disputes" | "/api/reports/collections") => {
            plain(path)
        }
        ("GET", "/api/campaigns" | "/api/suppressions" | "/api/review" | "/api/rules") => {
            plain(path)
        }
        ("GET", "/api/rules/explain") => plain("/api/rules/explain?account=L-01"),
        (
            "GET",
            "/api/accounts/{id}" | "/api/accounts/{id}/history" | "/api/accounts/{id}/gestiones",
        ) => lookup(sub(path, "{id}", "L-01"), sub(path, "{id}", "NOPE-1")),
        ("GET", "/api/campaigns/{id}/arms") => lookup(
            sub(path, "{id}", LUNA_CAMPAIGN),
            sub(path, "{id}", "nope-campaign"),
        ),
        ("GET", "/api/campaigns/{id}") => lookup(
            sub(path, "{id}", LUNA_CAMPAIGN),
            sub(path, "{id}", "nope-campaign"),
        ),
        ("POST", "/api/campaigns") => {
            write(path, Body_::Json(r#"{"campaign_file":"/etc/passwd"}"#))
        }
        ("POST", "/api/campaigns/{id}/{action}") => write(
            &format!("/api/campaigns/{LUNA_CAMPAIGN}/cancel"),
            Body_::Json("{}"),
        ),
        ("POST", "/api/accounts/{id}/payments") => write(
            "/api/accounts/L-02/payments",
            Body_::Json(r#"{"amount":"1.00","reference":"attack"}"#),
        ),
        ("POST", "/api/accounts/{id}/events") => write(
            "/api/accounts/L-02/events",
            Body_::Json(r#"{"kind":"opt_out"}"#),
        ),
        ("POST", "/api/portfolios") => write(path, Body_::Upload),
        ("POST", "/api/suppressions") => write(
            path,
            Body_::Json(r#"{"address":"+525500000009","reason":"attack"}"#),
        ),
        ("DELETE", "/api/suppressions") => {
            write(path, Body_::Json(r#"{"address":"+525500000001"}"#))
        }
        ("POST", "/api/review/{contact}") => write(
            &sub(path, "{contact}", &urlencode(&env.luna_contact)),
            Body_::Json(r#"{"outcome":"not_sent"}"#),
        ),
        ("GET", "/api/work/next" | "/api/work/stats") => plain(path),
        ("POST", "/api/work/{task}/outcome") => write(
            &sub(path, "{task}", &urlencode(&env.luna_contact)),
            Body_::Json(r#"{"outcome":"no_answer"}"#),
        ),
        ("POST", "/api/work/{task}/move") => write(
            &sub(path, "{task}", &urlencode(&env.luna_contact)),
            Body_::Json(r#"{"action":"release"}"#),
        ),
        (m, p) => panic!(
            "route {m} {p} has no case in console_tenancy_attacks.rs: add one (what it \
             substitutes, what a creditor, a collector and a stranger may get)"
        ),
    }
}

/// A portfolio that tries to take Luna's L-01 over (as Sol's) and to add
/// an account in Luna's name.
fn hostile_portfolio() -> String {
    format!(
        "id,creditor,debtor_name,amount_due,currency,due_date,country,phone\n\
         L-01,{SOL},Robada,1.00,MXN,2026-10-01,MX,+525512345678\n\
         L-77,{LUNA},Falsa,1.00,MXN,2026-10-01,MX,+525512345679\n"
    )
}

fn multipart(csrf: Option<&str>, file: &str) -> String {
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    ));
    body
}

/// The request a write sends: `csrf` (None: no field) goes into forms.
fn write_request(
    env: &Env,
    method: &Method,
    case: &Case,
    cred: Option<Cred>,
    csrf: Option<&str>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method.clone()).uri(&case.luna);
    if let Some(cred) = cred {
        builder = with_cred(builder, cred);
    }
    let (content_type, body) = match case.body {
        Body_::None => ("text/plain".to_string(), String::new()),
        Body_::Form(form) => {
            let mut form = form.to_string();
            if form.ends_with("contact=") || form.ends_with("task=") {
                form.push_str(&urlencode(&env.luna_contact));
            }
            if let Some(csrf) = csrf {
                form = if form.is_empty() {
                    format!("csrf={csrf}")
                } else {
                    format!("{form}&csrf={csrf}")
                };
            }
            ("application/x-www-form-urlencoded".to_string(), form)
        }
        Body_::Json(json) => ("application/json".to_string(), json.to_string()),
        Body_::Upload => (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart(csrf, &hostile_portfolio()),
        ),
    };
    builder
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request")
}

/// Fails when `body` holds anything of Luna's, once the values the
/// attacker put into the query (which a page may echo in its form) are
/// taken out.
fn assert_no_leak(what: &str, body: &str, injected: &[&str]) {
    let mut body = body.to_string();
    for value in injected {
        body = body.replace(value, "");
    }
    for secret in LUNA_SECRETS {
        assert!(
            !body.contains(secret),
            "{what}: Luna's '{secret}' reached Banco del Sol's user:\n{body}"
        );
    }
}

/// Console pages: no caching, HTML in UTF-8, no script, nothing loaded
/// from elsewhere.
fn assert_console_headers(what: &str, answer: &Answer) {
    let h = |name: header::HeaderName| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h(header::CACHE_CONTROL), "no-store", "{what}");
    assert_eq!(
        h(header::CONTENT_TYPE),
        "text/html; charset=utf-8",
        "{what}"
    );
    let lower = answer.body.to_lowercase();
    assert!(!lower.contains("<script"), "{what}: a script");
    for load in [
        "src=\"http",
        "src='http",
        "src=\"//",
        "src=http",
        "srcset=",
        "url(http",
        "url(//",
        "@import",
        "<iframe",
        "<object",
        "<embed",
    ] {
        assert!(!lower.contains(load), "{what}: loads '{load}'");
    }
    for tag in lower.split("<link").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        assert!(
            !tag.contains("href=\"http") && !tag.contains("href=\"//"),
            "{what}: <link{tag}>"
        );
    }
}

/// The ids a 404 is about, made neutral so that two 404s compare.
fn neutral(body: &str, ids: &[&str]) -> String {
    let mut body = body.to_string();
    for id in ids {
        body = body.replace(id, "ID");
    }
    body
}

struct Figures {
    routes: usize,
    get_routes: usize,
    write_routes: usize,
    requests: usize,
}

async fn attacks_fail(env: Env) -> Figures {
    let month = Utc::now().format("%Y-%m").to_string();
    let sol_token = user(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let _luna_token = user(&env, "eva@luna.co", Role::Creditor, Some(LUNA)).await;
    let ops_token = user(&env, "ops@cobro.mx", Role::Operations, None).await;
    let collector_token = user(&env, "col@cobro.mx", Role::Collector, None).await;
    let gone_token = user(&env, "ex@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let (sol_cookie, sol_csrf) = login(&env, "ana@bancodelsol.mx").await;
    let (luna_cookie, luna_csrf) = login(&env, "eva@luna.co").await;
    let (ops_cookie, _) = login(&env, "ops@cobro.mx").await;
    let (col_cookie, col_csrf) = stored_session(&env, "col@cobro.mx").await;
    let (gone_cookie, _) = login(&env, "ex@bancodelsol.mx").await;
    let (out_cookie, out_csrf) = login(&env, "ana@bancodelsol.mx").await;
    let mut requests = 0usize;

    // Luna uploads a file with a bad row: its error report is hers alone.
    let upload = Request::post("/console/upload")
        .header("cookie", luna_cookie.clone())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(
            Some(&luna_csrf),
            &format!(
                "id,creditor,debtor_name,amount_due,currency,due_date,country,phone\n\
                 L-09,{LUNA},Zorayda Quintana,no-amount,MXN,2026-10-01,MX,+525512345670\n"
            ),
        )))
        .expect("request");
    let resp = send(&env, upload).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let location = resp
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let luna_report = location
        .split_once("report=")
        .map(|(_, id)| id.to_string())
        .unwrap_or_else(|| panic!("no report in {location}"));
    let own = send(
        &env,
        get_with(
            &format!("/console/upload/{luna_report}"),
            Cred::Cookie(&luna_cookie),
        ),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "Luna reads her own report");
    assert!(own.body.contains("no-amount"), "{}", own.body);

    let table = route_table();
    let mut get_routes = 0;
    let mut write_routes = 0;
    let before = snapshot(&env.store).await;

    // 1. Every GET route, Luna's values in the path and tampered queries.
    let queries: Vec<(String, Vec<&str>)> = vec![
        (String::new(), vec![]),
        ("creditor=Financiera%20Luna".into(), vec![LUNA]),
        ("account=L-02".into(), vec!["L-02"]),
        ("q=Zorayda".into(), vec!["Zorayda"]),
        (format!("month={month}"), vec![]),
        (
            format!("creditor=Financiera%20Luna&account=L-02&q=Zorayda&month={month}&lang=en"),
            vec![LUNA, "L-02", "Zorayda"],
        ),
        // Paging from inside Luna's ids, and filters only Luna matches.
        ("cursor=L-00&limit=500".into(), vec![]),
        (
            "cursor=L-00&creditor=Financiera%20Luna&status=disputed".into(),
            vec![LUNA],
        ),
        (
            format!("month={month}&format=csv&creditor=Financiera%20Luna"),
            vec![LUNA],
        ),
        // Luna's upload result, asked for by its id.
        (format!("report={luna_report}"), vec![]),
    ];
    let mut sol_ok = 0usize;
    let mut sol_sees_own = 0usize;
    for (method, path) in table.iter().filter(|(m, _)| *m == Method::GET) {
        get_routes += 1;
        let c = case(method, path, &env, &luna_report);
        let creds: Vec<Cred> = if path.starts_with("/console/") {
            vec![Cred::Cookie(&sol_cookie)]
        } else {
            vec![Cred::Bearer(&sol_token), Cred::Cookie(&sol_cookie)]
        };
        for cred in creds {
            for (query, injected) in &queries {
                let uri = if query.is_empty() {
                    c.luna.clone()
                } else if c.luna.contains('?') {
                    format!("{}&{query}", c.luna)
                } else {
                    format!("{}?{query}", c.luna)
                };
                let what = format!("GET {uri} as Sol ({cred:?})");
                let answer = send(&env, get_with(&uri, cred)).await;
                requests += 1;
                let mut injected = injected.clone();
                // What the attacker wrote into the path may be echoed
                // ("no account 'L-01'"); a 404 is compared with an unknown
                // id's below instead.
                injected.extend(LUNA_SECRETS.iter().filter(|s| c.luna.contains(**s)));
                assert!(
                    matches!(answer.status.as_u16(), 200 | 303 | 400 | 403 | 404),
                    "{what}: {} {}",
                    answer.status,
                    answer.body
                );
                assert_no_leak(&what, &answer.body, &injected);
                assert!(
                    !answer.body.contains("no-amount"),
                    "{what}: Luna's upload report reached Sol: {}",
                    answer.body
                );
                if answer.status == StatusCode::OK {
                    sol_ok += 1;
                    if answer.body.contains("Verónica López") || answer.body.contains("S-01") {
                        sol_sees_own += 1;
                    }
                }
                if (path == "/login"
                    || path.starts_with("/console/") && !path.starts_with("/console/lang/"))
                    && answer.status != StatusCode::SEE_OTHER
                    && !(path == "/console/upload/{report}" && answer.status == StatusCode::OK)
                {
                    assert_console_headers(&what, &answer);
                }
                if let Some(unknown) = &c.unknown {
                    assert!(
                        matches!(answer.status.as_u16(), 403 | 404),
                        "{what}: another creditor's id must be refused, got {}: {}",
                        answer.status,
                        answer.body
                    );
                    if answer.status == StatusCode::NOT_FOUND {
                        let unknown_uri = uri.replacen(&c.luna, unknown, 1);
                        let none = send(&env, get_with(&unknown_uri, cred)).await;
                        requests += 1;
                        assert_eq!(none.status, StatusCode::NOT_FOUND, "{unknown_uri}");
                        assert_eq!(
                            neutral(&answer.body, &["L-01", LUNA_CAMPAIGN, &luna_report]),
                            neutral(&none.body, &["NOPE-1", "nope-campaign", "nope-report"]),
                            "{what}: Luna's id answers unlike an unknown one"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(snapshot(&env.store).await, before, "GETs changed nothing");
    // The sweep is not vacuous: Sol's user is signed in and reads its own.
    assert!(
        sol_sees_own >= 20 && sol_ok >= 60,
        "{sol_ok} answers 200, {sol_sees_own} with Sol's own data"
    );

    // Staff see both creditors: the pages render for operations (headers,
    // no outside loads on every console page that answers), and Luna's
    // data shows there, which proves the leak check looks for the strings
    // pages and the API really write.
    let mut seen: Vec<&str> = Vec::new();
    for (method, path) in table.iter().filter(|(m, _)| *m == Method::GET) {
        let console = path.starts_with("/console/") && !path.starts_with("/console/lang/");
        if !console && !path.starts_with("/api/") {
            continue;
        }
        let c = case(method, path, &env, &luna_report);
        let cred = if console {
            Cred::Cookie(&ops_cookie)
        } else {
            Cred::Bearer(&ops_token)
        };
        for query in ["lang=es", "lang=en", &format!("month={month}&format=csv")] {
            let sep = if c.luna.contains('?') { '&' } else { '?' };
            let uri = format!("{}{sep}{query}", c.luna);
            let answer = send(&env, get_with(&uri, cred)).await;
            requests += 1;
            assert!(
                answer.status != StatusCode::SEE_OTHER && answer.status.as_u16() < 500,
                "GET {uri} as operations: {} {}",
                answer.status,
                answer.body
            );
            if console && path != "/console/upload/{report}" {
                assert_console_headers(&format!("GET {uri} as operations"), &answer);
            }
            seen.extend(LUNA_SECRETS.iter().filter(|s| answer.body.contains(**s)));
        }
    }
    let unseen: Vec<&&str> = LUNA_SECRETS.iter().filter(|s| !seen.contains(s)).collect();
    assert_eq!(
        unseen,
        [&"RFC-LUNA"],
        "every other string of Luna's is one staff pages or the API show"
    );

    // 2 and 4. Every write: nothing changes without CSRF, with a forged
    // one, riding the cookie on the API, or with a token the role forbids.
    let creditor_api_writes = ["/api/accounts/{id}/payments", "/api/portfolios"];
    for (method, path) in table.iter().filter(|(m, _)| *m != Method::GET) {
        write_routes += 1;
        let c = case(method, path, &env, &luna_report);
        let api = path.starts_with("/api/");
        let mut attempts: Vec<(String, Request<Body>, Vec<u16>)> = Vec::new();
        for (who, cookie) in [("Sol", &sol_cookie), ("operations", &ops_cookie)] {
            for csrf in [None, Some("forged-csrf-value"), Some("")] {
                attempts.push((
                    format!("{method} {} as {who} with csrf {csrf:?}", c.luna),
                    write_request(&env, method, &c, Some(Cred::Cookie(cookie)), csrf),
                    if api { vec![401] } else { vec![] },
                ));
            }
        }
        if api {
            // Another session's CSRF value does not help either.
            attempts.push((
                format!("{method} {} with Sol's cookie and CSRF", c.luna),
                write_request(
                    &env,
                    method,
                    &c,
                    Some(Cred::Cookie(&sol_cookie)),
                    Some(&sol_csrf),
                ),
                vec![401],
            ));
            let expected = if creditor_api_writes.contains(&path.as_str()) {
                vec![200, 404]
            } else {
                vec![403]
            };
            attempts.push((
                format!("{method} {} with Sol's token", c.luna),
                write_request(&env, method, &c, Some(Cred::Bearer(&sol_token)), None),
                expected,
            ));
        } else if path.starts_with("/console/") && path != "/console/upload" {
            // Sol's own valid CSRF: refused by role on every console write
            // a creditor has no business with.
            attempts.push((
                format!("{method} {} as Sol with its CSRF", c.luna),
                write_request(
                    &env,
                    method,
                    &c,
                    Some(Cred::Cookie(&sol_cookie)),
                    Some(&sol_csrf),
                ),
                vec![403],
            ));
        } else if path == "/console/upload" {
            // Sol may upload, but not Luna's accounts.
            attempts.push((
                "POST /console/upload of Luna's ids as Sol".into(),
                write_request(
                    &env,
                    method,
                    &c,
                    Some(Cred::Cookie(&sol_cookie)),
                    Some(&sol_csrf),
                ),
                vec![303],
            ));
        }
        for (what, req, expected) in attempts {
            let answer = send(&env, req).await;
            requests += 1;
            if !expected.is_empty() {
                assert!(
                    expected.contains(&answer.status.as_u16()),
                    "{what}: expected {expected:?}, got {} {}",
                    answer.status,
                    answer.body
                );
            } else {
                assert!(
                    !answer.status.is_success() && !answer.status.is_server_error(),
                    "{what}: {} {}",
                    answer.status,
                    answer.body
                );
            }
            assert_no_leak(&what, &answer.body, &["L-01", "L-02", LUNA]);
            assert_eq!(
                snapshot(&env.store).await,
                before,
                "{what}: the store changed"
            );
        }
    }
    // The session whose logout was forged is still alive.
    assert_eq!(
        send(
            &env,
            get_with("/console/accounts", Cred::Cookie(&sol_cookie))
        )
        .await
        .status,
        StatusCode::OK
    );

    // A collector: no console page but its work queue, no API route
    // outside its role; another collector's task is not its to record.
    let collector_api = [
        ("GET", "/api/me"),
        ("GET", "/api/accounts"),
        ("GET", "/api/accounts/{id}"),
        ("GET", "/api/accounts/{id}/history"),
        ("GET", "/api/accounts/{id}/gestiones"),
        ("POST", "/api/accounts/{id}/events"),
        ("GET", "/api/work/next"),
        ("POST", "/api/work/{task}/outcome"),
    ];
    let collector_pages = [
        ("GET", "/console/work", StatusCode::OK),
        ("POST", "/console/work/next", StatusCode::SEE_OTHER),
        ("POST", "/console/work/outcome", StatusCode::CONFLICT),
    ];
    for (method, path) in &table {
        let c = case(method, path, &env, &luna_report);
        if let Some((_, _, expected)) = collector_pages
            .iter()
            .find(|(m, p, _)| *m == method.as_str() && p == path)
        {
            let req = if *method == Method::GET {
                get_with(&c.luna, Cred::Cookie(&col_cookie))
            } else {
                write_request(
                    &env,
                    method,
                    &c,
                    Some(Cred::Cookie(&col_cookie)),
                    Some(&col_csrf),
                )
            };
            let answer = send(&env, req).await;
            requests += 1;
            assert_eq!(
                answer.status, *expected,
                "{method} {} as a collector: {}",
                c.luna, answer.body
            );
            assert_no_leak(
                &format!("{method} {} as a collector", c.luna),
                &answer.body,
                &[],
            );
        } else if path.starts_with("/console/") && !path.starts_with("/console/lang/") {
            let req = if *method == Method::GET {
                get_with(&c.luna, Cred::Cookie(&col_cookie))
            } else {
                write_request(
                    &env,
                    method,
                    &c,
                    Some(Cred::Cookie(&col_cookie)),
                    Some(&col_csrf),
                )
            };
            let answer = send(&env, req).await;
            requests += 1;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {} as a collector: {}",
                c.luna,
                answer.body
            );
            assert_console_headers(&format!("{method} {} as a collector", c.luna), &answer);
        } else if path.starts_with("/api/") && path != "/api/openapi.json" {
            if collector_api.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let req = if *method == Method::GET {
                get_with(&c.luna, Cred::Bearer(&collector_token))
            } else {
                write_request(&env, method, &c, Some(Cred::Bearer(&collector_token)), None)
            };
            let answer = send(&env, req).await;
            requests += 1;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {} as a collector: {}",
                c.luna,
                answer.body
            );
        }
    }
    // Its own routes: no task is allowed it here (204), and another
    // collector's task is not its to record (409).
    let answer = send(
        &env,
        get_with("/api/work/next", Cred::Bearer(&collector_token)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    let c = case(
        &Method::POST,
        "/api/work/{task}/outcome",
        &env,
        &luna_report,
    );
    let answer = send(
        &env,
        write_request(
            &env,
            &Method::POST,
            &c,
            Some(Cred::Bearer(&collector_token)),
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    requests += 2;
    assert_eq!(
        env.store
            .lease(&env.luna_contact)
            .await
            .expect("lease")
            .map(|l| l.collector),
        Some(OTHER_COLLECTOR.to_string()),
        "the task stays the other collector's"
    );
    assert_eq!(
        snapshot(&env.store).await,
        before,
        "a collector changed something"
    );
    // A creditor has no business with the work queue.
    for (method, path) in [
        (Method::GET, "/api/work/next"),
        (Method::GET, "/api/work/stats"),
        (Method::POST, "/api/work/{task}/outcome"),
        (Method::POST, "/api/work/{task}/move"),
    ] {
        let c = case(&method, path, &env, &luna_report);
        let req = if method == Method::GET {
            get_with(&c.luna, Cred::Bearer(&sol_token))
        } else {
            write_request(&env, &method, &c, Some(Cred::Bearer(&sol_token)), None)
        };
        let answer = send(&env, req).await;
        requests += 1;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method} {path} as a creditor: {}",
            answer.body
        );
    }
    assert_eq!(
        env.store
            .lease(&env.luna_contact)
            .await
            .expect("lease")
            .map(|l| l.collector),
        Some(OTHER_COLLECTOR.to_string()),
        "nobody moved the task"
    );

    // 3. A disabled user, and a session after logout: nothing opens.
    let logout = Request::post("/logout")
        .header("cookie", out_cookie.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={out_csrf}")))
        .expect("request");
    assert_eq!(send(&env, logout).await.status, StatusCode::SEE_OTHER);
    let mut gone = env
        .store
        .user("ex@bancodelsol.mx")
        .await
        .expect("user")
        .expect("ex");
    gone.disabled = true;
    env.store.put_user(&gone).await.expect("disable");
    let before = snapshot(&env.store).await;
    let dead: [(&str, Cred); 3] = [
        ("disabled user's cookie", Cred::Cookie(&gone_cookie)),
        ("disabled user's token", Cred::Bearer(&gone_token)),
        ("logged-out cookie", Cred::Cookie(&out_cookie)),
    ];
    for (method, path) in &table {
        let c = case(method, path, &env, &luna_report);
        let console = path.starts_with("/console/") && !path.starts_with("/console/lang/");
        let api = path.starts_with("/api/") && path != "/api/openapi.json";
        if !console && !api {
            continue;
        }
        for (who, cred) in dead {
            let req = if *method == Method::GET {
                get_with(&c.luna, cred)
            } else {
                write_request(&env, method, &c, Some(cred), Some("whatever"))
            };
            let answer = send(&env, req).await;
            requests += 1;
            let what = format!("{method} {} with a {who}", c.luna);
            if api {
                assert_eq!(
                    answer.status,
                    StatusCode::UNAUTHORIZED,
                    "{what}: {}",
                    answer.body
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::SEE_OTHER,
                    "{what}: {}",
                    answer.body
                );
                assert_eq!(
                    answer
                        .headers
                        .get(header::LOCATION)
                        .and_then(|v| v.to_str().ok()),
                    Some("/login"),
                    "{what}"
                );
            }
            assert_no_leak(&what, &answer.body, &[]);
        }
    }
    assert_eq!(
        snapshot(&env.store).await,
        before,
        "dead credentials changed something"
    );

    // Id spellings that a lax lookup could take for Luna's L-01.
    for id in [
        "%4C-01",
        "l-01",
        "L-01%20",
        "%20L-01",
        "L-01%2F..%2FS-01",
        "L%2D01",
    ] {
        for uri in [
            format!("/api/accounts/{id}"),
            format!("/api/accounts/{id}/gestiones"),
            format!("/console/accounts/{id}"),
        ] {
            let cred = if uri.starts_with("/api/") {
                Cred::Bearer(&sol_token)
            } else {
                Cred::Cookie(&sol_cookie)
            };
            let answer = send(&env, get_with(&uri, cred)).await;
            requests += 1;
            assert!(
                matches!(answer.status.as_u16(), 400 | 404),
                "GET {uri} as Sol: {} {}",
                answer.status,
                answer.body
            );
            assert_no_leak(&format!("GET {uri}"), &answer.body, &["L-01", "l-01"]);
        }
    }

    // Mixed credentials: a bearer token, good or bad, is who the API
    // call is; a cookie beside it never lends its role.
    let mixed = |method: Method, uri: &str, token: &str, cookie: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("cookie", cookie.to_string())
            .header("content-type", "application/json")
            .body(Body::from(r#"{"address":"+525500000009","reason":"x"}"#))
            .expect("request")
    };
    for (req, expected) in [
        (
            mixed(Method::GET, "/api/accounts", "wrong-token", &ops_cookie),
            StatusCode::UNAUTHORIZED,
        ),
        (
            mixed(Method::GET, "/api/campaigns", &sol_token, &ops_cookie),
            StatusCode::FORBIDDEN,
        ),
        (
            mixed(Method::POST, "/api/suppressions", &sol_token, &ops_cookie),
            StatusCode::FORBIDDEN,
        ),
        (
            mixed(Method::GET, "/api/accounts/L-01", &sol_token, &ops_cookie),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let uri = req.uri().to_string();
        let answer = send(&env, req).await;
        requests += 1;
        assert_eq!(answer.status, expected, "{uri}: {}", answer.body);
    }
    assert_eq!(
        snapshot(&env.store).await,
        before,
        "mixed credentials changed something"
    );

    // A creditor user whose creditor is missing from its record sees
    // nothing (fail closed); an expired session is no session.
    let mut orphan = User::new(
        "huerfano@x.mx",
        Role::Creditor,
        Some(SOL),
        PASSWORD,
        Utc::now(),
    )
    .expect("user");
    orphan.creditor = None;
    env.store.put_user(&orphan).await.expect("put");
    let (orphan_cookie, _) = stored_session(&env, "huerfano@x.mx").await;
    for uri in [
        "/api/accounts",
        "/console/accounts",
        "/api/disputes",
        "/console/collections",
    ] {
        let answer = send(&env, get_with(uri, Cred::Cookie(&orphan_cookie))).await;
        requests += 1;
        assert!(
            matches!(answer.status.as_u16(), 200 | 403),
            "{uri}: {}",
            answer.status
        );
        assert_no_leak(uri, &answer.body, &[]);
        assert!(
            !answer.body.contains("S-01") && !answer.body.contains("Verónica"),
            "{uri} shows Sol's to a creditor user without a creditor: {}",
            answer.body
        );
    }
    let id = new_secret("");
    env.store
        .put_session(&Session {
            id_hash: secret_hash(&id),
            email: "ana@bancodelsol.mx".into(),
            created_at: Utc::now() - Duration::hours(3),
            expires_at: Utc::now() - Duration::seconds(1),
        })
        .await
        .expect("session");
    let expired = format!("{SESSION_COOKIE}={id}");
    let answer = send(&env, get_with("/console/accounts", Cred::Cookie(&expired))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let answer = send(&env, get_with("/api/accounts", Cred::Cookie(&expired))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    requests += 2;

    // A role taken away takes effect on the open session at once.
    let mut demoted = env
        .store
        .user("ops@cobro.mx")
        .await
        .expect("user")
        .expect("ops");
    demoted.role = Role::Creditor;
    demoted.creditor = Some(SOL.into());
    env.store.put_user(&demoted).await.expect("demote");
    for (uri, expected) in [
        ("/console/campaigns", StatusCode::FORBIDDEN),
        ("/console/accounts/L-01", StatusCode::NOT_FOUND),
        ("/api/accounts/L-01", StatusCode::NOT_FOUND),
        ("/api/suppressions", StatusCode::FORBIDDEN),
    ] {
        let answer = send(&env, get_with(uri, Cred::Cookie(&ops_cookie))).await;
        requests += 1;
        assert_eq!(answer.status, expected, "{uri} after the demotion");
        assert_no_leak(uri, &answer.body, &["L-01"]);
    }

    // The language switch goes back only inside the service.
    for referer in [
        "https://evil.example/x",
        "//evil.example/x",
        "https://cobro.example//evil.example/x",
        "https://cobro.example/%2F%2Fevil.example",
        "https://cobro.example/%5Cevil.example",
        "/\\evil.example/x",
        "javascript:alert(1)",
    ] {
        let req = Request::get("/console/lang/en")
            .header("cookie", sol_cookie.clone())
            .header("referer", referer)
            .body(Body::empty())
            .expect("request");
        let answer = send(&env, req).await;
        requests += 1;
        let location = answer
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\"),
            "Referer {referer} sends to {location}"
        );
    }
    Figures {
        routes: table.len(),
        get_routes,
        write_routes,
        requests,
    }
}

#[tokio::test]
async fn tenancy_and_authorisation_hold_on_every_route_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::connect(&url).await.expect("sqlite");
    let figures = attacks_fail(env(AnyStore::Sqlite(store), Box::new(dir)).await).await;
    eprintln!(
        "swept {} routes ({} GET, {} writes) with {} requests",
        figures.routes, figures.get_routes, figures.write_routes, figures.requests
    );
    assert_eq!(figures.routes, figures.get_routes + figures.write_routes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenancy_and_authorisation_hold_on_every_route_on_redis() {
    let server = RedisServer::start().expect("redis-server starts");
    let store = RedisStore::connect(&server.url()).await.expect("redis");
    let figures = attacks_fail(env(AnyStore::Redis(store), Box::new(server)).await).await;
    assert!(figures.requests > figures.routes);
}
