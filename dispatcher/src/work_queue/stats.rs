//! The supervisor's figures: per collector and per team, from the ledger
//! (the outcome rows name their collector) and the books (what was
//! promised on a call, and whether it was kept). Reads every campaign's
//! ledger: a supervisor's page, not a hot path.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use cobro_campaigns::book::{BookLimits, EventSource, PromiseState};
use rust_decimal::Decimal;
use serde::Serialize;

use super::Outcome;
use crate::store::{LedgerState, Store, StoreError, TaskLease};

/// One collector's work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CollectorStats {
    pub collector: String,
    /// Outcomes recorded.
    pub tasks_done: u64,
    /// Outcomes where the collector spoke with the debtor.
    pub right_party: u64,
    /// right_party ÷ tasks_done, in percent (0 without tasks).
    pub contact_rate: f64,
    pub promises: u64,
    /// Promised on this collector's calls, per currency (decimal strings).
    #[schema(value_type = BTreeMap<String, String>)]
    pub promised: BTreeMap<String, Decimal>,
    pub promises_kept: u64,
    #[schema(value_type = BTreeMap<String, String>)]
    pub kept: BTreeMap<String, Decimal>,
    /// From hand-out to outcome, on average, in seconds.
    pub avg_handling_seconds: u64,
    /// Outcomes recorded when the guard would not have allowed the call.
    pub late: u64,
    /// Tasks leased to the collector now.
    pub open: u64,
    /// Outcomes by name.
    pub outcomes: BTreeMap<String, u64>,
}

/// One team's queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TeamStats {
    pub team: String,
    /// Tasks due now and waiting for a collector.
    pub depth: u64,
    /// Tasks leased now.
    pub open: u64,
    pub done: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkStats {
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
    pub collectors: Vec<CollectorStats>,
    pub teams: Vec<TeamStats>,
    #[schema(value_type = Vec<Object>)]
    pub leases: Vec<TaskLease>,
    /// Outcomes recorded outside the window (compliance review).
    pub late: u64,
}

#[derive(Default)]
struct Acc {
    stats: CollectorStats,
    handling_total: i64,
    handled: i64,
}

/// The figures at `now` for `teams` (the desk's) and every collector that
/// recorded an outcome or holds a task.
pub async fn work_stats<S: Store>(
    store: &S,
    teams: &[String],
    limits: &BookLimits,
    now: DateTime<Utc>,
) -> Result<WorkStats, StoreError> {
    let leases = store.leases(None).await?;
    let mut by: BTreeMap<String, Acc> = BTreeMap::new();
    let mut team_done: BTreeMap<String, u64> = BTreeMap::new();
    let mut late_total = 0;
    for campaign in store.campaigns().await? {
        let mut handed: HashMap<String, DateTime<Utc>> = HashMap::new();
        let mut cursor = 0;
        loop {
            let (rows, next) = store.campaign_ledger_page(&campaign, cursor, 5_000).await?;
            for row in rows.iter().filter(|r| r.channel.is_agent()) {
                let code = row.code.as_deref().unwrap_or_default();
                if row.state == LedgerState::Allowed && row.provider.is_none() {
                    handed.insert(row.contact_id.clone(), row.at);
                    continue;
                }
                let Some(collector) = row.provider.clone() else {
                    continue;
                };
                if code == "late_outcome" {
                    late_total += 1;
                    by.entry(collector).or_default().stats.late += 1;
                    continue;
                }
                let Some(outcome) = Outcome::ALL.into_iter().find(|o| o.code() == code) else {
                    continue;
                };
                let acc = by.entry(collector.clone()).or_default();
                acc.stats.tasks_done += 1;
                *acc.stats
                    .outcomes
                    .entry(outcome.as_str().to_string())
                    .or_default() += 1;
                if outcome.is_right_party() {
                    acc.stats.right_party += 1;
                }
                if let Some(at) = handed.remove(&row.contact_id) {
                    acc.handling_total += (row.at - at).num_seconds().max(0);
                    acc.handled += 1;
                }
                if let Some(team) = store
                    .contact(&row.contact_id)
                    .await?
                    .and_then(|r| r.contact.team)
                {
                    *team_done.entry(team).or_default() += 1;
                }
                if matches!(outcome, Outcome::Promise | Outcome::Plan) {
                    let (book, _) = store.book(&row.account).await?;
                    let currency = store
                        .account(&row.account)
                        .await?
                        .map(|(a, _)| a.currency)
                        .unwrap_or_default();
                    // One promise per call: a plan's instalments are
                    // its parts (their sum is what was promised), kept
                    // when every instalment is.
                    let mut made = Decimal::ZERO;
                    let mut parts = 0;
                    let mut all_kept = true;
                    for (i, p) in book.promises.iter().enumerate() {
                        // The ledger keeps milliseconds (SQLite), the book
                        // the instant as given: the same call at the
                        // ledger's precision.
                        if p.source != EventSource::Agent
                            || p.made_at.timestamp_millis() != row.at.timestamp_millis()
                        {
                            continue;
                        }
                        parts += 1;
                        made += p.amount;
                        all_kept &=
                            book.promise_state(i, now, limits.grace_days) == PromiseState::Kept;
                    }
                    if parts > 0 {
                        acc.stats.promises += 1;
                        *acc.stats.promised.entry(currency.clone()).or_default() += made;
                        if all_kept {
                            acc.stats.promises_kept += 1;
                            *acc.stats.kept.entry(currency).or_default() += made;
                        }
                    }
                }
            }
            match next {
                Some(n) => cursor = n,
                None => break,
            }
        }
    }
    for lease in &leases {
        by.entry(lease.collector.clone()).or_default().stats.open += 1;
    }
    let collectors = by
        .into_iter()
        .map(|(collector, acc)| {
            let mut s = acc.stats;
            s.collector = collector;
            if s.tasks_done > 0 {
                s.contact_rate =
                    (s.right_party as f64 * 1000.0 / s.tasks_done as f64).round() / 10.0;
            }
            if acc.handled > 0 {
                s.avg_handling_seconds = (acc.handling_total / acc.handled) as u64;
            }
            s
        })
        .collect();
    let mut team_stats = Vec::new();
    for team in teams {
        team_stats.push(TeamStats {
            team: team.clone(),
            depth: store.work_depth(team, now).await?,
            open: leases.iter().filter(|l| &l.team == team).count() as u64,
            done: team_done.get(team).copied().unwrap_or(0),
        });
    }
    Ok(WorkStats {
        at: now,
        collectors,
        teams: team_stats,
        leases,
        late: late_total,
    })
}
