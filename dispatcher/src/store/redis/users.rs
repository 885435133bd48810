//! Users (`P:users`: email → JSON), API token hashes (`P:utok`: hash →
//! email) and sessions (`P:sess:{hash}`: JSON with a Redis TTL, so expired
//! sessions leave by themselves).

use redis::AsyncCommands;

use super::RedisStore;
use super::codec::redis_err;
use crate::store::{StoreError, StoreResult, UserStore};
use crate::users::{Session, User};

fn decode<T: serde::de::DeserializeOwned>(what: &str, data: &str) -> StoreResult<T> {
    serde_json::from_str(data).map_err(|e| StoreError::json(what, e))
}

impl UserStore for RedisStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        let data = serde_json::to_string(user).map_err(|e| StoreError::json("user", e))?;
        self.conn()
            .hset::<_, _, _, ()>(self.key("users"), &user.email, data)
            .await
            .map_err(redis_err("put_user"))
    }

    async fn user(&self, email: &str) -> StoreResult<Option<User>> {
        let data: Option<String> = self
            .conn()
            .hget(self.key("users"), email)
            .await
            .map_err(redis_err("user"))?;
        data.map(|d| decode("user", &d)).transpose()
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let all: Vec<(String, String)> = self
            .conn()
            .hgetall(self.key("users"))
            .await
            .map_err(redis_err("users"))?;
        let mut users: Vec<User> = all
            .iter()
            .map(|(_, d)| decode("user", d))
            .collect::<StoreResult<_>>()?;
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(users)
    }

    async fn put_token(&self, token_hash: &str, email: &str) -> StoreResult<()> {
        self.conn()
            .hset::<_, _, _, ()>(self.key("utok"), token_hash, email)
            .await
            .map_err(redis_err("put_token"))
    }

    async fn token_email(&self, token_hash: &str) -> StoreResult<Option<String>> {
        self.conn()
            .hget(self.key("utok"), token_hash)
            .await
            .map_err(redis_err("token_email"))
    }

    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let data = serde_json::to_string(session).map_err(|e| StoreError::json("session", e))?;
        let ttl = (session.expires_at - session.created_at)
            .num_seconds()
            .max(1);
        self.conn()
            .set_ex::<_, _, ()>(
                self.key(&format!("sess:{}", session.id_hash)),
                data,
                u64::try_from(ttl).unwrap_or(1),
            )
            .await
            .map_err(redis_err("put_session"))
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let data: Option<String> = self
            .conn()
            .get(self.key(&format!("sess:{id_hash}")))
            .await
            .map_err(redis_err("session"))?;
        data.map(|d| decode("session", &d)).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.conn()
            .del::<_, ()>(self.key(&format!("sess:{id_hash}")))
            .await
            .map_err(redis_err("delete_session"))
    }
}
