//! The one door a password goes through. After `MAX_FREE_FAILURES` wrong
//! passwords in a row the account is locked for a time that doubles with
//! each further failure (30 s, 1 min, 2 min … at most 15 min); the lock is
//! in the user record, so every process of the service honours it. A good
//! password clears the count.

use chrono::{DateTime, Duration, Utc};

use super::password::{decoy_hash, verify_password};
use super::{User, normalise_email};
use crate::store::StoreError;
use crate::store::prelude::*;

/// Wrong passwords allowed before the first lock.
pub const MAX_FREE_FAILURES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: the same answer for both.
    #[error("wrong email or password")]
    Invalid,
    #[error("too many failed attempts; try again after {until}")]
    Locked { until: DateTime<Utc> },
    #[error("this user is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LoginError {
    /// Whether the caller should answer 503 (try later) rather than 401.
    pub fn is_transient(&self) -> bool {
        matches!(self, LoginError::Store(e) if e.is_transient())
    }
}

/// How long the `failures`-th failure in a row locks the account.
pub fn lock_for(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(MAX_FREE_FAILURES)?;
    let seconds = 30i64.saturating_mul(1i64 << over.min(10));
    Some(Duration::seconds(seconds.min(15 * 60)))
}

/// Checks `password` for `email` at `now` and records the outcome.
pub async fn authenticate<S: Store>(
    store: &S,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, LoginError> {
    let Ok(email) = normalise_email(email) else {
        verify_password(password, decoy_hash());
        return Err(LoginError::Invalid);
    };
    let Some(mut user) = store.user(&email).await? else {
        verify_password(password, decoy_hash());
        return Err(LoginError::Invalid);
    };
    if let Some(until) = user.locked_until.filter(|&u| u > now) {
        return Err(LoginError::Locked { until });
    }
    if !verify_password(password, &user.password_hash) {
        user.failed_logins = user.failed_logins.saturating_add(1);
        user.locked_until = lock_for(user.failed_logins).map(|d| now + d);
        store.put_user(&user).await?;
        return Err(match user.locked_until {
            Some(until) => LoginError::Locked { until },
            None => LoginError::Invalid,
        });
    }
    if user.disabled {
        return Err(LoginError::Disabled);
    }
    if user.failed_logins > 0 || user.locked_until.is_some() {
        user.failed_logins = 0;
        user.locked_until = None;
        store.put_user(&user).await?;
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_starts_after_the_free_failures_and_doubles_to_a_ceiling() {
        assert_eq!(lock_for(MAX_FREE_FAILURES - 1), None);
        assert_eq!(lock_for(MAX_FREE_FAILURES), Some(Duration::seconds(30)));
        assert_eq!(lock_for(MAX_FREE_FAILURES + 1), Some(Duration::seconds(60)));
        assert_eq!(
            lock_for(MAX_FREE_FAILURES + 30),
            Some(Duration::minutes(15))
        );
    }
}
