//! One account as the API, the debtor's page and the console show it
//! (ARCHITECTURE.md, "HTTP contracts"): the balance computed from the payments, each promise
//! with its state at this instant, disputes, preferences, and when the
//! next contact is due once holds are applied.

use chrono::{DateTime, NaiveDate, Utc};
use cobro_campaigns::Account;
use cobro_campaigns::book::{AccountBook, BookEvent, BookLimits, Dispute, Hold, Preferences};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{AccountStatus, ContactRecord, ContactState, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct PaymentView {
    pub at: DateTime<Utc>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub reference: String,
    pub source: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PromiseView {
    pub date: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// `open`, `kept` or `broken` at the instant of the view.
    pub state: &'static str,
    /// When it breaks unless paid (date plus grace days).
    pub deadline: DateTime<Utc>,
    /// `(n, of)` for a plan's instalment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instalment: Option<(u32, u32)>,
    pub source: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: String,
    pub creditor: String,
    pub debtor_name: String,
    /// `active`, `promise_to_pay` (an open promise), `disputed` (an open
    /// dispute), `paid` or `opted_out`.
    pub status: &'static str,
    pub language: String,
    pub country: String,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount_due: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub paid: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    pub due_date: NaiveDate,
    pub payments: Vec<PaymentView>,
    pub promises: Vec<PromiseView>,
    pub disputes: Vec<Dispute>,
    pub preferences: Preferences,
    pub events: Vec<BookEvent>,
    /// The earliest due time of the account's pending contacts after the
    /// holds in force (an open dispute: none until resolved).
    pub next_contact_at: Option<DateTime<Utc>>,
    pub pending_contacts: usize,
}

impl AccountView {
    pub fn build(
        account: &Account,
        status: AccountStatus,
        book: &AccountBook,
        contacts: &[ContactRecord],
        now: DateTime<Utc>,
        limits: &BookLimits,
    ) -> Self {
        let grace = limits.grace_days;
        let hold = book.hold(now, grace);
        let pending: Vec<&ContactRecord> = contacts
            .iter()
            .filter(|c| matches!(c.state, ContactState::Pending | ContactState::Queued))
            .collect();
        let next_contact_at = match hold {
            Some(Hold::Dispute) => None,
            Some(Hold::Promise { until }) => pending.iter().map(|c| c.due_at.max(until)).min(),
            None => pending.iter().map(|c| c.due_at).min(),
        };
        let paid = book.is_paid(account.amount_due, limits.paid_tolerance)
            || status == AccountStatus::Paid;
        let status = if status == AccountStatus::OptedOut {
            "opted_out"
        } else if paid {
            "paid"
        } else {
            match hold {
                Some(Hold::Dispute) => "disputed",
                Some(Hold::Promise { .. }) => "promise_to_pay",
                None => "active",
            }
        };
        let instalments = |plan: usize| book.plans.get(plan).map_or(0, |p| p.instalments);
        AccountView {
            id: account.id.clone(),
            creditor: account.creditor.clone(),
            debtor_name: account.debtor_name.clone(),
            status,
            language: account.language.clone(),
            country: account.country.clone(),
            currency: account.currency.clone(),
            amount_due: account.amount_due,
            paid: book.paid(),
            balance: book.balance(account.amount_due),
            due_date: account.due_date,
            payments: book
                .payments
                .iter()
                .map(|p| PaymentView {
                    at: p.at,
                    amount: p.amount,
                    reference: p.reference.clone(),
                    source: p.source.as_str(),
                })
                .collect(),
            promises: book
                .promises
                .iter()
                .enumerate()
                .map(|(i, p)| PromiseView {
                    date: p.date,
                    amount: p.amount,
                    state: book.promise_state(i, now, grace).as_str(),
                    deadline: book.promise_deadline(i, grace),
                    instalment: p.plan.map(|(plan, n)| (n, instalments(plan))),
                    source: p.source.as_str(),
                })
                .collect(),
            disputes: book.disputes.clone(),
            preferences: book.preferences.clone(),
            events: book.events.clone(),
            next_contact_at,
            pending_contacts: pending.len(),
        }
    }

    /// The view of `id` read from the store, `None` for an unknown account.
    pub async fn load<S: Store>(
        store: &S,
        id: &str,
        now: DateTime<Utc>,
        limits: &BookLimits,
    ) -> Result<Option<Self>, StoreError> {
        let Some((account, status)) = store.account(id).await? else {
            return Ok(None);
        };
        let (book, _) = store.book(id).await?;
        let contacts = store.account_contacts(id).await?;
        Ok(Some(AccountView::build(
            &account, status, &book, &contacts, now, limits,
        )))
    }
}
