use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The ways cobro reaches a debtor. Rules, caps, consent and providers are
/// all keyed by this, so it is the one shared vocabulary of every crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Email,
    Sms,
    Voice,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 3] = [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Voice];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Voice => "voice",
        }
    }

    /// SMS and voice both reach a phone number; email reaches a mailbox.
    pub fn address_kind(self) -> crate::AddressKind {
        match self {
            ChannelKind::Email => crate::AddressKind::Email,
            ChannelKind::Sms | ChannelKind::Voice => crate::AddressKind::Phone,
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown channel '{0}' (expected email, sms or voice)")]
pub struct UnknownChannel(pub String);

impl FromStr for ChannelKind {
    type Err = UnknownChannel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "email" | "correo" => Ok(ChannelKind::Email),
            "sms" => Ok(ChannelKind::Sms),
            "voice" | "voz" => Ok(ChannelKind::Voice),
            _ => Err(UnknownChannel(s.to_string())),
        }
    }
}
