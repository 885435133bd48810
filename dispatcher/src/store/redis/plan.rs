//! The contact plan: adding, claiming and moving contacts, all through
//! scripts whose state guards come from `StateMove` (see `scripts.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use redis::Pipeline;

use super::RedisStore;
use super::codec::{
    add_args, from_ms, ledger_args, ms, record, redis_err, rfc3339, transition_args,
};
use super::scripts::scripts;
use crate::store::{
    ContactRecord, ContactState, LedgerEntry, PlanStore, StoreError, StoreResult, Transition,
    TransitionItem,
};

/// Contacts per `add_contacts` script call: a launch of a million contacts
/// is split so that no single script blocks Redis for long, while the calls
/// still travel in one pipelined round trip.
const ADD_CHUNK: usize = 1_000;

impl PlanStore for RedisStore {
    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        if contacts.is_empty() {
            return Ok(0);
        }
        // One pipeline of EVALSHA calls (one per chunk). The script is
        // loaded first so that a fresh server does not answer NOSCRIPT in
        // the middle of the pipeline; adding is idempotent, so a retry after
        // a failure is harmless.
        let mut conn = self.conn();
        let mut pipe = Pipeline::new();
        for chunk in contacts.chunks(ADD_CHUNK) {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(scripts().add.get_hash()).arg(0).arg(&self.prefix);
            for c in chunk {
                let json = serde_json::to_string(c).map_err(|e| StoreError::json("contact", e))?;
                cmd.arg(&c.id)
                    .arg(&c.campaign)
                    .arg(&c.account)
                    .arg(&c.step)
                    .arg(c.channel.as_str())
                    .arg(ms(c.due_at))
                    .arg(json)
                    .arg(c.team.as_deref().unwrap_or(""));
            }
            pipe.add_command(cmd);
        }
        let added: Vec<u64> = match pipe.query_async(&mut conn).await {
            Ok(v) => v,
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                scripts()
                    .add
                    .load_async(&mut conn)
                    .await
                    .map_err(redis_err("add_contacts"))?;
                pipe.query_async(&mut conn)
                    .await
                    .map_err(redis_err("add_contacts"))?
            }
            Err(e) => return Err(redis_err("add_contacts")(e)),
        };
        Ok(added.into_iter().sum())
    }

    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        let fields: (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = redis::cmd("HMGET")
            .arg(self.key(&format!("c:{id}")))
            .arg(&["j", "state", "due", "attempt"])
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("contact"))?;
        match fields {
            (Some(json), Some(state), Some(due), Some(attempt)) => {
                let state: ContactState = state.parse().map_err(StoreError::Corrupt)?;
                Ok(Some(record(&json, state, &due, &attempt)?))
            }
            (None, None, None, None) => Ok(None),
            _ => Err(StoreError::Corrupt(format!(
                "contact '{id}' is missing fields"
            ))),
        }
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut inv = scripts().claim.prepare_invoke();
        inv.arg(&self.prefix).arg(ms(now)).arg(limit);
        let flat: Vec<String> = self.invoke(&inv).await?;
        flat.chunks_exact(3)
            .map(|c| record(&c[0], ContactState::Queued, &c[1], &c[2]))
            .collect()
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let first: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(self.key("due"))
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("next_due"))?;
        // Scores are whole milliseconds well inside f64's exact range.
        first
            .first()
            .map(|(_, score)| from_ms(*score as i64))
            .transpose()
    }

    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        // One item of the batch script: one definition of a move in Lua.
        let mut inv = scripts().transitions.prepare_invoke();
        inv.arg(&self.prefix).arg(0).arg(id);
        transition_args(&mut inv, &to)?;
        inv.arg(ledger.len());
        ledger_args(&mut inv, ledger)?;
        let moved: Vec<i64> = self.invoke(&inv).await?;
        Ok(moved.first() == Some(&1))
    }

    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        self.plan_and_transitions(&[], items).await
    }

    async fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> StoreResult<Vec<bool>> {
        if items.is_empty() {
            if !plan.is_empty() {
                self.add_contacts(plan).await?;
            }
            return Ok(Vec::new());
        }
        let mut inv = scripts().transitions.prepare_invoke();
        inv.arg(&self.prefix).arg(plan.len());
        for c in plan {
            add_args(&mut inv, c)?;
        }
        for item in items {
            inv.arg(&item.id);
            transition_args(&mut inv, &item.to)?;
            inv.arg(item.ledger.len());
            ledger_args(&mut inv, &item.ledger)?;
        }
        let moved: Vec<i64> = self.invoke(&inv).await?;
        if moved.len() != items.len() {
            return Err(StoreError::Corrupt(
                "transitions answered a different count".into(),
            ));
        }
        Ok(moved.into_iter().map(|m| m == 1).collect())
    }

    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut inv = scripts().cancel.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(account)
            .arg(channel.map_or("", |c| c.as_str()))
            .arg(code)
            .arg(detail)
            .arg(rfc3339(at));
        self.invoke(&inv).await
    }

    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        let mut inv = scripts().recover.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(ms(queued_before))
            .arg(ms(sending_before))
            .arg("no outcome was recorded for this send; not resent automatically");
        let (requeued, unknown): (u64, u64) = self.invoke(&inv).await?;
        Ok((requeued, unknown))
    }

    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        let key = match campaign {
            Some(c) => self.key(&format!("n:{c}")),
            None => self.key("n"),
        };
        let raw: BTreeMap<String, i64> = redis::cmd("HGETALL")
            .arg(key)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("counts"))?;
        let mut out = BTreeMap::new();
        for (state, n) in raw {
            let state: ContactState = state.parse().map_err(StoreError::Corrupt)?;
            if n > 0 {
                out.insert(state, n as u64);
            }
        }
        Ok(out)
    }

    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        let mut out: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key("campaigns"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("campaigns"))?;
        out.sort();
        Ok(out)
    }

    async fn account_contacts(&self, account: &str) -> StoreResult<Vec<ContactRecord>> {
        let mut ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key(&format!("ac:{account}")))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("account_contacts"))?;
        ids.sort();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.contact(&id).await? {
                out.push(record);
            }
        }
        Ok(out)
    }

    async fn unknown_contacts(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Every member scores 0, so the lexical range pages by id.
        let from = after.map_or_else(|| "-".to_string(), |a| format!("({a}"));
        let ids: Vec<String> = redis::cmd("ZRANGEBYLEX")
            .arg(self.key("unknown"))
            .arg(from)
            .arg("+")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("unknown_contacts"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.contact(&id).await?
                && record.state == ContactState::Unknown
            {
                out.push(record);
            }
        }
        Ok(out)
    }
}
