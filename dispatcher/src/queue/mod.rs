//! The queue driver (ARCHITECTURE.md, "The queue"): runs the per-contact
//! pipeline on the wall clock through apalis.
//!
//! The plan lives in our store, indexed by due time; apalis only ever holds
//! what is due now. Three loops run in every `cobro work` process:
//!
//! - the **feeder** claims due contacts from the store (`claim_due`, atomic
//!   across processes, so several feeders are safe) and pushes them to
//!   apalis as small batches, keeping the queue's backlog bounded: apalis-redis
//!   1.0 dies when about 8,000 jobs become due at once, and apalis-sqlite
//!   slows down as its backlog grows;
//! - the **apalis worker** (unique name per process, short poll interval so
//!   idle workers pick jobs up promptly) runs each batch through a
//!   [`ContactProcessor`] (the pipeline's `Dispatcher`);
//! - **maintenance** puts contacts whose queue lease expired back in the
//!   plan (`recover_stale`), removes finished apalis jobs, and, for
//!   `cobro run`, notices when nothing is left to do.
//!
//! Delivery through apalis is at-least-once (a killed worker's jobs run
//! again elsewhere); the store's reservation makes the send itself happen
//! at most once.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::{ContactRecord, Store, StoreError};

mod backend;
mod feeder;
mod in_process;
mod job;

pub use backend::QueueBackend;

/// Runs one contact through the pipeline. The queue driver is generic over
/// it so that it can be tested (and benchmarked) without channels.
pub trait ContactProcessor: Send + Sync + 'static {
    fn process(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ProcessOutcome, PipelineError>> + Send;

    /// Whether this process can handle contacts of `campaign` (a worker
    /// started with some campaigns' files only). The feeder claims due
    /// contacts of every campaign; a contact this process cannot handle is
    /// put back in the plan (due again shortly) for a worker that can,
    /// instead of being processed and failed.
    fn handles(&self, campaign: &str) -> bool {
        let _ = campaign;
        true
    }

    /// Runs the contacts of one job (all handled by this processor);
    /// results in the order of `records`. The pipeline's `Dispatcher`
    /// shares the store's round trips across the batch; by default each
    /// contact goes through `process` on its own, concurrently.
    fn process_batch(
        &self,
        records: Vec<ContactRecord>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Vec<Result<ProcessOutcome, PipelineError>>> + Send {
        async move { futures::future::join_all(records.into_iter().map(|r| self.process(r, now))).await }
    }
}

impl<S: Store> ContactProcessor for Dispatcher<S> {
    fn process(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ProcessOutcome, PipelineError>> + Send {
        Dispatcher::process(self, record, now)
    }

    fn process_batch(
        &self,
        records: Vec<ContactRecord>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Vec<Result<ProcessOutcome, PipelineError>>> + Send {
        Dispatcher::process_batch(self, records, now)
    }
}

/// One apalis job: a few due contacts, processed together so that a job's
/// fixed cost (fetch, lease, ack) is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactBatch {
    pub contacts: Vec<ContactRecord>,
}

/// How a worker process runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Contacts processed at the same time in this process.
    pub concurrency: usize,
    /// Contacts per apalis job.
    pub batch_size: usize,
    /// How often idle workers look for jobs and the feeder for due contacts.
    pub poll_interval: Duration,
    /// Exit once the store has no pending, queued or sending contacts
    /// (`cobro run`); otherwise run until shutdown (`cobro work`).
    pub stop_when_idle: bool,
    /// Upper bound on jobs waiting in apalis, across all processes that
    /// feed the same queue (each feeder checks the shared backlog, so a few
    /// feeders racing can overshoot by one chunk each). Far below the
    /// ~8,000 that kill an apalis-redis 1.0 worker.
    pub max_backlog_jobs: usize,
    /// Whether this process claims due contacts and feeds the queue. Off
    /// for processes that should only consume.
    pub feed: bool,
    /// A contact claimed longer ago than this and still `queued` goes back
    /// to the plan. Must exceed the longest time a job can wait in apalis
    /// plus its processing time (the backlog is bounded, so seconds in
    /// practice); a contact recovered while its job still runs is harmless
    /// (the reservation refuses the second send) but costs a second guard
    /// decision.
    pub queued_lease: Duration,
    /// A contact `sending` for longer than this is marked `unknown`: the
    /// process that reserved it died before recording the answer.
    pub sending_lease: Duration,
    /// How often maintenance runs (`recover_stale`, queue vacuum).
    pub maintenance_interval: Duration,
    /// apalis heartbeat; a killed worker's jobs run again elsewhere after
    /// `heartbeat × missed_heartbeats`.
    pub heartbeat_interval: Duration,
    pub missed_heartbeats: usize,
    /// apalis queue name (several cobro installations can share a Redis).
    pub queue_name: String,
    /// The dispatchers' outcome journal, replayed by maintenance as soon
    /// as the store answers (and, at start, dead workers' files).
    pub journal: Option<Arc<crate::engine::journal::OutcomeJournal>>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: 64,
            batch_size: 16,
            poll_interval: Duration::from_millis(50),
            stop_when_idle: false,
            max_backlog_jobs: 500,
            feed: true,
            queued_lease: Duration::from_secs(600),
            sending_lease: Duration::from_secs(3600),
            maintenance_interval: Duration::from_secs(15),
            heartbeat_interval: Duration::from_secs(5),
            missed_heartbeats: 4,
            queue_name: "cobro:contacts".into(),
            journal: None,
        }
    }
}

/// What a worker process did before it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WorkerReport {
    pub worker: String,
    /// Contacts this process claimed and pushed to apalis.
    pub fed_contacts: u64,
    pub fed_jobs: u64,
    /// Jobs this process ran (including re-runs).
    pub jobs: u64,
    pub sent: u64,
    pub rescheduled: u64,
    pub blocked: u64,
    pub cancelled: u64,
    pub failed: u64,
    pub unknown: u64,
    pub skipped: u64,
    /// Contacts put back in the plan unprocessed: of campaigns this
    /// process does not handle (for another worker), and, with the
    /// in-process queue, those a stop found not yet started.
    pub handed_back: u64,
    /// Contacts whose processing failed with a transient error even after
    /// retries (their job is retried by apalis).
    pub transient_errors: u64,
    /// Contacts whose processing failed permanently (recorded as failed or
    /// unknown; their job is aborted, not retried).
    pub permanent_errors: u64,
    /// `recover_stale` results summed over this process' runs.
    pub recovered_queued: u64,
    pub recovered_unknown: u64,
    /// Outcomes written to the store from the outcome journal.
    pub journal_replayed: u64,
    /// Times the apalis worker failed and was started again.
    pub worker_restarts: u64,
    pub elapsed_ms: u64,
}

impl WorkerReport {
    /// Contacts that reached an outcome in this process.
    pub fn processed(&self) -> u64 {
        self.sent
            + self.rescheduled
            + self.blocked
            + self.cancelled
            + self.failed
            + self.unknown
            + self.skipped
    }
}

/// Why the driver stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue backend unreachable: {0}")]
    Connect(String),
    #[error(
        "unsupported queue URL '{0}' (expected sqlite://PATH, redis://HOST:PORT/DB or inprocess:)"
    )]
    UnsupportedUrl(String),
    #[error("queue backend failed: {0}")]
    Backend(String),
    #[error("apalis worker failed: {0}")]
    Worker(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid worker options: {0}")]
    Options(String),
}

/// The in-process queue's backlog, in rounds of the jobs run at once
/// (at least 32 jobs: the feeder claims a quarter of it at a time, and a
/// claim per few contacts would cost more than the contacts).
const IN_PROCESS_BACKLOG_ROUNDS: usize = 16;

/// Pause before starting a new apalis worker after one failed, so that a
/// Redis that is down is not hammered.
const WORKER_RESTART_PAUSE: Duration = Duration::from_secs(1);

/// Counters shared by the loops of one process.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    fed_contacts: AtomicU64,
    fed_jobs: AtomicU64,
    jobs: AtomicU64,
    sent: AtomicU64,
    rescheduled: AtomicU64,
    blocked: AtomicU64,
    cancelled: AtomicU64,
    failed: AtomicU64,
    unknown: AtomicU64,
    skipped: AtomicU64,
    handed_back: AtomicU64,
    transient_errors: AtomicU64,
    permanent_errors: AtomicU64,
    recovered_queued: AtomicU64,
    recovered_unknown: AtomicU64,
    journal_replayed: AtomicU64,
    worker_restarts: AtomicU64,
}

impl Stats {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn outcome(&self, outcome: &ProcessOutcome) {
        let counter = match outcome {
            ProcessOutcome::Sent { .. } => &self.sent,
            ProcessOutcome::Rescheduled(_) => &self.rescheduled,
            ProcessOutcome::Blocked => &self.blocked,
            ProcessOutcome::Cancelled => &self.cancelled,
            ProcessOutcome::Failed => &self.failed,
            ProcessOutcome::Unknown => &self.unknown,
            // The feeder never claims a collector's task (`claim_due`
            // leaves agent contacts to the work queue).
            ProcessOutcome::Skipped | ProcessOutcome::HandedOut => &self.skipped,
        };
        Stats::add(counter, 1);
    }

    fn report(&self, worker: String, elapsed: Duration) -> WorkerReport {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerReport {
            worker,
            fed_contacts: get(&self.fed_contacts),
            fed_jobs: get(&self.fed_jobs),
            jobs: get(&self.jobs),
            sent: get(&self.sent),
            rescheduled: get(&self.rescheduled),
            blocked: get(&self.blocked),
            cancelled: get(&self.cancelled),
            failed: get(&self.failed),
            unknown: get(&self.unknown),
            skipped: get(&self.skipped),
            handed_back: get(&self.handed_back),
            transient_errors: get(&self.transient_errors),
            permanent_errors: get(&self.permanent_errors),
            recovered_queued: get(&self.recovered_queued),
            recovered_unknown: get(&self.recovered_unknown),
            journal_replayed: get(&self.journal_replayed),
            worker_restarts: get(&self.worker_restarts),
            elapsed_ms: elapsed.as_millis() as u64,
        }
    }
}

/// A worker name no other process uses: apalis refuses to reuse a name
/// soon after a stop, and two processes with one name would share an
/// in-flight set.
pub fn unique_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!(
        "cobro-{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT): what `cobro work` passes as the
/// shutdown future.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the pipeline's `Dispatcher` as queue workers until `shutdown`
/// resolves (or, with `stop_when_idle`, until nothing is left to do).
pub async fn run_dispatcher<S: Store>(
    dispatcher: Arc<Dispatcher<S>>,
    queue: &QueueBackend,
    opts: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<WorkerReport, QueueError> {
    let store = dispatcher.store.clone();
    run_workers(store, dispatcher, queue, opts, shutdown).await
}

/// Runs feeder, apalis worker and maintenance until `shutdown` resolves
/// (or, with `stop_when_idle`, until the store has no pending, queued or
/// sending contacts). On shutdown it stops feeding, lets in-flight jobs
/// finish, hands jobs fetched but not started back to apalis, and returns
/// what this process did.
pub async fn run_workers<S: Store, P: ContactProcessor>(
    store: Arc<S>,
    processor: Arc<P>,
    queue: &QueueBackend,
    opts: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<WorkerReport, QueueError> {
    validate(&opts)?;
    let mut opts = opts;
    if *queue == QueueBackend::InProcess {
        // What waits in the channel is lost with the process (it returns
        // after its lease), and the channel hands over in microseconds:
        // a few rounds of work is enough to keep the workers busy.
        let rounds = (backend::jobs_in_flight(&opts) * IN_PROCESS_BACKLOG_ROUNDS).max(32);
        opts.max_backlog_jobs = opts.max_backlog_jobs.min(rounds);
    }
    let started = Instant::now();
    let name = unique_worker_name();
    let stats = Arc::new(Stats::default());
    let queue = backend::Queue::connect(queue, &opts).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    let feeder = opts.feed.then(|| {
        tokio::spawn(feeder::feed(
            store.clone(),
            queue.clone(),
            opts.clone(),
            stats.clone(),
            stop_rx.clone(),
        ))
    });
    let maintenance = tokio::spawn(feeder::maintain(
        store.clone(),
        queue.clone(),
        opts.clone(),
        stats.clone(),
        stop_tx.clone(),
        stop_rx.clone(),
    ));
    let stop_on_signal = {
        let stop_tx = stop_tx.clone();
        let mut stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown => {
                    tracing::info!("shutdown requested: stop feeding, finish in-flight contacts");
                    let _ = stop_tx.send(true);
                }
                _ = stop_rx.wait_for(|stop| *stop) => {}
            }
        })
    };

    let ctx = Arc::new(job::JobContext {
        store: store.clone(),
        processor,
        stats: stats.clone(),
    });
    // The apalis worker stops for good when a fetch or an ack fails (a
    // Redis restart, a locked SQLite file). This process must not: start a
    // fresh worker (a new name; the old one's unacknowledged jobs are
    // re-enqueued by apalis once its heartbeat is missed, and its claimed
    // contacts by the store's lease).
    let mut worker_name = name.clone();
    let mut restarts = 0u64;
    let worker_result = loop {
        let result = queue
            .run_worker(&worker_name, &opts, ctx.clone(), stop_rx.clone())
            .await;
        if *stop_rx.borrow() {
            break result;
        }
        match &result {
            Ok(()) => {
                tracing::warn!("apalis worker {worker_name} ended on its own; starting another")
            }
            Err(e) => tracing::warn!("apalis worker {worker_name} failed ({e}); starting another"),
        }
        restarts += 1;
        Stats::add(&stats.worker_restarts, 1);
        let mut stop = stop_rx.clone();
        if feeder::pause(&mut stop, WORKER_RESTART_PAUSE).await {
            break Ok(());
        }
        worker_name = format!("{name}-r{restarts}");
    };

    // Whatever ended the worker ends the other loops too.
    let _ = stop_tx.send(true);
    stop_on_signal.abort();
    if let Some(feeder) = feeder {
        match feeder.await {
            Ok(Err(e)) => tracing::warn!("feeder stopped with an error: {e}"),
            Err(e) => tracing::warn!("feeder task failed: {e}"),
            Ok(Ok(())) => {}
        }
    }
    match maintenance.await {
        Ok(Err(e)) => tracing::warn!("maintenance stopped with an error: {e}"),
        Err(e) => tracing::warn!("maintenance task failed: {e}"),
        Ok(Ok(())) => {}
    }
    queue.hand_back_unstarted(&ctx).await;
    worker_result?;
    Ok(stats.report(name, started.elapsed()))
}

fn validate(opts: &WorkerOptions) -> Result<(), QueueError> {
    let bad = |what: &str| Err(QueueError::Options(what.to_string()));
    if opts.concurrency == 0 {
        return bad("concurrency must be at least 1");
    }
    if opts.batch_size == 0 {
        return bad("batch_size must be at least 1");
    }
    if opts.max_backlog_jobs == 0 || opts.max_backlog_jobs > 2_000 {
        return bad(
            "max_backlog_jobs must be between 1 and 2000 (apalis-redis dies near 8000 due jobs, and each feeding process may overshoot by up to this much)",
        );
    }
    if opts.poll_interval.is_zero()
        || opts.maintenance_interval.is_zero()
        || opts.heartbeat_interval.is_zero()
    {
        return bad("intervals must be positive");
    }
    if opts.queued_lease <= opts.heartbeat_interval * opts.missed_heartbeats as u32 {
        return bad("queued_lease must exceed heartbeat_interval × missed_heartbeats");
    }
    Ok(())
}
