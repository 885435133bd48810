//! The example campaign on the virtual clock with simulated collectors:
//! its call step's tasks are handed out and closed with an outcome, none
//! is left behind, every call happens inside the debtor's window, and two
//! runs are the same run.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use cobro_campaigns::ChannelKind;
use cobro_compliance::{ContactAttempt, DebtorProfile};
use cobro_dispatcher::cli::common::{
    TransportChoice, channel_set, dispatcher, load_campaign, load_templates,
};
use cobro_dispatcher::engine::Dispatcher;
use cobro_dispatcher::engine::simulation::{SimulationStats, run_virtual_clock_worked};
use cobro_dispatcher::launch::launch;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::{ContactState, LedgerEntry};
use cobro_dispatcher::work_queue::simulated::{DEMO_COLLECTORS, SimulatedCollectors};

const WINDOW_CODES: [&str; 3] = ["outside_hours", "closed_day", "holiday"];

struct Run {
    dispatcher: Arc<Dispatcher<AnyStore>>,
    stats: SimulationStats,
    campaign: String,
}

async fn run_example() -> Run {
    let campaign = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/campaign.toml");
    let loaded = load_campaign(&campaign).expect("example campaign");
    let store = Arc::new(AnyStore::connect("sqlite::memory:").await.expect("store"));
    let templates = load_templates(&loaded.templates_dir).expect("templates");
    launch(store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .expect("launch");
    let channels = channel_set(&TransportChoice::Null).expect("null transport");
    let d = Arc::new(dispatcher(
        store,
        &loaded,
        templates,
        channels,
        "https://cobro.example",
    ));
    let mut collectors = SimulatedCollectors::for_campaign(d.clone(), &loaded, DEMO_COLLECTORS)
        .expect("the example strategy has a call step");
    assert_eq!(collectors.teams, vec!["cobranza".to_string()]);
    let start = Utc.from_utc_datetime(
        &loaded
            .campaign
            .start_date
            .and_hms_opt(0, 0, 0)
            .expect("midnight"),
    );
    let stats = run_virtual_clock_worked(&d, start, Vec::new(), Some(&mut collectors), |_, _| {})
        .await
        .expect("simulation");
    Run {
        dispatcher: d,
        stats,
        campaign: loaded.campaign.id.clone(),
    }
}

async fn ledger(run: &Run) -> Vec<LedgerEntry> {
    let mut rows = Vec::new();
    let mut cursor = 0;
    loop {
        let (page, next) = run
            .dispatcher
            .store
            .campaign_ledger_page(&run.campaign, cursor, 5_000)
            .await
            .expect("ledger");
        rows.extend(page);
        match next {
            Some(n) => cursor = n,
            None => return rows,
        }
    }
}

#[tokio::test]
async fn collectors_work_every_call_inside_its_window_and_two_runs_agree() {
    let run = run_example().await;
    let stats = &run.stats;
    assert!(stats.tasks > 0, "tasks handed out: {stats:?}");
    let recorded: u64 = stats.outcomes.values().sum();
    assert!(recorded > 0 && recorded <= stats.tasks, "{stats:?}");
    assert_eq!(stats.late_outcomes, 0, "{stats:?}");
    assert!(stats.sent > 0, "the automated steps still run: {stats:?}");

    // No agent contact left in the plan or with a collector.
    let store = run.dispatcher.store.as_ref();
    assert_eq!(
        store
            .next_work_due(&["cobranza".to_string()])
            .await
            .expect("next work"),
        None
    );
    assert!(store.leases(None).await.expect("leases").is_empty());
    let rows = ledger(&run).await;
    let calls: Vec<&LedgerEntry> = rows
        .iter()
        .filter(|r| r.channel == ChannelKind::AgentCall)
        .collect();
    let mut by_contact: BTreeMap<&str, ()> = BTreeMap::new();
    for row in &calls {
        by_contact.insert(&row.contact_id, ());
    }
    assert!(!by_contact.is_empty());
    for id in by_contact.keys() {
        let record = store.contact(id).await.expect("contact").expect("known");
        assert!(
            !matches!(
                record.state,
                ContactState::Pending | ContactState::Queued | ContactState::Sending
            ),
            "{id} left {:?}",
            record.state
        );
    }
    let counts = store.counts(Some(&run.campaign)).await.expect("counts");
    for open in [ContactState::Queued, ContactState::Sending] {
        assert_eq!(counts.get(&open).copied().unwrap_or(0), 0, "{counts:?}");
    }

    // Every recorded outcome happened where the guard allows a call.
    let outcome_rows: Vec<&&LedgerEntry> = calls
        .iter()
        .filter(|r| r.code.as_deref().is_some_and(|c| c.starts_with("call_")))
        .collect();
    assert_eq!(outcome_rows.len() as u64, recorded);
    assert!(
        calls
            .iter()
            .all(|r| r.code.as_deref() != Some("late_outcome"))
    );
    for row in &outcome_rows {
        let (account, _) = store
            .account(&row.account)
            .await
            .expect("account")
            .expect("known");
        // A wrong number is flagged reassigned: no longer a number to call.
        let Some(point) = account.contact_point_for(ChannelKind::AgentCall) else {
            assert_eq!(row.code.as_deref(), Some("call_wrong_number"), "{row:?}");
            continue;
        };
        let verdict = run.dispatcher.guard.decide(
            &ContactAttempt {
                channel: ChannelKind::AgentCall.guarded_as(),
                suppressed: false,
            },
            &DebtorProfile::from_account(&account, point),
            &[],
            row.at,
        );
        let window: Vec<_> = verdict
            .reasons
            .iter()
            .filter(|r| WINDOW_CODES.contains(&r.code.as_str()))
            .collect();
        assert!(
            window.is_empty(),
            "{} recorded at {} outside its window: {window:?}",
            row.contact_id,
            row.at
        );
    }

    // The same portfolio, the same collectors: the same run.
    let again = run_example().await;
    assert_eq!(again.stats.tasks, stats.tasks);
    assert_eq!(again.stats.outcomes, stats.outcomes);
    assert_eq!(again.stats.sent, stats.sent);
    assert_eq!(again.stats.last_instant, stats.last_instant);
}
