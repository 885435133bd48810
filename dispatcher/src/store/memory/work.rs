//! The collectors' work queue: agent contacts claimed by team from their
//! team's due set, and the leases of the tasks handed out.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::state::Id;
use super::{MemoryStore, from_ms, ms, to_ms};
use crate::store::{ContactRecord, StoreResult, TaskLease, WorkStore};

/// `teams` once each, in order.
fn distinct(teams: &[String]) -> BTreeSet<&str> {
    teams.iter().map(String::as_str).collect()
}

impl WorkStore for MemoryStore {
    async fn claim_work(
        &self,
        teams: &[String],
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        let mut state = self.state()?;
        let now_ms = ms(now);
        // The first `limit` due entries of each team, merged: earliest
        // first across teams, ties by id.
        let mut due: Vec<(i64, Id)> = distinct(teams)
            .into_iter()
            .filter_map(|team| state.plan.due_work.get(team))
            .flat_map(|set| {
                set.iter()
                    .take_while(|(at, _)| *at <= now_ms)
                    .take(limit)
                    .cloned()
            })
            .collect();
        due.sort();
        due.truncate(limit);
        let ids = due.into_iter().map(|(_, id)| id).collect();
        Ok(state.claim(ids, now))
    }

    async fn next_work_due(&self, teams: &[String]) -> StoreResult<Option<DateTime<Utc>>> {
        let state = self.state()?;
        Ok(distinct(teams)
            .into_iter()
            .filter_map(|team| state.plan.due_work.get(team)?.first())
            .map(|(at, _)| *at)
            .min()
            .map(from_ms))
    }

    // A paused campaign's pending contacts are parked (`state.rs`), so
    // they are not in the depth until it resumes (SQLite counts them;
    // Redis stops counting them once a claim has passed them over).
    async fn work_depth(&self, team: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let state = self.state()?;
        let now_ms = ms(now);
        Ok(state.plan.due_work.get(team).map_or(0, |set| {
            set.iter().take_while(|(at, _)| *at <= now_ms).count() as u64
        }))
    }

    async fn put_lease(&self, lease: &TaskLease) -> StoreResult<()> {
        let mut lease = lease.clone();
        lease.leased_at = to_ms(lease.leased_at);
        lease.until = to_ms(lease.until);
        self.state()?.leases.insert(lease.contact_id.clone(), lease);
        Ok(())
    }

    async fn lease(&self, contact_id: &str) -> StoreResult<Option<TaskLease>> {
        Ok(self.state()?.leases.get(contact_id).cloned())
    }

    async fn leases(&self, collector: Option<&str>) -> StoreResult<Vec<TaskLease>> {
        Ok(self
            .state()?
            .leases
            .values()
            .filter(|l| collector.is_none_or(|c| l.collector == c))
            .cloned()
            .collect())
    }

    async fn expired_leases(&self, now: DateTime<Utc>) -> StoreResult<Vec<TaskLease>> {
        let now_ms = ms(now);
        Ok(self
            .state()?
            .leases
            .values()
            .filter(|l| ms(l.until) < now_ms)
            .cloned()
            .collect())
    }

    async fn end_lease(&self, contact_id: &str, collector: &str) -> StoreResult<bool> {
        let mut state = self.state()?;
        if state
            .leases
            .get(contact_id)
            .is_some_and(|l| l.collector == collector)
        {
            state.leases.remove(contact_id);
            return Ok(true);
        }
        Ok(false)
    }
}
