//! Recording what a debtor (or the API, a file, a provider, an agent) did
//! to an account: the book is read, the action applied and written back by
//! compare-and-set (so two processes recording for one account never lose
//! one), and then the plan follows: a payment that reaches zero stops every
//! campaign, a channel opt-out suppresses the addresses, and the status
//! change campaigns listing the event in `stop_on` act on. Holds (promises,
//! disputes) need no write to the plan: the engine reads the book.

use chrono::{DateTime, Utc};
use cobro_campaigns::Account;
use cobro_campaigns::book::{AccountBook, Applied, BookAction, BookError, BookLimits, EventSource};

use super::events::{AccountEvent, apply_event};
use crate::store::{AccountStatus, Store, StoreError};

/// Compare-and-set attempts before giving up (each loses only to another
/// writer of the same account that succeeded).
const MAX_BOOK_RACES: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no account '{0}'")]
    UnknownAccount(String),
    #[error("{0}")]
    Refused(#[from] BookError),
    #[error("the account '{0}' kept changing under the write; try again")]
    Contended(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ActionError {
    /// Worth retrying as is (the store was unreachable, or busy).
    pub fn is_transient(&self) -> bool {
        match self {
            ActionError::Store(e) => e.is_transient(),
            ActionError::Contended(_) => true,
            ActionError::UnknownAccount(_) | ActionError::Refused(_) => false,
        }
    }

    /// The input was wrong (answer 4xx / exit 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ActionError::Refused(_) | ActionError::UnknownAccount(_)
        )
    }
}

#[derive(Debug, Clone)]
pub struct ActionOutcome {
    pub applied: Applied,
    /// Contacts the action cancelled (paid, opt-out, a `stop_on` event).
    pub cancelled: Vec<String>,
    pub account: Account,
    pub book: AccountBook,
}

pub async fn record_action<S: Store>(
    store: &S,
    account_id: &str,
    action: &BookAction,
    source: EventSource,
    now: DateTime<Utc>,
    limits: &BookLimits,
) -> Result<ActionOutcome, ActionError> {
    record_action_by(store, account_id, action, source, None, now, limits).await
}

/// [`record_action`] naming the signed-in user who recorded it (`by`, an
/// email), kept on the book's event so the gestiones show who did it.
pub async fn record_action_by<S: Store>(
    store: &S,
    account_id: &str,
    action: &BookAction,
    source: EventSource,
    by: Option<&str>,
    now: DateTime<Utc>,
    limits: &BookLimits,
) -> Result<ActionOutcome, ActionError> {
    let Some((account, status)) = store.account(account_id).await? else {
        return Err(ActionError::UnknownAccount(account_id.to_string()));
    };
    let decimals = cobro_campaigns::iso::currency_decimals(&account.currency).unwrap_or(2);
    let mut races = 0;
    let (book, applied) = loop {
        let (mut book, version) = store.book(account_id).await?;
        let applied = book.apply(action, source, account.amount_due, decimals, now, limits)?;
        if applied.changed
            && let Some(event) = book.events.last_mut()
        {
            event.by = by.map(str::to_string);
        }
        if !applied.changed || store.put_book(account_id, &book, version).await? {
            break (book, applied);
        }
        races += 1;
        if races >= MAX_BOOK_RACES {
            return Err(ActionError::Contended(account_id.to_string()));
        }
    };
    let mut cancelled = Vec::new();
    if applied.changed {
        let event = match action {
            BookAction::Payment { .. } if applied.became_paid => Some(AccountEvent::Payment),
            BookAction::Promise { .. } | BookAction::Plan { .. } => {
                Some(AccountEvent::PromiseToPay)
            }
            BookAction::Dispute { .. } => Some(AccountEvent::Dispute),
            BookAction::Preferences {
                optout: Some(channel),
                ..
            } => Some(AccountEvent::OptOut(Some(*channel))),
            BookAction::DisputeResolved => {
                if status == AccountStatus::Disputed {
                    store
                        .set_account_status(account_id, AccountStatus::Active)
                        .await?;
                }
                None
            }
            _ => None,
        };
        if let Some(event) = event
            && let Some(ids) = apply_event(store, account_id, event, now).await?
        {
            cancelled = ids;
        }
    }
    Ok(ActionOutcome {
        applied,
        cancelled,
        account,
        book,
    })
}
