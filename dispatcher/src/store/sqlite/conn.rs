//! The connection thread: the store's one SQLite connection lives on a
//! thread of its own, and each store call sends it one closure that runs
//! the whole operation there (every statement, and the transaction around
//! them), answering through a oneshot channel.
//!
//! Why: with an async driver each *statement* was a round trip between the
//! runtime and the driver's thread (two futex wake-ups), and that hand-off
//! was half of a worker's CPU while SQLite itself was 3 % (BENCHMARKS.md
//! §3d). Here a store call costs one hand-off whatever its number of
//! statements, and the statements run back to back with cached prepared
//! statements.
//!
//! How to write an operation (what each file of this folder does):
//!
//! ```text
//! // A read: the closure gets the connection.
//! self.db.run("contact", move |conn| { /* conn.prepare_cached(..)?.query(..) */ }).await
//! // Writes: one `BEGIN IMMEDIATE` transaction around the closure,
//! // committed when it returns `Ok`, rolled back when it returns `Err`.
//! self.db.atomic("reserve", move |tx| { /* tx.prepare_cached(..)?.execute(..) */ }).await
//! ```
//!
//! The closure must own what it uses (`'static`): clone the arguments in.
//! It must not block on anything but SQLite (it holds the connection, so
//! every other call waits for it).

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::db;
use crate::store::{StoreError, StoreResult};

/// Prepared statements kept per connection: the pipeline's statements
/// plus the batch forms' `IN (?, …)` lists of a few lengths.
const STATEMENT_CACHE: usize = 256;

/// How long a statement waits for another process' lock before failing
/// (transient: `StoreError::is_transient`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// One operation, run on the connection thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle on the connection thread. Cheap to clone; the thread (and its
/// connection) ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Db {
    jobs: mpsc::Sender<Job>,
}

impl Db {
    /// Opens the database at `path` (`:memory:` for a private in-memory
    /// one) on a new thread and sets the connection up: WAL, `NORMAL`
    /// synchronous (a commit is durable at the next checkpoint, atomic
    /// always), the busy timeout.
    pub(super) async fn open(path: &str) -> StoreResult<Db> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        let path = path.to_string();
        std::thread::Builder::new()
            .name("cobro-sqlite".into())
            .spawn(move || {
                let conn = match open_connection(&path) {
                    Ok(conn) => {
                        let _ = ready_tx.send(Ok(()));
                        conn
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                serve(conn, queue);
            })
            .map_err(|e| StoreError::Connection(format!("cannot start the SQLite thread: {e}")))?;
        ready.await.map_err(|_| {
            StoreError::Connection("the SQLite thread stopped while opening".into())
        })??;
        Ok(Db { jobs })
    }

    /// Runs `f` on the connection, outside any explicit transaction (each
    /// statement is its own); for reads and one-statement writes.
    pub(super) async fn run<T, F>(&self, op: &'static str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.call_mut(op, move |conn| f(conn)).await
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction (the write lock
    /// taken up front, so concurrent processes never interleave a claim or
    /// a reservation): committed when `f` returns `Ok`, rolled back when
    /// it returns `Err`.
    pub(super) async fn atomic<T, F>(&self, op: &'static str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.call_mut(op, move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db(op))?;
            let out = f(&tx)?;
            tx.commit().map_err(db(op))?;
            Ok(out)
        })
        .await
    }

    /// Sends `f` to the connection thread and waits for its answer; `f`
    /// gets the connection itself (to run several transactions, as the
    /// migrations do).
    pub(super) async fn call_mut<T, F>(&self, op: &'static str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let (answer_tx, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = answer_tx.send(f(conn));
        });
        self.jobs.send(job).map_err(|_| {
            StoreError::Connection(format!("{op}: the SQLite connection thread has stopped"))
        })?;
        answer.await.map_err(|_| {
            // The closure panicked (its answer sender dropped while
            // unwinding); the connection thread goes on.
            StoreError::Query(format!("{op}: the operation panicked on the SQLite thread"))
        })?
    }
}

/// The thread's loop: one job at a time until every handle is dropped. A
/// panicking job is contained (its transaction, if any, rolls back as it
/// unwinds) so that the store keeps working.
fn serve(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(job) = queue.recv() {
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut conn))).is_err() {
            tracing::error!("a SQLite store operation panicked; its caller got an error");
        }
    }
}

fn open_connection(path: &str) -> StoreResult<Connection> {
    let context = |e| StoreError::sqlite(format!("open {path}"), e);
    // No SQLITE_OPEN_URI: the path is a file name, never a `file:` URI.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if path == ":memory:" {
        Connection::open_in_memory()
    } else {
        Connection::open_with_flags(Path::new(path), flags)
    }
    .map_err(context)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(context)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // `journal_mode` answers with the mode now in force (`memory` for an
    // in-memory database), so it is a query, not an execute.
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(context)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(context)?;
    Ok(conn)
}
