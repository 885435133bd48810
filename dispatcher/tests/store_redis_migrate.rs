//! The Redis store's key layout: a store written by the previous layout
//! (`tests/fixtures/redis_v1/store.jsonl`, dumped key by key from a store
//! the layout-1 code wrote, with what that code's API answered about it in
//! `expected.json`) is refused until `RedisStore::migrate` moves it, and
//! afterwards answers exactly what it answered before and keeps working.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cobro_campaigns::ChannelKind;
use cobro_dispatcher::store::redis::{DEFAULT_PREFIX, LAYOUT, RedisStore};
use cobro_dispatcher::store::{
    ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation, ReserveOutcome, Transition,
    prelude::*,
};
use cobro_dispatcher::testing::load_redis_dump;
use cobro_testkit::RedisServer;
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis_v1")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

async fn conn(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("connection")
}

/// Writes every key of the fixture into `server`.
async fn load_fixture(server: &RedisServer) {
    let text = std::fs::read_to_string(fixture_dir().join("store.jsonl")).expect("store.jsonl");
    load_redis_dump(&server.url(), &text).expect("load the fixture");
}

async fn keys(server: &RedisServer, pattern: &str) -> Vec<String> {
    let mut c = conn(server).await;
    let mut out: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut c)
        .await
        .expect("keys");
    out.sort();
    out
}

/// A migrated fixture: the server and a store connected to it.
async fn migrated() -> (RedisServer, RedisStore) {
    let server = RedisServer::start().expect("redis-server starts");
    load_fixture(&server).await;
    let report = RedisStore::migrate(&server.url(), DEFAULT_PREFIX)
        .await
        .expect("migrate");
    assert_eq!((report.from, report.to), (1, LAYOUT), "{report:?}");
    let store = RedisStore::connect(&server.url())
        .await
        .expect("a migrated store opens");
    (server, store)
}

#[tokio::test]
async fn a_store_of_the_previous_layout_is_refused_with_the_fix() {
    let server = RedisServer::start().expect("redis-server starts");
    load_fixture(&server).await;
    let err = RedisStore::connect(&server.url())
        .await
        .expect_err("layout 1 is refused");
    assert!(err.is_layout(), "{err}");
    assert!(!err.is_transient(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("layout 1")
            && text.contains(&format!("cobro migrate --store {}", server.url())),
        "{text}"
    );
    // Refusing changed nothing: the old contact hashes are all there.
    assert_eq!(keys(&server, "cobro:c:*").await.len(), 16);
    assert!(keys(&server, "cobro:layout").await.is_empty());
}

#[tokio::test]
async fn a_store_of_a_newer_layout_is_refused_and_not_migrated() {
    let server = RedisServer::start().expect("redis-server starts");
    let mut c = conn(&server).await;
    redis::cmd("SET")
        .arg("cobro:layout")
        .arg(LAYOUT + 1)
        .query_async::<()>(&mut c)
        .await
        .expect("stamp");
    let err = RedisStore::connect(&server.url())
        .await
        .expect_err("newer layout refused");
    assert!(
        err.is_layout() && err.to_string().contains("newer cobro"),
        "{err}"
    );
    let err = RedisStore::migrate(&server.url(), DEFAULT_PREFIX)
        .await
        .expect_err("no migration down");
    assert!(err.is_layout(), "{err}");
}

#[tokio::test]
async fn an_empty_store_is_stamped_and_migrate_has_nothing_to_do() {
    let server = RedisServer::start().expect("redis-server starts");
    RedisStore::connect(&server.url()).await.expect("connect");
    assert_eq!(keys(&server, "cobro:layout").await, vec!["cobro:layout"]);
    let report = RedisStore::migrate(&server.url(), DEFAULT_PREFIX)
        .await
        .expect("migrate");
    assert_eq!(
        (report.from, report.to, report.contacts),
        (LAYOUT, LAYOUT, 0)
    );
}

#[tokio::test]
async fn the_migrated_store_answers_what_the_old_one_did() {
    let (server, store) = migrated().await;
    let want = expected();
    assert!(
        keys(&server, "cobro:c:*").await.is_empty(),
        "old hashes gone"
    );
    assert!(
        keys(&server, "cobro:ac:*").await.is_empty(),
        "old sets gone"
    );
    assert_eq!(
        keys(&server, "cobro:k:*").await.len(),
        4,
        "one hash per account"
    );

    for (id, record) in want["contacts"].as_object().expect("contacts") {
        let got = store.contact(id).await.expect("contact").expect("exists");
        assert_eq!(&serde_json::to_value(&got).expect("json"), record, "{id}");
    }
    for (acc, records) in want["account_contacts"].as_object().expect("by account") {
        let got = store.account_contacts(acc).await.expect("account contacts");
        assert_eq!(&serde_json::to_value(&got).expect("json"), records, "{acc}");
        let (account, status) = store.account(acc).await.expect("account").expect("exists");
        assert_eq!(
            serde_json::json!({"account": account, "status": status.as_str()}),
            want["accounts"][acc],
            "{acc}"
        );
    }
    for (campaign, counts) in want["counts"].as_object().expect("counts") {
        let got = store
            .counts((campaign != "*").then_some(campaign.as_str()))
            .await
            .expect("counts");
        let got: BTreeMap<String, u64> = got.into_iter().map(|(s, n)| (s.to_string(), n)).collect();
        assert_eq!(
            &serde_json::to_value(&got).expect("json"),
            counts,
            "{campaign}"
        );
    }
    let ledger = store
        .ledger(&LedgerFilter::default())
        .await
        .expect("ledger");
    assert_eq!(serde_json::to_value(&ledger).expect("json"), want["ledger"]);
    let unknown = store.unknown_contacts(None, 100).await.expect("unknown");
    assert_eq!(
        serde_json::to_value(&unknown).expect("json"),
        want["unknown"]
    );
    assert_eq!(
        serde_json::to_value(store.campaigns().await.expect("campaigns")).expect("json"),
        want["campaigns"]
    );
    assert_eq!(
        serde_json::to_value(store.paused_campaigns().await.expect("paused")).expect("json"),
        want["paused"]
    );
    assert_eq!(
        serde_json::to_value(store.next_due().await.expect("next due")).expect("json"),
        want["next_due"]
    );
    assert_eq!(
        serde_json::to_value(store.history("RFC-acc-1").await.expect("history")).expect("json"),
        want["history"]
    );
    assert_eq!(
        serde_json::to_value(store.account_count().await.expect("count")).expect("json"),
        want["account_count"]
    );

    // Migrating again finds nothing to do.
    let again = RedisStore::migrate(&server.url(), DEFAULT_PREFIX)
        .await
        .expect("migrate again");
    assert_eq!((again.from, again.contacts), (LAYOUT, 0));
}

#[tokio::test]
async fn the_migrated_store_keeps_working() {
    let (_server, store) = migrated().await;
    let at = cobro_dispatcher::store::conformance::at;

    // The contacts pending in the fixture are claimed when due, once.
    let claimed = store.claim_due(at(100_000), 100).await.expect("claim");
    let mut ids: Vec<String> = claimed.iter().map(|r| r.contact.id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "camp/acc-1/d7-voice",
            "camp/acc-2/d3-sms+email",
            "camp/acc-2/d7-voice",
            "camp/acc/4/d7-voice",
        ],
        "pending, due, not cancelled, not paused"
    );
    assert!(
        store
            .claim_due(at(100_000), 100)
            .await
            .expect("claim")
            .is_empty()
    );

    // A contact queued before the migration is reserved and finished with
    // its ledger row.
    let queued = store
        .contact("camp/acc/4/d0-email")
        .await
        .expect("contact")
        .expect("exists");
    assert_eq!(queued.state, ContactState::Queued);
    let (_, version) = store.history("RFC-acc/4").await.expect("history");
    let outcome = store
        .reserve(&Reservation {
            contact_id: queued.contact.id.clone(),
            account: "acc/4".into(),
            debtor_key: "RFC-acc/4".into(),
            channel: ChannelKind::Email,
            at: at(200),
            history_version: version,
        })
        .await
        .expect("reserve");
    assert_eq!(outcome, ReserveOutcome::Reserved);
    let mut sent = LedgerEntry::for_contact(&queued.contact, LedgerState::Sent, at(201));
    sent.provider_id = Some("msg-after".into());
    assert!(
        store
            .transition(
                &queued.contact.id,
                Transition::Finish(ContactState::Sent),
                &[sent]
            )
            .await
            .expect("sent")
    );
    let rows = store
        .ledger(&LedgerFilter {
            provider_id: Some("msg-after".into()),
            ..Default::default()
        })
        .await
        .expect("ledger by provider id");
    assert_eq!(rows.len(), 1);

    // The paused campaign's parked contact comes back on resume.
    assert!(
        store
            .set_campaign_paused("paused", false)
            .await
            .expect("resume")
    );
    let resumed = store.claim_due(at(100_000), 100).await.expect("claim");
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].contact.id, "paused/acc-1/s1");

    // The contact lost in flight (unknown) goes back by review.
    assert!(
        store
            .transition(
                "camp/acc-2/d0-email",
                Transition::Requeue { due_at: at(300) },
                &[]
            )
            .await
            .expect("requeue")
    );
    let again = store.claim_due(at(300), 100).await.expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].contact.id, "camp/acc-2/d0-email");

    // The counters moved with every call: they still add up to the plan.
    let counts = store.counts(None).await.expect("counts");
    let total: u64 = counts.values().sum();
    assert_eq!(total, 16, "{counts:?}");
    assert_eq!(
        counts.get(&ContactState::Queued).copied(),
        Some(9),
        "{counts:?}"
    );
}
