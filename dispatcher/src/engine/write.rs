//! The write that ends a contact's pass: its transition and ledger rows,
//! applied now or held for the batch's one write.

use cobro_campaigns::PlannedContact;

use super::batch::BatchSlot;
use super::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::{ContactState, LedgerEntry, Store, StoreError, Transition, TransitionItem};

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

    /// A send's outcome, held for the batch's one write or written now
    /// ([`Dispatcher::settle`]).
    pub(super) async fn settle_held(
        &self,
        batch: Option<BatchSlot<'_>>,
        contact: &PlannedContact,
        to: Transition,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        match batch {
            Some(slot) => Ok(slot.hold(contact, to, rows.to_vec(), outcome)),
            None => self.settle(contact, to, rows, outcome).await,
        }
    }

    /// `write` for what a provider answered: the message is out (or may
    /// be), so the outcome must not be lost to a store outage. When the
    /// store cannot take it now, the journal keeps it and writes it later.
    pub(super) async fn settle(
        &self,
        contact: &PlannedContact,
        to: Transition,
        rows: &[LedgerEntry],
        outcome: ProcessOutcome,
    ) -> Result<ProcessOutcome, PipelineError> {
        match self.write(contact, to.clone(), rows, outcome.clone()).await {
            Err(PipelineError::Store(e)) if e.is_transient() => {
                let item = TransitionItem {
                    id: contact.id.clone(),
                    to,
                    ledger: rows.to_vec(),
                };
                self.journal_held(e, &[], &[item])
                    .map(|()| outcome)
                    .map_err(PipelineError::Store)
            }
            other => other,
        }
    }

    /// Puts writes the store refused with `error` into the outcome journal;
    /// `error` back when there is no journal or it cannot be written.
    pub(super) fn journal_held(
        &self,
        error: StoreError,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> Result<(), StoreError> {
        let Some(journal) = &self.journal else {
            return Err(error);
        };
        match journal.append(plan, items) {
            Ok(()) => {
                tracing::warn!(
                    "store unavailable ({error}): {} outcomes kept in {} until it answers",
                    items.len(),
                    journal.path().display()
                );
                Ok(())
            }
            Err(e) => {
                tracing::error!("{e}; the store's error stands: {error}");
                Err(error)
            }
        }
    }
}
