//! The signed contact reference every message carries to its provider,
//! which the provider echoes back in its delivery reports (Twilio: in the
//! `StatusCallback` URL; Vonage: `client-ref`; Infobip: `callbackData`).
//! A report for a send whose answer was lost carries no provider id we
//! know, only this: so it must be unforgeable, or anyone able to post to
//! a public callback could mark any contact sent. HMAC-SHA-256 with
//! `COBRO_LINK_SECRET`, in a domain of its own (a portal or unsubscribe
//! token never verifies as a contact reference, nor the other way round).
//!
//! `<base64url(contact id)>.<base64url(first 16 bytes of the MAC)>`: short
//! enough for Vonage's `client-ref` (100 characters) with the contact ids
//! cobro plans; 128 bits of MAC are plenty against guessing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const DOMAIN: &[u8] = b"cobro-contact-ref-v1\0";
const MAC_BYTES: usize = 16;

fn mac_of(secret: &[u8], contact_id: &str) -> [u8; MAC_BYTES] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(DOMAIN);
    mac.update(contact_id.as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_BYTES];
    out.copy_from_slice(&full[..MAC_BYTES]);
    out
}

/// The reference for `contact_id`.
pub fn contact_ref(secret: &[u8], contact_id: &str) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(contact_id.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac_of(secret, contact_id))
    )
}

/// The contact id a reference names, if and only if we signed it.
pub fn verify_contact_ref(secret: &[u8], reference: &str) -> Option<String> {
    let (id, signature) = reference.trim().split_once('.')?;
    let id = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(DOMAIN);
    mac.update(id.as_bytes());
    mac.verify_truncated_left(&signature).ok()?;
    // `verify_truncated_left` accepts any prefix; ours is always 16 bytes.
    (signature.len() == MAC_BYTES).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a link secret of the test";

    #[test]
    fn a_reference_names_its_contact_and_nothing_else() {
        let id = "mora-2026-12/ACC-0001/s1+sms";
        let reference = contact_ref(SECRET, id);
        assert!(reference.len() <= 100, "{reference}");
        assert_eq!(verify_contact_ref(SECRET, &reference).as_deref(), Some(id));
        // Another secret, another contact's signature, a truncated or
        // missing signature: refused.
        assert_eq!(verify_contact_ref(b"another secret", &reference), None);
        let other = contact_ref(SECRET, "mora-2026-12/ACC-0002/s1+sms");
        let (head, _) = reference.split_once('.').expect("dot");
        let (_, other_sig) = other.split_once('.').expect("dot");
        assert_eq!(
            verify_contact_ref(SECRET, &format!("{head}.{other_sig}")),
            None
        );
        assert_eq!(
            verify_contact_ref(SECRET, &reference[..reference.len() - 4]),
            None
        );
        assert_eq!(verify_contact_ref(SECRET, head), None);
        assert_eq!(
            verify_contact_ref(SECRET, &format!("{}.", URL_SAFE_NO_PAD.encode(id))),
            None
        );
    }

    #[test]
    fn a_portal_token_is_not_a_contact_reference() {
        let token =
            super::super::portal_token::portal_token(SECRET, "ACC-0001", chrono::Utc::now(), 45);
        assert_eq!(verify_contact_ref(SECRET, &token), None);
    }
}
