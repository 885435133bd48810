//! The send step: render the message, hand it to the provider and turn
//! the provider's answer into the contact's end (sent, failed, unknown) or
//! a retry.

use chrono::{DateTime, Utc};
use cobro_campaigns::{Account, ChannelKind, ContactPoint, PlannedContact};
use cobro_channels::templates::MessageContext;
use cobro_channels::{ChannelError, OutboundMessage, Receipt, mask_address};
use cobro_compliance::Verdict;

use super::batch::BatchSlot;
use super::rows::{note_row, verdict_row};
use super::{Dispatcher, LedgerCode, PipelineError, ProcessOutcome};
use crate::store::{
    ContactRecord, ContactState, LedgerEntry, LedgerState, Store, Suppression, Transition,
};

/// How a `sent` SMS row's detail gives its billed segments
/// (`segments=2`): the arms' report and `cobro export gestiones` read it.
pub const SEGMENTS_DETAIL: &str = "segments=";

impl<S: Store> Dispatcher<S> {
    /// Render and hand to the provider; the contact is `sending` and its
    /// attempt already counts against caps.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send(
        &self,
        record: &ContactRecord,
        account: &Account,
        point: &ContactPoint,
        verdict: &Verdict,
        allowed: LedgerEntry,
        at: DateTime<Utc>,
        batch: Option<BatchSlot<'_>>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let contact = &record.contact;
        let attempt = record.attempt + 1;
        let message = match self.render(contact, account, point, at) {
            Ok(message) => message,
            Err(detail) => {
                let row = note_row(
                    contact,
                    LedgerState::Failed,
                    at,
                    LedgerCode::TemplateError,
                    detail,
                    attempt,
                );
                return self
                    .finish(
                        contact,
                        ContactState::Failed,
                        &[allowed, row],
                        ProcessOutcome::Failed,
                    )
                    .await;
            }
        };
        let result = self.channels.send(contact.channel, &message).await;
        let mut outcome_row = verdict_row(contact, LedgerState::Sent, at, verdict, attempt);
        outcome_row.code = None;
        outcome_row.detail = None;
        match result {
            Ok(Receipt {
                provider,
                provider_id,
                segments,
            }) => {
                outcome_row.provider = Some(provider);
                outcome_row.provider_id = Some(provider_id);
                let segments = segments.or_else(|| {
                    (contact.channel == ChannelKind::Sms)
                        .then(|| cobro_channels::encoding::sms_segments(&message.text).segments)
                });
                // What the provider bills, on the row itself: the arms'
                // report prices each arm's SMS from its own rows.
                if let Some(n) = segments.filter(|_| contact.channel == ChannelKind::Sms) {
                    outcome_row.detail = Some(format!("{SEGMENTS_DETAIL}{n}"));
                }
                tracing::debug!(contact = %contact.id, to = %mask_address(&point.address), "sent");
                self.settle_held(
                    batch,
                    contact,
                    Transition::Finish(ContactState::Sent),
                    &[allowed, outcome_row],
                    ProcessOutcome::Sent { segments },
                )
                .await
            }
            Err(err) => {
                self.send_failed(record, point, allowed, outcome_row, err, at)
                    .await
            }
        }
    }

    /// Classifies a provider error: unknown when the message may have gone,
    /// a retry while attempts remain, else failed (suppressing the address
    /// when the provider says its owner opted out).
    async fn send_failed(
        &self,
        record: &ContactRecord,
        point: &ContactPoint,
        allowed: LedgerEntry,
        mut row: LedgerEntry,
        err: ChannelError,
        at: DateTime<Utc>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let contact = &record.contact;
        let attempt = record.attempt + 1;
        row.provider = Some(self.channels.provider_name(contact.channel));
        row.detail = Some(err.to_string());
        row.code = err.provider_code().map(str::to_string);
        tracing::warn!(contact = %contact.id, to = %mask_address(&point.address), error = %err, "send failed");
        match &err {
            ChannelError::Transient {
                maybe_sent: true, ..
            } => {
                row.state = LedgerState::Unknown;
                self.settle(
                    contact,
                    Transition::Finish(ContactState::Unknown),
                    &[allowed, row],
                    ProcessOutcome::Unknown,
                )
                .await
            }
            ChannelError::Unavailable { .. } => {
                // The operator's machine is at fault (a full disk, a
                // read-only outbox): the contact waits for it without
                // spending an attempt, however long that takes.
                tracing::error!(contact = %contact.id, error = %err, "transport unavailable; the contact waits and keeps its attempts");
                let until = at
                    + chrono::Duration::from_std(self.retry.base_backoff)
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                row.state = LedgerState::Retry;
                self.settle(
                    contact,
                    Transition::Reschedule {
                        due_at: until,
                        attempt: record.attempt,
                    },
                    &[allowed, row],
                    ProcessOutcome::Rescheduled(until),
                )
                .await
            }
            ChannelError::Transient { .. } | ChannelError::Throttled { .. }
                if attempt < self.retry.max_attempts =>
            {
                let backoff = err.retry_after().unwrap_or_else(|| {
                    self.retry
                        .base_backoff
                        .saturating_mul(1 << (attempt - 1).min(10))
                });
                let until = at
                    + chrono::Duration::from_std(backoff)
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                row.state = LedgerState::Retry;
                self.settle(
                    contact,
                    Transition::Reschedule {
                        due_at: until,
                        attempt,
                    },
                    &[allowed, row],
                    ProcessOutcome::Rescheduled(until),
                )
                .await
            }
            ChannelError::OptedOut { .. } => {
                row.state = LedgerState::Failed;
                row.code = Some(LedgerCode::ProviderOptedOut.into());
                self.store
                    .suppress(&Suppression {
                        channel: Some(contact.channel),
                        address: point.address.clone(),
                        prefix: false,
                        source: format!(
                            "provider:{}",
                            self.channels.provider_name(contact.channel)
                        ),
                        at,
                    })
                    .await?;
                let outcome = self
                    .finish(
                        contact,
                        ContactState::Failed,
                        &[allowed, row],
                        ProcessOutcome::Failed,
                    )
                    .await?;
                self.store
                    .cancel_account_contacts(
                        &contact.account,
                        Some(contact.channel),
                        LedgerCode::ProviderOptedOut.as_str(),
                        "the recipient opted out at the provider",
                        at,
                    )
                    .await?;
                self.plan_fallback(contact, at).await?;
                Ok(outcome)
            }
            _ => {
                row.state = LedgerState::Failed;
                let outcome = self
                    .finish(
                        contact,
                        ContactState::Failed,
                        &[allowed, row],
                        ProcessOutcome::Failed,
                    )
                    .await?;
                self.plan_fallback(contact, at).await?;
                Ok(outcome)
            }
        }
    }

    /// What a template sees of `account` at `at`: the message's and a
    /// collector's call script's (`work_queue`) one context.
    pub(crate) fn message_context(
        &self,
        account: &Account,
        unsubscribe_url: Option<String>,
        at: DateTime<Utc>,
    ) -> MessageContext {
        MessageContext::from_account(
            account,
            &self.sender.identity(unsubscribe_url),
            at.date_naive(),
        )
        .with_portal_link(self.sender.portal_url(&account.id, at))
    }

    fn render(
        &self,
        contact: &PlannedContact,
        account: &Account,
        point: &ContactPoint,
        at: DateTime<Utc>,
    ) -> Result<OutboundMessage, String> {
        let unsubscribe_url = (contact.channel == ChannelKind::Email).then(|| {
            self.sender
                .unsubscribe_url(account, contact.channel, &point.address)
        });
        let context = self.message_context(account, unsubscribe_url.clone(), at);
        let rendered = self
            .templates
            .render(
                &contact.template,
                &account.language,
                contact.channel,
                &context,
            )
            .map_err(|e| e.to_string())?;
        Ok(OutboundMessage {
            contact_id: contact.id.clone(),
            channel: contact.channel,
            to: point.address.clone(),
            from: self.sender.from_for(contact.channel),
            language: account.language.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            unsubscribe_url,
            status_callback: self.sender.status_callback(contact.channel),
            reference: Some(super::contact_ref::contact_ref(
                &self.sender.link_secret,
                &contact.id,
            )),
            voice: None,
            sent_at: Some(at),
        })
    }
}
