//! What an apalis job does: run each contact of its batch through the
//! processor, retry transient store failures briefly in place, record
//! permanent failures so that every contact still ends in one terminal
//! state, and tell apalis whether to retry the job (transient) or not
//! (abort).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{AbortError, BoxDynError, Data};
use chrono::Utc;
use futures::FutureExt;
use serde::{Deserialize, Serialize};

use super::{ContactBatch, ContactProcessor, Stats};
use crate::engine::{LedgerCode, PipelineError};
use crate::store::{ContactRecord, ContactState, LedgerEntry, LedgerState, Store, Transition};

/// Everything a job needs, shared by all jobs of a process.
pub(crate) struct JobContext<S, P> {
    pub store: Arc<S>,
    pub processor: Arc<P>,
    pub stats: Arc<Stats>,
}

/// Pauses between in-place retries of a contact whose store call failed
/// transiently (a Redis failover, a locked SQLite file). Short: after them
/// the job goes back to apalis, which retries it later.
const TRANSIENT_BACKOFF: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(250),
    Duration::from_secs(1),
];

/// How long a handed-back contact waits before it is due again.
const HAND_BACK_DELAY: chrono::Duration = chrono::Duration::seconds(2);

/// What apalis records as the job's result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BatchResult {
    pub contacts: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{count} contact(s) of the batch hit a transient failure, last: {last}")]
pub(crate) struct TransientBatchError {
    count: usize,
    last: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{count} contact(s) of the batch failed permanently, last: {last}")]
pub(crate) struct PermanentBatchError {
    count: usize,
    last: String,
}

pub(crate) enum One {
    Done,
    Transient(PipelineError),
    Permanent(PipelineError),
}

/// How a batch ended, for whichever queue ran it.
pub(crate) enum BatchVerdict {
    Done(BatchResult),
    /// Run it again later: contacts already finished are skipped then (not
    /// queued any more), so only the failed ones do work again.
    Transient(TransientBatchError),
    /// Already recorded per contact; retrying cannot help.
    Permanent(PermanentBatchError),
}

/// Runs one batch through the processor and says what the queue should do
/// with it.
pub(crate) async fn run_batch<S: Store, P: ContactProcessor>(
    ctx: &JobContext<S, P>,
    batch: ContactBatch,
) -> BatchVerdict {
    Stats::add(&ctx.stats.jobs, 1);
    let contacts = batch.contacts.len();
    let results = process_contacts(ctx, batch.contacts).await;
    let (mut transient, mut permanent) = (Vec::new(), Vec::new());
    for result in results {
        match result {
            One::Done => {}
            One::Transient(e) => transient.push(e),
            One::Permanent(e) => permanent.push(e),
        }
    }
    Stats::add(&ctx.stats.transient_errors, transient.len() as u64);
    Stats::add(&ctx.stats.permanent_errors, permanent.len() as u64);
    if let Some(last) = transient.last() {
        tracing::warn!(
            "job retried: {} transient failure(s), last: {last}",
            transient.len()
        );
        return BatchVerdict::Transient(TransientBatchError {
            count: transient.len(),
            last: last.to_string(),
        });
    }
    if let Some(last) = permanent.last() {
        tracing::error!(
            "job aborted: {} permanent failure(s), last: {last}",
            permanent.len()
        );
        return BatchVerdict::Permanent(PermanentBatchError {
            count: permanent.len(),
            last: last.to_string(),
        });
    }
    BatchVerdict::Done(BatchResult { contacts })
}

/// The apalis handler: a transient failure is a plain error (apalis runs
/// the job again later), a permanent one aborts the job.
pub(crate) async fn handle_batch<S: Store, P: ContactProcessor>(
    batch: ContactBatch,
    ctx: Data<Arc<JobContext<S, P>>>,
) -> Result<BatchResult, BoxDynError> {
    match run_batch(&ctx.0, batch).await {
        BatchVerdict::Done(result) => Ok(result),
        BatchVerdict::Transient(e) => Err(Box::new(e)),
        BatchVerdict::Permanent(e) => Err(Box::new(AbortError::new(e))),
    }
}

/// The batch path first: the contacts this process handles go through the
/// processor's `process_batch` together. A permanent failure there is
/// recorded as `process_one` records it; a contact that hit a transient
/// failure (or all of them, if the batch panicked) goes through
/// `process_one`, which retries it exactly as a contact processed alone.
async fn process_contacts<S: Store, P: ContactProcessor>(
    ctx: &JobContext<S, P>,
    records: Vec<ContactRecord>,
) -> Vec<One> {
    let (handled, others): (Vec<_>, Vec<_>) = records
        .into_iter()
        .partition(|r| ctx.processor.handles(&r.contact.campaign));
    let mut out = futures::future::join_all(others.into_iter().map(|r| process_one(ctx, r))).await;
    if handled.is_empty() {
        return out;
    }
    let batch = AssertUnwindSafe(ctx.processor.process_batch(handled.clone(), Utc::now()))
        .catch_unwind()
        .await;
    let again: Vec<ContactRecord> = match batch {
        Ok(results) if results.len() == handled.len() => {
            let mut again = Vec::new();
            for (record, result) in handled.into_iter().zip(results) {
                match result {
                    Ok(outcome) => {
                        ctx.stats.outcome(&outcome);
                        out.push(One::Done);
                    }
                    Err(e) if e.is_transient() => {
                        tracing::debug!(
                            "contact {} failed in its batch ({e}); retrying it alone",
                            record.contact.id
                        );
                        again.push(record);
                    }
                    Err(e) => {
                        record_permanent_failure(ctx.store.as_ref(), &record, &e).await;
                        out.push(One::Permanent(e));
                    }
                }
            }
            again
        }
        Ok(_) => handled,
        Err(panic) => {
            tracing::warn!(
                "batch panicked ({}); processing its contacts one by one",
                panic_text(&panic)
            );
            handled
        }
    };
    out.extend(futures::future::join_all(again.into_iter().map(|r| process_one(ctx, r))).await);
    out
}

async fn process_one<S: Store, P: ContactProcessor>(
    ctx: &JobContext<S, P>,
    record: ContactRecord,
) -> One {
    if !ctx.processor.handles(&record.contact.campaign) {
        return hand_back(ctx, &record).await;
    }
    let mut backoff = TRANSIENT_BACKOFF.iter();
    loop {
        // A panic in the pipeline fails this contact, not the process.
        let result = AssertUnwindSafe(ctx.processor.process(record.clone(), Utc::now()))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                Err(PipelineError::Setup(format!(
                    "pipeline panicked: {}",
                    panic_text(&panic)
                )))
            });
        match result {
            Ok(outcome) => {
                ctx.stats.outcome(&outcome);
                return One::Done;
            }
            Err(e) if e.is_transient() => match backoff.next() {
                Some(pause) => tokio::time::sleep(*pause).await,
                None => return One::Transient(e),
            },
            Err(e) => {
                record_permanent_failure(ctx.store.as_ref(), &record, &e).await;
                return One::Permanent(e);
            }
        }
    }
}

/// Puts a contact of a campaign this process does not serve back in the
/// plan, due again after a pause so that this process' own feeder does not
/// take it straight back; no ledger row (nothing was decided).
pub(crate) async fn hand_back<S: Store, P: ContactProcessor>(
    ctx: &JobContext<S, P>,
    record: &ContactRecord,
) -> One {
    let due_at = Utc::now() + HAND_BACK_DELAY;
    let to = Transition::Reschedule {
        due_at,
        attempt: record.attempt,
    };
    match ctx.store.transition(&record.contact.id, to, &[]).await {
        Ok(_) => {
            Stats::add(&ctx.stats.handed_back, 1);
            One::Done
        }
        // Left queued: the lease returns it to the plan.
        Err(e) if e.is_transient() => One::Transient(e.into()),
        Err(e) => {
            tracing::warn!("cannot hand back {}: {e}", record.contact.id);
            One::Done
        }
    }
}

/// A contact the pipeline cannot handle (bad template, corrupt row) still
/// needs a terminal state and a ledger row saying why: `failed` if nothing
/// went out, `unknown` if it was already reserved (the message may have
/// left). Best effort: if the store fails too, `recover_stale` handles the
/// contact later.
async fn record_permanent_failure<S: Store>(
    store: &S,
    record: &ContactRecord,
    error: &PipelineError,
) {
    let id = &record.contact.id;
    let current = match store.contact(id).await {
        Ok(Some(current)) => current,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!("cannot record the failure of {id}: {e}");
            return;
        }
    };
    let (to, state) = match current.state {
        ContactState::Queued => (ContactState::Failed, LedgerState::Failed),
        ContactState::Sending => (ContactState::Unknown, LedgerState::Unknown),
        _ => return,
    };
    let mut row = LedgerEntry::for_contact(&record.contact, state, Utc::now());
    row.code = Some(LedgerCode::InternalError.into());
    row.detail = Some(error.to_string());
    row.attempt = current.attempt;
    if let Err(e) = store.transition(id, Transition::Finish(to), &[row]).await {
        tracing::warn!("cannot record the failure of {id}: {e}");
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic".into()
    }
}
