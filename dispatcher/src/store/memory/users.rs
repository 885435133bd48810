//! Users, API token hashes and sessions, by key.

use super::MemoryStore;
use crate::store::{StoreResult, UserStore};
use crate::users::{Session, User};

impl UserStore for MemoryStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        self.state()?.users.insert(user.email.clone(), user.clone());
        Ok(())
    }

    async fn user(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(self.state()?.users.get(email).cloned())
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        Ok(self.state()?.users.values().cloned().collect())
    }

    async fn put_token(&self, token_hash: &str, email: &str) -> StoreResult<()> {
        self.state()?
            .tokens
            .insert(token_hash.to_string(), email.to_string());
        Ok(())
    }

    async fn token_email(&self, token_hash: &str) -> StoreResult<Option<String>> {
        Ok(self.state()?.tokens.get(token_hash).cloned())
    }

    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let mut state = self.state()?;
        state
            .sessions
            .insert(session.id_hash.clone(), session.clone());
        // Expired sessions go when new ones come, as in the other stores.
        let now = session.created_at.timestamp();
        state
            .sessions
            .retain(|_, s| s.expires_at.timestamp() >= now);
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        Ok(self.state()?.sessions.get(id_hash).cloned())
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.state()?.sessions.remove(id_hash);
        Ok(())
    }
}
