//! Simulated collectors for the virtual clock (`cobro simulate`, `cobro
//! demo`): without them a strategy's agent steps would stay pending, and
//! the report would say nothing of the calls. Each collector works like a
//! person at the console: when free it asks for the next task
//! ([`next_task`], the same pipeline and guard as `GET /api/work/next`),
//! spends a few virtual minutes on the call, and records an outcome
//! ([`record_outcome`], the same door as the console). The outcome is
//! picked from a hash of the contact id, so two runs are identical.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cobro_campaigns::book::BookAction;
use rust_decimal::Decimal;

use super::{OutcomeForm, Task, WorkDesk, WorkError, next_task, record_outcome};
use crate::engine::simulation::{ScheduledEvent, SimulatedEvent};
use crate::engine::{Dispatcher, PipelineError};
use crate::store::Store;

/// How many collectors `cobro demo` and `cobro simulate` put to work.
pub const DEMO_COLLECTORS: usize = 6;

/// The demo's `i`-th collector (from 1), also a console user of the demo.
pub fn demo_collector(i: usize) -> String {
    format!("gestor{i}@cobro.demo")
}

/// A call shorter than this would not be a conversation; longer than
/// [`MAX_HANDLING_MINUTES`] and the queue would not move.
const MIN_HANDLING_MINUTES: u64 = 3;
const MAX_HANDLING_MINUTES: u64 = 9;
/// When a free collector found nothing allowed, it asks again no sooner
/// than this (the clock must move for a deferred task to become allowed).
const RETRY_MINUTES: i64 = 1;
/// A dispute raised on a call is reviewed and answered this much later
/// (as the demo's own disputes are): an unresolved dispute would hold the
/// account's contacts until the simulation's horizon.
const DISPUTE_REVIEW_DAYS: i64 = 7;

/// What the collectors did during a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkTally {
    /// Tasks handed to a collector.
    pub tasks: u64,
    /// Outcomes recorded, by kind (`no_answer`, `promise`...).
    pub outcomes: BTreeMap<String, u64>,
    /// Outcomes the guard would not have allowed when recorded.
    pub late: u64,
}

/// A call in progress: the task and what its collector will record.
struct Call {
    task: Task,
    began: DateTime<Utc>,
    ends: DateTime<Utc>,
}

/// Collectors working `teams` through `desk`, one task at a time each.
pub struct SimulatedCollectors<S: Store> {
    pub names: Vec<String>,
    pub teams: Vec<String>,
    pub desk: WorkDesk<S>,
    calls: Vec<Option<Call>>,
    /// No collector asks again before this (nothing was allowed).
    retry_at: Option<DateTime<Utc>>,
    pub tally: WorkTally,
}

impl<S: Store> SimulatedCollectors<S> {
    pub fn new(names: Vec<String>, teams: Vec<String>, desk: WorkDesk<S>) -> Self {
        let calls = names.iter().map(|_| None).collect();
        SimulatedCollectors {
            names,
            teams,
            desk,
            calls,
            retry_at: None,
            tally: WorkTally::default(),
        }
    }

    /// `n` demo collectors working every team of `loaded`'s strategy with
    /// `dispatcher` (the simulation's own: same rules, same templates);
    /// `None` when the strategy has no agent step.
    pub fn for_campaign(
        dispatcher: Arc<Dispatcher<S>>,
        loaded: &cobro_config::LoadedCampaign,
        n: usize,
    ) -> Option<Self> {
        let teams = super::strategy_teams(&loaded.strategy);
        if teams.is_empty() {
            return None;
        }
        let desk = WorkDesk::new().with_campaign(&loaded.campaign.id, teams, dispatcher);
        let teams = desk.teams_of(&[]);
        let names = (1..=n).map(demo_collector).collect();
        Some(SimulatedCollectors::new(names, teams, desk))
    }

    /// The next instant the collectors need the clock: a call ending, or
    /// (someone being free) the next task falling due.
    pub async fn next_wake(&self, store: &S) -> Result<Option<DateTime<Utc>>, PipelineError> {
        let mut wake = self.calls.iter().flatten().map(|c| c.ends).min();
        if self.calls.iter().any(Option::is_none)
            && let Some(due) = store.next_work_due(&self.teams).await?
        {
            let due = self.retry_at.map_or(due, |r| due.max(r));
            wake = Some(wake.map_or(due, |w| w.min(due)));
        }
        Ok(wake)
    }

    /// At `now`: every call that ended is recorded, then every free
    /// collector asks for a task. Returns what the back office does
    /// later (a dispute answered a week on).
    pub async fn work(
        &mut self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<Vec<ScheduledEvent>, PipelineError> {
        let mut follow_ups = Vec::new();
        for i in 0..self.calls.len() {
            if self.calls[i].as_ref().is_some_and(|c| c.ends <= now)
                && let Some(call) = self.calls[i].take()
            {
                let name = self.names[i].clone();
                self.finish(store, &name, call, &mut follow_ups).await?;
            }
        }
        if self.retry_at.is_some_and(|r| r > now) {
            return Ok(follow_ups);
        }
        for i in 0..self.calls.len() {
            if self.calls[i].is_some() {
                continue;
            }
            let task = next_task(&self.desk, store, &self.names[i], &self.teams, now)
                .await
                .map_err(fatal)?;
            let Some(task) = task else {
                self.retry_at = Some(now + Duration::minutes(RETRY_MINUTES));
                break;
            };
            self.tally.tasks += 1;
            let (_, minutes) = pick(&task.contact_id);
            let mut ends = now + Duration::minutes(minutes as i64);
            // Told when the window closes, the collector wraps up before.
            if let Some(closes) = task.window_closes_at {
                ends = ends.min(closes - Duration::minutes(1)).max(now);
            }
            self.calls[i] = Some(Call {
                task,
                began: now,
                ends,
            });
        }
        Ok(follow_ups)
    }

    /// Records `call`'s outcome for `collector`.
    async fn finish(
        &mut self,
        store: &S,
        collector: &str,
        call: Call,
        follow_ups: &mut Vec<ScheduledEvent>,
    ) -> Result<(), PipelineError> {
        let (kind, _) = pick(&call.task.contact_id);
        let form = form_for(kind, &call.task, call.began, call.ends);
        let id = &call.task.contact_id;
        let recorded =
            match record_outcome(&self.desk, store, collector, id, &form, call.ends).await {
                Ok(r) => Some(r),
                // The house limits refused the promise or plan (or the
                // balance is gone): the call is logged as unanswered.
                Err(WorkError::BadOutcome(reason)) => {
                    tracing::debug!(task = %id, "simulated outcome refused: {reason}");
                    let plain = OutcomeForm {
                        outcome: "no_answer".into(),
                        ..OutcomeForm::default()
                    };
                    Some(
                        record_outcome(&self.desk, store, collector, id, &plain, call.ends)
                            .await
                            .map_err(fatal)?,
                    )
                }
                // The task left the collector (its account was closed
                // meanwhile): nothing to record.
                Err(WorkError::NotYours(_) | WorkError::NotFound(_)) => None,
                Err(e) => return Err(fatal(e)),
            };
        if let Some(r) = recorded {
            *self.tally.outcomes.entry(r.outcome.clone()).or_default() += 1;
            self.tally.late += u64::from(r.late);
            if r.outcome == "dispute" {
                follow_ups.push(ScheduledEvent {
                    at: call.ends + Duration::days(DISPUTE_REVIEW_DAYS),
                    account: call.task.account.clone(),
                    event: SimulatedEvent::Action(BookAction::DisputeResolved),
                });
            }
        }
        Ok(())
    }
}

/// A store or pipeline failure stops the run; anything else a simulated
/// collector cannot cause is reported as a setup error.
fn fatal(e: WorkError) -> PipelineError {
    match e {
        WorkError::Store(e) => PipelineError::Store(e),
        WorkError::Pipeline(e) => e,
        other => PipelineError::Setup(format!("simulated collector: {other}")),
    }
}

/// FNV-1a: stable across Rust versions and platforms (the std hasher is not
/// promised to be), so a simulation is the same everywhere.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The outcome and handling minutes of the call `contact_id`, with rates
/// like a collections floor's: a third unanswered, one in five promising.
fn pick(contact_id: &str) -> (&'static str, u64) {
    let h = fnv1a(contact_id);
    let kind = match h % 100 {
        0..35 => "no_answer",
        35..50 => "left_message",
        50..54 => "wrong_number",
        54..74 => "promise",
        74..79 => "plan",
        79..87 => "refused",
        87..93 => "callback",
        93..95 => "dispute",
        _ => "paid",
    };
    let span = MAX_HANDLING_MINUTES - MIN_HANDLING_MINUTES + 1;
    (kind, MIN_HANDLING_MINUTES + (h >> 32) % span)
}

/// What the collector types for `kind` at `at`.
fn form_for(kind: &str, task: &Task, began: DateTime<Utc>, at: DateTime<Utc>) -> OutcomeForm {
    let balance = task
        .balance
        .parse::<Decimal>()
        .unwrap_or(Decimal::ZERO)
        .to_string();
    let in_a_week = (at + Duration::days(7)).format("%Y-%m-%d").to_string();
    let mut form = OutcomeForm {
        outcome: kind.to_string(),
        ..OutcomeForm::default()
    };
    match kind {
        "promise" => {
            form.amount = Some(balance);
            form.date = Some(in_a_week);
        }
        "plan" => {
            form.instalments = Some(3);
            form.first_date = Some(in_a_week);
        }
        // Same hour the next day (from when the call began).
        "callback" => form.callback_at = Some((began + Duration::days(1)).to_rfc3339()),
        "paid" => {
            form.amount = Some(balance);
            form.reference = Some(format!("sim-call-{}", task.contact_id));
        }
        "dispute" => {
            form.reason = Some("amount_wrong".into());
            form.note = Some("simulated: the debtor does not recognise the amount".into());
        }
        _ => {}
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rates_look_like_a_collections_floor() {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for i in 0..10_000 {
            let (kind, minutes) = pick(&format!("mensual/A{i:05}/d10-llamada"));
            assert!((MIN_HANDLING_MINUTES..=MAX_HANDLING_MINUTES).contains(&minutes));
            *counts.entry(kind).or_default() += 1;
        }
        let share = |k: &str| counts.get(k).copied().unwrap_or(0) as f64 / 10_000.0;
        assert!((0.31..0.39).contains(&share("no_answer")), "{counts:?}");
        assert!((0.17..0.23).contains(&share("promise")), "{counts:?}");
        assert!((0.01..0.03).contains(&share("dispute")), "{counts:?}");
        assert_eq!(pick("x"), pick("x"), "deterministic");
    }
}
