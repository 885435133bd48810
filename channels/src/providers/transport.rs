//! One config type for any transport, so the config crate can hold a
//! `[channels.*]` section typed and the dispatcher can build
//! `Arc<dyn Channel>`s without matching on provider names itself.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::infobip::{InfobipConfig, InfobipSms, InfobipVoice, InfobipVoiceConfig};
use super::smtp::{SmtpChannel, SmtpConfig};
use super::twilio::{TwilioConfig, TwilioSms, TwilioVoice, TwilioVoiceConfig};
use super::vonage::{VonageConfig, VonageSms};
use super::webhook::{WebhookChannel, WebhookConfig};
use crate::null::NullChannel;
use crate::outbox::OutboxChannel;
use crate::{Channel, ChannelKind, ConfigError};

/// Outbox settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    pub dir: PathBuf,
    /// Email sender when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// Any transport, tagged by `provider`:
/// `{ provider = "twilio", account_sid = "AC…", auth_token = "…" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "kebab-case")]
pub enum ProviderConfig {
    Smtp(SmtpConfig),
    Twilio(TwilioConfig),
    Vonage(VonageConfig),
    Infobip(InfobipConfig),
    TwilioVoice(TwilioVoiceConfig),
    InfobipVoice(InfobipVoiceConfig),
    Webhook(WebhookConfig),
    Outbox(OutboxConfig),
    Null,
}

impl ProviderConfig {
    /// The channel kinds this transport can carry.
    pub fn kinds(&self) -> &'static [ChannelKind] {
        match self {
            ProviderConfig::Smtp(_) => &[ChannelKind::Email],
            ProviderConfig::Twilio(_) | ProviderConfig::Vonage(_) | ProviderConfig::Infobip(_) => {
                &[ChannelKind::Sms]
            }
            ProviderConfig::TwilioVoice(_) | ProviderConfig::InfobipVoice(_) => {
                &[ChannelKind::Voice]
            }
            ProviderConfig::Webhook(_) => &[ChannelKind::Sms, ChannelKind::Voice],
            ProviderConfig::Outbox(_) | ProviderConfig::Null => &ChannelKind::AUTOMATED,
        }
    }

    /// Builds the transport. Checks the settings but opens no connection.
    pub fn build(&self) -> Result<Arc<dyn Channel>, ConfigError> {
        Ok(match self {
            ProviderConfig::Smtp(c) => Arc::new(SmtpChannel::new(c.clone())?),
            ProviderConfig::Twilio(c) => Arc::new(TwilioSms::new(c.clone())?),
            ProviderConfig::Vonage(c) => Arc::new(VonageSms::new(c.clone())?),
            ProviderConfig::Infobip(c) => Arc::new(InfobipSms::new(c.clone())?),
            ProviderConfig::TwilioVoice(c) => Arc::new(TwilioVoice::new(c.clone())?),
            ProviderConfig::InfobipVoice(c) => Arc::new(InfobipVoice::new(c.clone())?),
            ProviderConfig::Webhook(c) => Arc::new(WebhookChannel::new(c.clone())?),
            ProviderConfig::Outbox(c) => match &c.from {
                Some(from) => Arc::new(OutboxChannel::with_from(&c.dir, from)?),
                None => Arc::new(OutboxChannel::new(&c.dir)?),
            },
            ProviderConfig::Null => Arc::new(NullChannel::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_and_strict() {
        let c: ProviderConfig = serde_json::from_str(
            r#"{"provider":"twilio","account_sid":"AC1","auth_token":"t","from":"+15550001111"}"#,
        )
        .expect("twilio");
        assert_eq!(c.kinds(), &[ChannelKind::Sms]);
        assert_eq!(c.build().expect("build").name(), "twilio");
        let v: ProviderConfig = serde_json::from_str(
            r#"{"provider":"twilio-voice","account_sid":"AC1","auth_token":"t"}"#,
        )
        .expect("voice");
        assert_eq!(v.build().expect("build").name(), "twilio-voice");
        assert!(
            serde_json::from_str::<ProviderConfig>(
                r#"{"provider":"twilio","account_sid":"AC1","auth_token":"t","frm":"x"}"#
            )
            .is_err(),
            "unknown field"
        );
        assert!(serde_json::from_str::<ProviderConfig>(r#"{"provider":"fax"}"#).is_err());
        let n: ProviderConfig = serde_json::from_str(r#"{"provider":"null"}"#).expect("null");
        assert_eq!(n.build().expect("build").name(), "null");
    }
}
