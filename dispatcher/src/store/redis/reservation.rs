//! The reads before a send and the reservation script.

use redis::Pipeline;

use super::RedisStore;
use super::codec::{prefix_suppressed, redis_err, release_args, reservation_args, reserve_outcome};
use super::keys::supp_field;
use super::scripts::scripts;
use crate::store::{
    CheckQuery, ContactChecks, HistoryEntry, Reservation, ReservationRelease, ReservationStore,
    ReserveOutcome, StoreError, StoreResult,
};

impl ReservationStore for RedisStore {
    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        // One pipeline: the prefix entries, both exact suppression entries
        // of every query (one HMGET), every history version (one MGET),
        // then each history.
        let supp_fields: Vec<String> = queries
            .iter()
            .flat_map(|q| {
                [
                    supp_field(Some(q.channel), &q.address),
                    supp_field(None, &q.address),
                ]
            })
            .collect();
        let version_keys: Vec<String> = queries
            .iter()
            .map(|q| self.key(&format!("hv:{}", q.debtor_key)))
            .collect();
        let mut pipe = Pipeline::with_capacity(3 + queries.len());
        pipe.smembers(self.key("supp_prefix"));
        // HMGET / MGET explicitly: with one field or key the typed helpers
        // would send HGET / GET, whose reply is not a list.
        pipe.cmd("HMGET").arg(self.key("supp")).arg(&supp_fields);
        pipe.cmd("MGET").arg(&version_keys);
        for q in queries {
            pipe.lrange(self.key(&format!("h:{}", q.debtor_key)), 0, -1);
        }
        let values: Vec<redis::Value> = pipe
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("contact_checks"))?;
        if values.len() != 3 + queries.len() {
            return Err(StoreError::Corrupt(
                "pipeline answered a different count".into(),
            ));
        }
        let parse = |e: redis::ParsingError| StoreError::Corrupt(e.to_string());
        let mut values = values.into_iter();
        let mut next = || values.next().unwrap_or(redis::Value::Nil);
        let prefixes: Vec<String> = redis::from_redis_value(next()).map_err(parse)?;
        // Only presence matters; `Value` avoids decoding the entries.
        let exact: Vec<redis::Value> = redis::from_redis_value(next()).map_err(parse)?;
        let versions: Vec<Option<u64>> = redis::from_redis_value(next()).map_err(parse)?;
        if exact.len() != supp_fields.len() || versions.len() != queries.len() {
            return Err(StoreError::Corrupt(
                "HMGET or MGET answered a different count".into(),
            ));
        }
        let present = |v: &redis::Value| !matches!(v, redis::Value::Nil);
        let mut out = Vec::with_capacity(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let rows: Vec<String> = redis::from_redis_value(next()).map_err(parse)?;
            let history = rows
                .iter()
                .map(|r| serde_json::from_str(r).map_err(|e| StoreError::json("history row", e)))
                .collect::<StoreResult<Vec<HistoryEntry>>>()?;
            out.push(ContactChecks {
                suppressed: present(&exact[2 * i])
                    || present(&exact[2 * i + 1])
                    || prefix_suppressed(&prefixes, q.channel, &q.address),
                history,
                version: versions[i].unwrap_or(0),
            });
        }
        Ok(out)
    }

    async fn reserve(&self, r: &Reservation) -> StoreResult<ReserveOutcome> {
        // One item of the batch script: one definition of the checks in Lua.
        let mut inv = scripts().reserve_many.prepare_invoke();
        inv.arg(&self.prefix);
        reservation_args(&mut inv, r)?;
        let reply: Vec<String> = self.invoke(&inv).await?;
        reserve_outcome(&reply)
    }

    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        if reservations.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = scripts().reserve_many.prepare_invoke();
        inv.arg(&self.prefix);
        for r in reservations {
            reservation_args(&mut inv, r)?;
        }
        let reply: Vec<String> = self.invoke(&inv).await?;
        if reply.len() != reservations.len() * 2 {
            return Err(StoreError::Corrupt(
                "reserve_many answered a different count".into(),
            ));
        }
        reply.chunks(2).map(reserve_outcome).collect()
    }

    async fn release(&self, releases: &[ReservationRelease]) -> StoreResult<Vec<bool>> {
        if releases.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = scripts().release.prepare_invoke();
        inv.arg(&self.prefix);
        for r in releases {
            release_args(&mut inv, r)?;
        }
        let released: Vec<i64> = self.invoke(&inv).await?;
        if released.len() != releases.len() {
            return Err(StoreError::Corrupt(
                "release answered a different count".into(),
            ));
        }
        Ok(released.into_iter().map(|n| n == 1).collect())
    }
}
