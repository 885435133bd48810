//! The ledger rows of a contact's pass: each row says what happened at
//! which step, with the guard's zones, rules and reasons where there are.

use chrono::{DateTime, Utc};
use cobro_campaigns::PlannedContact;
use cobro_compliance::Verdict;

use super::LedgerCode;
use crate::store::{AccountStatus, LedgerEntry, LedgerState};

/// A row carrying the guard's verdict; the code is the first reason's.
pub(super) fn verdict_row(
    contact: &PlannedContact,
    state: LedgerState,
    at: DateTime<Utc>,
    verdict: &Verdict,
    attempt: u32,
) -> LedgerEntry {
    let mut row = LedgerEntry::for_contact(contact, state, at);
    row.timezones = verdict
        .timezones
        .iter()
        .map(|tz| tz.name().to_string())
        .collect();
    row.rules = verdict.rules.clone();
    if let Some(first) = verdict.reasons.first() {
        row.code = Some(LedgerCode::Guard(first.code).into());
        row.detail = Some(
            verdict
                .reasons
                .iter()
                .map(|r| format!("{}: {}", r.rule, r.detail))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    row.attempt = attempt;
    row
}

/// A row with a code and a detail of cobro's own (not the guard's).
pub(super) fn note_row(
    contact: &PlannedContact,
    state: LedgerState,
    at: DateTime<Utc>,
    code: LedgerCode,
    detail: String,
    attempt: u32,
) -> LedgerEntry {
    let mut row = LedgerEntry::for_contact(contact, state, at);
    row.code = Some(code.into());
    row.detail = Some(detail);
    row.attempt = attempt;
    row
}

/// The `cancelled` row of a contact whose account was paid, disputed or
/// opted out before it went.
pub(super) fn account_stopped_row(
    contact: &PlannedContact,
    at: DateTime<Utc>,
    status: AccountStatus,
    attempt: u32,
) -> LedgerEntry {
    note_row(
        contact,
        LedgerState::Cancelled,
        at,
        LedgerCode::AccountStopped(status),
        format!("account is {}", status.as_str()),
        attempt,
    )
}
