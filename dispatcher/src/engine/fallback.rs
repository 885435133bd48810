//! Fallbacks: a blocked or failed step may go out on its fallback channel.

use chrono::{DateTime, Utc};
use cobro_campaigns::PlannedContact;

use super::batch::BatchSlot;
use super::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::{ContactState, LedgerEntry, Store};

/// The fallback contact of a blocked or failed step (`step+channel`, due
/// at `at`), if the step has one.
fn fallback_of(contact: &PlannedContact, at: DateTime<Utc>) -> Option<PlannedContact> {
    let channel = contact.fallback?;
    Some(PlannedContact {
        id: format!("{}+{}", contact.id, channel),
        campaign: contact.campaign.clone(),
        account: contact.account.clone(),
        step: format!("{}+{}", contact.step, channel),
        channel,
        template: contact.template.clone(),
        fallback: None,
        due_at: at,
        team: None,
    })
}

impl<S: Store> Dispatcher<S> {
    /// A blocked or failed step may go out on its fallback channel; the
    /// fallback is a contact of its own (`step+channel`), planned now and
    /// guarded like any other. Fallbacks do not chain.
    pub(super) async fn plan_fallback(
        &self,
        contact: &PlannedContact,
        at: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        let Some(fallback) = fallback_of(contact, at) else {
            return Ok(());
        };
        self.store
            .add_contacts(std::slice::from_ref(&fallback))
            .await?;
        Ok(())
    }

    /// `plan_fallback` for a contact whose write is held: inside a batch
    /// the fallback is added with the batch's others, just before the
    /// batch's writes.
    pub(super) async fn plan_fallback_held(
        &self,
        batch: Option<BatchSlot<'_>>,
        contact: &PlannedContact,
        at: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        match batch {
            Some(slot) => {
                if let Some(fallback) = fallback_of(contact, at) {
                    slot.fallbacks
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((slot.index, fallback));
                }
                Ok(())
            }
            None => self.plan_fallback(contact, at).await,
        }
    }

    /// Blocks a contact whose write is held, its fallback planned first
    /// (the fallback is guarded on its own channel: a per-channel opt-out
    /// or missing consent may not apply there).
    pub(super) async fn block_held(
        &self,
        batch: Option<BatchSlot<'_>>,
        contact: &PlannedContact,
        at: DateTime<Utc>,
        row: LedgerEntry,
    ) -> Result<ProcessOutcome, PipelineError> {
        self.plan_fallback_held(batch, contact, at).await?;
        self.finish_held(
            batch,
            contact,
            ContactState::Blocked,
            &[row],
            ProcessOutcome::Blocked,
        )
        .await
    }
}
