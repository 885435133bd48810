//! Shared by the queue tests: a processor that records every call and
//! finishes contacts in the store the way the pipeline would.

#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use cobro_dispatcher::engine::{PipelineError, ProcessOutcome};
use cobro_dispatcher::queue::{ContactProcessor, QueueBackend, WorkerOptions, run_workers};
use cobro_dispatcher::store::{
    ContactRecord, ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation,
    ReserveOutcome, StoreError, Transition, prelude::*,
};

#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// Finish the contact as sent.
    Finish,
    /// Touch nothing (a queue benchmark): report sent, leave the store as
    /// is.
    NoOp,
    /// Sleep, then finish (a slow provider).
    Slow(Duration),
    /// What the pipeline does around a send: reserve (the idempotency key),
    /// "send" for this long, then record `sent` with its ledger row. A
    /// process killed in between leaves the contact `sending`.
    Reserve(Duration),
    /// Contact index `i` (from its account name) fails permanently when
    /// `i % permanent_every == 0`, else transiently the first
    /// `transient_times` calls when `i % transient_every == 0`.
    Errors {
        permanent_every: Option<usize>,
        transient_every: Option<usize>,
        transient_times: u32,
    },
}

pub struct Recorder<S> {
    store: Arc<S>,
    behaviour: Behaviour,
    calls: Arc<Mutex<HashMap<String, u32>>>,
    /// Handles only this campaign (a worker given one campaign's file).
    only: Option<String>,
}

impl<S: Store> Recorder<S> {
    pub fn new(store: Arc<S>, behaviour: Behaviour) -> Self {
        Recorder {
            store,
            behaviour,
            calls: Arc::new(Mutex::new(HashMap::new())),
            only: None,
        }
    }

    /// Another process' recorder writing into the same call log.
    pub fn sharing<T>(store: Arc<S>, other: &Recorder<T>) -> Self {
        Recorder {
            store,
            behaviour: other.behaviour,
            calls: other.calls.clone(),
            only: None,
        }
    }

    pub fn calls(&self, id: &str) -> u32 {
        self.calls
            .lock()
            .expect("lock")
            .get(id)
            .copied()
            .unwrap_or(0)
    }

    /// This recorder handles only `campaign`.
    pub fn only(mut self, campaign: &str) -> Self {
        self.only = Some(campaign.to_string());
        self
    }

    /// Calls so far, over all contacts.
    pub fn total_calls(&self) -> u64 {
        self.calls
            .lock()
            .expect("lock")
            .values()
            .map(|n| u64::from(*n))
            .sum()
    }

    pub fn assert_each_once(&self, ids: &[String]) {
        let calls = self.calls.lock().expect("lock");
        let twice: Vec<_> = calls.iter().filter(|(_, n)| **n > 1).take(5).collect();
        assert!(twice.is_empty(), "processed more than once: {twice:?}");
        let missing: Vec<_> = ids
            .iter()
            .filter(|id| !calls.contains_key(*id))
            .take(5)
            .collect();
        assert!(missing.is_empty(), "never processed: {missing:?}");
        assert_eq!(
            calls.len(),
            ids.len(),
            "processed contacts that were not planned"
        );
    }
}

impl<S: Store> ContactProcessor for Recorder<S> {
    fn handles(&self, campaign: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == campaign)
    }

    async fn process(
        &self,
        record: ContactRecord,
        _now: DateTime<Utc>,
    ) -> Result<ProcessOutcome, PipelineError> {
        {
            let id = record.contact.id.clone();
            let n = {
                let mut calls = self.calls.lock().expect("lock");
                let n = calls.entry(id.clone()).or_insert(0);
                *n += 1;
                *n
            };
            match self.behaviour {
                Behaviour::NoOp => return Ok(ProcessOutcome::Sent { segments: None }),
                Behaviour::Finish => {}
                Behaviour::Slow(d) => tokio::time::sleep(d).await,
                Behaviour::Reserve(d) => {
                    let debtor = record.contact.account.clone();
                    let (_, version) = self.store.history(&debtor).await?;
                    let reservation = Reservation {
                        contact_id: id.clone(),
                        account: record.contact.account.clone(),
                        debtor_key: debtor,
                        channel: record.contact.channel,
                        at: Utc::now(),
                        history_version: version,
                    };
                    if self.store.reserve(&reservation).await? != ReserveOutcome::Reserved {
                        return Ok(ProcessOutcome::Skipped);
                    }
                    tokio::time::sleep(d).await;
                    let row =
                        LedgerEntry::for_contact(&record.contact, LedgerState::Sent, Utc::now());
                    let sent = self
                        .store
                        .transition(&id, Transition::Finish(ContactState::Sent), &[row])
                        .await?;
                    return Ok(if sent {
                        ProcessOutcome::Sent { segments: None }
                    } else {
                        ProcessOutcome::Skipped
                    });
                }
                Behaviour::Errors {
                    permanent_every,
                    transient_every,
                    transient_times,
                } => {
                    let i: usize = record
                        .contact
                        .account
                        .trim_start_matches('a')
                        .parse()
                        .expect("index");
                    if permanent_every.is_some_and(|every| i.is_multiple_of(every)) {
                        return Err(PipelineError::Setup("template missing".into()));
                    }
                    if transient_every.is_some_and(|every| i.is_multiple_of(every))
                        && n <= transient_times
                    {
                        return Err(PipelineError::Store(StoreError::Connection(
                            "simulated outage".into(),
                        )));
                    }
                }
            }
            // The pipeline takes a queued contact to a terminal state.
            if self
                .store
                .transition(&id, Transition::Finish(ContactState::Sent), &[])
                .await?
            {
                Ok(ProcessOutcome::Sent { segments: None })
            } else {
                Ok(ProcessOutcome::Skipped)
            }
        }
    }
}

/// Plans `n` contacts of `campaign`, all due now; returns their ids.
pub async fn add_due_now<S: Store>(store: &S, campaign: &str, n: usize) -> Vec<String> {
    let now = Utc::now();
    let plan: Vec<PlannedContact> = (0..n)
        .map(|i| PlannedContact {
            id: PlannedContact::make_id(campaign, &format!("a{i}"), "s1"),
            campaign: campaign.into(),
            account: format!("a{i}"),
            step: "s1".into(),
            channel: ChannelKind::Sms,
            template: "t".into(),
            fallback: None,
            due_at: now,
            team: None,
        })
        .collect();
    for chunk in plan.chunks(10_000) {
        store.add_contacts(chunk).await.expect("add contacts");
    }
    plan.into_iter().map(|c| c.id).collect()
}

/// Worker options for tests: quick polls, stop when everything is done.
pub fn opts(concurrency: usize, batch_size: usize) -> WorkerOptions {
    WorkerOptions {
        concurrency,
        batch_size,
        stop_when_idle: true,
        maintenance_interval: Duration::from_secs(2),
        ..WorkerOptions::default()
    }
}

/// Worker options of the crash tests (the test and the worker process it
/// kills): short heartbeats and leases so that recovery happens within
/// seconds.
pub fn crash_opts() -> WorkerOptions {
    let mut o = opts(32, 4);
    o.heartbeat_interval = Duration::from_secs(1);
    o.missed_heartbeats = 2;
    o.queued_lease = Duration::from_secs(4);
    o.sending_lease = Duration::from_secs(4);
    o.maintenance_interval = Duration::from_secs(1);
    o
}

/// A shutdown that never comes (the run ends by `stop_when_idle`).
pub fn never() -> impl Future<Output = ()> + Send + 'static {
    std::future::pending()
}

/// Runs workers (concurrency 32, batches of 4) with a recorder behaving as
/// `behaviour` until nothing is left; at most a minute.
async fn run_until_idle<S: Store>(
    store: &Arc<S>,
    behaviour: Behaviour,
    queue: &QueueBackend,
) -> (Arc<Recorder<S>>, cobro_dispatcher::queue::WorkerReport) {
    let recorder = Arc::new(Recorder::new(store.clone(), behaviour));
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        run_workers(store.clone(), recorder.clone(), queue, opts(32, 4), never()),
    )
    .await
    .expect("finishes")
    .expect("run");
    eprintln!("{report:?}");
    (recorder, report)
}

/// Every 10th of 200 contacts fails permanently: each is recorded `failed`
/// once with its ledger row, and no batch runs twice. The same check for
/// every queue backend.
pub async fn check_permanent_errors<S: Store>(store: Arc<S>, queue: &QueueBackend) {
    let ids = add_due_now(store.as_ref(), "perm", 200).await;
    let behaviour = Behaviour::Errors {
        permanent_every: Some(10),
        transient_every: None,
        transient_times: 0,
    };
    let (recorder, report) = run_until_idle(&store, behaviour, queue).await;
    recorder.assert_each_once(&ids);
    assert_eq!(report.jobs, report.fed_jobs, "no job ran twice: {report:?}");
    assert_eq!(report.permanent_errors, 20);
    for (i, id) in ids.iter().enumerate() {
        let state = store.contact(id).await.expect("get").expect("exists").state;
        if i.is_multiple_of(10) {
            assert_eq!(state, ContactState::Failed, "{id}");
            let rows = store
                .ledger(&LedgerFilter {
                    contact_id: Some(id.clone()),
                    ..Default::default()
                })
                .await
                .expect("ledger");
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].state, LedgerState::Failed);
            assert_eq!(rows[0].code.as_deref(), Some("internal_error"));
            assert_eq!(rows[0].detail.as_deref(), Some("template missing"));
        } else {
            assert_eq!(state, ContactState::Sent, "{id}");
        }
    }
}

/// Every 7th of 100 contacts fails 5 times in a row: more than the
/// in-place retries (4 calls), so its job runs again later and then
/// passes. The same check for every queue backend.
pub async fn check_transient_errors<S: Store>(store: Arc<S>, queue: &QueueBackend) {
    let ids = add_due_now(store.as_ref(), "trans", 100).await;
    let behaviour = Behaviour::Errors {
        permanent_every: None,
        transient_every: Some(7),
        transient_times: 5,
    };
    let (recorder, report) = run_until_idle(&store, behaviour, queue).await;
    assert!(report.transient_errors > 0, "{report:?}");
    assert!(
        report.jobs > report.fed_jobs,
        "failed jobs ran again: {report:?}"
    );
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            store.contact(id).await.expect("get").expect("exists").state,
            ContactState::Sent,
            "{id}"
        );
        if i.is_multiple_of(7) {
            assert_eq!(recorder.calls(id), 6, "{id}: 5 failures then success");
        }
    }
    assert_eq!(report.sent, 100);
}
