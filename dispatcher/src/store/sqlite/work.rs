//! The collectors' work queue: agent contacts claimed by team, and the
//! leases of the tasks handed out.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Row, params, params_from_iter};

use super::guards::states_in;
use super::rows::{CONTACT_COLUMNS, collect, contact_from_row, from_ms, get, int, ms};
use super::{SqliteStore, db};
use crate::store::{ContactRecord, StateMove, StoreResult, TaskLease, WorkStore};

/// `?, ?, …` for `n` values (at least one, so `IN ()` never appears).
fn placeholders(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

/// The lease columns `lease_from_row` reads, in order.
const LEASE_COLUMNS: &str = "contact_id, collector, team, leased_at, until";

fn lease_from_row(row: &Row<'_>) -> StoreResult<TaskLease> {
    let op = "lease row";
    Ok(TaskLease {
        contact_id: get(row, 0, op)?,
        collector: get(row, 1, op)?,
        team: get(row, 2, op)?,
        leased_at: from_ms(get(row, 3, op)?)?,
        until: from_ms(get(row, 4, op)?)?,
    })
}

impl WorkStore for SqliteStore {
    async fn claim_work(
        &self,
        teams: &[String],
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        if teams.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let teams = teams.to_vec();
        self.db
            .atomic("claim_work", move |tx| {
                let op = "claim_work";
                let sql = format!(
                    "UPDATE contacts SET state = 'queued', claimed_at = ? WHERE id IN \
                     (SELECT id FROM contacts WHERE team IN ({teams}) AND state IN ({from}) AND due_at <= ? \
                     AND campaign NOT IN (SELECT campaign FROM paused_campaigns) ORDER BY due_at, id LIMIT ?) \
                     RETURNING {CONTACT_COLUMNS}",
                    teams = placeholders(teams.len()),
                    from = states_in(StateMove::Claim)
                );
                let mut args = vec![Value::Integer(ms(now))];
                args.extend(teams.into_iter().map(Value::Text));
                args.push(Value::Integer(ms(now)));
                args.push(Value::Integer(int(limit)));
                let mut stmt = tx.prepare_cached(&sql).map_err(db(op))?;
                let mut records = collect(&mut stmt, params_from_iter(args), op, contact_from_row)?;
                records.sort_by(|a, b| (a.due_at, &a.contact.id).cmp(&(b.due_at, &b.contact.id)));
                Ok(records)
            })
            .await
    }

    async fn next_work_due(&self, teams: &[String]) -> StoreResult<Option<DateTime<Utc>>> {
        if teams.is_empty() {
            return Ok(None);
        }
        let teams = teams.to_vec();
        self.db
            .run("next_work_due", move |conn| {
                let sql = format!(
                    "SELECT MIN(due_at) FROM contacts WHERE team IN ({}) AND state = 'pending' \
                     AND campaign NOT IN (SELECT campaign FROM paused_campaigns)",
                    placeholders(teams.len())
                );
                let value: Option<i64> = conn
                    .prepare_cached(&sql)
                    .and_then(|mut s| s.query_row(params_from_iter(&teams), |row| row.get(0)))
                    .map_err(db("next_work_due"))?;
                value.map(from_ms).transpose()
            })
            .await
    }

    async fn work_depth(&self, team: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let team = team.to_string();
        self.db
            .run("work_depth", move |conn| {
                let n: i64 = conn
                    .prepare_cached(
                        "SELECT COUNT(*) FROM contacts WHERE team = ? AND state = 'pending' AND due_at <= ?",
                    )
                    .and_then(|mut s| s.query_row(params![team, ms(now)], |row| row.get(0)))
                    .map_err(db("work_depth"))?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }

    async fn put_lease(&self, lease: &TaskLease) -> StoreResult<()> {
        let lease = lease.clone();
        self.db
            .run("put_lease", move |conn| {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO work_leases (contact_id, collector, team, leased_at, until) \
                     VALUES (?, ?, ?, ?, ?)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        lease.contact_id,
                        lease.collector,
                        lease.team,
                        ms(lease.leased_at),
                        ms(lease.until),
                    ])
                })
                .map_err(db("put_lease"))?;
                Ok(())
            })
            .await
    }

    async fn lease(&self, contact_id: &str) -> StoreResult<Option<TaskLease>> {
        let contact_id = contact_id.to_string();
        self.db
            .run("lease", move |conn| {
                let sql = format!("SELECT {LEASE_COLUMNS} FROM work_leases WHERE contact_id = ?");
                let mut stmt = conn.prepare_cached(&sql).map_err(db("lease"))?;
                Ok(collect(&mut stmt, [contact_id], "lease", lease_from_row)?.pop())
            })
            .await
    }

    async fn leases(&self, collector: Option<&str>) -> StoreResult<Vec<TaskLease>> {
        let collector = collector.map(str::to_string);
        self.db
            .run("leases", move |conn| {
                let sql = format!(
                    "SELECT {LEASE_COLUMNS} FROM work_leases WHERE (?1 IS NULL OR collector = ?1) ORDER BY contact_id"
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(db("leases"))?;
                collect(&mut stmt, [collector], "leases", lease_from_row)
            })
            .await
    }

    async fn expired_leases(&self, now: DateTime<Utc>) -> StoreResult<Vec<TaskLease>> {
        self.db
            .run("expired_leases", move |conn| {
                let sql = format!(
                    "SELECT {LEASE_COLUMNS} FROM work_leases WHERE until < ? ORDER BY contact_id"
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(db("expired_leases"))?;
                collect(&mut stmt, [ms(now)], "expired_leases", lease_from_row)
            })
            .await
    }

    async fn end_lease(&self, contact_id: &str, collector: &str) -> StoreResult<bool> {
        let (contact_id, collector) = (contact_id.to_string(), collector.to_string());
        self.db
            .run("end_lease", move |conn| {
                let done = conn
                    .prepare_cached(
                        "DELETE FROM work_leases WHERE contact_id = ? AND collector = ?",
                    )
                    .and_then(|mut s| s.execute(params![contact_id, collector]))
                    .map_err(db("end_lease"))?;
                Ok(done > 0)
            })
            .await
    }
}
