//! Who the debtor sees as the sender, and the links a message carries
//! (payment, one-click unsubscribe, provider status callbacks).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cobro_campaigns::{Account, ChannelKind};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The campaign's sender identity plus the secrets that sign its links.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SenderProfile {
    /// The collection agency's name, which messages must carry.
    pub collector: String,
    pub collector_phone: String,
    pub email_from: String,
    pub sms_from: String,
    pub voice_from: String,
    /// Base of the payment link; the account id is appended when the
    /// account has no `payment_link` attribute of its own.
    pub payment_base_url: String,
    /// Public base URL of `cobro serve` (unsubscribe links, callbacks).
    pub public_url: String,
    /// Signs unsubscribe tokens; from the environment, never from a file.
    #[serde(skip_serializing)]
    pub link_secret: Vec<u8>,
}

/// What an unsubscribe token says once its signature checked out. The
/// address is carried as a hash (`address_digest`) so that the link, which
/// ends up in mail logs and browser histories, does not reveal it; the
/// handler finds the account's contact point with that digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeClaim {
    pub account: String,
    pub channel: ChannelKind,
    pub address_digest: String,
}

impl UnsubscribeClaim {
    pub fn new(account: &str, channel: ChannelKind, address: &str) -> Self {
        UnsubscribeClaim {
            account: account.to_string(),
            channel,
            address_digest: address_digest(address),
        }
    }

    /// Whether `address` is the one this claim was made for.
    pub fn matches(&self, address: &str) -> bool {
        address_digest(address) == self.address_digest
    }
}

/// Short SHA-256 digest of a normalised address.
pub fn address_digest(address: &str) -> String {
    use sha2::Digest;
    let digest = Sha256::digest(address.trim().to_lowercase().as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

impl SenderProfile {
    pub fn from_for(&self, channel: ChannelKind) -> String {
        match channel {
            ChannelKind::Email => self.email_from.clone(),
            ChannelKind::Sms => self.sms_from.clone(),
            ChannelKind::Voice => self.voice_from.clone(),
            // A collector calls from the team's line, not a provider's.
            ChannelKind::AgentCall | ChannelKind::AgentTask => String::new(),
        }
    }

    /// What templates see of the sender.
    pub fn identity(
        &self,
        unsubscribe_url: Option<String>,
    ) -> cobro_channels::templates::SenderIdentity {
        cobro_channels::templates::SenderIdentity {
            collector: self.collector.clone(),
            collector_phone: self.collector_phone.clone(),
            payment_base_url: self.payment_base_url.clone(),
            unsubscribe_url,
            opt_out_keyword: None,
        }
    }

    pub fn status_callback(&self, channel: ChannelKind) -> Option<String> {
        (channel != ChannelKind::Email).then(|| {
            format!(
                "{}/webhooks/twilio/status",
                self.public_url.trim_end_matches('/')
            )
        })
    }

    /// A signed, unguessable token naming the address to unsubscribe.
    pub fn unsubscribe_token(&self, claim: &UnsubscribeClaim) -> String {
        let payload = serde_json::to_vec(claim).unwrap_or_default();
        let mut mac =
            HmacSha256::new_from_slice(&self.link_secret).expect("HMAC takes keys of any size");
        mac.update(&payload);
        let signature = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The claim inside a token, if and only if its signature is ours.
    pub fn verify_unsubscribe_token(&self, token: &str) -> Option<UnsubscribeClaim> {
        let (payload, signature) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = HmacSha256::new_from_slice(&self.link_secret).ok()?;
        mac.update(&payload);
        mac.verify_slice(&signature).ok()?;
        serde_json::from_slice(&payload).ok()
    }

    /// The debtor's personal page for `account`, valid for
    /// `portal_token::DEFAULT_LINK_DAYS` from `now`.
    pub fn portal_url(&self, account: &str, now: chrono::DateTime<chrono::Utc>) -> String {
        let token = super::portal_token::portal_token(
            &self.link_secret,
            account,
            now,
            super::portal_token::DEFAULT_LINK_DAYS,
        );
        format!("{}/d/{}", self.public_url.trim_end_matches('/'), token)
    }

    pub fn unsubscribe_url(
        &self,
        account: &Account,
        channel: ChannelKind,
        address: &str,
    ) -> String {
        let token = self.unsubscribe_token(&UnsubscribeClaim::new(&account.id, channel, address));
        format!("{}/u/{}", self.public_url.trim_end_matches('/'), token)
    }
}

impl SenderProfile {
    /// The `[sender]` of a campaign file, its links under `public_url`
    /// signed with `link_secret`.
    pub fn for_campaign(
        loaded: &cobro_config::LoadedCampaign,
        public_url: &str,
        link_secret: Vec<u8>,
    ) -> Self {
        let s = &loaded.file.sender;
        SenderProfile {
            collector: s.collector.clone(),
            collector_phone: s.collector_phone.clone(),
            email_from: s.email_from.clone(),
            sms_from: s.sms_from.clone(),
            voice_from: s.voice_from.clone(),
            payment_base_url: s.payment_base_url.clone(),
            public_url: public_url.to_string(),
            link_secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> SenderProfile {
        SenderProfile {
            collector: "Cobranzas Andinas".into(),
            collector_phone: "+525512345678".into(),
            email_from: "avisos@cobranzas.example".into(),
            sms_from: "COBRANZA".into(),
            voice_from: "+525512345678".into(),
            payment_base_url: "https://pagos.example/p/".into(),
            public_url: "https://cobro.example".into(),
            link_secret: b"secret".to_vec(),
        }
    }

    #[test]
    fn unsubscribe_token_round_trips_and_rejects_tampering() {
        let p = profile();
        let claim = UnsubscribeClaim::new("A1", ChannelKind::Email, "ana@example.com");
        let token = p.unsubscribe_token(&claim);
        assert!(
            !token.contains("ana"),
            "the token must not reveal the address"
        );
        let verified = p.verify_unsubscribe_token(&token).expect("valid token");
        assert!(verified.matches("Ana@Example.com") && !verified.matches("bob@example.com"));
        assert_eq!(verified, claim);
        let mut forged = token.clone();
        forged.replace_range(0..1, if token.starts_with('e') { "f" } else { "e" });
        assert_eq!(p.verify_unsubscribe_token(&forged), None);
        let other = SenderProfile {
            link_secret: b"other".to_vec(),
            ..p.clone()
        };
        assert_eq!(other.verify_unsubscribe_token(&token), None);
        assert_eq!(p.verify_unsubscribe_token("garbage"), None);
    }
}
