//! The in-process queue (`--queue inprocess:`): the feeder hands claimed
//! batches straight to this process' workers through a channel.
//!
//! Why: with the SQLite store, apalis' SQLite queue cost a third of a
//! worker's CPU (every job written, fetched, acknowledged and vacuumed in a
//! second database), only to carry contacts from a feeder to workers of
//! the same process. Nothing is lost by skipping it: the store's claim is
//! already atomic across processes, so several processes can still share
//! one store, each feeding itself.
//!
//! What changes against apalis: a batch lives only in this process. A
//! process that stops hands the batches it has not started back to the
//! plan; one that is killed leaves its claimed contacts `queued` until
//! their lease (`worker.queued_lease_secs`) returns them, where apalis
//! would have handed its jobs to another worker after the heartbeat. The
//! send reservation is the same either way, so nothing goes out twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, Semaphore, mpsc, watch};

use super::job::{BatchVerdict, JobContext, hand_back, run_batch};
use super::{ContactBatch, ContactProcessor};
use crate::store::Store;

/// Pauses before a batch that failed transiently runs again (apalis-style
/// retries); after the last one its contacts wait for their lease.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(5),
];

/// One batch on its way to a worker, with the retries it already had.
struct Job {
    batch: ContactBatch,
    retries: usize,
}

/// The channel between this process' feeder and its workers. Cheap to
/// clone; every clone is the same queue.
#[derive(Clone)]
pub(crate) struct InProcessQueue {
    tx: mpsc::UnboundedSender<Job>,
    rx: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    /// Jobs sent and not yet taken by a worker: the backlog the feeder
    /// keeps bounded.
    waiting: Arc<AtomicUsize>,
    /// Rung each time a worker takes a job, so that the feeder refills a
    /// small backlog at once instead of after its poll interval (which
    /// would cap a backlog of a few jobs at a few thousand contacts/s).
    taken: Arc<Notify>,
}

impl InProcessQueue {
    pub(crate) fn new() -> InProcessQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        InProcessQueue {
            tx,
            rx: Arc::new(Mutex::new(rx)),
            waiting: Arc::new(AtomicUsize::new(0)),
            taken: Arc::new(Notify::new()),
        }
    }

    /// Resolves when a worker takes a job (or at once if one did since the
    /// last call).
    pub(crate) async fn job_taken(&self) {
        self.taken.notified().await;
    }

    pub(crate) fn backlog(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub(crate) fn push(&self, jobs: Vec<ContactBatch>) {
        for batch in jobs {
            self.send(Job { batch, retries: 0 });
        }
    }

    fn send(&self, job: Job) {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        // The receiver lives as long as any clone of the queue (this one
        // included), so the send cannot fail.
        let _ = self.tx.send(job);
    }

    /// Runs batches, `in_flight` at a time, until `stop` turns true; then
    /// lets running batches finish.
    pub(crate) async fn run_worker<S: Store, P: ContactProcessor>(
        &self,
        in_flight: usize,
        ctx: Arc<JobContext<S, P>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let permits = Arc::new(Semaphore::new(in_flight));
        let mut rx = self.rx.lock().await;
        loop {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = stop.wait_for(|s| *s) => break,
            };
            let job = tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
                _ = stop.wait_for(|s| *s) => break,
            };
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            self.taken.notify_one();
            let ctx = ctx.clone();
            let queue = self.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let _permit = permit;
                queue.run_one(&ctx, job, stop).await;
            });
        }
        // Wait for the running batches (each holds a permit).
        let _ = permits.acquire_many(in_flight as u32).await;
    }

    /// Hands the batches no worker started back to the plan, now rather
    /// than after their lease. Called once the feeder has stopped too, so
    /// that nothing is pushed after it.
    pub(crate) async fn hand_back_waiting<S: Store, P: ContactProcessor>(
        &self,
        ctx: &JobContext<S, P>,
    ) {
        let mut rx = self.rx.lock().await;
        while let Ok(job) = rx.try_recv() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            for record in &job.batch.contacts {
                hand_back(ctx, record).await;
            }
        }
    }

    async fn run_one<S: Store, P: ContactProcessor>(
        &self,
        ctx: &JobContext<S, P>,
        job: Job,
        mut stop: watch::Receiver<bool>,
    ) {
        let Job { batch, retries } = job;
        match run_batch(ctx, batch.clone()).await {
            BatchVerdict::Done(_) | BatchVerdict::Permanent(_) => {}
            BatchVerdict::Transient(e) => match RETRY_PAUSES.get(retries) {
                Some(pause) => {
                    let stopping = tokio::select! {
                        _ = tokio::time::sleep(*pause) => false,
                        _ = stop.wait_for(|s| *s) => true,
                    };
                    if stopping {
                        // Left `queued`: the lease returns what did not
                        // finish (the store may be what failed).
                        return;
                    }
                    self.send(Job {
                        batch,
                        retries: retries + 1,
                    });
                }
                None => tracing::warn!(
                    "batch given up after {retries} retries ({e}); its contacts return to the plan after their lease"
                ),
            },
        }
    }
}
