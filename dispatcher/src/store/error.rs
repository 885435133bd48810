//! What can go wrong talking to a store, keeping the backend's own error as
//! the source, and whether retrying can help.

/// Failures talking to a store. `is_transient` tells the worker (and the
/// HTTP layer, which answers 503 or 500 by it) whether retrying the same
/// operation later can succeed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A SQLite call failed; transient when the database could not be
    /// reached in time (its lock still held by another process after the
    /// busy timeout, an I/O error, a file that cannot be opened),
    /// permanent otherwise.
    #[error("sqlite: {context}")]
    Sqlite {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A Redis call failed; transient when the connection failed or timed
    /// out, permanent otherwise (a script error, a wrong type under a key).
    #[error("redis: {context}")]
    Redis {
        context: String,
        #[source]
        source: redis::RedisError,
    },
    /// A stored record does not decode (or a value does not encode):
    /// foreign or corrupt data under our keys, permanent.
    #[error("store holds data this version cannot read: {context}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
    /// The store could not be reached and no backend error says more (a
    /// copy of a transient error shared by a batch, a dropped call).
    #[error("store connection failed: {0}")]
    Connection(String),
    /// A request the store refuses (a finish into a non-terminal state) or
    /// a copy of a permanent error shared by a batch.
    #[error("store query failed: {0}")]
    Query(String),
    /// A stored value that no library error describes (an unknown state
    /// name, a timestamp out of range, a missing field).
    #[error("store holds data this version cannot read: {0}")]
    Corrupt(String),
    #[error(
        "unsupported store URL '{0}' (expected sqlite://PATH, redis://HOST:PORT/DB or memory://NAME)"
    )]
    UnsupportedUrl(String),
    /// A Redis store written with another key layout than this version
    /// reads (`store::redis::LAYOUT`); `fix` says what to do: `cobro
    /// migrate` for an older layout, a newer cobro for a newer one.
    #[error(
        "the Redis store {store} has key layout {found}; this cobro reads layout {expected}: {fix}"
    )]
    Layout {
        store: String,
        found: String,
        expected: u32,
        fix: String,
    },
}

impl StoreError {
    /// Connection failures and timeouts are transient; corrupt data, a bad
    /// query or a script error are not, however often they are retried.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Connection(_) => true,
            StoreError::Sqlite { source, .. } => source.sqlite_error_code().is_some_and(|code| {
                matches!(
                    code,
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::SystemIoFailure
                        | rusqlite::ErrorCode::CannotOpen
                )
            }),
            StoreError::Redis { source, .. } => {
                source.is_io_error()
                    || source.is_connection_dropped()
                    || source.is_connection_refusal()
                    || source.is_timeout()
            }
            StoreError::Json { .. }
            | StoreError::Query(_)
            | StoreError::Corrupt(_)
            | StoreError::UnsupportedUrl(_)
            | StoreError::Layout { .. } => false,
        }
    }

    /// A store of another key layout (`cobro migrate` or a newer cobro
    /// is the answer, not a retry).
    pub fn is_layout(&self) -> bool {
        matches!(self, StoreError::Layout { .. })
    }

    /// A SQLite error with what the store was doing.
    pub fn sqlite(context: impl Into<String>, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            context: context.into(),
            source,
        }
    }

    /// A Redis error with what the store was doing.
    pub fn redis(context: impl Into<String>, source: redis::RedisError) -> StoreError {
        StoreError::Redis {
            context: context.into(),
            source,
        }
    }

    /// A record that does not decode (or encode), with which one.
    pub fn json(context: impl Into<String>, source: serde_json::Error) -> StoreError {
        StoreError::Json {
            context: context.into(),
            source,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
