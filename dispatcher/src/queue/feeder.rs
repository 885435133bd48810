//! The feeder (due contacts from the store into apalis, backlog bounded)
//! and maintenance (lease recovery, vacuum, idle detection).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::backend::Queue;
use super::{ContactBatch, QueueError, Stats, WorkerOptions};
use crate::engine::journal::OutcomeJournal;
use crate::store::{ContactState, Store};

/// Most contacts claimed in one go: keeps each claim script short so that
/// Redis serves other clients in between.
const MAX_CLAIM: usize = 2_000;

/// How soon a journal that still holds outcomes is tried again.
const JOURNAL_RETRY: Duration = Duration::from_millis(250);

/// Writes the journal's outcomes to the store; they stay for the next try
/// while the store is away.
async fn replay_journal<S: Store>(store: &S, journal: &OutcomeJournal, stats: &Stats) {
    match journal.replay(store).await {
        Ok(done) if done.entries > 0 => {
            Stats::add(&stats.journal_replayed, done.applied as u64);
            tracing::info!(
                "outcome journal: {} entries written to the store ({} outcomes applied, {} files of dead workers taken over)",
                done.entries,
                done.applied,
                done.adopted_files
            );
        }
        Ok(_) => {}
        Err(e) if e.is_transient() => tracing::debug!("outcome journal waits for the store: {e}"),
        Err(e) => tracing::error!("outcome journal: {e}"),
    }
}

/// Sleeps `d` or until stop; returns true when stopping.
pub(crate) async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    let stopped = tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    };
    stopped || *stop.borrow()
}

/// Claims due contacts and pushes them as batches while the shared backlog
/// has room. Errors talking to the store or the queue are logged and
/// retried after a pause: a Redis restart must not end the process.
pub(crate) async fn feed<S: Store>(
    store: Arc<S>,
    queue: Queue,
    opts: WorkerOptions,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), QueueError> {
    let error_pause = (opts.poll_interval * 10).max(Duration::from_millis(500));
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let backlog = match queue.backlog().await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("feeder: cannot read the queue backlog: {e}");
                if pause(&mut stop, error_pause).await {
                    return Ok(());
                }
                continue;
            }
        };
        let room = opts.max_backlog_jobs.saturating_sub(backlog);
        // Wait for room for at least a quarter of the bound, so that the
        // feeder pushes in chunks rather than one job per poll.
        if room == 0 || room < opts.max_backlog_jobs / 4 {
            if queue.wait_for_room(&mut stop, opts.poll_interval).await {
                return Ok(());
            }
            continue;
        }
        let limit = (room * opts.batch_size).min(MAX_CLAIM);
        let claimed = match store.claim_due(Utc::now(), limit).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("feeder: claim failed: {e}");
                if pause(&mut stop, error_pause).await {
                    return Ok(());
                }
                continue;
            }
        };
        if claimed.is_empty() {
            if pause(&mut stop, opts.poll_interval).await {
                return Ok(());
            }
            continue;
        }
        let contacts = claimed.len() as u64;
        let jobs: Vec<ContactBatch> = claimed
            .chunks(opts.batch_size)
            .map(|chunk| ContactBatch {
                contacts: chunk.to_vec(),
            })
            .collect();
        let job_count = jobs.len() as u64;
        if let Err(e) = push_with_retry(&queue, jobs).await {
            // The contacts stay `queued` in the store; maintenance puts
            // them back in the plan when their lease expires.
            tracing::warn!(
                "feeder: {contacts} claimed contacts not queued ({e}); they return after the lease"
            );
            if pause(&mut stop, error_pause).await {
                return Ok(());
            }
            continue;
        }
        Stats::add(&stats.fed_contacts, contacts);
        Stats::add(&stats.fed_jobs, job_count);
        tracing::debug!("feeder: {contacts} contacts in {job_count} jobs (backlog was {backlog})");
    }
}

/// Claimed contacts are pushed even while stopping: giving up on them
/// would strand them until their lease expires.
async fn push_with_retry(queue: &Queue, jobs: Vec<ContactBatch>) -> Result<(), QueueError> {
    let mut last = None;
    for wait in [0u64, 100, 500, 2_000] {
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        match queue.push(jobs.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| QueueError::Backend("push failed".into())))
}

/// Periodic upkeep; with `stop_when_idle`, also ends the run once the store
/// has nothing pending, queued or sending.
pub(crate) async fn maintain<S: Store>(
    store: Arc<S>,
    queue: Queue,
    opts: WorkerOptions,
    stats: Arc<Stats>,
    stop_tx: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), QueueError> {
    let queued_lease = chrono::Duration::from_std(opts.queued_lease)
        .map_err(|e| QueueError::Options(e.to_string()))?;
    let sending_lease = chrono::Duration::from_std(opts.sending_lease)
        .map_err(|e| QueueError::Options(e.to_string()))?;
    // Idle checks are cheap on Redis (a hash read) but scan on SQLite.
    let idle_every = (opts.poll_interval * 4).max(Duration::from_millis(200));
    let mut last_upkeep = tokio::time::Instant::now();
    // Upkeep once at start: a restarted process picks up what a killed
    // one left behind.
    let mut first = true;
    loop {
        let upkeep = first || last_upkeep.elapsed() >= opts.maintenance_interval;
        // Before recovery: a journaled outcome is not a stale `sending`.
        if let Some(journal) = &opts.journal
            && (upkeep || journal.is_dirty())
        {
            replay_journal(store.as_ref(), journal, &stats).await;
        }
        if upkeep {
            first = false;
            last_upkeep = tokio::time::Instant::now();
            let now = Utc::now();
            match store
                .recover_stale(now - queued_lease, now - sending_lease)
                .await
            {
                Ok((requeued, unknown)) => {
                    Stats::add(&stats.recovered_queued, requeued);
                    Stats::add(&stats.recovered_unknown, unknown);
                    if requeued + unknown > 0 {
                        tracing::warn!(
                            "recovered {requeued} stale queued and {unknown} stale sending contacts"
                        );
                    }
                }
                Err(e) => tracing::warn!("recover_stale failed: {e}"),
            }
            match queue.vacuum().await {
                Ok(n) if n > 0 => tracing::debug!("vacuumed {n} finished queue jobs"),
                Ok(_) => {}
                Err(e) => tracing::warn!("queue vacuum failed: {e}"),
            }
        }
        if opts.stop_when_idle {
            match store.counts(None).await {
                Ok(counts) => {
                    let open: u64 = [
                        ContactState::Pending,
                        ContactState::Queued,
                        ContactState::Sending,
                    ]
                    .iter()
                    .map(|s| counts.get(s).copied().unwrap_or(0))
                    .sum();
                    if open == 0 {
                        tracing::info!("no pending, queued or sending contacts left: stopping");
                        let _ = stop_tx.send(true);
                        return Ok(());
                    }
                }
                Err(e) => tracing::warn!("idle check failed: {e}"),
            }
        }
        let mut wait = if opts.stop_when_idle {
            idle_every
        } else {
            opts.maintenance_interval
        };
        if opts.journal.as_ref().is_some_and(|j| j.is_dirty()) {
            wait = wait.min(JOURNAL_RETRY);
        }
        if pause(&mut stop, wait).await {
            return Ok(());
        }
    }
}
