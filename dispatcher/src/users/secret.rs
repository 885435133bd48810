//! API tokens and session ids: 32 random bytes, URL-safe. The store keeps
//! only their SHA-256 (they are random, not chosen by people, so a fast
//! hash is enough and lookups stay one index read).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A new random secret with a readable prefix (`cobro_…` for API tokens),
/// so a leaked one is recognisable in a log or a repository scan.
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The lookup key of a secret.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
