//! The contacts of one queue job together: one read of their accounts,
//! one of their suppression entries and debtor histories, their first
//! reservations in one call (`reserve_gate`), and one write of their final
//! transitions, ledger rows and fallbacks. Only the round trips are
//! shared: each contact still takes its own path through `decide` and
//! `send`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cobro_campaigns::{Account, PlannedContact, debtor_key};

use super::reserve_gate::ReserveGate;
use super::{Dispatcher, PipelineError, ProcessOutcome};
use crate::store::{
    AccountStatus, CheckQuery, ContactChecks, ContactRecord, LedgerEntry, Store, StoreError,
    Transition, TransitionItem,
};

/// What a batch read ahead for one of its contacts.
pub(super) struct Prefetched {
    pub(super) account: Option<(Account, AccountStatus)>,
    /// Present when the account is active and has an address for the
    /// contact's channel.
    pub(super) checks: Option<ContactChecks>,
    /// The account's book (payments, promises, disputes, preferences).
    pub(super) book: cobro_campaigns::book::AccountBook,
}

/// A terminal write (or deferral) held back to go out with the rest of
/// the batch, and the outcome it stands for if it applies.
pub(super) struct HeldWrite {
    index: usize,
    item: TransitionItem,
    outcome: ProcessOutcome,
}

/// Where a contact of a batch leaves its last write, and the fallback
/// planned with it (added for the whole batch in one call, before the
/// batch's writes, as `plan_fallback` would have added it just before).
#[derive(Clone, Copy)]
pub(super) struct BatchSlot<'a> {
    writes: &'a std::sync::Mutex<Vec<HeldWrite>>,
    pub(super) fallbacks: &'a std::sync::Mutex<Vec<(usize, PlannedContact)>>,
    pub(super) index: usize,
}

/// The same error for each contact of a batch (`StoreError` is not `Clone`).
pub(super) fn copy_error(e: &StoreError) -> StoreError {
    if e.is_transient() {
        StoreError::Connection(e.to_string())
    } else {
        StoreError::Query(e.to_string())
    }
}

/// Pauses before retrying a batch's held writes after a transient error.
const FLUSH_RETRY: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(250)];

impl<S: Store> Dispatcher<S> {
    /// The same pipeline for the contacts of one queue job, with the
    /// store's round trips shared: one read of the batch's accounts, one of
    /// their suppression entries and debtor histories, and one write of
    /// their final transitions and ledger rows, in the same call as (and
    /// after) the fallbacks its blocked contacts planned (each contact's
    /// reservation stays its own atomic step). Decisions are the ones `process` makes:
    /// the reads are the same reads done a moment earlier, and the
    /// reservation still rejects a history that changed since. A contact's
    /// final write waits for the rest of the batch (it stays `sending`
    /// meanwhile, which crash recovery already handles). Results are in
    /// the order of `records`.
    pub async fn process_batch(
        &self,
        records: Vec<ContactRecord>,
        now: DateTime<Utc>,
    ) -> Vec<Result<ProcessOutcome, PipelineError>> {
        if records.len() < 2 {
            return futures::future::join_all(records.into_iter().map(|r| self.process(r, now)))
                .await;
        }
        let prefetched = match self.prefetch(&records).await {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!("batch read failed ({e}); processing contact by contact");
                return futures::future::join_all(
                    records.into_iter().map(|r| self.process(r, now)),
                )
                .await;
            }
        };
        let writes = std::sync::Mutex::new(Vec::new());
        let fallbacks = std::sync::Mutex::new(Vec::new());
        let gate = ReserveGate::new(records.len());
        let contacts =
            futures::future::join_all(records.into_iter().zip(prefetched).enumerate().map(
                |(index, (record, pre))| {
                    self.run(
                        record,
                        now,
                        Some(pre),
                        Some(BatchSlot {
                            writes: &writes,
                            fallbacks: &fallbacks,
                            index,
                        }),
                        Some(gate.ticket()),
                    )
                },
            ));
        let (mut results, ()) = tokio::join!(contacts, gate.drive(self.store.as_ref()));
        let held = writes.into_inner().unwrap_or_else(|e| e.into_inner());
        let fallbacks = fallbacks.into_inner().unwrap_or_else(|e| e.into_inner());
        if held.is_empty() && fallbacks.is_empty() {
            return results;
        }
        // The fallbacks first, then the writes (as `plan_fallback` would
        // have added each just before its contact's write), in one call.
        let planned: Vec<PlannedContact> = fallbacks.iter().map(|(_, f)| f.clone()).collect();
        let items: Vec<TransitionItem> = held.iter().map(|h| h.item.clone()).collect();
        let mut pauses = FLUSH_RETRY.iter();
        let flushed = loop {
            match self.store.plan_and_transitions(&planned, &items).await {
                Err(e) if e.is_transient() => match pauses.next() {
                    Some(pause) => tokio::time::sleep(*pause).await,
                    None => break Err(e),
                },
                other => break other,
            }
        };
        // The store stays away: the outcomes wait in the journal (the
        // messages went out; they must not come back as `unknown`).
        let flushed = match flushed {
            Err(e) if e.is_transient() => self
                .journal_held(e, &planned, &items)
                .map(|()| vec![true; items.len()]),
            other => other,
        };
        if let Err(e) = &flushed {
            // Each contact that planned a fallback has a held write too;
            // this covers one that did not, should that ever change.
            for (index, _) in &fallbacks {
                results[*index] = Err(PipelineError::Store(copy_error(e)));
            }
        }
        match flushed {
            Ok(moved) => {
                for (h, moved) in held.into_iter().zip(moved) {
                    if moved {
                        self.recorded(&h.item.ledger);
                    }
                    results[h.index] = Ok(if moved {
                        h.outcome
                    } else {
                        ProcessOutcome::Skipped
                    });
                }
            }
            Err(e) => {
                for h in held {
                    results[h.index] = Err(PipelineError::Store(copy_error(&e)));
                }
            }
        }
        results
    }

    /// The batch's reads: accounts, then suppression and history of every
    /// contact that will reach the guard.
    async fn prefetch(&self, records: &[ContactRecord]) -> Result<Vec<Prefetched>, StoreError> {
        let ids: Vec<String> = records.iter().map(|r| r.contact.account.clone()).collect();
        let accounts = self.store.accounts(&ids).await?;
        let books = self.store.books(&ids).await?;
        if accounts.len() != records.len() || books.len() != records.len() {
            return Err(StoreError::Corrupt(
                "batch account read answered a different count".into(),
            ));
        }
        let mut queries = Vec::new();
        let mut slots = Vec::new();
        for (i, (record, account)) in records.iter().zip(&accounts).enumerate() {
            if let Some((account, status)) = account
                && !status.stops(self.stop_from)
                && let Some(point) = account.contact_point_for(record.contact.channel)
            {
                queries.push(CheckQuery {
                    channel: record.contact.channel.guarded_as(),
                    address: point.address.clone(),
                    debtor_key: debtor_key(account),
                });
                slots.push(i);
            }
        }
        let checks = self.store.contact_checks(&queries).await?;
        if checks.len() != queries.len() {
            return Err(StoreError::Corrupt(
                "batch check read answered a different count".into(),
            ));
        }
        let mut out: Vec<Prefetched> = accounts
            .into_iter()
            .zip(books)
            .map(|(account, book)| Prefetched {
                account,
                checks: None,
                book,
            })
            .collect();
        for (slot, checks) in slots.into_iter().zip(checks) {
            out[slot].checks = Some(checks);
        }
        Ok(out)
    }
}

impl BatchSlot<'_> {
    /// Holds the contact's last write; the batch replaces the returned
    /// outcome with `Skipped` if the write does not apply.
    pub(super) fn hold(
        self,
        contact: &PlannedContact,
        to: Transition,
        ledger: Vec<LedgerEntry>,
        outcome: ProcessOutcome,
    ) -> ProcessOutcome {
        let mut writes = self.writes.lock().unwrap_or_else(|e| e.into_inner());
        writes.push(HeldWrite {
            index: self.index,
            item: TransitionItem {
                id: contact.id.clone(),
                to,
                ledger,
            },
            outcome: outcome.clone(),
        });
        outcome
    }
}
