//! Account books: `P:book` (account → JSON) and `P:bookv` (account →
//! version); the compare-and-set is one script so two processes never
//! interleave between the check and the write.

use cobro_campaigns::book::AccountBook;
use redis::Script;

use super::RedisStore;
use super::codec::redis_err;
use crate::store::{BookStore, StoreError, StoreResult};

/// KEYS: book hash, version hash. ARGV: account, expected version, JSON.
const PUT_BOOK: &str = r#"
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if current ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], current + 1)
return 1
"#;

fn decode(json: &str) -> StoreResult<AccountBook> {
    serde_json::from_str(json).map_err(|e| StoreError::json("book", e))
}

impl BookStore for RedisStore {
    async fn book(&self, account: &str) -> StoreResult<(AccountBook, u64)> {
        let (json, version): (Option<String>, Option<u64>) = redis::pipe()
            .hget(self.key("book"), account)
            .hget(self.key("bookv"), account)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("book"))?;
        match json {
            None => Ok((AccountBook::default(), 0)),
            Some(json) => Ok((decode(&json)?, version.unwrap_or(0))),
        }
    }

    async fn books(&self, accounts: &[String]) -> StoreResult<Vec<AccountBook>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let jsons: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.key("book"))
            .arg(accounts)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("books"))?;
        jsons
            .into_iter()
            .map(|json| json.map_or_else(|| Ok(AccountBook::default()), |j| decode(&j)))
            .collect()
    }

    async fn put_book(&self, account: &str, book: &AccountBook, version: u64) -> StoreResult<bool> {
        let json = serde_json::to_string(book).map_err(|e| StoreError::json("book", e))?;
        let done: i64 = Script::new(PUT_BOOK)
            .key(self.key("book"))
            .key(self.key("bookv"))
            .arg(account)
            .arg(version)
            .arg(json)
            .invoke_async(&mut self.conn())
            .await
            .map_err(redis_err("put_book"))?;
        Ok(done == 1)
    }

    async fn book_accounts(&self) -> StoreResult<Vec<String>> {
        let mut out: Vec<String> = redis::cmd("HKEYS")
            .arg(self.key("book"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("book_accounts"))?;
        out.sort();
        Ok(out)
    }
}
