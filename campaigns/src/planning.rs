//! Planning: turning (campaign, strategy, accounts) into the contacts the
//! campaign intends to make, each with a stable id and a due instant.
//!
//! Pure and deterministic: the same inputs always give the same contacts
//! with the same ids (`campaign/account/step`), so re-launching a campaign
//! adds nothing twice. Planning does not decide whether a contact is
//! *allowed*; the compliance guard does that at send time and may defer
//! or block it. Planning only says from when the contact is wanted.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use crate::strategy::{Step, StepTrigger, Strategy};
use crate::{Account, Campaign, PlannedContact};

/// The local calendar day a step fires for an account: the campaign start
/// plus the offset, or the day the debt reaches the days-past-due
/// trigger, but never before the campaign start (a debt already past the
/// trigger gets the contact on the first day of the campaign).
pub fn step_day(campaign: &Campaign, step: &Step, account: &Account) -> NaiveDate {
    match step.trigger {
        StepTrigger::DayOffset(d) => campaign.start_date + Duration::days(i64::from(d)),
        StepTrigger::DaysPastDue(n) => {
            (account.due_date + Duration::days(i64::from(n))).max(campaign.start_date)
        }
    }
}

/// The UTC instant of a local wall-clock time in `tz`. A time that does
/// not exist (spring-forward gap) becomes the first valid instant after
/// it, i.e. the moment the clocks jump; an ambiguous one (fall-back fold)
/// takes the earlier instant, so a contact is never planned an hour late.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => {
            // tz transitions fall on whole minutes, so the first valid
            // whole minute after the (truncated) local time is the
            // transition itself. Gaps are at most a day long.
            let start = local
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(local);
            for m in 1..=(48 * 60) {
                match tz.from_local_datetime(&(start + Duration::minutes(m))) {
                    LocalResult::Single(t) => return t.with_timezone(&Utc),
                    LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
                    LocalResult::None => {}
                }
            }
            // Unreachable with the tz database; read the time as UTC
            // rather than panic.
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The due instant of `send_at` on `day` for a debtor who may be in any of
/// `zones` (a multi-zone country without a subdivision): the latest of
/// the per-zone instants, so that it is at or after `send_at` in every
/// zone. No zones means UTC: the guard blocks an unknown zone anyway
/// (`unknown_timezone`), so the exact instant does not matter.
pub fn due_instant(day: NaiveDate, send_at: NaiveTime, zones: &[Tz]) -> DateTime<Utc> {
    let local = day.and_time(send_at);
    zones
        .iter()
        .map(|tz| local_to_utc(*tz, local))
        .max()
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// Whether the step could reach the account: its channel, or failing that
/// its fallback, has a usable address. A contact planned only because of
/// its fallback keeps the step's channel; the dispatcher finds no address,
/// and moves to the fallback as for any blocked step.
pub fn reachable(step: &Step, account: &Account) -> bool {
    account.contact_point_for(step.channel).is_some()
        || step
            .fallback
            .is_some_and(|f| account.contact_point_for(f).is_some())
}

/// The contacts of one account, ordered by (due instant, id).
pub fn plan_account(
    campaign: &Campaign,
    strategy: &Strategy,
    account: &Account,
    zones: &[Tz],
) -> Vec<PlannedContact> {
    let mut out = Vec::new();
    plan_account_into(campaign, strategy, account, zones, &mut out);
    out.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
    out
}

/// Appends the contacts of one account to `out` in step order, without
/// sorting: the streaming form for large portfolios.
pub fn plan_account_into(
    campaign: &Campaign,
    strategy: &Strategy,
    account: &Account,
    zones: &[Tz],
    out: &mut Vec<PlannedContact>,
) {
    for step in &strategy.steps {
        let day = step_day(campaign, step, account);
        if !step.when.matches(account, day) || !reachable(step, account) {
            continue;
        }
        out.push(PlannedContact {
            id: PlannedContact::make_id(&campaign.id, &account.id, &step.id),
            campaign: campaign.id.clone(),
            account: account.id.clone(),
            step: step.id.clone(),
            channel: step.channel,
            template: step.template.clone(),
            fallback: step.fallback,
            due_at: due_instant(day, step.send_at, zones),
            team: step.team.clone(),
        });
    }
}

/// Every contact of the campaign, ordered by (due instant, id), whatever
/// the order of `accounts`. `zones_of` gives each debtor's candidate zones
/// (the compliance crate resolves them: timezone > subdivision > country).
/// Account ids are assumed unique, as the importer guarantees.
pub fn plan(
    campaign: &Campaign,
    strategy: &Strategy,
    accounts: &[Account],
    zones_of: impl Fn(&Account) -> Vec<Tz>,
) -> Vec<PlannedContact> {
    let mut out = Vec::with_capacity(accounts.len() * strategy.steps.len());
    for account in accounts {
        plan_account_into(campaign, strategy, account, &zones_of(account), &mut out);
    }
    out.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
    out
}
