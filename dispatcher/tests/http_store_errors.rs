//! How the HTTP layer answers store failures: a permanent one (a corrupt
//! record) is a 500, so that a provider does not retry it for hours; only
//! a transient one (the store briefly away) is a 503.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::sample_account;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use sqlx::Connection;
use tower::ServiceExt;

const API_TOKEN: &str = "api-token-0123456789";

#[tokio::test]
async fn a_corrupt_record_answers_500_not_503() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url).await.expect("open store");
    store
        .put_accounts(&[sample_account("A1")])
        .await
        .expect("put");
    // Foreign data under our table: JSON (the creditor index reads it)
    // that is not an account, so it no longer decodes.
    let mut raw = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("second connection");
    sqlx::query("UPDATE accounts SET data = '{\"foreign\": true}' WHERE id = 'A1'")
        .execute(&mut raw)
        .await
        .expect("corrupt the row");
    raw.close().await.expect("close");

    let err = store.account("A1").await.expect_err("corrupt account");
    assert!(!err.is_transient(), "{err}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the decoding error is kept as the source: {err:?}"
    );

    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some(API_TOKEN.into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"link-secret".to_vec()),
    };
    let app = router(AppState::new(Arc::new(AnyStore::Sqlite(store)), config));
    let request = Request::builder()
        .method("GET")
        .uri("/api/accounts/A1/history")
        .header("authorization", format!("Bearer {API_TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let response = app.oneshot(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
