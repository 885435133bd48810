//! SMS through Infobip's `/sms/3/messages`.

use serde_json::json;

use super::api::InfobipApi;
use super::config::InfobipConfig;
use crate::encoding::sms_segments;
use crate::http;
use crate::{Channel, ChannelError, ConfigError, OutboundMessage, Receipt, mask_address};

/// SMS through Infobip's `/sms/3/messages`.
#[derive(Debug, Clone)]
pub struct InfobipSms {
    api: InfobipApi,
    config: InfobipConfig,
}

impl InfobipSms {
    pub fn new(config: InfobipConfig) -> Result<Self, ConfigError> {
        Self::named("infobip", config)
    }

    pub fn named(name: &str, config: InfobipConfig) -> Result<Self, ConfigError> {
        let api = InfobipApi::new(name, &config.base_url, &config.api_key, config.timeout)?;
        Ok(InfobipSms { api, config })
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        http::check_e164(&self.api.name, &msg.to)?;
        let sender = if msg.from.is_empty() {
            self.config.from.clone().unwrap_or_default()
        } else {
            msg.from.clone()
        };
        let mut message = json!({
            "destinations": [{ "to": http::digits_only(&msg.to) }],
            "content": { "text": msg.text },
        });
        if !sender.is_empty() {
            message["sender"] = json!(sender);
        }
        if let Some(cb) = msg
            .status_callback
            .as_ref()
            .or(self.config.status_callback.as_ref())
        {
            message["webhooks"] = json!({ "delivery": { "url": cb } });
        }
        let body = json!({ "messages": [message] });
        let answer = self.api.post("/sms/3/messages", &body).await?;
        let provider_id = answer.message_id.unwrap_or_default();
        let segments = answer
            .details
            .and_then(|d| d.message_count)
            .or(answer.sms_count)
            .unwrap_or_else(|| sms_segments(&msg.text).segments);
        tracing::debug!(channel = %self.api.name, to = %mask_address(&msg.to), provider_id = %provider_id, "sms accepted");
        Ok(Receipt {
            provider: self.api.name.clone(),
            provider_id,
            segments: Some(segments),
        })
    }
}

impl Channel for InfobipSms {
    fn name(&self) -> &str {
        &self.api.name
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }
}
