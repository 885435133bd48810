//! SQLite store: the embedded default (`sqlite://cobro.db`). One file, no
//! server. Atomic steps are single transactions taken with
//! `BEGIN IMMEDIATE`, so concurrent workers in one process (or several
//! processes on one machine) never interleave a claim or a reservation.
//!
//! The connection lives on a thread of its own (`conn.rs`): each store
//! call runs whole there, one hand-off per call however many statements
//! it takes.
//!
//! One file per role trait; `schema.rs` holds the tables, `rows.rs` the
//! conversions between rows and records, `guards.rs` the state lists the
//! statements take from `StateMove`.

use super::{StoreError, StoreResult};

mod accounts;
mod book;
mod campaigns;
mod conn;
mod guards;
mod history;
mod ledger;
mod migrate;
mod plan;
mod reconcile;
mod reservation;
mod restore;
mod rows;
mod scan;
mod schema;
mod suppression;
mod users;
mod work;

/// The embedded store. Cheap to clone (a handle on the connection thread).
#[derive(Clone)]
pub struct SqliteStore {
    db: conn::Db,
}

/// A SQLite error with the operation it happened in (`is_transient` reads
/// the error's code).
fn db(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |err| StoreError::sqlite(context, err)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL
    /// (`sqlite://:memory:` for a private in-memory one), creating the
    /// tables and migrating a database from an earlier version.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
        let db = conn::Db::open(path).await?;
        db.call_mut("create schema", schema::create).await?;
        Ok(SqliteStore { db })
    }
}
