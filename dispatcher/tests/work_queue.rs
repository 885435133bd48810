//! The collectors' work queue end to end on the engine: real campaign
//! files launched into a store (a private Redis shared by two collectors'
//! "processes", or SQLite), tasks handed out and recorded at chosen
//! virtual instants, so a window that closes in seconds is tested without
//! waiting for it.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use cobro_campaigns::{ChannelKind, ContactFlag};
use cobro_dispatcher::cli::common::{load_campaign, work_desk};
use cobro_dispatcher::engine::ProcessOutcome;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::{ContactState, LedgerFilter, LedgerState};
use cobro_dispatcher::work_queue::{OutcomeForm, WorkError, next_task, record_outcome, work_stats};
use cobro_testkit::RedisServer;

mod work_common;
use work_common::{debtor_row, launched, write_campaign};

/// 2026-12-10 (a Thursday) at `h:m:s` in Bogotá (UTC−5).
fn bogota(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, h, m, s)
        .single()
        .expect("instant")
        + chrono::Duration::hours(5)
}

const CALL_AT_1930: &str = "[[steps]]\nid = \"llamada\"\nday = 0\nchannel = \"agent_call\"\ntemplate = \"llamada\"\nsend_at = \"19:30\"\nteam = \"norte\"\n\n[[steps]]\nid = \"sms\"\nday = 1\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"10:00\"\n";

fn teams() -> Vec<String> {
    vec!["norte".to_string()]
}

fn form(outcome: &str) -> OutcomeForm {
    OutcomeForm {
        outcome: outcome.into(),
        ..OutcomeForm::default()
    }
}

async fn codes_of(store: &AnyStore, contact: &str) -> Vec<String> {
    store
        .ledger(&LedgerFilter {
            contact_id: Some(contact.to_string()),
            ..Default::default()
        })
        .await
        .expect("ledger")
        .into_iter()
        .filter_map(|r| r.code)
        .collect()
}

/// Two collectors, each with its own connection to one Redis (as two
/// browser sessions served by two `cobro serve` processes): each gets a
/// different task while the window is open, none once it closed, and the
/// countdown names the close to the minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_on_one_redis_get_nothing_after_the_window_closes() {
    let server = RedisServer::start().expect("redis-server");
    let dir = tempfile::tempdir().expect("dir");
    let rows = [
        debtor_row("CO-1", "9001", "+573001110001"),
        debtor_row("CO-2", "9002", "+573001110002"),
        debtor_row("CO-3", "9003", "+573001110003"),
    ];
    let campaign = write_campaign(
        dir.path(),
        "default = [\"closing.toml\"]",
        CALL_AT_1930,
        &rows,
    );
    let one = Arc::new(AnyStore::connect(&server.url()).await.expect("redis a"));
    let two = Arc::new(AnyStore::connect(&server.url()).await.expect("redis b"));
    let desk_a = launched(one.clone(), &campaign).await;
    let loaded = load_campaign(&campaign).expect("campaign");
    let desk_b = work_desk(two.clone(), &[loaded], "https://cobro.example").expect("desk b");

    // Before the step is due: nothing, and the feeder never sees the calls.
    let early = bogota(10, 19, 0, 0);
    assert!(
        next_task(&desk_a, one.as_ref(), "ana@cobro.mx", &teams(), early)
            .await
            .expect("next")
            .is_none()
    );
    assert!(
        one.claim_due(bogota(10, 23, 0, 0), 100)
            .await
            .expect("claim")
            .is_empty(),
        "the workers' claim never takes a collector's task"
    );

    // Ten seconds before 20:00: each collector gets its own task.
    let before = bogota(10, 19, 59, 50);
    let a = next_task(&desk_a, one.as_ref(), "ana@cobro.mx", &teams(), before)
        .await
        .expect("next a")
        .expect("a task for ana");
    let b = next_task(&desk_b, two.as_ref(), "beto@cobro.mx", &teams(), before)
        .await
        .expect("next b")
        .expect("a task for beto");
    assert_ne!(a.task, b.task, "one task, one collector");
    assert_eq!(a.account, "CO-1", "earliest first, ties by id");
    assert_eq!(a.phone, "+573001110001");
    assert_eq!(a.window_closes_at, Some(bogota(10, 20, 0, 0)));
    let script = a.script.as_deref().expect("a call script");
    assert!(
        script.contains("Deudor CO-1") && script.contains("Cobranzas Andinas"),
        "{script}"
    );
    assert_eq!(
        one.contact(&a.task)
            .await
            .expect("contact")
            .map(|r| r.state),
        Some(ContactState::Sending)
    );
    // Asking again returns the task it holds.
    let again = next_task(&desk_a, one.as_ref(), "ana@cobro.mx", &teams(), before)
        .await
        .expect("again")
        .expect("same task");
    assert_eq!(again.task, a.task);

    // Five seconds after the close: nothing for anyone; the third call
    // waits for tomorrow's window.
    let after = bogota(10, 20, 0, 5);
    record_outcome(
        &desk_a,
        one.as_ref(),
        "ana@cobro.mx",
        &a.task,
        &form("no_answer"),
        after,
    )
    .await
    .map(|done| assert!(done.late, "recorded after 20:00: flagged"))
    .expect("outcome");
    for (desk, store, who) in [
        (&desk_a, &one, "ana@cobro.mx"),
        (&desk_b, &two, "carla@cobro.mx"),
    ] {
        assert!(
            next_task(desk, store.as_ref(), who, &teams(), after)
                .await
                .expect("next")
                .is_none(),
            "no task after the window closed"
        );
    }
    let third = one
        .contact("cola-dic/CO-3/llamada")
        .await
        .expect("contact")
        .expect("planned");
    assert_eq!(third.state, ContactState::Pending);
    assert_eq!(third.due_at, bogota(11, 8, 0, 0), "deferred to 08:00");
    assert!(
        codes_of(&one, &third.contact.id)
            .await
            .contains(&"outside_hours".to_string())
    );
    assert_eq!(one.work_depth("norte", after).await.expect("depth"), 0);
    // The late outcome is kept and counted for compliance review.
    let codes = codes_of(&one, &a.task).await;
    assert!(codes.contains(&"call_no_answer".to_string()), "{codes:?}");
    assert!(codes.contains(&"late_outcome".to_string()), "{codes:?}");
    let stats = work_stats(one.as_ref(), &teams(), &Default::default(), after)
        .await
        .expect("stats");
    assert_eq!(stats.late, 1);
    let ana = stats
        .collectors
        .iter()
        .find(|c| c.collector == "ana@cobro.mx")
        .expect("ana's row");
    assert_eq!((ana.tasks_done, ana.right_party, ana.late), (1, 0, 1));
    assert_eq!(ana.avg_handling_seconds, 15);
}

/// A lease that ends without an outcome returns the task: the next
/// collector gets it, and the first can no longer record on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_returns_the_task_to_the_next_collector() {
    let server = RedisServer::start().expect("redis-server");
    let dir = tempfile::tempdir().expect("dir");
    let rows = [debtor_row("CO-1", "9001", "+573001110001")];
    let campaign = write_campaign(
        dir.path(),
        "default = [\"closing.toml\"]",
        CALL_AT_1930,
        &rows,
    );
    let store = Arc::new(AnyStore::connect(&server.url()).await.expect("redis"));
    let desk = launched(store.clone(), &campaign)
        .await
        .with_lease(chrono::Duration::seconds(60));
    let t0 = bogota(10, 19, 30, 0);
    let a = next_task(&desk, store.as_ref(), "ana@cobro.mx", &teams(), t0)
        .await
        .expect("next")
        .expect("task");
    let later = t0 + chrono::Duration::seconds(61);
    let b = next_task(&desk, store.as_ref(), "beto@cobro.mx", &teams(), later)
        .await
        .expect("next")
        .expect("the returned task");
    assert_eq!(b.task, a.task);
    let late = record_outcome(
        &desk,
        store.as_ref(),
        "ana@cobro.mx",
        &a.task,
        &form("no_answer"),
        later,
    )
    .await;
    assert!(matches!(late, Err(WorkError::NotYours(_))), "{late:?}");
    assert!(
        codes_of(&store, &a.task)
            .await
            .contains(&"lease_expired".to_string())
    );
    let done = record_outcome(
        &desk,
        store.as_ref(),
        "beto@cobro.mx",
        &b.task,
        &OutcomeForm {
            outcome: "plan".into(),
            instalments: Some(3),
            first_date: Some("2026-12-20".into()),
            ..OutcomeForm::default()
        },
        later + chrono::Duration::seconds(30),
    )
    .await
    .expect("beto records");
    assert!(!done.late);
    assert_eq!(done.state, "delivered");
    // A plan of three instalments is one promise of their sum.
    let (book, _) = store.book("CO-1").await.expect("book");
    assert_eq!(book.promises.len(), 3);
    let total: rust_decimal::Decimal = book.promises.iter().map(|p| p.amount).sum();
    let stats = work_stats(store.as_ref(), &teams(), &Default::default(), later)
        .await
        .expect("stats");
    let beto = stats
        .collectors
        .iter()
        .find(|c| c.collector == "beto@cobro.mx")
        .expect("beto");
    assert_eq!(beto.promises, 1);
    assert_eq!(beto.promised.get("COP"), Some(&total));
}

/// A wrong number is never called or texted again; a promise pauses the
/// account's automated steps (the debtor's page's hold).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_number_stops_the_number_and_a_promise_pauses_the_account() {
    let dir = tempfile::tempdir().expect("dir");
    let rows = [
        debtor_row("CO-1", "9001", "+573001110001"),
        debtor_row("CO-2", "9002", "+573001110002"),
    ];
    let campaign = write_campaign(
        dir.path(),
        "default = [\"closing.toml\"]",
        CALL_AT_1930,
        &rows,
    );
    let url = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.expect("sqlite"));
    let desk = launched(store.clone(), &campaign).await;
    let t0 = bogota(10, 19, 30, 0);
    let wrong = next_task(&desk, store.as_ref(), "ana@cobro.mx", &teams(), t0)
        .await
        .expect("next")
        .expect("task");
    let promised = next_task(&desk, store.as_ref(), "beto@cobro.mx", &teams(), t0)
        .await
        .expect("next")
        .expect("task");
    assert_eq!(
        (wrong.account.as_str(), promised.account.as_str()),
        ("CO-1", "CO-2")
    );
    let t1 = t0 + chrono::Duration::minutes(4);
    record_outcome(
        &desk,
        store.as_ref(),
        "ana@cobro.mx",
        &wrong.task,
        &form("wrong_number"),
        t1,
    )
    .await
    .expect("wrong number");
    let refused = record_outcome(
        &desk,
        store.as_ref(),
        "beto@cobro.mx",
        &promised.task,
        &OutcomeForm {
            outcome: "promise".into(),
            amount: Some("-5".into()),
            date: Some("2026-12-20".into()),
            ..OutcomeForm::default()
        },
        t1,
    )
    .await;
    assert!(
        matches!(refused, Err(WorkError::BadOutcome(_))),
        "{refused:?}"
    );
    record_outcome(
        &desk,
        store.as_ref(),
        "beto@cobro.mx",
        &promised.task,
        &OutcomeForm {
            outcome: "promise".into(),
            amount: Some("500000".into()),
            date: Some("2026-12-20".into()),
            ..OutcomeForm::default()
        },
        t1,
    )
    .await
    .expect("promise");

    // The wrong number: flagged reassigned and on the list for every channel.
    let (account, _) = store.account("CO-1").await.expect("read").expect("account");
    assert!(
        account.contact_points[0]
            .flags
            .contains(&ContactFlag::Reassigned)
    );
    assert!(
        store
            .is_suppressed(ChannelKind::Sms, "+573001110001")
            .await
            .expect("check")
    );
    // The promise: in the book, made by the collector on a call.
    let (book, _) = store.book("CO-2").await.expect("book");
    assert_eq!(book.promises.len(), 1);
    assert_eq!(
        book.events.last().and_then(|e| e.by.as_deref()),
        Some("beto@cobro.mx")
    );

    // Next morning's SMS: blocked for CO-1, held for CO-2.
    let morning = bogota(11, 10, 0, 0);
    let dispatcher = desk.dispatcher("cola-dic").expect("dispatcher");
    let claimed = store.claim_due(morning, 10).await.expect("claim");
    assert_eq!(claimed.len(), 2, "the two SMS steps");
    for record in claimed {
        let account = record.contact.account.clone();
        let outcome = dispatcher.process(record, morning).await.expect("process");
        match account.as_str() {
            "CO-1" => assert_eq!(outcome, ProcessOutcome::Blocked),
            _ => assert!(
                matches!(outcome, ProcessOutcome::Rescheduled(_)),
                "{outcome:?}"
            ),
        }
    }
    assert!(
        codes_of(&store, "cola-dic/CO-2/sms")
            .await
            .contains(&"promise_hold".to_string())
    );
    let stats = work_stats(store.as_ref(), &teams(), &Default::default(), morning)
        .await
        .expect("stats");
    let beto = stats
        .collectors
        .iter()
        .find(|c| c.collector == "beto@cobro.mx")
        .expect("beto");
    assert_eq!((beto.promises, beto.right_party), (1, 1));
    assert_eq!(
        beto.promised.get("COP").map(ToString::to_string).as_deref(),
        Some("500000")
    );
    assert_eq!(beto.contact_rate, 100.0);
}

/// Ley 2300: once a day in all. A collector's call takes the day's slot,
/// so the same account's SMS that afternoon is deferred for the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_call_counts_in_ley_2300s_daily_cap() {
    let server = RedisServer::start().expect("redis-server");
    let dir = tempfile::tempdir().expect("dir");
    let rows = [debtor_row("CO-1", "9001", "+573001110001")];
    let steps = "[[steps]]\nid = \"llamada\"\nday = 0\nchannel = \"agent_call\"\ntemplate = \"llamada\"\nsend_at = \"09:00\"\nteam = \"norte\"\n\n[[steps]]\nid = \"sms\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"11:00\"\n";
    let campaign = write_campaign(
        dir.path(),
        "countries = { CO = [\"co-ley2300\"] }\ndefault = [\"co-ley2300\"]",
        steps,
        &rows,
    );
    let store = Arc::new(AnyStore::connect(&server.url()).await.expect("redis"));
    let desk = launched(store.clone(), &campaign).await;
    let call = next_task(
        &desk,
        store.as_ref(),
        "ana@cobro.mx",
        &teams(),
        bogota(10, 9, 5, 0),
    )
    .await
    .expect("next")
    .expect("the call is allowed at 09:05");
    record_outcome(
        &desk,
        store.as_ref(),
        "ana@cobro.mx",
        &call.task,
        &form("no_answer"),
        bogota(10, 9, 9, 0),
    )
    .await
    .expect("outcome");
    let eleven = bogota(10, 11, 0, 0);
    let sms = store.claim_due(eleven, 10).await.expect("claim");
    assert_eq!(sms.len(), 1);
    let dispatcher = desk.dispatcher("cola-dic").expect("dispatcher");
    let outcome = dispatcher
        .process(sms.into_iter().next().expect("sms"), eleven)
        .await
        .expect("process");
    assert!(
        matches!(outcome, ProcessOutcome::Rescheduled(_)),
        "{outcome:?}"
    );
    let rows = store
        .ledger(&LedgerFilter {
            contact_id: Some("cola-dic/CO-1/sms".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let deferred = rows
        .iter()
        .find(|r| r.state == LedgerState::Deferred)
        .expect("a deferral");
    assert_eq!(deferred.code.as_deref(), Some("frequency_cap"));
    assert!(deferred.rules.contains(&"co-ley2300".to_string()));
}
