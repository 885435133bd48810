//! The providers cobro knows, by the name an operator writes in
//! `provider = "…"`: which channels each serves, how its settings are read
//! for a channel, and how its callbacks are checked and parsed.

use serde::de::{Deserialize, Deserializer, Error as _};

use super::{OutboxConfig, ProviderConfig, infobip, smtp, twilio, vonage, webhook};
use crate::ChannelKind;
use crate::callback::{
    CallbackError, CallbackKeys, CallbackRequest, DeliveryReport, InboundMessage, flat_params,
};

/// A transport an operator can name in `[channels.*]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Smtp,
    Twilio,
    Vonage,
    Infobip,
    Webhook,
    Outbox,
    Null,
}

/// `provider = "null"` takes no other key.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoSettings {}

impl Provider {
    pub const ALL: [Provider; 7] = [
        Provider::Smtp,
        Provider::Twilio,
        Provider::Vonage,
        Provider::Infobip,
        Provider::Webhook,
        Provider::Outbox,
        Provider::Null,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Provider::Smtp => "smtp",
            Provider::Twilio => "twilio",
            Provider::Vonage => "vonage",
            Provider::Infobip => "infobip",
            Provider::Webhook => "webhook",
            Provider::Outbox => "outbox",
            Provider::Null => "null",
        }
    }

    pub fn from_name(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The channel kinds this provider can carry.
    pub fn kinds(self) -> &'static [ChannelKind] {
        match self {
            Provider::Smtp => &[ChannelKind::Email],
            Provider::Vonage => &[ChannelKind::Sms],
            Provider::Twilio | Provider::Infobip | Provider::Webhook => {
                &[ChannelKind::Sms, ChannelKind::Voice]
            }
            Provider::Outbox | Provider::Null => &ChannelKind::AUTOMATED,
        }
    }

    /// Reads this provider's settings for `kind` (everything of a
    /// `[channels.KIND]` section but `provider` and `rate_limit`) into its
    /// strict config type: `twilio` under `[channels.voice]` means
    /// Twilio's voice API and its settings.
    pub fn config_for<'de, D: Deserializer<'de>>(
        self,
        kind: ChannelKind,
        settings: D,
    ) -> Result<ProviderConfig, D::Error> {
        if !self.kinds().contains(&kind) {
            return Err(D::Error::custom(format!(
                "provider `{}` cannot carry {kind}",
                self.name()
            )));
        }
        let voice = kind == ChannelKind::Voice;
        Ok(match self {
            Provider::Smtp => ProviderConfig::Smtp(smtp::SmtpConfig::deserialize(settings)?),
            Provider::Twilio if voice => {
                ProviderConfig::TwilioVoice(twilio::TwilioVoiceConfig::deserialize(settings)?)
            }
            Provider::Twilio => {
                ProviderConfig::Twilio(twilio::TwilioConfig::deserialize(settings)?)
            }
            Provider::Vonage => {
                ProviderConfig::Vonage(vonage::VonageConfig::deserialize(settings)?)
            }
            Provider::Infobip if voice => {
                ProviderConfig::InfobipVoice(infobip::InfobipVoiceConfig::deserialize(settings)?)
            }
            Provider::Infobip => {
                ProviderConfig::Infobip(infobip::InfobipConfig::deserialize(settings)?)
            }
            Provider::Webhook => {
                ProviderConfig::Webhook(webhook::WebhookConfig::deserialize(settings)?)
            }
            Provider::Outbox => ProviderConfig::Outbox(OutboxConfig::deserialize(settings)?),
            Provider::Null => {
                NoSettings::deserialize(settings)?;
                ProviderConfig::Null
            }
        })
    }

    /// The provider a callback URL (`/webhooks/{provider}/…`) names; only
    /// those that send callbacks.
    pub fn for_callbacks(name: &str) -> Result<Provider, CallbackError> {
        match Provider::from_name(name) {
            Some(p @ (Provider::Twilio | Provider::Vonage | Provider::Infobip)) => Ok(p),
            _ => Err(CallbackError::UnknownProvider(name.to_string())),
        }
    }

    /// Checks a status callback's signature or shared secret, then parses
    /// it (one request may carry several reports).
    pub fn delivery_reports(
        self,
        req: &CallbackRequest<'_>,
        keys: &CallbackKeys<'_>,
    ) -> Result<Vec<DeliveryReport>, CallbackError> {
        match self {
            Provider::Twilio => {
                let params = twilio::signature::verify(keys.twilio_auth_token, req)?;
                twilio::webhook::delivery_report(&params, req.query).map(|r| vec![r])
            }
            Provider::Vonage => {
                vonage::signature::verify(keys.shared_secret, req)?;
                vonage::webhook::delivery_report(&flat_params(req)?).map(|r| vec![r])
            }
            Provider::Infobip => {
                infobip::signature::verify(keys.shared_secret, req)?;
                infobip::webhook::delivery_reports(req.body)
            }
            other => Err(CallbackError::UnknownProvider(other.name().to_string())),
        }
    }

    /// Checks an inbound callback's signature or shared secret, then
    /// parses the replies it carries.
    pub fn inbound_messages(
        self,
        req: &CallbackRequest<'_>,
        keys: &CallbackKeys<'_>,
    ) -> Result<Vec<InboundMessage>, CallbackError> {
        match self {
            Provider::Twilio => {
                let params = twilio::signature::verify(keys.twilio_auth_token, req)?;
                twilio::webhook::inbound_message(&params).map(|m| vec![m])
            }
            Provider::Vonage => {
                vonage::signature::verify(keys.shared_secret, req)?;
                vonage::webhook::inbound_message(&flat_params(req)?).map(|m| vec![m])
            }
            Provider::Infobip => {
                infobip::signature::verify(keys.shared_secret, req)?;
                infobip::webhook::inbound_messages(req.body)
            }
            other => Err(CallbackError::UnknownProvider(other.name().to_string())),
        }
    }

    /// The body a provider expects in answer to an inbound message, as
    /// `(content type, body)`, when it is not our JSON summary.
    pub fn inbound_reply(self) -> Option<(&'static str, &'static str)> {
        match self {
            Provider::Twilio => Some(("text/xml; charset=utf-8", twilio::webhook::INBOUND_REPLY)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
