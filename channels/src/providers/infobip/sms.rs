//! SMS through Infobip's `/sms/3/messages`.

use serde_json::json;

use super::api::InfobipApi;
use super::config::InfobipConfig;
use super::lookup::message_id;
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
        // Our own message id (derived from the contact) and the signed
        // contact reference as callback data: both come back in reports,
        // and the id is what `lookup.rs` asks for (see there).
        let mut message = json!({
            "destinations": [{
                "to": http::digits_only(&msg.to),
                "messageId": message_id(&msg.contact_id),
            }],
            "content": { "text": msg.text },
        });
        if !sender.is_empty() {
            message["sender"] = json!(sender);
        }
        let mut webhooks = serde_json::Map::new();
        if let Some(cb) = msg
            .status_callback
            .as_ref()
            .or(self.config.status_callback.as_ref())
        {
            webhooks.insert("delivery".into(), json!({ "url": cb }));
        }
        if let Some(reference) = &msg.reference {
            webhooks.insert("callbackData".into(), json!(reference));
        }
        if !webhooks.is_empty() {
            message["webhooks"] = serde_json::Value::Object(webhooks);
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

    /// Infobip's logs and reports by our message id (`lookup.rs`).
    fn lookup<'a>(
        &'a self,
        query: &'a crate::LookupQuery,
    ) -> Option<futures::future::BoxFuture<'a, Result<crate::LookupAnswer, ChannelError>>> {
        Some(Box::pin(self.api.lookup_sms(query)))
    }
}
