//! One-off: writes `dispatcher/tests/fixtures/redis_v1/` (a Redis store of
//! the first key layout, dumped key by key, and what the store's API
//! answered about it) for `store_redis_migrate.rs`. It only means
//! something against the code of the first layout; it is removed in the
//! commit after the one that adds it.

use std::collections::BTreeMap;
use std::io::Write as _;

use cobro_campaigns::{
    AccountStatus, AddressKind, ChannelKind, ContactPoint, ContactRole, Provenance,
};
use cobro_dispatcher::store::conformance::{at, sample_account, sample_contact};
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::{
    ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation, Suppression, Transition,
    TransitionItem, prelude::*,
};
use cobro_testkit::RedisServer;
use serde_json::{Value, json};

fn point(kind: AddressKind, address: &str) -> ContactPoint {
    ContactPoint {
        kind,
        address: address.into(),
        role: ContactRole::Debtor,
        provenance: Provenance::CreditorFile,
        consent: Default::default(),
        flags: Default::default(),
    }
}

async fn dump(url: &str) -> Vec<Value> {
    let client = redis::Client::open(url).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .expect("keys");
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("type");
        let value = match kind.as_str() {
            "string" => {
                let v: String = redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .expect("get");
                json!(v)
            }
            "hash" => {
                let v: BTreeMap<String, String> = redis::cmd("HGETALL")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .expect("hgetall");
                json!(v)
            }
            "list" => {
                let v: Vec<String> = redis::cmd("LRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut conn)
                    .await
                    .expect("lrange");
                json!(v)
            }
            "set" => {
                let mut v: Vec<String> = redis::cmd("SMEMBERS")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .expect("smembers");
                v.sort();
                json!(v)
            }
            "zset" => {
                let v: Vec<(String, f64)> = redis::cmd("ZRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query_async(&mut conn)
                    .await
                    .expect("zrange");
                json!(v)
            }
            other => panic!("type {other} of {key}"),
        };
        out.push(json!({"key": key, "type": kind, "value": value}));
    }
    out
}

#[tokio::test]
async fn capture() {
    let server = RedisServer::start().expect("redis-server");
    let store = RedisStore::connect(&server.url()).await.expect("connect");

    // Accounts: three of one creditor, one with a segment and addresses.
    let mut a1 = sample_account("acc-1");
    a1.segment = Some("tardia".into());
    a1.contact_points = vec![
        point(AddressKind::Email, "ana@example.com"),
        point(AddressKind::Phone, "+5215512345678"),
    ];
    let mut a2 = sample_account("acc-2");
    a2.contact_points = vec![point(AddressKind::Phone, "+5215587654321")];
    let a3 = sample_account("acc-3");
    let mut a4 = sample_account("acc/4");
    a4.country = "CO".into();
    store
        .put_accounts(&[a1.clone(), a2.clone(), a3.clone(), a4.clone()])
        .await
        .expect("accounts");
    store
        .set_campaign_stop_from("camp", AccountStatus::Paid)
        .await
        .expect("stop_from");

    // The plan: two campaigns, email/sms/voice steps, an agent step.
    let mut plan = Vec::new();
    for acc in ["acc-1", "acc-2", "acc-3", "acc/4"] {
        plan.push(sample_contact("camp", acc, "d0-email", ChannelKind::Email, at(0)));
        let mut sms = sample_contact("camp", acc, "d3-sms", ChannelKind::Sms, at(100));
        sms.fallback = Some(ChannelKind::Email);
        plan.push(sms);
        plan.push(sample_contact("camp", acc, "d7-voice", ChannelKind::Voice, at(200)));
    }
    plan.push(sample_contact("camp", "acc-1", "d10-call", ChannelKind::AgentCall, at(50)));
    plan.push(sample_contact("other", "acc-2", "s1", ChannelKind::Sms, at(10)));
    plan.push(sample_contact("paused", "acc-1", "s1", ChannelKind::Email, at(5)));
    assert_eq!(
        store.add_contacts(&plan).await.expect("add"),
        plan.len() as u64
    );
    store
        .set_campaign_paused("paused", true)
        .await
        .expect("pause");

    // Claim what is due at 120 s: d0-email × 4, d3-sms × 4, other/s1
    // (the paused campaign's contact is parked).
    let claimed = store.claim_due(at(120), 100).await.expect("claim");
    assert_eq!(claimed.len(), 9, "{claimed:?}");
    let by_id = |id: &str| {
        plan.iter()
            .find(|c| c.id == id)
            .cloned()
            .expect("planned")
    };
    // acc-1's email: reserved and sent (provider id), then delivered.
    let c = by_id("camp/acc-1/d0-email");
    let reserve = |c: &cobro_campaigns::PlannedContact, version: u64| Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: format!("RFC-{}", c.account),
        channel: c.channel,
        at: at(130),
        history_version: version,
    };
    store.reserve(&reserve(&c, 0)).await.expect("reserve");
    let mut sent = LedgerEntry::for_contact(&c, LedgerState::Sent, at(131));
    sent.provider = Some("smtp".into());
    sent.provider_id = Some("msg-1".into());
    assert!(
        store
            .transition(&c.id, Transition::Finish(ContactState::Sent), &[sent])
            .await
            .expect("sent")
    );
    let delivered = LedgerEntry::for_contact(&c, LedgerState::Delivered, at(140));
    assert!(
        store
            .transition(&c.id, Transition::Finish(ContactState::Delivered), &[delivered])
            .await
            .expect("delivered")
    );
    // acc-2's sms: blocked, its email fallback planned in the same call.
    let c = by_id("camp/acc-2/d3-sms");
    let mut fallback = sample_contact("camp", "acc-2", "d3-sms+email", ChannelKind::Email, at(150));
    fallback.id = "camp/acc-2/d3-sms+email".into();
    let mut blocked = LedgerEntry::for_contact(&c, LedgerState::Blocked, at(150));
    blocked.code = Some("no_consent".into());
    blocked.rules = vec!["mx-profeco".into()];
    blocked.timezones = vec!["America/Mexico_City".into()];
    store
        .plan_and_transitions(
            &[fallback],
            &[TransitionItem {
                id: c.id.clone(),
                to: Transition::Finish(ContactState::Blocked),
                ledger: vec![blocked],
            }],
        )
        .await
        .expect("blocked + fallback");
    // acc-3's email: deferred (rescheduled, attempt 1).
    let c = by_id("camp/acc-3/d0-email");
    let mut deferred = LedgerEntry::for_contact(&c, LedgerState::Deferred, at(150));
    deferred.code = Some("outside_window".into());
    assert!(
        store
            .transition(
                &c.id,
                Transition::Reschedule {
                    due_at: at(3_600),
                    attempt: 1
                },
                &[deferred]
            )
            .await
            .expect("deferred")
    );
    // acc-2's email: reserved, then lost (recovered as unknown).
    let c = by_id("camp/acc-2/d0-email");
    store.reserve(&reserve(&c, 0)).await.expect("reserve");
    // acc/4's email stays queued; recovery sends queued contacts claimed
    // before 125 s back (none: claimed at 120 s is not before 120 s... so
    // use 121 s) and sending ones reserved before 135 s to unknown.
    let (requeued, unknown) = store
        .recover_stale(at(0), at(135))
        .await
        .expect("recover");
    assert_eq!((requeued, unknown), (0, 1));
    // acc-3 pays: camp stops from paid, so its contacts are cancelled.
    assert!(
        store
            .set_account_status("acc-3", AccountStatus::Paid)
            .await
            .expect("status")
    );
    let cancelled = store
        .cancel_account_contacts("acc-3", None, "account_paid", "paid in full", at(160))
        .await
        .expect("cancel");
    assert!(!cancelled.is_empty());
    // History and suppression, untouched by the layout change but part of
    // the store.
    store
        .record_conversation("RFC-acc-1", "acc-1", ChannelKind::Voice, at(170))
        .await
        .expect("conversation");
    store
        .suppress(&Suppression {
            channel: Some(ChannelKind::Sms),
            address: "+5215587654321".into(),
            prefix: false,
            source: "stop".into(),
            at: at(180),
        })
        .await
        .expect("suppress");
    // A free ledger row (no contact state change).
    let mut note = LedgerEntry::for_contact(&by_id("camp/acc/4/d0-email"), LedgerState::Inbound, at(190));
    note.detail = Some("hola".into());
    store.append_ledger(&[note]).await.expect("ledger");

    // What the API answers.
    let mut contacts = BTreeMap::new();
    let mut all_ids: Vec<String> = plan.iter().map(|c| c.id.clone()).collect();
    all_ids.push("camp/acc-2/d3-sms+email".into());
    for id in &all_ids {
        let rec = store.contact(id).await.expect("contact").expect("exists");
        contacts.insert(id.clone(), serde_json::to_value(&rec).expect("json"));
    }
    let mut account_contacts = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for acc in ["acc-1", "acc-2", "acc-3", "acc/4"] {
        let recs = store.account_contacts(acc).await.expect("account contacts");
        account_contacts.insert(acc.to_string(), json!(recs));
        let (account, status) = store.account(acc).await.expect("account").expect("exists");
        accounts.insert(acc.to_string(), json!({"account": account, "status": status.as_str()}));
    }
    let mut counts = BTreeMap::new();
    for campaign in [None, Some("camp"), Some("other"), Some("paused")] {
        let c = store.counts(campaign).await.expect("counts");
        let c: BTreeMap<String, u64> = c.into_iter().map(|(s, n)| (s.to_string(), n)).collect();
        counts.insert(campaign.unwrap_or("*").to_string(), json!(c));
    }
    let ledger = store.ledger(&LedgerFilter::default()).await.expect("ledger");
    let unknown = store.unknown_contacts(None, 100).await.expect("unknown");
    let expected = json!({
        "contacts": contacts,
        "account_contacts": account_contacts,
        "accounts": accounts,
        "counts": counts,
        "ledger": ledger,
        "unknown": unknown,
        "campaigns": store.campaigns().await.expect("campaigns"),
        "paused": store.paused_campaigns().await.expect("paused"),
        "next_due": store.next_due().await.expect("next due"),
        "history": store.history("RFC-acc-1").await.expect("history"),
        "account_count": store.account_count().await.expect("count"),
    });

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis_v1");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut f = std::fs::File::create(dir.join("store.jsonl")).expect("file");
    for line in dump(&server.url()).await {
        writeln!(f, "{line}").expect("write");
    }
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&expected).expect("json"),
    )
    .expect("write expected");
}
