//! The debtor's personal link (`/d/{token}`): an HMAC-signed claim naming
//! the account and an expiry, so the link cannot be guessed from an
//! account id, cannot be moved to another account, and stops working.
//! Signed with `COBRO_LINK_SECRET`, like unsubscribe links.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a link in a message keeps working (ARCHITECTURE.md, "HTTP contracts").
pub const DEFAULT_LINK_DAYS: i64 = 45;

/// A separate key from unsubscribe links' (derived from the same secret)
/// so a token of one kind never verifies as the other.
const DOMAIN: &[u8] = b"cobro-portal-v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalClaim {
    /// The account id.
    pub a: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PortalTokenError {
    #[error("the link is not one of ours")]
    Forged,
    #[error("the link has expired")]
    Expired,
}

fn mac(secret: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(DOMAIN);
    mac
}

pub fn portal_token(secret: &[u8], account: &str, now: DateTime<Utc>, days: i64) -> String {
    let claim = PortalClaim {
        a: account.to_string(),
        exp: (now + Duration::days(days)).timestamp(),
    };
    let payload = serde_json::to_vec(&claim).unwrap_or_default();
    let mut mac = mac(secret);
    mac.update(&payload);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The claim, when the signature is ours and the link has not expired.
pub fn verify_portal_token(
    secret: &[u8],
    token: &str,
    now: DateTime<Utc>,
) -> Result<PortalClaim, PortalTokenError> {
    let (payload, signature) = token.split_once('.').ok_or(PortalTokenError::Forged)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| PortalTokenError::Forged)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| PortalTokenError::Forged)?;
    let mut mac = mac(secret);
    mac.update(&payload);
    mac.verify_slice(&signature)
        .map_err(|_| PortalTokenError::Forged)?;
    let claim: PortalClaim =
        serde_json::from_slice(&payload).map_err(|_| PortalTokenError::Forged)?;
    if claim.exp <= now.timestamp() {
        return Err(PortalTokenError::Expired);
    }
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_expires_and_only_with_our_secret() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let token = portal_token(b"s3cret", "exp-0000042", now, 45);
        assert!(!token.contains("exp-0000042"), "no account id in clear");
        let claim = verify_portal_token(b"s3cret", &token, now).unwrap();
        assert_eq!(claim.a, "exp-0000042");
        assert_eq!(
            verify_portal_token(b"s3cret", &token, now + Duration::days(45)),
            Err(PortalTokenError::Expired)
        );
        assert_eq!(
            verify_portal_token(b"other", &token, now),
            Err(PortalTokenError::Forged)
        );
        // Another account's claim with our signature moved over: forged.
        let other = portal_token(b"s3cret", "exp-0000043", now, 45);
        let forged = format!(
            "{}.{}",
            other.split_once('.').unwrap().0,
            token.split_once('.').unwrap().1
        );
        assert_eq!(
            verify_portal_token(b"s3cret", &forged, now),
            Err(PortalTokenError::Forged)
        );
        assert_eq!(
            verify_portal_token(b"s3cret", "garbage", now),
            Err(PortalTokenError::Forged)
        );
    }
}
