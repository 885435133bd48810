//! One-click unsubscribe (`/u/{token}`) through the Router.

mod http_common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cobro_campaigns::ChannelKind;
use cobro_dispatcher::http::link_profile;
use cobro_dispatcher::store::{ContactState, prelude::*};
use http_common::*;

fn token(account: &str, secret: &[u8]) -> String {
    let profile = link_profile(PUBLIC_URL, secret.to_vec());
    let (_, path) = profile
        .unsubscribe_url(&account_for(account), ChannelKind::Email, EMAIL)
        .split_once("/u/")
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .expect("url has /u/");
    path
}

fn account_for(id: &str) -> cobro_campaigns::Account {
    account(id, "es-MX")
}

fn one_click(token: &str, body: &str) -> Request<Body> {
    Request::post(format!("/u/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn get_shows_a_page_in_the_debtors_language_and_changes_nothing() {
    let env = setup().await;
    seed(&env, "SM1").await;
    env.store
        .put_accounts(&[account("B2", "en-US")])
        .await
        .unwrap();
    let (status, body) = call(
        &env,
        Request::get(format!("/u/{}", token("A1", LINK_SECRET)))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("lang=\"es\"") && body.contains("Confirmar baja"),
        "{body}"
    );
    assert!(!body.contains(EMAIL), "the page masks the address");
    assert!(body.contains("List-Unsubscribe") && body.contains("One-Click"));
    let (status, body) = call(
        &env,
        Request::get(format!("/u/{}", token("B2", LINK_SECRET)))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("lang=\"en\"") && body.contains("Unsubscribe"),
        "{body}"
    );
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Email, EMAIL)
            .await
            .unwrap(),
        "GET changes nothing"
    );
    assert_eq!(state_of(&env, "c1/A1/s3").await, ContactState::Pending);
}

#[tokio::test]
async fn one_click_post_unsubscribes_the_email_only() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let t = token("A1", LINK_SECRET);
    let (status, body) = call(&env, one_click(&t, "List-Unsubscribe=One-Click")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("id=\"done\""));
    assert!(
        env.store
            .is_suppressed(ChannelKind::Email, EMAIL)
            .await
            .unwrap()
    );
    assert_eq!(state_of(&env, "c1/A1/s3").await, ContactState::Cancelled);
    assert_eq!(
        state_of(&env, "c1/A1/s2").await,
        ContactState::Pending,
        "SMS goes on"
    );
    let rows = ledger_len(&env).await;
    let (status, _) = call(&env, one_click(&t, "List-Unsubscribe=One-Click")).await;
    assert_eq!(status, StatusCode::OK, "idempotent");
    assert_eq!(ledger_len(&env).await, rows);
}

#[tokio::test]
async fn forged_or_foreign_tokens_change_nothing() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let good = token("A1", LINK_SECRET);
    let (payload, signature) = good.split_once('.').unwrap();
    let mut flipped = payload.to_string();
    let first = if flipped.starts_with('e') { "f" } else { "e" };
    flipped.replace_range(0..1, first);
    let forged = [
        format!("{flipped}.{signature}"),
        format!("{payload}.AAAA{}", &signature[4..]),
        token("A1", b"another secret"),
        "garbage".to_string(),
        format!("{payload}."),
    ];
    for t in &forged {
        let (status, _) = call(&env, one_click(t, "List-Unsubscribe=One-Click")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{t}");
        let (status, _) = call(
            &env,
            Request::get(format!("/u/{t}")).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{t}");
    }
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Email, EMAIL)
            .await
            .unwrap()
    );
    assert_eq!(state_of(&env, "c1/A1/s3").await, ContactState::Pending);
}

#[tokio::test]
async fn a_post_with_another_body_is_refused() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let (status, _) = call(
        &env,
        one_click(&token("A1", LINK_SECRET), "List-Unsubscribe=Maybe"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Email, EMAIL)
            .await
            .unwrap()
    );
}
