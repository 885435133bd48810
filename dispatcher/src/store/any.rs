//! A store chosen at run time from its URL, so the CLI can hold one type
//! whatever backend the operator points it at. Its role-trait impls are
//! generated next to the traits (`traits.rs`), one match per method.

use super::memory::MemoryStore;
use super::redis::RedisStore;
use super::sqlite::SqliteStore;
use super::{StoreError, StoreResult};

pub enum AnyStore {
    Sqlite(SqliteStore),
    Redis(RedisStore),
    /// `memory://NAME`: a new empty store in this process, gone when it
    /// ends (dry runs).
    Memory(MemoryStore),
}

impl AnyStore {
    pub async fn connect(url: &str) -> StoreResult<AnyStore> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("redis://")
            || url.starts_with("rediss://")
            || url.starts_with("redis+unix://")
        {
            Ok(AnyStore::Redis(RedisStore::connect(url).await?))
        } else if url.starts_with("memory://") {
            Ok(AnyStore::Memory(MemoryStore::connect(url)?))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }
}
