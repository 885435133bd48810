//! SQLite store: the embedded default (`sqlite://cobro.db`). One file, no
//! server. Atomic steps are single transactions taken with
//! `BEGIN IMMEDIATE`, so concurrent workers in one process (or several
//! processes on one machine) never interleave a claim or a reservation.
//!
//! One file per role trait; `schema.rs` holds the tables, `rows.rs` the
//! conversions between rows and records, `guards.rs` the state lists the
//! statements take from `StateMove`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use super::{StoreError, StoreResult};

mod accounts;
mod book;
mod campaigns;
mod guards;
mod history;
mod ledger;
mod migrate;
mod plan;
mod reconcile;
mod reservation;
mod rows;
mod scan;
mod schema;
mod suppression;
mod users;
mod work;

/// The embedded store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// A SQLite error with the operation it happened in (`is_transient` reads
/// the error's kind).
fn db(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |err| StoreError::sqlite(context, err)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
        let options = if path == ":memory:" {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(db("connect"))?
        } else {
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
        }
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
        // One connection: SQLite has one writer anyway, and a single
        // connection makes every transaction strictly serial.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // Never recycle the connection: an in-memory database lives
            // exactly as long as its one connection.
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::sqlite(format!("open {path}"), e))?;
        schema::create(&pool).await?;
        Ok(SqliteStore { pool })
    }

    pub(super) async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("begin"))
    }
}
