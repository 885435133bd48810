//! Between the store's records and what Redis holds or the scripts take:
//! JSON records, millisecond scores, argument groups, script replies.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use redis::RedisError;

use crate::store::{
    AccountStatus, ContactRecord, ContactState, HistoryEntry, LedgerEntry, Reservation,
    ReserveOutcome, StoreError, StoreResult, Transition,
};

/// A Redis error with the operation it happened in (`is_transient` reads
/// the error's kind: connection-level failures are transient, anything
/// else means a bug or foreign data under our keys).
pub(super) fn redis_err(context: &'static str) -> impl Fn(RedisError) -> StoreError {
    move |e| StoreError::redis(context, e)
}

pub(super) fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(super) fn from_ms(ms: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

pub(super) fn parse_i64(what: &str, s: &str) -> StoreResult<i64> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} '{s}' is not a number")))
}

pub(super) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Builds a record from the stored planned-contact JSON and the live fields.
pub(super) fn record(
    json: &str,
    state: ContactState,
    due: &str,
    attempt: &str,
) -> StoreResult<ContactRecord> {
    let contact: PlannedContact =
        serde_json::from_str(json).map_err(|e| StoreError::json("contact", e))?;
    let attempt = u32::try_from(parse_i64("attempt", attempt)?)
        .map_err(|_| StoreError::Corrupt(format!("attempt '{attempt}' out of range")))?;
    Ok(ContactRecord {
        contact,
        state,
        due_at: from_ms(parse_i64("due", due)?)?,
        attempt,
    })
}

/// Pushes ledger rows as the (json, campaign, account, provider id) groups
/// the scripts expect.
pub(super) fn ledger_args(
    inv: &mut redis::ScriptInvocation<'_>,
    entries: &[LedgerEntry],
) -> StoreResult<()> {
    for entry in entries {
        let json = serde_json::to_string(entry).map_err(|e| StoreError::json("ledger row", e))?;
        inv.arg(json)
            .arg(&entry.campaign)
            .arg(&entry.account)
            .arg(entry.provider_id.as_deref().unwrap_or(""));
    }
    Ok(())
}

/// The prefix rule of `suppressed.lua`, for the batch read: `fields` are
/// the prefix entries (`<channel or *>|<entry>`).
pub(super) fn prefix_suppressed(fields: &[String], channel: ChannelKind, address: &str) -> bool {
    fields.iter().any(|field| {
        let Some((ch, entry)) = field.split_once('|') else {
            return false;
        };
        if ch != "*" && ch != channel.as_str() {
            return false;
        }
        if entry.starts_with('@') {
            address.len() >= entry.len() && address.ends_with(entry)
        } else {
            address.starts_with(entry)
        }
    })
}

/// A planned contact as the eight arguments `add_contacts` (Lua) expects.
pub(super) fn add_args(
    inv: &mut redis::ScriptInvocation<'_>,
    c: &PlannedContact,
) -> StoreResult<()> {
    let json = serde_json::to_string(c).map_err(|e| StoreError::json("contact", e))?;
    inv.arg(&c.id)
        .arg(&c.campaign)
        .arg(&c.account)
        .arg(&c.step)
        .arg(c.channel.as_str())
        .arg(ms(c.due_at))
        .arg(json)
        .arg(c.team.as_deref().unwrap_or(""));
    Ok(())
}

pub(super) fn transition_args(
    inv: &mut redis::ScriptInvocation<'_>,
    to: &Transition,
) -> StoreResult<()> {
    match to {
        Transition::Reschedule { due_at, attempt } => {
            inv.arg("reschedule").arg(ms(*due_at)).arg(*attempt);
        }
        Transition::Requeue { due_at } => {
            inv.arg("requeue").arg(ms(*due_at)).arg(0);
        }
        Transition::Finish(state) => {
            if !state.is_terminal() {
                return Err(StoreError::Query(format!(
                    "transition to non-terminal state '{state}'"
                )));
            }
            inv.arg("finish").arg(state.as_str()).arg(0);
        }
    }
    Ok(())
}

/// A reservation as the seven arguments `reserve_many.lua` takes per item.
pub(super) fn reservation_args(
    inv: &mut redis::ScriptInvocation<'_>,
    r: &Reservation,
) -> StoreResult<()> {
    let entry = HistoryEntry {
        at: r.at,
        channel: r.channel,
        account: r.account.clone(),
        conversation: false,
    };
    let entry = serde_json::to_string(&entry).map_err(|e| StoreError::json("history row", e))?;
    inv.arg(&r.contact_id)
        .arg(&r.account)
        .arg(&r.debtor_key)
        .arg(r.history_version)
        .arg(entry)
        .arg(ms(r.at))
        .arg(rfc3339(r.at));
    Ok(())
}

/// A reservation script's answer: the outcome, then the account status
/// when stopped.
pub(super) fn reserve_outcome(reply: &[String]) -> StoreResult<ReserveOutcome> {
    match reply.first().map(String::as_str) {
        Some("reserved") => Ok(ReserveOutcome::Reserved),
        Some("not_queued") => Ok(ReserveOutcome::NotQueued),
        Some("history_changed") => Ok(ReserveOutcome::HistoryChanged),
        Some("stopped") => {
            let status = reply.get(1).and_then(|s| AccountStatus::parse(s));
            status
                .map(ReserveOutcome::AccountStopped)
                .ok_or_else(|| StoreError::Corrupt(format!("account status in {reply:?}")))
        }
        _ => Err(StoreError::Query(format!(
            "unexpected reserve reply {reply:?}"
        ))),
    }
}
