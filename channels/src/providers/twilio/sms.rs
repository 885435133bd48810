//! SMS through Twilio Programmable Messaging (`Messages.json`).

use super::api::TwilioApi;
use super::config::TwilioConfig;
use super::lookup::status_callback;
use crate::encoding::sms_segments;
use crate::http;
use crate::{Channel, ChannelError, ConfigError, OutboundMessage, Receipt, mask_address};

/// SMS through Twilio's `Messages.json`.
#[derive(Debug, Clone)]
pub struct TwilioSms {
    api: TwilioApi,
    config: TwilioConfig,
}

impl TwilioSms {
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        Self::named("twilio", config)
    }

    /// Like [`TwilioSms::new`] with a custom provider name (two accounts).
    pub fn named(name: &str, config: TwilioConfig) -> Result<Self, ConfigError> {
        if config.from.is_none() && config.messaging_service_sid.is_none() {
            // A message may still carry `from`; checked per send.
            tracing::debug!(channel = name, "no default sender configured");
        }
        let api = TwilioApi::new(
            name,
            &config.account_sid,
            config.api_key_sid.as_deref(),
            &config.auth_token,
            &config.base_url,
            config.timeout,
        )?;
        Ok(TwilioSms { api, config })
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        http::check_e164(&self.api.name, &msg.to)?;
        let mut form: Vec<(&str, &str)> =
            vec![("To", msg.to.as_str()), ("Body", msg.text.as_str())];
        if let Some(service) = &self.config.messaging_service_sid {
            form.push(("MessagingServiceSid", service));
        } else if !msg.from.is_empty() {
            form.push(("From", &msg.from));
        } else if let Some(from) = &self.config.from {
            form.push(("From", from));
        } else {
            return Err(ChannelError::permanent(
                &self.api.name,
                Some("no_sender".into()),
                "no sender: set `from` or `messaging_service_sid`",
            ));
        }
        let callback = status_callback(msg, self.config.status_callback.as_deref());
        if let Some(cb) = &callback {
            form.push(("StatusCallback", cb));
        }
        let body = self.api.create("Messages.json", &form).await?;
        let provider_id = body.sid.unwrap_or_default();
        // Twilio may answer "0" while a Messaging Service has not yet
        // encoded the text; count ourselves then.
        let segments = body
            .num_segments
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| sms_segments(&msg.text).segments);
        tracing::debug!(
            channel = %self.api.name,
            to = %mask_address(&msg.to),
            provider_id = %provider_id,
            "sms accepted"
        );
        Ok(Receipt {
            provider: self.api.name.clone(),
            provider_id,
            segments: Some(segments),
        })
    }
}

impl Channel for TwilioSms {
    fn name(&self) -> &str {
        &self.api.name
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }

    /// Twilio's message list by recipient and day (`lookup.rs`).
    fn lookup<'a>(
        &'a self,
        query: &'a crate::LookupQuery,
    ) -> Option<futures::future::BoxFuture<'a, Result<crate::LookupAnswer, ChannelError>>> {
        Some(Box::pin(self.api.lookup_messages(query)))
    }
}
