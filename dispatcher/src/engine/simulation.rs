//! The virtual-clock driver: runs the same pipeline as the workers, in
//! due-time order, jumping the clock straight to the next due contact. A
//! month of campaign takes seconds and shows exactly what the real run
//! would decide.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cobro_campaigns::PlannedContact;
use cobro_campaigns::book::{BookAction, EventSource};

use super::actions::{ActionError, record_action};
use super::events::{AccountEvent, apply_event};
use super::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::Store;
use crate::work_queue::simulated::SimulatedCollectors;

/// What the driver itself saw (the ledger holds the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulationStats {
    pub passes: u64,
    pub sent: u64,
    pub rescheduled: u64,
    pub blocked: u64,
    pub cancelled: u64,
    pub failed: u64,
    pub unknown: u64,
    pub sms_segments: u64,
    /// Collectors' tasks handed out (agent steps worked by simulated
    /// collectors), and the outcomes they recorded by kind.
    pub tasks: u64,
    pub outcomes: BTreeMap<String, u64>,
    /// Outcomes recorded when the guard would not have allowed the call.
    pub late_outcomes: u64,
    pub first_instant: Option<DateTime<Utc>>,
    pub last_instant: Option<DateTime<Utc>>,
}

/// A simulation stops this long after its start even if contacts are
/// still pending: an unresolved dispute holds its contacts forever, and
/// a virtual clock must not chase them. What is left stays `pending`.
pub const HORIZON_DAYS: i64 = 400;

/// How many contacts one claim takes from the plan.
const CLAIM_CHUNK: usize = 500;

/// How many claimed contacts go through the pipeline's batch path at once
/// (the queue workers' default batch size).
const BATCH: usize = 16;

/// Something that happens to an account at a virtual instant (a payment,
/// a STOP reply), so a simulation shows how events cut sequences short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledEvent {
    pub at: DateTime<Utc>,
    pub account: String,
    pub event: SimulatedEvent,
}

/// What a simulated debtor does: a bare status event (a STOP reply, a
/// conversation) or an action on the account's book (a payment with its
/// amount, a promise, a plan, a dispute, preferences), recorded exactly
/// as the debtor's page records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimulatedEvent {
    Account(AccountEvent),
    Action(BookAction),
    /// The debtor pays what it owes at that instant (the book's balance,
    /// after any earlier payment), at most `at_most` when given, or
    /// nothing when it owes nothing: a reply decided when a message went
    /// out must not pay the original amount twice, nor on top of a
    /// payment made meanwhile.
    PayBalance {
        reference: String,
        at_most: Option<rust_decimal::Decimal>,
    },
}

impl From<AccountEvent> for SimulatedEvent {
    fn from(e: AccountEvent) -> Self {
        SimulatedEvent::Account(e)
    }
}

impl From<BookAction> for SimulatedEvent {
    fn from(a: BookAction) -> Self {
        SimulatedEvent::Action(a)
    }
}

/// Runs until no contact is pending. Contacts are processed at their own
/// due instant (never earlier than `start`).
pub async fn run_virtual_clock<S: Store>(
    dispatcher: &Dispatcher<S>,
    start: DateTime<Utc>,
) -> Result<SimulationStats, PipelineError> {
    run_virtual_clock_with_events(dispatcher, start, Vec::new()).await
}

/// Like [`run_virtual_clock`], applying each event when the clock reaches
/// it (before the contacts due at that instant).
pub async fn run_virtual_clock_with_events<S: Store>(
    dispatcher: &Dispatcher<S>,
    start: DateTime<Utc>,
    events: Vec<ScheduledEvent>,
) -> Result<SimulationStats, PipelineError> {
    run_virtual_clock_observed(dispatcher, start, events, |_, _| {}).await
}

/// Like [`run_virtual_clock_with_events`], telling `on_progress` the
/// totals so far and the virtual instant after every claim: a month of a
/// large portfolio takes minutes, and an operator should see it move.
pub async fn run_virtual_clock_observed<S: Store>(
    dispatcher: &Dispatcher<S>,
    start: DateTime<Utc>,
    events: Vec<ScheduledEvent>,
    on_progress: impl FnMut(&SimulationStats, DateTime<Utc>),
) -> Result<SimulationStats, PipelineError> {
    run_virtual_clock_worked(dispatcher, start, events, None, on_progress).await
}

/// Like [`run_virtual_clock_observed`], with `collectors` working the
/// agent steps' tasks: the clock also stops when a task falls due and
/// when a call ends, and the run ends when both the plan and the work
/// queue are empty. Without collectors the agent tasks stay pending.
pub async fn run_virtual_clock_worked<S: Store>(
    dispatcher: &Dispatcher<S>,
    start: DateTime<Utc>,
    events: Vec<ScheduledEvent>,
    collectors: Option<&mut SimulatedCollectors<S>>,
    on_progress: impl FnMut(&SimulationStats, DateTime<Utc>),
) -> Result<SimulationStats, PipelineError> {
    run_virtual_clock_answered(dispatcher, start, events, collectors, None, on_progress).await
}

/// How simulated debtors answer the messages that reach them (the demo's
/// model, `cli/demo_debtors.rs`): each sent contact may schedule what its
/// debtor does next, applied when the clock gets there like any event.
pub trait DebtorResponses: Send + Sync {
    fn on_sent(&self, contact: &PlannedContact, at: DateTime<Utc>) -> Vec<ScheduledEvent>;
}

/// Like [`run_virtual_clock_worked`], with `responses` answering every
/// sent contact.
pub async fn run_virtual_clock_answered<S: Store>(
    dispatcher: &Dispatcher<S>,
    start: DateTime<Utc>,
    mut events: Vec<ScheduledEvent>,
    mut collectors: Option<&mut SimulatedCollectors<S>>,
    responses: Option<&dyn DebtorResponses>,
    mut on_progress: impl FnMut(&SimulationStats, DateTime<Utc>),
) -> Result<SimulationStats, PipelineError> {
    let order =
        |a: &ScheduledEvent, b: &ScheduledEvent| (b.at, &b.account).cmp(&(a.at, &a.account));
    events.sort_by(order);
    let mut stats = SimulationStats::default();
    let mut clock = start;
    loop {
        let next_due = dispatcher.store.next_due().await?;
        let next_event = events.last().map(|e| e.at);
        let next_work = match collectors.as_deref() {
            Some(c) => c.next_wake(dispatcher.store.as_ref()).await?,
            None => None,
        };
        let Some(next) = [next_due, next_event, next_work]
            .into_iter()
            .flatten()
            .min()
        else {
            break;
        };
        clock = clock.max(next);
        if clock > start + chrono::Duration::days(HORIZON_DAYS) {
            break;
        }
        while events.last().is_some_and(|e| e.at <= clock) {
            if let Some(e) = events.pop() {
                let at = clock.max(e.at);
                match e.event {
                    SimulatedEvent::Account(event) => {
                        apply_event(dispatcher.store.as_ref(), &e.account, event, at).await?;
                    }
                    SimulatedEvent::PayBalance { reference, at_most } => {
                        let Some(action) = balance_payment(
                            dispatcher.store.as_ref(),
                            &e.account,
                            reference,
                            at_most,
                            at,
                        )
                        .await?
                        else {
                            continue;
                        };
                        record_simulated(dispatcher, &e.account, &action, at).await?;
                    }
                    SimulatedEvent::Action(action) => {
                        record_simulated(dispatcher, &e.account, &action, at).await?;
                    }
                }
            }
        }
        let claimed = dispatcher.store.claim_due(clock, CLAIM_CHUNK).await?;
        let mut claimed = claimed.into_iter().peekable();
        while claimed.peek().is_some() {
            let batch: Vec<_> = claimed.by_ref().take(BATCH).collect();
            // Everything claimed is due at or before the clock.
            let at = batch
                .iter()
                .map(|r| clock.max(r.due_at))
                .max()
                .unwrap_or(clock);
            stats.first_instant.get_or_insert(at);
            stats.last_instant = Some(at);
            stats.passes += batch.len() as u64;
            let contacts: Vec<PlannedContact> = match responses {
                Some(_) => batch.iter().map(|r| r.contact.clone()).collect(),
                None => Vec::new(),
            };
            let mut answered = false;
            for (i, outcome) in dispatcher
                .process_batch(batch, at)
                .await
                .into_iter()
                .enumerate()
            {
                match outcome? {
                    ProcessOutcome::Sent { segments } => {
                        stats.sent += 1;
                        stats.sms_segments += u64::from(segments.unwrap_or(0));
                        if let (Some(r), Some(c)) = (responses, contacts.get(i)) {
                            let follow = r.on_sent(c, at);
                            answered |= !follow.is_empty();
                            events.extend(follow);
                        }
                    }
                    ProcessOutcome::Rescheduled(_) => stats.rescheduled += 1,
                    ProcessOutcome::Blocked => stats.blocked += 1,
                    ProcessOutcome::Cancelled => stats.cancelled += 1,
                    ProcessOutcome::Failed => stats.failed += 1,
                    ProcessOutcome::Unknown => stats.unknown += 1,
                    // `claim_due` never hands the driver a collector's task.
                    ProcessOutcome::Skipped | ProcessOutcome::HandedOut => {}
                }
            }
            if answered {
                events.sort_by(order);
            }
        }
        if let Some(c) = collectors.as_deref_mut() {
            let follow_ups = c.work(dispatcher.store.as_ref(), clock).await?;
            if !follow_ups.is_empty() {
                events.extend(follow_ups);
                events.sort_by(order);
            }
            if c.tally.tasks != stats.tasks || c.tally.outcomes != stats.outcomes {
                stats.first_instant.get_or_insert(clock);
                stats.last_instant = Some(stats.last_instant.map_or(clock, |t| t.max(clock)));
            }
            stats.tasks = c.tally.tasks;
            stats.outcomes = c.tally.outcomes.clone();
            stats.late_outcomes = c.tally.late;
        }
        on_progress(&stats, clock);
    }
    Ok(stats)
}

/// Records a simulated debtor's action as the debtor's page would. The
/// store failing stops the run; an action the house limits refuse is what
/// a real debtor would see refused: it is skipped.
async fn record_simulated<S: Store>(
    dispatcher: &Dispatcher<S>,
    account: &str,
    action: &BookAction,
    at: DateTime<Utc>,
) -> Result<(), PipelineError> {
    match record_action(
        dispatcher.store.as_ref(),
        account,
        action,
        EventSource::Simulation,
        at,
        &dispatcher.book_limits,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(ActionError::Store(err)) => Err(err.into()),
        Err(err) => {
            tracing::debug!(account = %account, "simulated action refused: {err}");
            Ok(())
        }
    }
}

/// The payment of `account`'s balance at `at` (at most `at_most`,
/// rounded to its currency), or `None` when nothing is owed or the
/// account is unknown.
async fn balance_payment<S: Store>(
    store: &S,
    account: &str,
    reference: String,
    at_most: Option<rust_decimal::Decimal>,
    at: DateTime<Utc>,
) -> Result<Option<BookAction>, PipelineError> {
    let Some((account, _)) = store.account(account).await? else {
        return Ok(None);
    };
    let (book, _) = store.book(&account.id).await?;
    let decimals = cobro_campaigns::iso::currency_decimals(&account.currency).unwrap_or(2);
    let balance = book.balance(account.amount_due);
    let amount = at_most
        .map_or(balance, |cap| balance.min(cap))
        .round_dp(decimals);
    Ok(
        (amount > rust_decimal::Decimal::ZERO).then_some(BookAction::Payment {
            amount,
            at,
            reference,
        }),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;
    use crate::cli::common::{
        TransportChoice, channel_set, dispatcher, load_campaign, load_templates,
    };
    use crate::launch::launch;
    use crate::store::any::AnyStore;

    /// A reply's payment pays what is owed then: the rest after a partial
    /// payment, nothing once paid.
    #[tokio::test]
    async fn a_balance_payment_pays_what_is_left_and_never_twice() {
        use crate::store::memory::MemoryStore;
        use crate::store::prelude::*;
        use cobro_campaigns::book::BookLimits;
        use rust_decimal::Decimal;

        let store = MemoryStore::new();
        let mut account = cobro_campaigns::Account {
            id: "a1".into(),
            creditor: "Banco".into(),
            debtor_name: "Deudor".into(),
            tax_id: None,
            amount_due: Decimal::new(90_000, 2),
            currency: "MXN".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            segment: None,
            language: "es-MX".into(),
            country: "MX".into(),
            subdivision: None,
            timezone: None,
            flags: Default::default(),
            contact_points: Vec::new(),
            attributes: Default::default(),
        };
        store
            .put_accounts(&[account.clone()])
            .await
            .expect("account");
        let at = Utc
            .with_ymd_and_hms(2026, 12, 2, 12, 0, 0)
            .single()
            .expect("instant");
        let part = BookAction::Payment {
            amount: Decimal::new(30_000, 2),
            at,
            reference: "part".into(),
        };
        record_action(
            &store,
            "a1",
            &part,
            EventSource::Simulation,
            at,
            &BookLimits::default(),
        )
        .await
        .expect("partial payment");
        let capped = balance_payment(
            &store,
            "a1",
            "part".into(),
            Some(Decimal::new(10_000, 2)),
            at,
        )
        .await
        .expect("read");
        assert!(
            matches!(&capped, Some(BookAction::Payment { amount, .. }) if *amount == Decimal::new(10_000, 2)),
            "capped at a third: {capped:?}"
        );
        let rest = balance_payment(&store, "a1", "reply".into(), None, at)
            .await
            .expect("read");
        let Some(BookAction::Payment { amount, .. }) = &rest else {
            panic!("the rest is owed: {rest:?}");
        };
        assert_eq!(*amount, Decimal::new(60_000, 2));
        let rest = rest.expect("payment");
        record_action(
            &store,
            "a1",
            &rest,
            EventSource::Simulation,
            at,
            &BookLimits::default(),
        )
        .await
        .expect("the rest paid");
        assert_eq!(
            balance_payment(&store, "a1", "again".into(), None, at)
                .await
                .expect("read"),
            None,
            "nothing is owed: no second payment"
        );
        account.id = "missing".into();
        assert_eq!(
            balance_payment(&store, &account.id, "x".into(), None, at)
                .await
                .expect("read"),
            None
        );
    }

    #[tokio::test]
    async fn progress_follows_the_clock_and_ends_at_the_totals() {
        let campaign =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/campaign.toml");
        let loaded = load_campaign(&campaign).expect("example campaign");
        let store = Arc::new(AnyStore::connect("sqlite::memory:").await.expect("store"));
        let templates = load_templates(&loaded.templates_dir).expect("templates");
        launch(store.as_ref(), &loaded, &templates, |_, _| {})
            .await
            .expect("launch");
        let channels = channel_set(&TransportChoice::Null).expect("null transport");
        let d = dispatcher(
            store.clone(),
            &loaded,
            templates,
            channels,
            "https://cobro.example",
        );
        let start = Utc.from_utc_datetime(
            &loaded
                .campaign
                .start_date
                .and_hms_opt(0, 0, 0)
                .expect("midnight"),
        );
        let mut seen = Vec::new();
        let stats = run_virtual_clock_observed(&d, start, Vec::new(), |s, clock| {
            seen.push((s.passes, s.sent, clock));
        })
        .await
        .expect("simulation");
        assert!(stats.sent > 0, "{stats:?}");
        assert!(seen.len() > 1, "reported after every claim: {}", seen.len());
        assert!(
            seen.windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[0].2 <= w[1].2),
            "totals and the clock only move forward"
        );
        let last = seen.last().expect("a report");
        assert_eq!((last.0, last.1), (stats.passes, stats.sent));
        assert!(last.2 >= start);
    }
}
