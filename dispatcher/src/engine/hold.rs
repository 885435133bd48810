//! What the debtor did that holds a contact before the guard is asked: an
//! open promise or plan pauses the account's contacts until its deadline,
//! an open dispute pauses them until it is resolved, and a step that waits
//! for a broken promise goes out only when one broke. The plan keeps its
//! due times; a held contact is deferred like any other, so the ledger says
//! why and the contact resumes by itself when the hold ends.

use chrono::{DateTime, Duration, Utc};
use cobro_campaigns::PlannedContact;
use cobro_campaigns::book::{AccountBook, Hold};

use super::batch::BatchSlot;
use super::rows::note_row;
use super::{Dispatcher, LedgerCode, PipelineError, ProcessOutcome};
use crate::store::{ContactState, LedgerState, Store, Transition};

/// A disputed account is looked at again this often: the dispute's
/// resolution is an event the plan does not see, so held contacts wake on
/// their own at most this long after it.
pub const DISPUTE_RECHECK: Duration = Duration::hours(24);

impl<S: Store> Dispatcher<S> {
    /// `Some(outcome)` when the book holds or cancels the contact.
    pub(super) async fn hold_for_book(
        &self,
        book: &AccountBook,
        contact: &PlannedContact,
        now: DateTime<Utc>,
        attempt: u32,
        batch: Option<BatchSlot<'_>>,
    ) -> Result<Option<ProcessOutcome>, PipelineError> {
        let grace = self.book_limits.grace_days;
        let (until, code, detail) = match book.hold(now, grace) {
            Some(Hold::Dispute) => (
                now + DISPUTE_RECHECK,
                LedgerCode::DisputeHold,
                "the debtor disputes the debt: no contact until it is resolved".to_string(),
            ),
            Some(Hold::Promise { until }) => (
                until,
                LedgerCode::PromiseHold,
                format!(
                    "the debtor promised to pay: contacts wait until {}",
                    until.format("%Y-%m-%d %H:%MZ")
                ),
            ),
            None => {
                if self.broken_promise_steps.contains(&contact.step)
                    && !book.has_broken_promise(now, grace)
                {
                    let row = note_row(
                        contact,
                        LedgerState::Cancelled,
                        now,
                        LedgerCode::NoBrokenPromise,
                        "the step is for broken promises and no promise of the account broke"
                            .to_string(),
                        attempt,
                    );
                    return self
                        .finish_held(
                            batch,
                            contact,
                            ContactState::Cancelled,
                            &[row],
                            ProcessOutcome::Cancelled,
                        )
                        .await
                        .map(Some);
                }
                return Ok(None);
            }
        };
        let row = note_row(contact, LedgerState::Deferred, now, code, detail, attempt);
        let to = Transition::Reschedule {
            due_at: until,
            attempt,
        };
        let outcome = ProcessOutcome::Rescheduled(until);
        if let Some(slot) = batch {
            return Ok(Some(slot.hold(contact, to, vec![row], outcome)));
        }
        self.write(contact, to, &[row], outcome).await.map(Some)
    }
}
