//! Between the store's records and what Redis holds or the scripts take:
//! JSON records, millisecond scores, argument groups, script replies.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use redis::RedisError;

use crate::store::{
    AccountStatus, ContactRecord, ContactState, HistoryEntry, LedgerEntry, Reservation,
    ReservationRelease, ReserveOutcome, StoreError, StoreResult, Transition,
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

/// A contact's fixed part, stored once per distinct value in `P:steps`
/// (keys.rs): campaign, step, channel, template, fallback, team. Every
/// contact of one step of one campaign shares it.
type StepInfo = (
    String,
    String,
    ChannelKind,
    String,
    Option<ChannelKind>,
    Option<String>,
);

/// The step info JSON of a planned contact (`P:steps`' values; the same
/// contact always gives the same text, which is how `code_of` in
/// `common.lua` finds an existing code).
pub(super) fn step_info(c: &PlannedContact) -> StoreResult<String> {
    serde_json::to_string(&(
        &c.campaign,
        &c.step,
        c.channel,
        &c.template,
        c.fallback,
        &c.team,
    ))
    .map_err(|e| StoreError::json("step info", e))
}

/// The one-letter code of a state in a packed contact record (`scripts.rs`
/// hands the same table to the scripts).
pub(super) fn state_code(state: ContactState) -> &'static str {
    match state {
        ContactState::Pending => "p",
        ContactState::Queued => "q",
        ContactState::Sending => "s",
        ContactState::Sent => "t",
        ContactState::Delivered => "d",
        ContactState::Undelivered => "u",
        ContactState::Blocked => "b",
        ContactState::Cancelled => "c",
        ContactState::Failed => "f",
        ContactState::Unknown => "k",
    }
}

fn state_of_code(code: &str) -> StoreResult<ContactState> {
    ContactState::ALL
        .into_iter()
        .find(|s| state_code(*s) == code)
        .ok_or_else(|| StoreError::Corrupt(format!("contact state code '{code}'")))
}

/// Milliseconds in base 36 (lower case), as a packed record holds its due
/// time: 8 characters instead of 13 until the year 2059.
pub(super) fn base36(ms: i64) -> String {
    if ms <= 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    let mut n = ms;
    while n > 0 {
        let d = (n % 36) as u8;
        digits.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        n /= 36;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

fn from_base36(what: &str, s: &str) -> StoreResult<i64> {
    i64::from_str_radix(s, 36)
        .map_err(|_| StoreError::Corrupt(format!("{what} '{s}' is not base 36")))
}

/// `(campaign, account, suffix)` of a regular id `campaign/account/suffix`
/// (the first and the last `/` split it), as `locate` in `common.lua`
/// reads it.
pub(super) fn id_parts(id: &str) -> Option<(&str, &str, &str)> {
    let (campaign, rest) = id.split_once('/')?;
    let (account, suffix) = rest.rsplit_once('/')?;
    Some((campaign, account, suffix))
}

/// The field of contact `c` in its account's hash (`P:k:<account>`) and
/// whether its id is odd (not `campaign/account/suffix` of its own
/// campaign and account, so `P:oddid` must point to it).
pub(super) fn contact_field(c: &PlannedContact) -> (String, bool) {
    match id_parts(&c.id) {
        Some((campaign, account, suffix)) if campaign == c.campaign && account == c.account => {
            (format!("{campaign}/{suffix}"), false)
        }
        _ => (format!("!{}", c.id), true),
    }
}

/// A contact record as `add_contacts` in `common.lua` stores it from, as
/// the six arguments it takes: id, account, field, step info, due (ms in
/// base 36), odd.
pub(super) fn add_group(c: &PlannedContact) -> StoreResult<[String; 6]> {
    let (field, odd) = contact_field(c);
    Ok([
        c.id.clone(),
        c.account.clone(),
        field,
        step_info(c)?,
        base36(ms(c.due_at)),
        if odd { "1" } else { "" }.to_string(),
    ])
}

/// A record from a script's answer group (`answer` in `common.lua`): id,
/// account, packed record (`state code|due ms base 36|attempt|step
/// code|planned - due ms|sending ms`) and step info. `None` for a missing
/// contact (an empty id).
pub(super) fn record(group: &[String]) -> StoreResult<Option<ContactRecord>> {
    let [id, account, packed, info] = group else {
        return Err(StoreError::Corrupt(format!(
            "contact answer of {} values",
            group.len()
        )));
    };
    if id.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = packed.split('|').collect();
    let [state, due, attempt, _code, planned_delta, _sending] = parts.as_slice() else {
        return Err(StoreError::Corrupt(format!(
            "contact '{id}' record '{packed}'"
        )));
    };
    let (campaign, step, channel, template, fallback, team): StepInfo =
        serde_json::from_str(info).map_err(|e| StoreError::json("step info", e))?;
    let state = state_of_code(state)?;
    let due = from_base36("due", due)?;
    let delta = if planned_delta.is_empty() {
        0
    } else {
        parse_i64("planned due", planned_delta)?
    };
    let attempt = u32::try_from(parse_i64("attempt", attempt)?)
        .map_err(|_| StoreError::Corrupt(format!("attempt '{attempt}' out of range")))?;
    Ok(Some(ContactRecord {
        contact: PlannedContact {
            id: id.clone(),
            campaign,
            account: account.clone(),
            step,
            channel,
            template,
            fallback,
            due_at: from_ms(due + delta)?,
            team,
        },
        state,
        due_at: from_ms(due)?,
        attempt,
    }))
}

/// Every record of a script's flat answer (groups of four).
pub(super) fn records(flat: &[String]) -> StoreResult<Vec<ContactRecord>> {
    if !flat.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt(format!(
            "contact answer of {} values",
            flat.len()
        )));
    }
    let mut out = Vec::with_capacity(flat.len() / 4);
    for group in flat.chunks_exact(4) {
        if let Some(r) = record(group)? {
            out.push(r);
        }
    }
    Ok(out)
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

/// A planned contact as the six arguments `add_contacts` (Lua) expects.
pub(super) fn add_args(
    inv: &mut redis::ScriptInvocation<'_>,
    c: &PlannedContact,
) -> StoreResult<()> {
    for a in add_group(c)? {
        inv.arg(a);
    }
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

/// The debtor's history row a reservation pushes, as JSON: the release
/// removes it by this exact text.
pub(super) fn reservation_history_row(r: &Reservation) -> StoreResult<String> {
    let entry = HistoryEntry {
        at: r.at,
        channel: r.channel,
        account: r.account.clone(),
        conversation: false,
    };
    serde_json::to_string(&entry).map_err(|e| StoreError::json("history row", e))
}

/// A release as the arguments `release.lua` takes per item.
pub(super) fn release_args(
    inv: &mut redis::ScriptInvocation<'_>,
    release: &ReservationRelease,
) -> StoreResult<()> {
    let r = &release.reservation;
    inv.arg(&r.contact_id)
        .arg(ms(r.at))
        .arg(&r.debtor_key)
        .arg(reservation_history_row(r)?);
    ledger_args(inv, std::slice::from_ref(&release.ledger))
}

/// A reservation as the seven arguments `reserve_many.lua` takes per item.
pub(super) fn reservation_args(
    inv: &mut redis::ScriptInvocation<'_>,
    r: &Reservation,
) -> StoreResult<()> {
    inv.arg(&r.contact_id)
        .arg(&r.account)
        .arg(&r.debtor_key)
        .arg(r.history_version)
        .arg(reservation_history_row(r)?)
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
