//! The guard step of a contact's pass: load the account, stop when it is
//! unknown, stopped or has no address, ask the guard (again after waiting
//! for a provider token), and reserve the slot, which is what moves a
//! contact from deciding to sending.

use chrono::{DateTime, Utc};
use cobro_campaigns::book::AccountBook;
use cobro_campaigns::{PlannedContact, debtor_key};
use cobro_compliance::{
    AvoidHours, ContactAttempt, DebtorProfile, Decision, PastContact, PastContactKind,
};

use super::batch::{BatchSlot, Prefetched};
use super::reserve_gate::GateTicket;
use super::rows::{account_stopped_row, note_row, verdict_row};
use super::{Dispatcher, LedgerCode, PipelineError, ProcessOutcome};
use crate::store::{
    ContactRecord, ContactState, HistoryEntry, LedgerState, Reservation, ReservationRelease,
    ReserveOutcome, Store, StoreError, Transition,
};

/// The hours the debtor asked not to be contacted in, as the guard reads
/// them (a malformed pair in the book is skipped, as when it was stored).
pub(crate) fn avoided_hours(book: &AccountBook) -> Vec<AvoidHours> {
    book.preferences
        .avoid
        .iter()
        .filter_map(|(from, to)| AvoidHours::new(*from, *to).ok())
        .collect()
}

/// The debtor's ledger history as the guard counts it for `account`.
pub(crate) fn past_contacts(entries: &[HistoryEntry], account: &str) -> Vec<PastContact> {
    entries
        .iter()
        .map(|e| PastContact {
            at: e.at,
            channel: e.channel,
            kind: if e.conversation {
                PastContactKind::Conversation
            } else {
                PastContactKind::Attempt
            },
            same_account: e.account == account,
        })
        .collect()
}

/// How many times the guard is asked again when another worker contacted
/// the same debtor between the decision and the reservation.
const MAX_RESERVE_RACES: usize = 8;

impl<S: Store> Dispatcher<S> {
    /// One contact's pass from the claim to its last write (or to `send`).
    pub(super) async fn run(
        &self,
        record: ContactRecord,
        now: DateTime<Utc>,
        pre: Option<Prefetched>,
        batch: Option<BatchSlot<'_>>,
        mut ticket: Option<GateTicket<'_>>,
    ) -> Result<ProcessOutcome, PipelineError> {
        let contact = &record.contact;
        let attempt = record.attempt;

        let (account, pre_checks, book) = match pre {
            Some(pre) => (pre.account, pre.checks, pre.book),
            None => (
                self.store.account(&contact.account).await?,
                None,
                self.store.book(&contact.account).await?.0,
            ),
        };
        let Some((account, status)) = account else {
            let row = note_row(
                contact,
                LedgerState::Blocked,
                now,
                LedgerCode::UnknownAccount,
                format!("account {} is not in the store", contact.account),
                attempt,
            );
            return self
                .finish_held(
                    batch,
                    contact,
                    ContactState::Blocked,
                    &[row],
                    ProcessOutcome::Blocked,
                )
                .await;
        };
        if status.stops(self.stop_from) {
            let row = account_stopped_row(contact, now, status, attempt);
            return self
                .finish_held(
                    batch,
                    contact,
                    ContactState::Cancelled,
                    &[row],
                    ProcessOutcome::Cancelled,
                )
                .await;
        }
        if let Some(outcome) = self
            .hold_for_book(&book, contact, now, attempt, batch)
            .await?
        {
            return Ok(outcome);
        }
        let Some(point) = account.contact_point_for(contact.channel).cloned() else {
            let row = note_row(
                contact,
                LedgerState::Blocked,
                now,
                LedgerCode::NoAddress,
                format!("the account has no usable {} address", contact.channel),
                attempt,
            );
            return self.block_held(batch, contact, now, row).await;
        };

        let key = debtor_key(&account);
        // A collector's call is decided, suppressed and counted as a call.
        let guarded = contact.channel.guarded_as();
        let (suppressed, mut first_history) = match pre_checks {
            Some(c) => (c.suppressed, Some((c.history, c.version))),
            None => (
                self.store.is_suppressed(guarded, &point.address).await?,
                None,
            ),
        };
        let attempt_input = ContactAttempt {
            channel: guarded,
            suppressed,
        };
        let mut profile = DebtorProfile::from_account(&account, &point);
        profile.avoid = avoided_hours(&book);

        let mut races = 0;
        loop {
            // The batch's read serves the first decision; a race re-reads.
            let (entries, version) = match first_history.take() {
                Some(h) => h,
                None => self.store.history(&key).await?,
            };
            let history = past_contacts(&entries, &account.id);
            let mut verdict = self.guard.decide(&attempt_input, &profile, &history, now);
            let mut send_at = now;

            if matches!(verdict.decision, Decision::Allow) {
                // A contact that may wait for a provider token reserves on
                // its own: at the batch's reservation gate it would hold
                // the batch's other contacts behind its wait, and they
                // would send later than the instant the guard approved
                // (past the end of a window; found by the fault suite).
                if self.channels.is_rate_limited(contact.channel) {
                    drop(ticket.take());
                }
                // Take a provider token first; if we had to wait, the
                // window may have closed meanwhile: ask the guard again.
                let waited = self
                    .channels
                    .wait_for_token(contact.channel, &self.sender.from_for(contact.channel))
                    .await;
                if !waited.is_zero() {
                    send_at = now
                        + chrono::Duration::from_std(waited)
                            .unwrap_or_else(|_| chrono::Duration::zero());
                    verdict = self
                        .guard
                        .decide(&attempt_input, &profile, &history, send_at);
                }
            }

            match verdict.decision {
                Decision::Block => {
                    let row =
                        verdict_row(contact, LedgerState::Blocked, send_at, &verdict, attempt);
                    return self.block_held(batch, contact, send_at, row).await;
                }
                Decision::Defer { until } => {
                    let row =
                        verdict_row(contact, LedgerState::Deferred, send_at, &verdict, attempt);
                    if let Some(slot) = batch {
                        return Ok(slot.hold(
                            contact,
                            Transition::Reschedule {
                                due_at: until,
                                attempt,
                            },
                            vec![row],
                            ProcessOutcome::Rescheduled(until),
                        ));
                    }
                    return self
                        .write(
                            contact,
                            Transition::Reschedule {
                                due_at: until,
                                attempt,
                            },
                            &[row],
                            ProcessOutcome::Rescheduled(until),
                        )
                        .await;
                }
                Decision::Allow => {
                    let reservation = Reservation {
                        contact_id: contact.id.clone(),
                        account: account.id.clone(),
                        debtor_key: key.clone(),
                        channel: guarded,
                        at: send_at,
                        history_version: version,
                    };
                    // Kept for the journal only (a worker's, not a simulation's).
                    let journaled = self.journal.is_some().then(|| reservation.clone());
                    // The first reservation of a batch's contact goes out
                    // with the batch's others.
                    let outcome = match ticket.take() {
                        Some(ticket) => ticket.reserve(reservation).await,
                        None => self.store.reserve(&reservation).await,
                    };
                    let outcome = match outcome {
                        Ok(outcome) => outcome,
                        Err(e) => {
                            if let Some(reservation) = journaled {
                                self.journal_release(contact, reservation, attempt, &e);
                            }
                            return Err(e.into());
                        }
                    };
                    match outcome {
                        ReserveOutcome::Reserved => {
                            let allowed = verdict_row(
                                contact,
                                LedgerState::Allowed,
                                send_at,
                                &verdict,
                                attempt,
                            );
                            if contact.channel.is_agent() {
                                // The reservation took the cap slot: the
                                // task is the caller's (the work queue's
                                // hand-out), `sending` until its outcome.
                                self.store.append_ledger(&[allowed]).await?;
                                return Ok(ProcessOutcome::HandedOut);
                            }
                            // The message states what is owed now, after
                            // any partial payments, not the original debt.
                            let mut owed = account;
                            owed.amount_due = book.balance(owed.amount_due);
                            return self
                                .send(&record, &owed, &point, &verdict, allowed, send_at, batch)
                                .await;
                        }
                        ReserveOutcome::HistoryChanged if races < MAX_RESERVE_RACES => {
                            races += 1;
                            continue;
                        }
                        ReserveOutcome::HistoryChanged => {
                            // Heavy contention on one debtor: try again shortly.
                            let until = send_at + chrono::Duration::seconds(5);
                            return self
                                .write(
                                    contact,
                                    Transition::Reschedule {
                                        due_at: until,
                                        attempt,
                                    },
                                    &[],
                                    ProcessOutcome::Rescheduled(until),
                                )
                                .await;
                        }
                        ReserveOutcome::NotQueued => return Ok(ProcessOutcome::Skipped),
                        ReserveOutcome::AccountStopped(status) => {
                            let row = account_stopped_row(contact, send_at, status, attempt);
                            return self
                                .finish(
                                    contact,
                                    ContactState::Cancelled,
                                    &[row],
                                    ProcessOutcome::Cancelled,
                                )
                                .await;
                        }
                    }
                }
            }
        }
    }
}

impl<S: Store> Dispatcher<S> {
    /// A reservation call that failed may still have been applied (the
    /// store took it, the answer was lost with the connection): the
    /// contact would sit in `sending` with no worker and end `unknown`
    /// when its lease ran out, although nothing was sent. The journal
    /// keeps the reservation; its replay releases it if, and only if, the
    /// store took it (`Store::release` matches the instant).
    fn journal_release(
        &self,
        contact: &PlannedContact,
        reservation: Reservation,
        attempt: u32,
        error: &StoreError,
    ) {
        let Some(journal) = &self.journal else {
            return;
        };
        let row = note_row(
            contact,
            LedgerState::Deferred,
            reservation.at,
            LedgerCode::ReservationUnanswered,
            format!(
                "the store did not answer the reservation ({error}); nothing was sent, so the contact goes back to the plan"
            ),
            attempt,
        );
        let release = ReservationRelease {
            reservation,
            ledger: row,
        };
        if let Err(e) = journal.append_releases(&[release]) {
            tracing::error!(
                "{e}; contact {} may stay `sending` until its lease ends",
                contact.id
            );
        }
    }
}
