//! Users, API token hashes and sessions: one JSON document per user and
//! per session (they are read one at a time, by key).

use super::{SqliteStore, db};
use crate::store::{StoreError, StoreResult, UserStore};
use crate::users::{Session, User};

fn decode<T: serde::de::DeserializeOwned>(what: &str, data: &str) -> StoreResult<T> {
    serde_json::from_str(data).map_err(|e| StoreError::json(what, e))
}

impl UserStore for SqliteStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        let data = serde_json::to_string(user).map_err(|e| StoreError::json("user", e))?;
        sqlx::query("INSERT OR REPLACE INTO users (email, data) VALUES (?, ?)")
            .bind(&user.email)
            .bind(data)
            .execute(&self.pool)
            .await
            .map_err(db("put_user"))?;
        Ok(())
    }

    async fn user(&self, email: &str) -> StoreResult<Option<User>> {
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("user"))?;
        data.map(|d| decode("user", &d)).transpose()
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT data FROM users ORDER BY email")
            .fetch_all(&self.pool)
            .await
            .map_err(db("users"))?;
        rows.iter().map(|d| decode("user", d)).collect()
    }

    async fn put_token(&self, token_hash: &str, email: &str) -> StoreResult<()> {
        sqlx::query("INSERT OR REPLACE INTO user_tokens (token_hash, email) VALUES (?, ?)")
            .bind(token_hash)
            .bind(email)
            .execute(&self.pool)
            .await
            .map_err(db("put_token"))?;
        Ok(())
    }

    async fn token_email(&self, token_hash: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT email FROM user_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("token_email"))
    }

    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let data = serde_json::to_string(session).map_err(|e| StoreError::json("session", e))?;
        sqlx::query("INSERT OR REPLACE INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?)")
            .bind(&session.id_hash)
            .bind(data)
            .bind(session.expires_at.timestamp())
            .execute(&self.pool)
            .await
            .map_err(db("put_session"))?;
        // Expired sessions go when new ones come, so the table stays small.
        sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
            .bind(session.created_at.timestamp())
            .execute(&self.pool)
            .await
            .map_err(db("put_session"))?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let data: Option<String> =
            sqlx::query_scalar("SELECT data FROM sessions WHERE id_hash = ?")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("session"))?;
        data.map(|d| decode("session", &d)).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(db("delete_session"))?;
        Ok(())
    }
}
