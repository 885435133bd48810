//! The key layout's version: the stamp `P:layout`, the check every
//! connection makes, and `migrate` (what `cobro migrate` runs), which moves
//! a store of the previous layout to this one.
//!
//! | layout | contacts |
//! |---|---|
//! | 1 (no stamp) | one hash `P:c:<id>` per contact (`j`: the planned contact's JSON, `state`, `due`, `attempt`, `claimed`, `sending_at`, `campaign`, `account`, `step`, `channel`, `team`) and a set `P:ac:<account>` of an account's contact ids |
//! | 2 | one hash `P:k:<account>` per account, a packed field per contact, the steps' fixed part once in `P:steps`; the address index in 65,536 bucket hashes `P:ad:<bucket>` instead of a set `P:addr:<address>` per address; the workers' due index as lists of ids per instant (`P:dq`, `P:dl:<ms>`) instead of the zset `P:due`; accounts as packed arrays (`account_codec.rs`) instead of JSON objects; no list rows (`P:acct_row`), no creditor, country or segment sets, and no entries for active accounts in `P:acct_status` / `P:acct_st:active` (keys.rs) |
//!
//! Everything else is the same in both. A store without a stamp and without
//! any of the keys every store of layout 1 writes is empty and gets stamped
//! at its first connection.

use chrono::DateTime;
use cobro_campaigns::PlannedContact;

use super::RedisStore;
use super::account_codec;
use super::codec::{contact_field, ms, redis_err, step_info};
use super::keys::addr_bucket;
use super::scripts::scripts;
use crate::store::{StoreError, StoreResult};

/// The key layout this version reads and writes.
pub const LAYOUT: u32 = 2;

/// Keys of which a store of layout 1 has at least one as soon as it holds
/// anything a migration would move (its contacts bring counters, ledger
/// rows and campaigns; its accounts, the account hash).
const LAYOUT_1_KEYS: [&str; 4] = ["n", "campaigns", "accounts", "lcs"];

/// Old contact hashes read per script call of the migration.
const MIGRATE_BATCH: usize = 500;

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The layout found (`LAYOUT` when there was nothing to do).
    pub from: u32,
    pub to: u32,
    /// Contacts moved into the account hashes.
    pub contacts: u64,
    /// Keys of the old layout removed besides the contact hashes (the
    /// account contact sets and the address sets).
    pub removed: u64,
}

/// `redis://user:secret@host/0` without the secret, for messages.
pub(super) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://…@{host}"),
        None => url.to_string(),
    }
}

/// `prefix` with the glob characters of `SCAN MATCH` escaped.
fn glob_escape(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for ch in prefix.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

impl RedisStore {
    fn layout_error(&self, url: &str, found: &str) -> StoreError {
        let store = format!("{} (prefix '{}')", redacted(url), self.prefix);
        let fix = match found.parse::<u32>() {
            Ok(n) if n < LAYOUT => format!(
                "stop every `cobro work` and `cobro serve` on it and run `cobro migrate --store {}`",
                redacted(url)
            ),
            _ => "a newer cobro wrote it; run that version (or newer)".to_string(),
        };
        StoreError::Layout {
            store,
            found: found.to_string(),
            expected: LAYOUT,
            fix,
        }
    }

    /// The layout the store is in: its stamp, 1 for an unstamped store
    /// holding data, `None` for an empty one.
    async fn stored_layout(&self) -> StoreResult<Option<String>> {
        let mut conn = self.conn();
        let stamp: Option<String> = redis::cmd("GET")
            .arg(self.key("layout"))
            .query_async(&mut conn)
            .await
            .map_err(redis_err("layout"))?;
        if stamp.is_some() {
            return Ok(stamp);
        }
        let mut exists = redis::cmd("EXISTS");
        for k in LAYOUT_1_KEYS {
            exists.arg(self.key(k));
        }
        let n: u64 = exists
            .query_async(&mut conn)
            .await
            .map_err(redis_err("layout"))?;
        Ok((n > 0).then(|| "1".to_string()))
    }

    /// Refuses a store of another layout; stamps an empty one.
    pub(super) async fn check_layout(&self, url: &str) -> StoreResult<()> {
        match self.stored_layout().await? {
            Some(found) if found == LAYOUT.to_string() => Ok(()),
            Some(found) => Err(self.layout_error(url, &found)),
            None => {
                // Two processes stamping an empty store at once write the
                // same value.
                redis::cmd("SET")
                    .arg(self.key("layout"))
                    .arg(LAYOUT)
                    .arg("NX")
                    .query_async::<()>(&mut self.conn())
                    .await
                    .map_err(redis_err("layout"))
            }
        }
    }

    /// Moves a store of layout 1 to this layout (workers stopped), then
    /// stamps it. Safe to run again after an interruption (it carries on
    /// with the contacts not moved yet) and on a store already migrated
    /// (nothing to do).
    pub async fn migrate(url: &str, prefix: &str) -> StoreResult<MigrationReport> {
        let store = RedisStore::connect_unchecked(url, prefix).await?;
        let found = store.stored_layout().await?;
        match found.as_deref() {
            None => {
                store.check_layout(url).await?;
                return Ok(MigrationReport {
                    from: LAYOUT,
                    to: LAYOUT,
                    contacts: 0,
                    removed: 0,
                });
            }
            Some("1") => {}
            Some(v) if v == LAYOUT.to_string() => {
                return Ok(MigrationReport {
                    from: LAYOUT,
                    to: LAYOUT,
                    contacts: 0,
                    removed: 0,
                });
            }
            Some(v) => return Err(store.layout_error(url, v)),
        }
        let contacts = store.migrate_contacts().await?;
        store.migrate_due().await?;
        store.migrate_accounts().await?;
        let mut removed = store.remove_keys("ac:*").await?;
        removed += store.migrate_addresses().await?;
        // Layout 2 keeps no creditor, country or segment sets.
        for family in ["acct_cred:*", "acct_ctry:*", "acct_seg:*"] {
            removed += store.remove_keys(family).await?;
        }
        // Layout 2 keeps no list rows and no set of the active accounts
        // (absent means active).
        removed += store
            .unlink(&[store.key("acct_row"), store.key("acct_st:active")])
            .await?;
        redis::cmd("SET")
            .arg(store.key("layout"))
            .arg(LAYOUT)
            .query_async::<()>(&mut store.conn())
            .await
            .map_err(redis_err("migrate"))?;
        Ok(MigrationReport {
            from: 1,
            to: LAYOUT,
            contacts,
            removed,
        })
    }

    /// Every key matching `P:<pattern>`, a page at a time.
    async fn scan_keys(&self, pattern: &str) -> StoreResult<Vec<String>> {
        let pattern = format!("{}{pattern}", glob_escape(&self.prefix));
        let mut conn = self.conn();
        let mut cursor = 0u64;
        let mut out = Vec::new();
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(10_000)
                .query_async(&mut conn)
                .await
                .map_err(redis_err("migrate scan"))?;
            out.extend(keys);
            if next == 0 {
                return Ok(out);
            }
            cursor = next;
        }
    }

    async fn remove_keys(&self, pattern: &str) -> StoreResult<u64> {
        let keys = self.scan_keys(pattern).await?;
        let mut removed = 0;
        for chunk in keys.chunks(1_000) {
            removed += self.unlink(chunk).await?;
        }
        Ok(removed)
    }

    /// `UNLINK keys` (freed in the background); how many existed.
    async fn unlink(&self, keys: &[String]) -> StoreResult<u64> {
        redis::cmd("UNLINK")
            .arg(keys)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("migrate"))
    }

    /// Rewrites the accounts stored as JSON objects in the packed form
    /// (`account_codec`), a page of `HSCAN` at a time.
    async fn migrate_accounts(&self) -> StoreResult<()> {
        let key = self.key("accounts");
        let mut cursor = 0u64;
        loop {
            let (next, flat): (u64, Vec<String>) = redis::cmd("HSCAN")
                .arg(&key)
                .arg(cursor)
                .arg("COUNT")
                .arg(1_000)
                .query_async(&mut self.conn())
                .await
                .map_err(redis_err("migrate accounts"))?;
            let mut pipe = redis::pipe();
            let mut any = false;
            for pair in flat.chunks_exact(2) {
                if pair[1].starts_with('{') {
                    let account = account_codec::decode(&pair[0], &pair[1])?;
                    pipe.hset(&key, &pair[0], account_codec::encode(&account)?)
                        .ignore();
                    any = true;
                }
            }
            if any {
                pipe.query_async::<()>(&mut self.conn())
                    .await
                    .map_err(redis_err("migrate accounts"))?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// Moves the workers' due index (the zset `P:due`) into the due lists
    /// (`P:dq`, `P:dl:<ms>`), in due order.
    async fn migrate_due(&self) -> StoreResult<()> {
        let due = self.key("due");
        let mut start = 0isize;
        loop {
            let page: Vec<(String, i64)> = redis::cmd("ZRANGE")
                .arg(&due)
                .arg(start)
                .arg(start + 9_999)
                .arg("WITHSCORES")
                .query_async(&mut self.conn())
                .await
                .map_err(redis_err("migrate due"))?;
            if page.is_empty() {
                break;
            }
            let mut pipe = redis::pipe();
            for (id, at) in &page {
                pipe.rpush(self.key(&format!("dl:{at}")), id).ignore();
                pipe.zadd(self.key("dq"), at, at).ignore();
            }
            pipe.query_async::<()>(&mut self.conn())
                .await
                .map_err(redis_err("migrate due"))?;
            start += 10_000;
        }
        redis::cmd("UNLINK")
            .arg(&due)
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("migrate due"))
    }

    /// Moves the address sets (`P:addr:<address>`) into the bucketed
    /// address index (`P:ad:<bucket>`); returns how many sets it removed.
    async fn migrate_addresses(&self) -> StoreResult<u64> {
        let keys = self.scan_keys("addr:*").await?;
        let old_prefix = self.key("addr:");
        let mut removed = 0;
        for chunk in keys.chunks(MIGRATE_BATCH) {
            let mut pipe = redis::pipe();
            for key in chunk {
                pipe.smembers(key);
            }
            let members: Vec<Vec<String>> = pipe
                .query_async(&mut self.conn())
                .await
                .map_err(redis_err("migrate read"))?;
            let mut inv = scripts().addr_add.prepare_invoke();
            inv.arg(&self.prefix);
            for (key, ids) in chunk.iter().zip(members) {
                let address = key.strip_prefix(&old_prefix).unwrap_or(key);
                let mut ids = ids;
                ids.sort();
                for id in ids {
                    inv.arg(addr_bucket(address)).arg(address).arg(id);
                }
            }
            self.invoke::<i64>(&inv).await?;
            removed += self.unlink(chunk).await?;
        }
        Ok(removed)
    }

    /// Reads the old contact hashes in batches and writes each batch into
    /// the account hashes with one `migrate.lua` call (which deletes the
    /// old hashes it moved).
    async fn migrate_contacts(&self) -> StoreResult<u64> {
        let keys = self.scan_keys("c:*").await?;
        let old_prefix = self.key("c:");
        let mut moved = 0;
        for chunk in keys.chunks(MIGRATE_BATCH) {
            let mut pipe = redis::pipe();
            for key in chunk {
                pipe.cmd("HMGET")
                    .arg(key)
                    .arg(&["j", "state", "due", "attempt", "sending_at"]);
            }
            let rows: Vec<[Option<String>; 5]> = pipe
                .query_async(&mut self.conn())
                .await
                .map_err(redis_err("migrate read"))?;
            let mut inv = scripts().migrate.prepare_invoke();
            inv.arg(&self.prefix);
            for (key, row) in chunk.iter().zip(rows) {
                let [
                    Some(json),
                    Some(state),
                    Some(due),
                    Some(attempt),
                    sending_at,
                ] = row
                else {
                    let id = key.strip_prefix(&old_prefix).unwrap_or(key);
                    return Err(StoreError::Corrupt(format!(
                        "layout 1 contact '{id}' is missing fields"
                    )));
                };
                let c: PlannedContact =
                    serde_json::from_str(&json).map_err(|e| StoreError::json("contact", e))?;
                let due_ms: i64 = due
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("due '{due}' of '{}'", c.id)))?;
                let delta = ms(c.due_at) - due_ms;
                let sending = match sending_at.filter(|s| !s.is_empty() && state == "sending") {
                    Some(text) => DateTime::parse_from_rfc3339(&text)
                        .map_err(|_| {
                            StoreError::Corrupt(format!("sending_at '{text}' of '{}'", c.id))
                        })?
                        .timestamp_millis()
                        .to_string(),
                    None => String::new(),
                };
                let (field, odd) = contact_field(&c);
                inv.arg(&c.id)
                    .arg(&c.account)
                    .arg(field)
                    .arg(step_info(&c)?)
                    .arg(state)
                    .arg(due_ms)
                    .arg(attempt)
                    .arg(if delta == 0 {
                        String::new()
                    } else {
                        delta.to_string()
                    })
                    .arg(sending)
                    .arg(if odd { "1" } else { "" });
            }
            let n: u64 = self.invoke(&inv).await?;
            moved += n;
        }
        Ok(moved)
    }
}
