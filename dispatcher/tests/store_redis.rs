//! The store conformance suite against a private redis-server, plus the
//! Redis-only properties (restart, key prefix isolation).

use cobro_campaigns::ChannelKind;
use cobro_dispatcher::store::conformance::{at, sample_contact};
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::{ContactState, prelude::*};
use cobro_testkit::RedisServer;

async fn fresh() -> (RedisServer, RedisStore) {
    let server = RedisServer::start().expect("redis-server starts");
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    (server, store)
}

cobro_dispatcher::store_conformance_tests!(fresh);

#[tokio::test]
async fn run_all_over_prefixes_on_one_server() {
    let server = RedisServer::start().expect("redis-server starts");
    let url = server.url();
    let mut n = 0;
    cobro_dispatcher::store::conformance::run_all(|| {
        n += 1;
        let url = url.clone();
        let prefix = format!("t{n}:");
        async move {
            RedisStore::connect_with_prefix(&url, &prefix)
                .await
                .expect("connect")
        }
    })
    .await;
}

#[tokio::test]
async fn rejects_foreign_urls_and_unreachable_servers() {
    assert!(matches!(
        RedisStore::connect("sqlite://x.db").await,
        Err(cobro_dispatcher::store::StoreError::UnsupportedUrl(_))
    ));
    let server = RedisServer::start().expect("redis-server starts");
    let url = server.url();
    drop(server);
    let err = RedisStore::connect(&url).await.expect_err("nobody listens");
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn survives_a_restart_with_aof() {
    let mut server = RedisServer::start_with_aof().expect("redis-server starts");
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    let c = sample_contact("camp", "a", "s", ChannelKind::Sms, at(0));
    assert_eq!(
        store
            .add_contacts(std::slice::from_ref(&c))
            .await
            .expect("add"),
        1
    );
    server.restart().expect("restart");
    // The connection manager reconnects; the first call after the restart
    // may see the dropped connection, which is a transient error.
    let mut claimed = None;
    for _ in 0..50 {
        match store.claim_due(at(0), 10).await {
            Ok(v) => {
                claimed = Some(v);
                break;
            }
            Err(e) => {
                assert!(e.is_transient(), "{e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    let claimed = claimed.expect("store works again after the restart");
    assert_eq!(claimed.len(), 1, "the plan survived the restart");
    assert_eq!(
        store
            .contact(&c.id)
            .await
            .expect("get")
            .expect("stored")
            .state,
        ContactState::Queued
    );
}
