//! The review queue: contacts whose send was interrupted (`unknown`: the
//! message may or may not have gone out) wait for an operator, who reads
//! their evidence (the contact's ledger rows: attempts, provider, provider
//! id, error detail) and says what happened. Both answers are moves of the
//! one state machine (`Transition`), each with a ledger row naming the
//! operator, so the console, the API and any later tool resolve a contact
//! the same way and the gestiones show who did it.
//!
//! "Not sent" puts the contact back in the plan (`StateMove::Requeue`),
//! due now: the feeder claims it and the guard decides it afresh (window,
//! caps, account status). The reservation's history entry of the lost
//! attempt stays, so the caps still count it: when in doubt, the debtor is
//! contacted less, never more.

use chrono::{DateTime, Utc};

use crate::store::{
    ContactRecord, ContactState, LedgerCode, LedgerEntry, LedgerFilter, LedgerState, Store,
    StoreError, Transition,
};

/// What the operator found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// The provider (or the debtor) confirms the message arrived.
    Delivered,
    /// The message never went out: back to the plan, where the guard
    /// decides it again when it is due (now).
    NotSent,
}

impl ReviewOutcome {
    /// `delivered` or `not_sent` (the API's and the forms' values).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "delivered" => Some(ReviewOutcome::Delivered),
            "not_sent" => Some(ReviewOutcome::NotSent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Delivered => "delivered",
            ReviewOutcome::NotSent => "not_sent",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no contact '{0}'")]
    NotFound(String),
    /// Someone (a late delivery report, another operator) resolved it first.
    #[error("contact '{contact}' is {state}, not unknown: nothing to review")]
    NotInReview {
        contact: String,
        state: ContactState,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReviewError {
    /// The contact is not (or no longer) in the queue: a 404 or 409 for
    /// the caller, never a retry.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ReviewError::NotInReview { .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ReviewError::NotFound(_))
    }
}

/// One contact of the queue with its evidence, oldest row first.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub record: ContactRecord,
    pub evidence: Vec<LedgerEntry>,
}

/// A page of the queue: up to `limit` contacts after `after` (by id), and
/// the cursor of the next page.
pub async fn review_page<S: Store>(
    store: &S,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<ReviewItem>, Option<String>), StoreError> {
    let limit = limit.clamp(1, 200);
    let records = store.unknown_contacts(after, limit).await?;
    let next = (records.len() == limit)
        .then(|| records.last().map(|r| r.contact.id.clone()))
        .flatten();
    let mut items = Vec::with_capacity(records.len());
    for record in records {
        let evidence = evidence(store, &record).await?;
        items.push(ReviewItem { record, evidence });
    }
    Ok((items, next))
}

/// The ledger rows of one contact (read through its account, which every
/// store indexes).
pub async fn evidence<S: Store>(
    store: &S,
    record: &ContactRecord,
) -> Result<Vec<LedgerEntry>, StoreError> {
    store
        .ledger(&LedgerFilter {
            account: Some(record.contact.account.clone()),
            contact_id: Some(record.contact.id.clone()),
            ..Default::default()
        })
        .await
}

/// Resolves an `unknown` contact as `outcome`, with a ledger row saying
/// that `operator` did it; returns the contact's new state.
pub async fn resolve<S: Store>(
    store: &S,
    contact_id: &str,
    outcome: ReviewOutcome,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<ContactState, ReviewError> {
    let record = store
        .contact(contact_id)
        .await?
        .ok_or_else(|| ReviewError::NotFound(contact_id.to_string()))?;
    if record.state != ContactState::Unknown {
        return Err(ReviewError::NotInReview {
            contact: contact_id.to_string(),
            state: record.state,
        });
    }
    let (ledger_state, transition, to, detail) = match outcome {
        ReviewOutcome::Delivered => (
            LedgerState::Delivered,
            Transition::Finish(ContactState::Delivered),
            ContactState::Delivered,
            format!("marked delivered by {operator} after review"),
        ),
        ReviewOutcome::NotSent => (
            LedgerState::Retry,
            Transition::Requeue { due_at: now },
            ContactState::Pending,
            format!(
                "marked not sent by {operator} after review; back to the plan, the guard decides again"
            ),
        ),
    };
    let mut row = LedgerEntry::for_contact(&record.contact, ledger_state, now);
    row.code = Some(LedgerCode::OperatorReview.into());
    row.detail = Some(detail);
    row.attempt = record.attempt;
    if !store.transition(contact_id, transition, &[row]).await? {
        // Resolved meanwhile (a late receipt): say what it is now.
        let state = store
            .contact(contact_id)
            .await?
            .map_or(ContactState::Unknown, |r| r.state);
        return Err(ReviewError::NotInReview {
            contact: contact_id.to_string(),
            state,
        });
    }
    tracing::info!(contact = %contact_id, outcome = outcome.as_str(), operator, "unknown contact reviewed");
    Ok(to)
}
