//! The collectors' work queue: each team's due agent contacts
//! (`P:wdue:<team>`), claimed by `claim_work.lua`, and the leases of the
//! tasks handed out (`P:lease`, `P:lease_until`).

use chrono::{DateTime, Utc};

use super::RedisStore;
use super::codec::{from_ms, ms, records, redis_err};
use super::scripts::scripts;
use crate::store::{ContactRecord, StoreError, StoreResult, TaskLease, WorkStore};

fn decode(json: &str) -> StoreResult<TaskLease> {
    serde_json::from_str(json).map_err(|e| StoreError::json("task lease", e))
}

impl WorkStore for RedisStore {
    async fn claim_work(
        &self,
        teams: &[String],
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        if teams.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut inv = scripts().claim_work.prepare_invoke();
        inv.arg(&self.prefix).arg(ms(now)).arg(limit);
        for team in teams {
            inv.arg(team);
        }
        let flat: Vec<String> = self.invoke(&inv).await?;
        records(&flat)
    }

    async fn next_work_due(&self, teams: &[String]) -> StoreResult<Option<DateTime<Utc>>> {
        let mut earliest: Option<DateTime<Utc>> = None;
        let paused: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key("paused"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("next_work_due"))?;
        for team in teams {
            // Paused campaigns' contacts stay in the queue until a claim
            // parks them; look past them (few, and only while paused).
            let mut offset = 0isize;
            loop {
                let first: Vec<(String, f64)> = redis::cmd("ZRANGE")
                    .arg(self.key(&format!("wdue:{team}")))
                    .arg(offset)
                    .arg(offset + 63)
                    .arg("WITHSCORES")
                    .query_async(&mut self.conn())
                    .await
                    .map_err(redis_err("next_work_due"))?;
                let mut found = None;
                for (id, score) in &first {
                    if !paused.is_empty() {
                        let campaign = self
                            .contacts_by_id(&[id.as_str()])
                            .await?
                            .pop()
                            .flatten()
                            .map(|r| r.contact.campaign);
                        if campaign.is_some_and(|c| paused.contains(&c)) {
                            continue;
                        }
                    }
                    // Scores are whole milliseconds well inside f64's range.
                    found = Some(from_ms(*score as i64)?);
                    break;
                }
                if let Some(at) = found {
                    earliest = Some(earliest.map_or(at, |e| e.min(at)));
                    break;
                }
                if first.len() < 64 {
                    break;
                }
                offset += 64;
            }
        }
        Ok(earliest)
    }

    async fn work_depth(&self, team: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        redis::cmd("ZCOUNT")
            .arg(self.key(&format!("wdue:{team}")))
            .arg("-inf")
            .arg(ms(now))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("work_depth"))
    }

    async fn put_lease(&self, lease: &TaskLease) -> StoreResult<()> {
        let json = serde_json::to_string(lease).map_err(|e| StoreError::json("task lease", e))?;
        redis::pipe()
            .atomic()
            .hset(self.key("lease"), &lease.contact_id, json)
            .ignore()
            .zadd(self.key("lease_until"), &lease.contact_id, ms(lease.until))
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("put_lease"))
    }

    async fn lease(&self, contact_id: &str) -> StoreResult<Option<TaskLease>> {
        let json: Option<String> = redis::cmd("HGET")
            .arg(self.key("lease"))
            .arg(contact_id)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("lease"))?;
        json.as_deref().map(decode).transpose()
    }

    async fn leases(&self, collector: Option<&str>) -> StoreResult<Vec<TaskLease>> {
        // Open leases are a handful per collector: the whole hash is read.
        let all: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(self.key("lease"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("leases"))?;
        let mut out = Vec::new();
        for (_, json) in all {
            let lease = decode(&json)?;
            if collector.is_none_or(|c| c == lease.collector) {
                out.push(lease);
            }
        }
        out.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
        Ok(out)
    }

    async fn expired_leases(&self, now: DateTime<Utc>) -> StoreResult<Vec<TaskLease>> {
        let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.key("lease_until"))
            .arg("-inf")
            .arg(format!("({}", ms(now)))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("expired_leases"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(lease) = self.lease(&id).await? {
                out.push(lease);
            }
        }
        out.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
        Ok(out)
    }

    async fn end_lease(&self, contact_id: &str, collector: &str) -> StoreResult<bool> {
        let mut inv = scripts().end_lease.prepare_invoke();
        inv.arg(&self.prefix).arg(contact_id).arg(collector);
        let ended: i64 = self.invoke(&inv).await?;
        Ok(ended == 1)
    }
}
