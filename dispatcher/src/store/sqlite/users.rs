//! Users, API token hashes and sessions: one JSON document per user and
//! per session (they are read one at a time, by key).

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{collect, get};
use super::{SqliteStore, db};
use crate::store::{StoreError, StoreResult, UserStore};
use crate::users::{Session, User};

fn decode<T: serde::de::DeserializeOwned>(what: &str, data: &str) -> StoreResult<T> {
    serde_json::from_str(data).map_err(|e| StoreError::json(what, e))
}

/// The one text column `sql` answers for `key`, if a row matches.
fn text_by_key(
    conn: &Connection,
    sql: &str,
    key: &str,
    op: &'static str,
) -> StoreResult<Option<String>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row([key], |row| row.get(0)).optional())
        .map_err(db(op))
}

impl UserStore for SqliteStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        let data = serde_json::to_string(user).map_err(|e| StoreError::json("user", e))?;
        let email = user.email.clone();
        self.db
            .run("put_user", move |conn| {
                conn.prepare_cached("INSERT OR REPLACE INTO users (email, data) VALUES (?, ?)")
                    .and_then(|mut s| s.execute(params![email, data]))
                    .map_err(db("put_user"))?;
                Ok(())
            })
            .await
    }

    async fn user(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_string();
        let data = self
            .db
            .run("user", move |conn| {
                text_by_key(
                    conn,
                    "SELECT data FROM users WHERE email = ?",
                    &email,
                    "user",
                )
            })
            .await?;
        data.map(|d| decode("user", &d)).transpose()
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<String> = self
            .db
            .run("users", |conn| {
                let mut stmt = conn
                    .prepare_cached("SELECT data FROM users ORDER BY email")
                    .map_err(db("users"))?;
                collect(&mut stmt, [], "users", |row| get(row, 0, "users"))
            })
            .await?;
        rows.iter().map(|d| decode("user", d)).collect()
    }

    async fn put_token(&self, token_hash: &str, email: &str) -> StoreResult<()> {
        let (token_hash, email) = (token_hash.to_string(), email.to_string());
        self.db
            .run("put_token", move |conn| {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO user_tokens (token_hash, email) VALUES (?, ?)",
                )
                .and_then(|mut s| s.execute(params![token_hash, email]))
                .map_err(db("put_token"))?;
                Ok(())
            })
            .await
    }

    async fn token_email(&self, token_hash: &str) -> StoreResult<Option<String>> {
        let token_hash = token_hash.to_string();
        self.db
            .run("token_email", move |conn| {
                text_by_key(
                    conn,
                    "SELECT email FROM user_tokens WHERE token_hash = ?",
                    &token_hash,
                    "token_email",
                )
            })
            .await
    }

    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let data = serde_json::to_string(session).map_err(|e| StoreError::json("session", e))?;
        let id_hash = session.id_hash.clone();
        let expires_at = session.expires_at.timestamp();
        let created_at = session.created_at.timestamp();
        self.db
            .atomic("put_session", move |tx| {
                let op = "put_session";
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?)",
                )
                .and_then(|mut s| s.execute(params![id_hash, data, expires_at]))
                .map_err(db(op))?;
                // Expired sessions go when new ones come, so the table
                // stays small.
                tx.prepare_cached("DELETE FROM sessions WHERE expires_at < ?")
                    .and_then(|mut s| s.execute([created_at]))
                    .map_err(db(op))?;
                Ok(())
            })
            .await
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let id_hash = id_hash.to_string();
        let data = self
            .db
            .run("session", move |conn| {
                text_by_key(
                    conn,
                    "SELECT data FROM sessions WHERE id_hash = ?",
                    &id_hash,
                    "session",
                )
            })
            .await?;
        data.map(|d| decode("session", &d)).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        let id_hash = id_hash.to_string();
        self.db
            .run("delete_session", move |conn| {
                conn.prepare_cached("DELETE FROM sessions WHERE id_hash = ?")
                    .and_then(|mut s| s.execute([id_hash]))
                    .map_err(db("delete_session"))?;
                Ok(())
            })
            .await
    }
}
