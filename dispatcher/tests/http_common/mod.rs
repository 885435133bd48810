//! Shared set-up of the HTTP handler tests: a real SQLite store in a temp
//! dir, the service's Router with known secrets, and request helpers.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use cobro_campaigns::{
    Account, AddressKind, ChannelKind, ContactPoint, ContactRole, PlannedContact, Provenance,
};
use cobro_dispatcher::http::auth::twilio_signature;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::sample_account;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{
    ContactState, LedgerEntry, LedgerFilter, LedgerState, Transition, prelude::*,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const PUBLIC_URL: &str = "https://cobro.example";
pub const API_TOKEN: &str = "api-token-0123456789";
pub const TWILIO_TOKEN: &str = "twilio-auth-token";
pub const HOOK_SECRET: &str = "hook-secret";
pub const LINK_SECRET: &[u8] = b"link-secret";
pub const PHONE: &str = "+525511112222";
pub const EMAIL: &str = "ana@example.com";

pub struct Env {
    _dir: tempfile::TempDir,
    pub store: Arc<AnyStore>,
    pub app: Router,
}

pub fn config() -> HttpConfig {
    HttpConfig {
        public_url: PUBLIC_URL.into(),
        api_token: Some(API_TOKEN.into()),
        twilio_auth_token: Some(TWILIO_TOKEN.into()),
        webhook_secret: Some(HOOK_SECRET.into()),
        sender: link_profile(PUBLIC_URL, LINK_SECRET.to_vec()),
    }
}

pub async fn setup_with(config: HttpConfig) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("open store"),
    ));
    let app = router(AppState::new(store.clone(), config));
    Env {
        _dir: dir,
        store,
        app,
    }
}

pub async fn setup() -> Env {
    setup_with(config()).await
}

pub fn point(kind: AddressKind, address: &str) -> ContactPoint {
    ContactPoint {
        kind,
        address: address.into(),
        role: ContactRole::Debtor,
        provenance: Provenance::CreditorFile,
        consent: Default::default(),
        flags: Default::default(),
    }
}

/// Account `id` with the shared phone and email, in `language`.
pub fn account(id: &str, language: &str) -> Account {
    let mut a = sample_account(id);
    a.language = language.into();
    a.contact_points = vec![
        point(AddressKind::Phone, PHONE),
        point(AddressKind::Email, EMAIL),
    ];
    a
}

pub fn contact(campaign: &str, account: &str, step: &str, channel: ChannelKind) -> PlannedContact {
    PlannedContact {
        id: PlannedContact::make_id(campaign, account, step),
        campaign: campaign.into(),
        account: account.into(),
        step: step.into(),
        channel,
        template: "t".into(),
        fallback: None,
        due_at: Utc::now() - Duration::hours(1),
        team: None,
    }
}

/// Account A1 (es-MX) with an SMS contact already sent as `provider_id`,
/// plus a pending SMS, a pending email and a pending voice contact later.
pub async fn seed(env: &Env, provider_id: &str) -> PlannedContact {
    env.store
        .put_accounts(&[account("A1", "es-MX")])
        .await
        .expect("put");
    let sent = contact("c1", "A1", "s1", ChannelKind::Sms);
    env.store
        .add_contacts(std::slice::from_ref(&sent))
        .await
        .expect("add");
    let claimed = env.store.claim_due(Utc::now(), 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    let mut row = LedgerEntry::for_contact(&sent, LedgerState::Sent, Utc::now());
    row.provider = Some("twilio".into());
    row.provider_id = Some(provider_id.into());
    row.attempt = 1;
    assert!(
        env.store
            .transition(&sent.id, Transition::Finish(ContactState::Sent), &[row])
            .await
            .expect("sent")
    );
    let mut later = vec![
        contact("c1", "A1", "s2", ChannelKind::Sms),
        contact("c1", "A1", "s3", ChannelKind::Email),
        contact("c1", "A1", "s4", ChannelKind::Voice),
    ];
    for c in &mut later {
        c.due_at = Utc::now() + Duration::days(3);
    }
    env.store.add_contacts(&later).await.expect("add later");
    sent
}

pub async fn state_of(env: &Env, id: &str) -> ContactState {
    env.store
        .contact(id)
        .await
        .expect("contact")
        .expect("exists")
        .state
}

pub async fn ledger_len(env: &Env) -> usize {
    env.store
        .ledger(&LedgerFilter::default())
        .await
        .expect("ledger")
        .len()
}

pub async fn call(env: &Env, request: Request<Body>) -> (StatusCode, String) {
    let response = env
        .app
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

pub fn form(params: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(params).expect("form")
}

/// A Twilio callback signed the way Twilio signs it (URL + sorted params).
pub fn twilio(path: &str, params: &[(&str, &str)]) -> Request<Body> {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature = twilio_signature(TWILIO_TOKEN, &format!("{PUBLIC_URL}{path}"), &owned);
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(Body::from(form(params)))
        .expect("request")
}

pub fn twilio_unsigned(
    path: &str,
    params: &[(&str, &str)],
    signature: Option<&str>,
) -> Request<Body> {
    let mut b = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(s) = signature {
        b = b.header("x-twilio-signature", s);
    }
    b.body(Body::from(form(params))).expect("request")
}

pub fn post_json(path: &str, body: &serde_json::Value, secret: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path).header("content-type", "application/json");
    if let Some(s) = secret {
        b = b.header("x-cobro-webhook-secret", s);
    }
    b.body(Body::from(body.to_string())).expect("request")
}

pub fn api(
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    token: Option<&str>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request")
}
