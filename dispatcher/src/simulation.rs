//! The virtual-clock driver: runs the same pipeline as the workers, in
//! due-time order, jumping the clock straight to the next due contact. A
//! month of campaign takes seconds and shows exactly what the real run
//! would decide.

use chrono::{DateTime, Utc};

use crate::pipeline::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::Store;

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
    pub first_instant: Option<DateTime<Utc>>,
    pub last_instant: Option<DateTime<Utc>>,
}

/// How many contacts one claim takes from the plan.
const CLAIM_CHUNK: usize = 500;

/// Runs until no contact is pending. Contacts are processed at their own
/// due instant (never earlier than `start`).
pub async fn run_virtual_clock<S: Store>(
    dispatcher: &Dispatcher<S>,
    start: DateTime<Utc>,
) -> Result<SimulationStats, PipelineError> {
    let mut stats = SimulationStats::default();
    let mut clock = start;
    while let Some(next) = dispatcher.store.next_due().await? {
        clock = clock.max(next);
        let batch = dispatcher.store.claim_due(clock, CLAIM_CHUNK).await?;
        for record in batch {
            let at = clock.max(record.due_at);
            stats.first_instant.get_or_insert(at);
            stats.last_instant = Some(at);
            stats.passes += 1;
            match dispatcher.process(record, at).await? {
                ProcessOutcome::Sent { segments } => {
                    stats.sent += 1;
                    stats.sms_segments += u64::from(segments.unwrap_or(0));
                }
                ProcessOutcome::Rescheduled(_) => stats.rescheduled += 1,
                ProcessOutcome::Blocked => stats.blocked += 1,
                ProcessOutcome::Cancelled => stats.cancelled += 1,
                ProcessOutcome::Failed => stats.failed += 1,
                ProcessOutcome::Unknown => stats.unknown += 1,
                ProcessOutcome::Skipped => {}
            }
        }
    }
    Ok(stats)
}
