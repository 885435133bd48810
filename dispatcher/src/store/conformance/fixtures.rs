//! What every check builds on: a fixed clock, sample accounts and
//! contacts, and small readers.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use rust_decimal::Decimal;

use crate::store::{
    ContactRecord, ContactState, LedgerEntry, LedgerState, Reservation, ReserveOutcome, Store,
};

/// The instant every check counts from (a fixed date keeps failures
/// reproducible).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("valid fixed instant")
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

/// A minimal valid account.
pub fn sample_account(id: &str) -> Account {
    Account {
        id: id.to_string(),
        creditor: "Banco Ejemplo".into(),
        debtor_name: format!("Deudor {id}"),
        tax_id: Some(format!("RFC-{id}")),
        amount_due: Decimal::new(123_456, 2),
        currency: "MXN".into(),
        due_date: NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date"),
        segment: None,
        language: "es-MX".into(),
        country: "MX".into(),
        subdivision: None,
        timezone: None,
        flags: BTreeSet::new(),
        contact_points: Vec::new(),
        attributes: BTreeMap::new(),
    }
}

/// A planned contact with the usual `campaign/account/step` id.
pub fn sample_contact(
    campaign: &str,
    account: &str,
    step: &str,
    channel: ChannelKind,
    due_at: DateTime<Utc>,
) -> PlannedContact {
    PlannedContact {
        id: PlannedContact::make_id(campaign, account, step),
        campaign: campaign.into(),
        account: account.into(),
        step: step.into(),
        channel,
        template: format!("{step}-template"),
        fallback: None,
        due_at,
        team: channel.is_agent().then(|| "general".to_string()),
    }
}

pub(super) fn row(contact: &PlannedContact, state: LedgerState, at: DateTime<Utc>) -> LedgerEntry {
    LedgerEntry::for_contact(contact, state, at)
}

pub(super) async fn state_of<S: Store>(store: &S, id: &str) -> ContactState {
    store
        .contact(id)
        .await
        .expect("contact() works")
        .unwrap_or_else(|| panic!("contact {id} exists"))
        .state
}

pub(super) fn ids(records: &[ContactRecord]) -> Vec<String> {
    records.iter().map(|r| r.contact.id.clone()).collect()
}

pub(super) fn count(counts: &BTreeMap<ContactState, u64>, state: ContactState) -> u64 {
    counts.get(&state).copied().unwrap_or(0)
}

/// The reservation of `c` at `at(secs)`, its account as the debtor, no
/// history read before it (version 0).
pub fn reservation_of(c: &PlannedContact, secs: i64) -> Reservation {
    Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: c.account.clone(),
        channel: c.channel,
        at: at(secs),
        history_version: 0,
    }
}

/// Reserves each of `contacts` (claimed) at `at(secs)`; each must be
/// reserved.
pub async fn reserve_all<S: Store>(store: &S, contacts: &[PlannedContact], secs: i64) {
    for c in contacts {
        let outcome = store
            .reserve(&reservation_of(c, secs))
            .await
            .expect("reserve");
        assert_eq!(outcome, ReserveOutcome::Reserved, "{}", c.id);
    }
}
