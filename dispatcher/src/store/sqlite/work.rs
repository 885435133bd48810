//! The collectors' work queue: agent contacts claimed by team, and the
//! leases of the tasks handed out.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::guards::states_in;
use super::rows::{CONTACT_COLUMNS, contact_from_row, from_ms, ms};
use super::{SqliteStore, db};
use crate::store::{ContactRecord, StateMove, StoreResult, TaskLease, WorkStore};

/// `?, ?, …` for `n` values (at least one, so `IN ()` never appears).
fn placeholders(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

fn lease_from_row(row: &SqliteRow) -> StoreResult<TaskLease> {
    Ok(TaskLease {
        contact_id: row.try_get("contact_id").map_err(db("lease row"))?,
        collector: row.try_get("collector").map_err(db("lease row"))?,
        team: row.try_get("team").map_err(db("lease row"))?,
        leased_at: from_ms(row.try_get("leased_at").map_err(db("lease row"))?)?,
        until: from_ms(row.try_get("until").map_err(db("lease row"))?)?,
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
        let sql = format!(
            "UPDATE contacts SET state = 'queued', claimed_at = ? WHERE id IN \
             (SELECT id FROM contacts WHERE team IN ({teams}) AND state IN ({from}) AND due_at <= ? \
             AND campaign NOT IN (SELECT campaign FROM paused_campaigns) ORDER BY due_at, id LIMIT ?) \
             RETURNING {CONTACT_COLUMNS}",
            teams = placeholders(teams.len()),
            from = states_in(StateMove::Claim)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ms(now));
        for team in teams {
            query = query.bind(team);
        }
        let mut tx = self.begin().await?;
        let rows = query
            .bind(ms(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(db("claim_work"))?;
        tx.commit().await.map_err(db("claim_work"))?;
        let mut records = rows
            .iter()
            .map(contact_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        records.sort_by(|a, b| (a.due_at, &a.contact.id).cmp(&(b.due_at, &b.contact.id)));
        Ok(records)
    }

    async fn next_work_due(&self, teams: &[String]) -> StoreResult<Option<DateTime<Utc>>> {
        if teams.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT MIN(due_at) FROM contacts WHERE team IN ({}) AND state = 'pending' \
             AND campaign NOT IN (SELECT campaign FROM paused_campaigns)",
            placeholders(teams.len())
        );
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for team in teams {
            query = query.bind(team);
        }
        let value: Option<i64> = query
            .fetch_one(&self.pool)
            .await
            .map_err(db("next_work_due"))?;
        value.map(from_ms).transpose()
    }

    async fn work_depth(&self, team: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contacts WHERE team = ? AND state = 'pending' AND due_at <= ?",
        )
        .bind(team)
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db("work_depth"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn put_lease(&self, lease: &TaskLease) -> StoreResult<()> {
        sqlx::query(
            "INSERT OR REPLACE INTO work_leases (contact_id, collector, team, leased_at, until) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&lease.contact_id)
        .bind(&lease.collector)
        .bind(&lease.team)
        .bind(ms(lease.leased_at))
        .bind(ms(lease.until))
        .execute(&self.pool)
        .await
        .map_err(db("put_lease"))?;
        Ok(())
    }

    async fn lease(&self, contact_id: &str) -> StoreResult<Option<TaskLease>> {
        let row = sqlx::query("SELECT * FROM work_leases WHERE contact_id = ?")
            .bind(contact_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("lease"))?;
        row.as_ref().map(lease_from_row).transpose()
    }

    async fn leases(&self, collector: Option<&str>) -> StoreResult<Vec<TaskLease>> {
        let rows = sqlx::query(
            "SELECT * FROM work_leases WHERE (?1 IS NULL OR collector = ?1) ORDER BY contact_id",
        )
        .bind(collector)
        .fetch_all(&self.pool)
        .await
        .map_err(db("leases"))?;
        rows.iter().map(lease_from_row).collect()
    }

    async fn expired_leases(&self, now: DateTime<Utc>) -> StoreResult<Vec<TaskLease>> {
        let rows = sqlx::query("SELECT * FROM work_leases WHERE until < ? ORDER BY contact_id")
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await
            .map_err(db("expired_leases"))?;
        rows.iter().map(lease_from_row).collect()
    }

    async fn end_lease(&self, contact_id: &str, collector: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM work_leases WHERE contact_id = ? AND collector = ?")
            .bind(contact_id)
            .bind(collector)
            .execute(&self.pool)
            .await
            .map_err(db("end_lease"))?;
        Ok(done.rows_affected() > 0)
    }
}
