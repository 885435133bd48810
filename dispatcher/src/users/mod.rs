//! People who use cobro through the browser or the API: their roles, the
//! creditor a `creditor` user belongs to, passwords (argon2id), API tokens
//! and sessions. `COBRO_API_TOKEN` stays as the admin's bootstrap: with it
//! an operator creates the first users.
//!
//! `password.rs` hashes and checks passwords, `secret.rs` makes and hashes
//! tokens and session ids, `login.rs` is the one door a password goes
//! through (with the back-off after failed attempts), `principal.rs` is
//! who a request acts as (and what it may see).

mod login;
mod password;
mod principal;
mod secret;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use login::{LoginError, MAX_FREE_FAILURES, authenticate, lock_for};
pub use password::{hash_password, verify_password};
pub use principal::Principal;
pub use secret::{new_secret, secret_hash};

/// What a user may do. One role per user; an admin may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    /// Campaigns, accounts of every creditor, suppressions, imports.
    Operations,
    /// Rules, reports and the ledger of every creditor; suppressions.
    Compliance,
    /// The work queue and the accounts it hands out.
    Collector,
    /// Its own creditor's accounts, gestiones, payments and reports.
    Creditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operations,
        Role::Compliance,
        Role::Collector,
        Role::Creditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operations => "operations",
            Role::Compliance => "compliance",
            Role::Collector => "collector",
            Role::Creditor => "creditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown role '{s}' (admin, operations, compliance, collector, creditor)")
            })
    }
}

/// One user, as the store keeps it (the email, lower-case, is the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub email: String,
    pub role: Role,
    /// The creditor a `creditor` user sees (exactly as in the portfolio's
    /// `creditor` column); `None` for every other role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creditor: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// Failed logins since the last good one (the back-off counts them).
    #[serde(default)]
    pub failed_logins: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    /// Which of the user's API tokens is current: a new `cobro users token`
    /// replaces the old one (hash of the token, never the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// The work-queue teams a `collector` works (strategy steps name their
    /// team); empty: every team.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
}

/// Why a user cannot be created as asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserError {
    #[error("'{0}' is not an email address")]
    BadEmail(String),
    #[error("a creditor user needs --creditor NAME (as in the portfolio's creditor column)")]
    CreditorMissing,
    #[error("only a creditor user belongs to a creditor (role {0})")]
    CreditorNotAllowed(Role),
    #[error("only a collector works a team's queue (role {0})")]
    TeamNotAllowed(Role),
    #[error("the password must have at least {min} characters")]
    PasswordTooShort { min: usize },
}

/// Shortest password accepted (NIST SP 800-63B's minimum for a password
/// chosen by the user).
pub const MIN_PASSWORD: usize = 8;

impl User {
    /// A new, enabled user; checks the email, the creditor rule and the
    /// password length, then hashes the password.
    pub fn new(
        email: &str,
        role: Role,
        creditor: Option<&str>,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<User, UserError> {
        let email = normalise_email(email)?;
        let creditor = creditor.map(str::trim).filter(|c| !c.is_empty());
        match (role, creditor) {
            (Role::Creditor, None) => return Err(UserError::CreditorMissing),
            (r, Some(_)) if r != Role::Creditor => return Err(UserError::CreditorNotAllowed(r)),
            _ => {}
        }
        if password.chars().count() < MIN_PASSWORD {
            return Err(UserError::PasswordTooShort { min: MIN_PASSWORD });
        }
        Ok(User {
            email,
            role,
            creditor: creditor.map(str::to_string),
            password_hash: hash_password(password),
            disabled: false,
            created_at: now,
            failed_logins: 0,
            locked_until: None,
            token_hash: None,
            teams: Vec::new(),
        })
    }

    /// The user with these work-queue teams (trimmed, sorted, once each).
    pub fn with_teams(mut self, teams: &[String]) -> Result<User, UserError> {
        let mut out: Vec<String> = teams
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        if !out.is_empty() && self.role != Role::Collector {
            return Err(UserError::TeamNotAllowed(self.role));
        }
        out.sort();
        out.dedup();
        self.teams = out;
        Ok(self)
    }
}

/// Emails compare lower-case and trimmed.
pub fn normalise_email(raw: &str) -> Result<String, UserError> {
    let email = raw.trim().to_lowercase();
    let ok = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(email)
    } else {
        Err(UserError::BadEmail(raw.to_string()))
    }
}

/// A browser session: the store keeps the hash of its id (the cookie's
/// value), so a copy of the store cannot be replayed as sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// How long a console session lasts without logging in again.
pub const SESSION_HOURS: i64 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creditor_user_needs_its_creditor_and_nobody_else_has_one() {
        let now = Utc::now();
        assert_eq!(
            User::new("a@b.mx", Role::Creditor, None, "long enough", now),
            Err(UserError::CreditorMissing)
        );
        assert_eq!(
            User::new(
                "a@b.mx",
                Role::Operations,
                Some("Banco"),
                "long enough",
                now
            ),
            Err(UserError::CreditorNotAllowed(Role::Operations))
        );
        assert!(matches!(
            User::new("a@b.mx", Role::Admin, None, "short", now),
            Err(UserError::PasswordTooShort { .. })
        ));
        assert!(matches!(
            User::new("not an email", Role::Admin, None, "long enough", now),
            Err(UserError::BadEmail(_))
        ));
        let u = User::new(
            " Ana@Banco.MX ",
            Role::Creditor,
            Some("Banco"),
            "long enough",
            now,
        )
        .expect("valid");
        assert_eq!(u.email, "ana@banco.mx");
        assert_eq!(u.creditor.as_deref(), Some("Banco"));
        assert!(
            u.password_hash.starts_with("$argon2id$"),
            "{}",
            u.password_hash
        );
        assert!(verify_password("long enough", &u.password_hash));
        assert!(!verify_password("long enougH", &u.password_hash));
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
