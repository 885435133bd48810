//! Infobip does not sign its callbacks: they carry the secret we put in the
//! callback URL (see [`crate::providers::shared_secret`]).

pub use crate::providers::shared_secret::verify;
