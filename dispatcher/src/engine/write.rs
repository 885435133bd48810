//! The write that ends a contact's pass: its transition and ledger rows,
//! applied now or held for the batch's one write.

use cobro_campaigns::PlannedContact;

use super::batch::BatchSlot;
use super::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::{ContactState, LedgerEntry, Store, Transition};

impl<S: Store> Dispatcher<S> {
    /// Tells the metrics about rows the store has just recorded.
    pub(super) fn recorded(&self, rows: &[LedgerEntry]) {
        if let Some(metrics) = &self.metrics {
            metrics.record_rows(rows);
        }
    }

    /// `finish`, or, inside a batch, held back for the batch's one write.
    pub(super) async fn finish_held(
        &self,
        batch: Option<BatchSlot<'_>>,
        contact: &PlannedContact,
        state: ContactState,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        match batch {
            Some(slot) => Ok(slot.hold(contact, Transition::Finish(state), rows.to_vec(), outcome)),
            None => self.finish(contact, state, rows, outcome).await,
        }
    }

    /// Ends the contact in `state` now.
    pub(super) async fn finish(
        &self,
        contact: &PlannedContact,
        state: ContactState,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        self.write(contact, Transition::Finish(state), rows, outcome)
            .await
    }

    /// Applies `to` with its ledger rows now (not held for a batch):
    /// `outcome` when it applied, `Skipped` when the contact had moved on.
    pub(super) async fn write(
        &self,
        contact: &PlannedContact,
        to: Transition,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        let moved = self.store.transition(&contact.id, to, rows).await?;
        if moved {
            self.recorded(rows);
        }
        Ok(if moved {
            outcome
        } else {
            ProcessOutcome::Skipped
        })
    }
}
