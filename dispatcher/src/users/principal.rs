//! Who a request acts as, and the one rule of tenancy: a creditor user
//! sees only the accounts of its creditor. Handlers ask `sees(creditor)`
//! and answer 404 when it is false, exactly as for an unknown id, so an
//! id that belongs to another creditor cannot be told from one that does
//! not exist.

use super::{Role, User};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `COBRO_API_TOKEN`: the admin's bootstrap.
    Bootstrap,
    User(User),
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::Bootstrap => Role::Admin,
            Principal::User(u) => u.role,
        }
    }

    /// The creditor this principal is confined to, if any.
    pub fn creditor(&self) -> Option<&str> {
        match self {
            Principal::User(u) if u.role == Role::Creditor => u.creditor.as_deref(),
            _ => None,
        }
    }

    /// Whether an account of `creditor` is visible. A creditor user with
    /// no creditor recorded sees nothing (fail closed).
    pub fn sees(&self, creditor: &str) -> bool {
        match self {
            Principal::User(u) if u.role == Role::Creditor => {
                u.creditor.as_deref() == Some(creditor)
            }
            _ => true,
        }
    }

    /// Who did it, for the gestiones (`admin` for the bootstrap token).
    pub fn name(&self) -> &str {
        match self {
            Principal::Bootstrap => "admin",
            Principal::User(u) => &u.email,
        }
    }
}
