//! Redis store (for scale: several `cobro work` processes on several
//! machines share one Redis).
//!
//! Every trait method is one round trip: a single command, a pipeline, or a
//! Lua script. Anything that must be atomic across workers (claiming due
//! contacts, the reservation, transitions with their ledger rows, the
//! per-state counters) runs inside one script, so Redis' single-threaded
//! script execution is the lock.
//!
//! One file per role trait; `keys.rs` holds the key layout, `codec.rs` the
//! record and argument encodings, `scripts.rs` and `scripts/*.lua` the Lua.
//! Scripts build key names from the prefix passed as `ARGV[1]`, so the
//! store needs a single Redis node (not a cluster).

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{StoreError, StoreResult};
use codec::redis_err;

mod account_codec;
mod accounts;
mod book;
mod campaigns;
mod codec;
mod history;
mod keys;
mod layout;
mod ledger;
mod plan;
mod reconcile;
mod reservation;
mod scan;
mod scripts;
mod suppression;
mod users;
mod work;

pub use keys::DEFAULT_PREFIX;
pub use layout::{LAYOUT, MigrationReport};

/// The SHA-1 a client names the reservation script by (`EVALSHA`): what
/// the fault suite's answer-dropping link watches for.
#[cfg(feature = "testkit")]
pub fn reservation_script_hash() -> &'static str {
    scripts::scripts().reserve_many.get_hash()
}

/// Loads the reservation script into the server at `url` (`SCRIPT LOAD`),
/// so that a worker's first reservation is an `EVALSHA` that runs rather
/// than one answered `NOSCRIPT`.
#[cfg(feature = "testkit")]
pub fn load_reservation_script(url: &str) -> redis::RedisResult<String> {
    let mut con = redis::Client::open(url)?.get_connection()?;
    scripts::scripts().reserve_many.load(&mut con)
}

/// A [`Store`](crate::store::Store) on one Redis node. Cheap to share:
/// the connection manager multiplexes concurrent calls over one connection
/// and reconnects after a Redis restart.
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `redis://host:port/db` with the default key prefix.
    pub async fn connect(url: &str) -> StoreResult<RedisStore> {
        RedisStore::connect_with_prefix(url, DEFAULT_PREFIX).await
    }

    /// Connects with a custom key prefix (tests give each store its own, so
    /// several stores share one server without seeing each other). A store
    /// of another key layout is refused (`StoreError::Layout`, which names
    /// `cobro migrate`); an empty one is stamped with this layout.
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> StoreResult<RedisStore> {
        let store = RedisStore::connect_unchecked(url, prefix).await?;
        store.check_layout(url).await?;
        Ok(store)
    }

    /// Connects without looking at the layout (the migration's door).
    async fn connect_unchecked(url: &str, prefix: &str) -> StoreResult<RedisStore> {
        if !(url.starts_with("redis://")
            || url.starts_with("rediss://")
            || url.starts_with("redis+unix://"))
        {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        }
        let client =
            redis::Client::open(url).map_err(|e| StoreError::redis(format!("open {url}"), e))?;
        // Bounded connection attempts: a store that cannot be reached at
        // start-up is a configuration error the operator must see at once;
        // after that the manager keeps reconnecting in the background.
        // The default 500 ms response timeout is too short for a launch's
        // pipeline of thousands of contacts or a ledger export on a busy
        // server; a dead server is still noticed at once (the socket
        // closes).
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_connection_timeout(Some(std::time::Duration::from_secs(5)))
            .set_response_timeout(Some(std::time::Duration::from_secs(30)));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| StoreError::redis(format!("connect to {url}"), e))?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
        })
    }

    /// The key prefix this store writes under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(super) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Runs one script invocation; `EVALSHA` first, loading the script when
    /// the server does not know it (after a restart).
    pub(super) async fn invoke<T: redis::FromRedisValue>(
        &self,
        inv: &redis::ScriptInvocation<'_>,
    ) -> StoreResult<T> {
        let mut conn = self.conn();
        inv.invoke_async(&mut conn)
            .await
            .map_err(redis_err("script"))
    }
}
