//! The expedientes scan on Redis. Every account id is in the lexicographic
//! sorted set `P:acct_ids`; the two filters a walk of every account would
//! serve worst have their own sets, a status other than active
//! (`acct_st:`) and a campaign (`acct_camp:`, which the list cannot check
//! on a row); see `keys.rs`. Creditor, country and segment have none since
//! layout 2 (they cost ~330 bytes per account at a million accounts, more
//! than the account itself): the walk reads the rows and the list filters
//! them, at most `MAX_WINDOW` accounts per call. A call walks the smallest
//! of the sets that apply, in id order, for at most
//! the scan's window, keeps the ids that are in the others too, and builds
//! their list rows from the accounts (layout 2 keeps no separate rows: a
//! copy of every account's list fields cost ~200 bytes per account).
//! Active accounts have no status set (`AccountStatus::Active` walks the
//! other sets or `P:acct_ids`).
//! The list applies every filter again; stale index entries (a re-import
//! that moved an account elsewhere) only cost a row read.

use super::RedisStore;
use super::account_codec;
use super::codec::redis_err;
use crate::store::{
    AccountRow, AccountScan, AccountStatus, ScannedAccounts, StoreError, StoreResult,
};

/// The most accounts one call examines, whatever the scan's window: a
/// Redis scan reads every examined row (~6 µs each at 1,000,000 accounts,
/// BENCHMARKS.md "Expedientes page"), where SQLite filters inside the
/// database, so a page of a filter no set serves stays well under 200 ms.
const MAX_WINDOW: usize = 2_048;

impl RedisStore {
    /// The index keys of `scan`'s plain-value filters (`P:acct_ids` when
    /// it has none).
    fn scan_indexes(&self, scan: &AccountScan) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(c) = &scan.campaign {
            keys.push(self.key(&format!("acct_camp:{c}")));
        }
        // Active accounts have no set (most accounts are active): the
        // walk reads their rows and the list checks the status.
        if let Some(s) = scan.status.filter(|s| *s != AccountStatus::Active) {
            keys.push(self.key(&format!("acct_st:{}", s.as_str())));
        }
        if keys.is_empty() {
            keys.push(self.key("acct_ids"));
        }
        keys
    }

    pub(super) async fn scan(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        let mut conn = self.conn();
        let mut indexes = self.scan_indexes(scan);
        if indexes.len() > 1 {
            let mut pipe = redis::pipe();
            for key in &indexes {
                pipe.zcard(key);
            }
            let sizes: Vec<u64> = pipe
                .query_async(&mut conn)
                .await
                .map_err(redis_err("scan_accounts"))?;
            let smallest = sizes
                .iter()
                .enumerate()
                .min_by_key(|(_, n)| **n)
                .map_or(0, |(i, _)| i);
            indexes.swap(0, smallest);
        }
        let window = scan.window.clamp(1, MAX_WINDOW);
        let min = scan
            .after
            .as_deref()
            .map_or_else(|| "-".to_string(), |a| format!("({a}"));
        let mut ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&indexes[0])
            .arg(min)
            .arg("+")
            .arg("BYLEX")
            .arg("LIMIT")
            .arg(0)
            .arg(window)
            .query_async(&mut conn)
            .await
            .map_err(redis_err("scan_accounts"))?;
        let next = (ids.len() == window).then(|| ids.last().cloned()).flatten();
        if indexes.len() > 1 && !ids.is_empty() {
            let mut pipe = redis::pipe();
            for key in &indexes[1..] {
                pipe.cmd("ZMSCORE").arg(key).arg(&ids);
            }
            let scores: Vec<Vec<Option<f64>>> = pipe
                .query_async(&mut conn)
                .await
                .map_err(redis_err("scan_accounts"))?;
            let mut keep = vec![true; ids.len()];
            for per_index in &scores {
                for (k, score) in keep.iter_mut().zip(per_index) {
                    *k &= score.is_some();
                }
            }
            let mut flags = keep.into_iter();
            ids.retain(|_| flags.next().unwrap_or(false));
        }
        let rows = self.rows(&ids).await?;
        Ok(ScannedAccounts { rows, next })
    }

    /// The list rows of `ids` (those that exist), in order, from the
    /// accounts' records (layout 2 keeps no separate list rows).
    async fn rows(&self, ids: &[String]) -> StoreResult<Vec<AccountRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (jsons, statuses) = self.with_statuses("accounts", ids, "scan_accounts").await?;
        let mut out = Vec::with_capacity(ids.len());
        for ((json, status), id) in jsons.into_iter().zip(statuses).zip(ids) {
            // Deleted between the index and the read: skip it.
            let Some(json) = json else { continue };
            let status = match status {
                None => AccountStatus::Active,
                Some(s) => AccountStatus::parse(&s)
                    .ok_or_else(|| StoreError::Corrupt(format!("account status '{s}'")))?,
            };
            let account = account_codec::decode(id, &json)?;
            out.push(AccountRow::new(&account, status));
        }
        Ok(out)
    }
}
