//! Accounts, their status, and the address index inbound replies use.

use cobro_campaigns::Account;
use redis::Pipeline;

use super::RedisStore;
use super::account_codec;
use super::codec::redis_err;
use super::keys::addr_bucket;
use super::scripts::scripts;
use crate::store::{
    AccountScan, AccountStatus, AccountStore, ScannedAccounts, StoreError, StoreResult,
};

impl RedisStore {
    /// The fields `ids` of hash `hash` and of the status hash, in `ids`'
    /// order, in one round trip (HMGET explicitly: `hget` with one field
    /// would send HGET).
    pub(super) async fn with_statuses(
        &self,
        hash: &str,
        ids: &[String],
        op: &'static str,
    ) -> StoreResult<(Vec<Option<String>>, Vec<Option<String>>)> {
        let (values, statuses): (Vec<Option<String>>, Vec<Option<String>>) = redis::pipe()
            .cmd("HMGET")
            .arg(self.key(hash))
            .arg(ids)
            .cmd("HMGET")
            .arg(self.key("acct_status"))
            .arg(ids)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err(op))?;
        if values.len() != ids.len() || statuses.len() != ids.len() {
            return Err(StoreError::Corrupt(
                "HMGET answered a different count".into(),
            ));
        }
        Ok((values, statuses))
    }
}

impl AccountStore for RedisStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        if accounts.is_empty() {
            return Ok(());
        }
        let mut pipe = Pipeline::with_capacity(accounts.len() * 8);
        let accounts_key = self.key("accounts");
        let ids_key = self.key("acct_ids");
        let mut addresses = scripts().addr_add.prepare_invoke();
        addresses.arg(&self.prefix);
        for account in accounts {
            pipe.hset(&accounts_key, &account.id, account_codec::encode(account)?)
                .ignore();
            // No status is written: an account without one is active, and
            // a re-import must not revive a paid or opted-out account.
            // The expedientes list walks the ids in order (`scan.rs`).
            pipe.zadd(&ids_key, &account.id, 0).ignore();
            for point in &account.contact_points {
                addresses
                    .arg(addr_bucket(&point.address))
                    .arg(&point.address)
                    .arg(&account.id);
            }
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("put_accounts"))?;
        // The address index (a script: adding an id to an address' list
        // reads the list first).
        if accounts.iter().any(|a| !a.contact_points.is_empty()) {
            self.invoke::<i64>(&addresses).await?;
        }
        Ok(())
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        let (json, status): (Option<String>, Option<String>) = redis::pipe()
            .hget(self.key("accounts"), id)
            .hget(self.key("acct_status"), id)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("account"))?;
        let Some(json) = json else { return Ok(None) };
        let account = account_codec::decode(id, &json)?;
        let status = match status {
            None => AccountStatus::Active,
            Some(s) => AccountStatus::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("account status '{s}'")))?,
        };
        Ok(Some((account, status)))
    }

    async fn scan_accounts(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        self.scan(scan).await
    }

    async fn accounts(&self, ids: &[String]) -> StoreResult<Vec<Option<(Account, AccountStatus)>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (jsons, statuses) = self.with_statuses("accounts", ids, "accounts").await?;
        jsons
            .into_iter()
            .zip(statuses)
            .zip(ids)
            .map(|((json, status), id)| {
                let Some(json) = json else { return Ok(None) };
                let account = account_codec::decode(id, &json)?;
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
        let json: Option<String> = redis::cmd("HGET")
            .arg(self.key(&format!("ad:{}", addr_bucket(address))))
            .arg(address)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("accounts_by_address"))?;
        let mut ids: Vec<String> = match json {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| StoreError::json("address index", e))?
            }
            None => Vec::new(),
        };
        ids.sort();
        Ok(ids)
    }
}
