//! Accounts, their status, and the address index inbound replies use.

use cobro_campaigns::Account;
use redis::Pipeline;

use super::RedisStore;
use super::codec::redis_err;
use super::scripts::scripts;
use crate::store::{AccountStatus, AccountStore, StoreError, StoreResult};

impl AccountStore for RedisStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        if accounts.is_empty() {
            return Ok(());
        }
        let mut pipe = Pipeline::with_capacity(accounts.len() * 2);
        let accounts_key = self.key("accounts");
        let status_key = self.key("acct_status");
        let ids_key = self.key("acct_ids");
        for account in accounts {
            let json =
                serde_json::to_string(account).map_err(|e| StoreError::json("account", e))?;
            pipe.hset(&accounts_key, &account.id, json).ignore();
            // A re-import must not revive a paid or opted-out account.
            pipe.hset_nx(&status_key, &account.id, AccountStatus::Active.as_str())
                .ignore();
            // The expedientes list pages through ids in order, all of them
            // or one creditor's.
            pipe.zadd(&ids_key, &account.id, 0).ignore();
            pipe.zadd(
                self.key(&format!("acct_cred:{}", account.creditor)),
                &account.id,
                0,
            )
            .ignore();
            for point in &account.contact_points {
                pipe.sadd(self.key(&format!("addr:{}", point.address)), &account.id)
                    .ignore();
            }
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("put_accounts"))
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        let (json, status): (Option<String>, Option<String>) = redis::pipe()
            .hget(self.key("accounts"), id)
            .hget(self.key("acct_status"), id)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("account"))?;
        let Some(json) = json else { return Ok(None) };
        let account: Account =
            serde_json::from_str(&json).map_err(|e| StoreError::json("account", e))?;
        let status = match status {
            None => AccountStatus::Active,
            Some(s) => AccountStatus::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("account status '{s}'")))?,
        };
        Ok(Some((account, status)))
    }

    async fn accounts_after(
        &self,
        after: Option<&str>,
        creditor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(Account, AccountStatus)>> {
        let index = match creditor {
            None => self.key("acct_ids"),
            Some(c) => self.key(&format!("acct_cred:{c}")),
        };
        let min = after.map_or_else(|| "-".to_string(), |a| format!("({a}"));
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&index)
            .arg(min)
            .arg("+")
            .arg("BYLEX")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("accounts_after"))?;
        let found = self.accounts(&ids).await?;
        Ok(found
            .into_iter()
            .flatten()
            // A re-import that moved an account to another creditor leaves
            // its id in the old creditor's index.
            .filter(|(a, _)| creditor.is_none_or(|c| a.creditor == c))
            .collect())
    }

    async fn accounts(&self, ids: &[String]) -> StoreResult<Vec<Option<(Account, AccountStatus)>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // HMGET explicitly: `hget` with one field would send HGET.
        let (jsons, statuses): (Vec<Option<String>>, Vec<Option<String>>) = redis::pipe()
            .cmd("HMGET")
            .arg(self.key("accounts"))
            .arg(ids)
            .cmd("HMGET")
            .arg(self.key("acct_status"))
            .arg(ids)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("accounts"))?;
        if jsons.len() != ids.len() || statuses.len() != ids.len() {
            return Err(StoreError::Corrupt(
                "HMGET answered a different count".into(),
            ));
        }
        jsons
            .into_iter()
            .zip(statuses)
            .map(|(json, status)| {
                let Some(json) = json else { return Ok(None) };
                let account: Account =
                    serde_json::from_str(&json).map_err(|e| StoreError::json("account", e))?;
                let status = match status {
                    None => AccountStatus::Active,
                    Some(s) => AccountStatus::parse(&s)
                        .ok_or_else(|| StoreError::Corrupt(format!("account status '{s}'")))?,
                };
                Ok(Some((account, status)))
            })
            .collect()
    }

    async fn account_count(&self) -> StoreResult<u64> {
        redis::cmd("HLEN")
            .arg(self.key("accounts"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("account_count"))
    }

    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        let mut inv = scripts().set_status.prepare_invoke();
        inv.arg(&self.prefix).arg(id).arg(status.as_str());
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }

    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        let mut ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key(&format!("addr:{address}")))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("accounts_by_address"))?;
        ids.sort();
        Ok(ids)
    }
}
