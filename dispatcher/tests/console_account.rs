//! One expediente: `GET /api/accounts/{id}/gestiones` (on SQLite and on a
//! private Redis) and the console page `/console/accounts/{id}` on a store
//! holding an account with two
//! planned contacts, ledger rows (a deferral with its rule, an allowed
//! decision, a send, a delivery report, the debtor's reply, the
//! cancellation the promise caused) and book events (a payment from the debtor's portal, a promise
//! through the API). The timeline is in
//! order with its actors and rules; the page shows it newest first in
//! both languages; another creditor's id answers exactly as an unknown
//! one; and `cobro export gestiones` lists the same gestiones.

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, DurationRound, Utc};
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{BookAction, BookLimits, EventSource};
use cobro_dispatcher::engine::actions::{record_action, record_action_by};
use cobro_dispatcher::http::auth::SESSION_COOKIE;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::{sample_account, sample_contact};
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{LedgerEntry, LedgerState};
use cobro_dispatcher::users::{Role, Session, User, new_secret, secret_hash};
use cobro_testkit::RedisServer;
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

const SOL: &str = "Banco del Sol";
const LUNA: &str = "Financiera Luna";
const RULE: &str = "mx-condusef";
const REPLY: &str = "¿Puedo pagar el viernes?";
const WHY: &str = "18:40 in America/Mexico_City is outside 07:00-22:00";

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
    /// The store's URL, for `cobro export gestiones --store`.
    url: String,
    /// What keeps the store alive: its directory or its Redis server.
    _keep: Box<dyn std::any::Any>,
    /// When the first contact was planned (whole seconds, three days ago).
    t0: DateTime<Utc>,
}

async fn sqlite() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = AnyStore::Sqlite(SqliteStore::connect(&url).await.expect("sqlite"));
    env(store, url, Box::new(dir)).await
}

async fn redis() -> Env {
    let server = RedisServer::start().expect("redis-server starts");
    let url = server.url();
    let store = AnyStore::Redis(RedisStore::connect(&url).await.expect("redis"));
    env(store, url, Box::new(server)).await
}

async fn env(store: AnyStore, url: String, keep: Box<dyn std::any::Any>) -> Env {
    let store = Arc::new(store);
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some("bootstrap-token-0123456789".into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config));
    let mut sol = sample_account("S-01");
    sol.creditor = SOL.into();
    sol.debtor_name = "Verónica López".into();
    let mut luna = sample_account("L-01");
    luna.creditor = LUNA.into();
    store.put_accounts(&[sol, luna]).await.expect("accounts");

    let now = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .expect("truncate");
    let t0 = now - Duration::days(3);
    let first = sample_contact("cobranza", "S-01", "recordatorio", ChannelKind::Sms, t0);
    let later = sample_contact(
        "cobranza",
        "S-01",
        "aviso",
        ChannelKind::Email,
        now + Duration::days(2),
    );
    store
        .add_contacts(std::slice::from_ref(&first))
        .await
        .expect("contact");
    let mut deferred = LedgerEntry::for_contact(&first, LedgerState::Deferred, t0);
    deferred.rules = vec![RULE.into()];
    deferred.code = Some("outside_hours".into());
    deferred.detail = Some(WHY.into());
    deferred.timezones = vec!["America/Mexico_City".into()];
    let sent_at = t0 + Duration::hours(13);
    let mut allowed = LedgerEntry::for_contact(&first, LedgerState::Allowed, sent_at);
    allowed.rules = vec![RULE.into()];
    let mut sent = LedgerEntry::for_contact(&first, LedgerState::Sent, sent_at);
    sent.provider = Some("twilio".into());
    sent.provider_id = Some("SM0001".into());
    sent.attempt = 1;
    let mut delivered = sent.clone();
    delivered.state = LedgerState::Delivered;
    delivered.at = sent_at + Duration::minutes(2);
    let reply = LedgerEntry {
        contact_id: "inbound/SM0002".into(),
        campaign: String::new(),
        account: "S-01".into(),
        step: "inbound".into(),
        channel: ChannelKind::Sms,
        state: LedgerState::Inbound,
        at: sent_at + Duration::minutes(30),
        timezones: Vec::new(),
        rules: Vec::new(),
        code: Some("message".into()),
        detail: Some(REPLY.into()),
        provider: Some("twilio".into()),
        provider_id: Some("SM0002".into()),
        attempt: 0,
    };
    store
        .append_ledger(&[deferred, allowed, sent, delivered, reply])
        .await
        .expect("ledger");

    let limits = BookLimits::default();
    record_action(
        store.as_ref(),
        "S-01",
        &BookAction::Payment {
            amount: Decimal::new(50_000, 2),
            at: sent_at + Duration::hours(1),
            reference: "pay-1".into(),
        },
        EventSource::Portal,
        now,
        &limits,
    )
    .await
    .expect("payment");
    record_action(
        store.as_ref(),
        "S-01",
        &BookAction::Promise {
            date: (now + Duration::days(5)).date_naive(),
            amount: Decimal::new(30_000, 2),
        },
        EventSource::Api,
        now,
        &limits,
    )
    .await
    .expect("promise");
    // Planned after the promise (which cancelled the first contact), so
    // it is still to go.
    store.add_contacts(&[later]).await.expect("contact");
    Env {
        store,
        app,
        url,
        _keep: keep,
        t0,
    }
}

/// A user with an API token and a console session; returns both.
async fn user(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> (String, String) {
    let mut user = User::new(email, role, creditor, "a long password", Utc::now()).expect("user");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("put user");
    let id = new_secret("");
    let session = Session {
        id_hash: secret_hash(&id),
        email: email.into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::hours(1),
    };
    env.store.put_session(&session).await.expect("session");
    (token, format!("{SESSION_COOKIE}={id}"))
}

async fn api(env: &Env, path: &str, token: &str) -> (StatusCode, serde_json::Value) {
    let req = Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

async fn page(env: &Env, path: &str, cookie: &str) -> (StatusCode, String) {
    let req = Request::get(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .expect("request");
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn strings(entries: &[serde_json::Value], key: &str) -> Vec<String> {
    entries
        .iter()
        .map(|e| e[key].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn the_gestiones_come_in_order_on_sqlite() {
    gestiones_in_order(sqlite().await).await;
}

#[tokio::test]
async fn the_gestiones_come_in_order_on_redis() {
    gestiones_in_order(redis().await).await;
}

/// The timeline's order, actors, rules and money; its tenancy; and the
/// export's agreement.
async fn gestiones_in_order(env: Env) {
    let (sol, _) = user(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let (luna, _) = user(&env, "eva@luna.co", Role::Creditor, Some(LUNA)).await;
    let (collector, _) = user(&env, "col@cobro.mx", Role::Collector, None).await;

    let (status, json) = api(&env, "/api/accounts/S-01/gestiones", &sol).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["account"], "S-01");
    let entries = json["entries"].as_array().expect("entries").clone();
    assert_eq!(
        strings(&entries, "kind"),
        [
            "planned",
            "decision",
            "decision",
            "sent",
            "delivered",
            "inbound",
            "payment",
            "promise",
            "cancelled",
            "planned"
        ],
        "{json:#}"
    );
    assert_eq!(
        strings(&entries, "actor"),
        [
            "cobro", "cobro", "cobro", "cobro", "twilio", "debtor", "portal", "api", "cobro",
            "cobro"
        ]
    );
    assert_eq!(
        strings(&entries, "state"),
        [
            "cancelled",
            "deferred",
            "allowed",
            "sent",
            "delivered",
            "inbound",
            "payment",
            "promise",
            "cancelled",
            "pending"
        ]
    );
    let ats: Vec<DateTime<Utc>> = strings(&entries, "at")
        .iter()
        .map(|s| s.parse().expect("instant"))
        .collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    assert_eq!(ats[0], env.t0);

    let deferral = &entries[1];
    assert_eq!(deferral["rules"], serde_json::json!([RULE]));
    assert_eq!(deferral["code"], "outside_hours");
    assert_eq!(deferral["detail"], WHY);
    assert_eq!(deferral["channel"], "sms");
    assert_eq!(deferral["step"], "recordatorio");
    assert_eq!(
        deferral["timezones"],
        serde_json::json!(["America/Mexico_City"])
    );
    assert_eq!(entries[3]["provider_id"], "SM0001");
    assert_eq!(entries[4]["provider"], "twilio");
    assert_eq!(entries[5]["detail"], REPLY);
    assert_eq!(entries[5]["code"], "message");
    let payment = &entries[6];
    assert_eq!(payment["amount"], "500.00");
    assert_eq!(payment["currency"], "MXN");
    assert_eq!(payment["reference"], "pay-1");
    assert!(payment.get("channel").is_none(), "{payment}");
    let promise = &entries[7];
    assert_eq!(promise["amount"], "300.00");
    assert!(promise["promised_for"].is_string(), "{promise}");
    assert_eq!(entries[8]["code"], "promise_to_pay");
    assert!(
        entries[0].get("due_at").is_none(),
        "a cancelled contact is not due"
    );
    let upcoming = &entries[9];
    assert_eq!(upcoming["channel"], "email");
    assert!(
        upcoming["due_at"].is_string(),
        "a pending contact's due time"
    );

    // Everyone who sees the account reads it; another creditor gets the
    // unknown id's answer.
    let (status, _) = api(&env, "/api/accounts/S-01/gestiones", &collector).await;
    assert_eq!(status, StatusCode::OK);
    let (status, hidden) = api(&env, "/api/accounts/S-01/gestiones", &luna).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(hidden["error"], "no account 'S-01'");
    let (status, unknown) = api(&env, "/api/accounts/S-99/gestiones", &luna).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(unknown["error"], "no account 'S-99'");
    let (status, _) = api(
        &env,
        "/api/accounts/S-01/gestiones?creditor=Banco%20del%20Sol",
        &luna,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the query changes nothing");
    let (status, _) = api(&env, "/api/accounts/S-01/gestiones", "wrong-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The export lists the same gestiones (the timeline less the planned
    // contacts), in the same order, with the same states and instants.
    let out = Command::new(env!("CARGO_BIN_EXE_cobro"))
        .args([
            "export",
            "gestiones",
            "--account",
            "S-01",
            "--store",
            &env.url,
        ])
        .output()
        .expect("cobro export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut csv = csv::Reader::from_reader(out.stdout.as_slice());
    let exported: Vec<(String, String, String)> = csv
        .records()
        .map(|r| {
            let r = r.expect("csv row");
            (r[5].to_string(), r[6].to_string(), r[15].to_string())
        })
        .collect();
    let timeline: Vec<(String, String, String)> = entries
        .iter()
        .filter(|e| e["kind"] != "planned")
        .map(|e| {
            let at: DateTime<Utc> = e["at"].as_str().expect("at").parse().expect("instant");
            let source = if e["channel"].is_null() {
                e["actor"].as_str().unwrap_or("").to_string()
            } else {
                String::new()
            };
            (
                e["state"].as_str().unwrap_or("").to_string(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                source,
            )
        })
        .collect();
    assert_eq!(exported, timeline);

    // A payment through the API names the user who recorded it.
    let req = Request::post("/api/accounts/S-01/payments")
        .header("authorization", format!("Bearer {sol}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"amount":"100.00","reference":"pay-2"}"#))
        .expect("request");
    let resp = env.app.clone().oneshot(req).await.expect("call");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, json) = api(&env, "/api/accounts/S-01/gestiones", &sol).await;
    let entries = json["entries"].as_array().expect("entries");
    let paid = entries
        .iter()
        .find(|e| e["reference"] == "pay-2")
        .unwrap_or_else(|| panic!("pay-2 in {json:#}"));
    assert_eq!(paid["actor"], "ana@bancodelsol.mx");
    assert_eq!(paid["source"], "api");
    assert_eq!(paid["amount"], "100.00");
}

#[tokio::test]
async fn the_page_shows_the_expediente_newest_first_in_both_languages() {
    let env = sqlite().await;
    let (_, sol) = user(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let (_, luna) = user(&env, "eva@luna.co", Role::Creditor, Some(LUNA)).await;
    let (_, ops) = user(&env, "ops@cobro.mx", Role::Operations, None).await;
    let (_, collector) = user(&env, "col@cobro.mx", Role::Collector, None).await;
    // A preference recorded by a signed-in user: the page names them.
    record_action_by(
        env.store.as_ref(),
        "S-01",
        &BookAction::Preferences {
            optout: None,
            prefer: Some(ChannelKind::Email),
            avoid: None,
        },
        EventSource::Api,
        Some("ops@cobro.mx"),
        env.t0 + Duration::days(3),
        &BookLimits::default(),
    )
    .await
    .expect("preferences");

    let (status, html) = page(&env, "/console/accounts/S-01", &sol).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("lang=\"es\""));
    for text in [
        "Verónica López",
        SOL,
        "Promesa de pago",
        "Gestiones",
        "Fuera del horario permitido",
        "<code>outside_hours</code>",
        RULE,
        // Auto-escaped: the zone's slash is written &#x2f;.
        "is outside 07:00-22:00",
        "Cancelado",
        "Promesa de pago",
        "Decisión de cumplimiento",
        "Aplazado",
        "Entregado",
        "twilio SM0001",
        "Deudor (portal)",
        "Respuesta",
        "Mensaje del deudor",
        REPLY,
        ">Deudor<",
        "Preferencias",
        "ops@cobro.mx (API)",
        "pay-1",
        "500,00 MXN",
        "734,56 MXN",
        "recordatorio · cobranza",
    ] {
        assert!(html.contains(text), "{text} missing from {html}");
    }
    assert!(!html.contains("<script") && !html.contains("https://"));
    // Only staff are offered the guard's explanation of the account.
    assert!(
        !html.contains("id=\"explain\""),
        "a creditor has no rules page"
    );
    let (_, staff_html) = page(&env, "/console/accounts/S-01", &ops).await;
    assert!(
        staff_html.contains("href=\"/console/rules/explain?account=S-01\""),
        "{staff_html}"
    );
    // Newest first: the upcoming contact, then the promise and the
    // cancellation it caused (today, the cancellation last), then
    // the payment and the day of the first contact, latest entry first.
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing from {html}"))
    };
    let order = [
        "data-kind=\"planned\"",
        "data-kind=\"cancelled\"",
        "data-kind=\"promise\"",
        "data-kind=\"payment\"",
        "data-kind=\"inbound\"",
        "data-kind=\"delivered\"",
        "data-kind=\"sent\"",
        "data-kind=\"decision\"",
    ];
    assert!(
        order.windows(2).all(|w| at(w[0]) < at(w[1])),
        "newest first: {html}"
    );
    assert_eq!(html.matches("data-kind=").count(), 11);
    let t0 = env.t0;
    let mut dates: Vec<_> = [
        t0,
        t0 + Duration::hours(13),
        t0 + Duration::minutes(13 * 60 + 2),
        t0 + Duration::minutes(13 * 60 + 30),
        t0 + Duration::hours(14),
        t0 + Duration::days(3),
        t0 + Duration::days(5),
    ]
    .iter()
    .map(|at| at.date_naive())
    .collect();
    dates.dedup();
    assert_eq!(html.matches("class=\"day\"").count(), dates.len(), "{html}");

    let (status, html) = page(&env, "/console/accounts/S-01?lang=en", &ops).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "lang=\"en\"",
        "Outside the allowed hours",
        "Compliance decision",
        "Deferred",
        "Debtor (portal)",
        "500.00 MXN",
        "Activity",
    ] {
        assert!(html.contains(text), "{text} missing from {html}");
    }

    // Another creditor's account is the unknown id's 404, byte for byte.
    let (status, hidden) = page(&env, "/console/accounts/S-01", &luna).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, unknown) = page(&env, "/console/accounts/NO-SUCH", &luna).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(hidden, unknown);
    assert!(!hidden.contains("Verónica"));
    let (status, _) = page(&env, "/console/accounts/L-01", &luna).await;
    assert_eq!(status, StatusCode::OK);
    let (status, tampered) = page(
        &env,
        "/console/accounts/S-01?creditor=Banco%20del%20Sol",
        &luna,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(tampered, unknown);

    // A collector has no console pages of accounts; nobody signed in is
    // sent to the login page.
    let (status, _) = page(&env, "/console/accounts/S-01", &collector).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = page(&env, "/console/accounts/S-01", "other=1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}
