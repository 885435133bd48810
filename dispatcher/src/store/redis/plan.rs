//! The contact plan: adding, claiming and moving contacts, all through
//! scripts whose state guards come from `StateMove` (see `scripts.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};
use redis::Pipeline;

use super::RedisStore;
use super::codec::{
    add_args, add_group, from_ms, ledger_args, ms, records, redis_err, rfc3339, transition_args,
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
                for a in add_group(c)? {
                    cmd.arg(a);
                }
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
        let mut found = self.contacts_by_id(&[id]).await?;
        Ok(found.pop().flatten())
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut inv = scripts().claim.prepare_invoke();
        inv.arg(&self.prefix).arg(ms(now)).arg(limit);
        let flat: Vec<String> = self.invoke(&inv).await?;
        records(&flat)
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let mut inv = scripts().next_due.prepare_invoke();
        inv.arg(&self.prefix);
        let instant: Option<String> = self.invoke(&inv).await?;
        instant
            .map(|ms| from_ms(super::codec::parse_i64("due instant", &ms)?))
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
        let mut inv = scripts().get.prepare_invoke();
        inv.arg(&self.prefix).arg("account").arg(account);
        let flat: Vec<String> = self.invoke(&inv).await?;
        let mut out = records(&flat)?;
        out.sort_by(|a, b| a.contact.id.cmp(&b.contact.id));
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
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(self
            .contacts_by_id(&ids)
            .await?
            .into_iter()
            .flatten()
            .filter(|r| r.state == ContactState::Unknown)
            .collect())
    }
}

impl RedisStore {
    /// The records of `ids`, in order (`None` for an unknown id), in one
    /// script call (`get.lua`).
    pub(super) async fn contacts_by_id(
        &self,
        ids: &[&str],
    ) -> StoreResult<Vec<Option<ContactRecord>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = scripts().get.prepare_invoke();
        inv.arg(&self.prefix).arg("ids");
        for id in ids {
            inv.arg(*id);
        }
        let flat: Vec<String> = self.invoke(&inv).await?;
        if flat.len() != ids.len() * 4 {
            return Err(StoreError::Corrupt("get answered a different count".into()));
        }
        flat.chunks_exact(4).map(super::codec::record).collect()
    }
}
