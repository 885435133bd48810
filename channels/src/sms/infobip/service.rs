use serde::Deserialize;
use serde_json::json;

use super::config::InfobipConfig;
use super::errors;
use crate::encoding::sms_segments;
use crate::http;
use crate::{Channel, ChannelError, ConfigError, OutboundMessage, Receipt, Secret, mask_address};

/// An authenticated Infobip client, shared by SMS and voice.
#[derive(Debug, Clone)]
pub(crate) struct InfobipApi {
    pub name: String,
    client: reqwest::Client,
    base_url: String,
    api_key: Secret,
}

/// The part of Infobip's send answers we read (same shape for SMS v3 and
/// TTS v3).
#[derive(Debug, Deserialize)]
pub(crate) struct InfobipAnswer {
    #[serde(default)]
    pub messages: Vec<InfobipMessage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InfobipMessage {
    pub message_id: Option<String>,
    pub status: Option<InfobipStatus>,
    pub details: Option<InfobipDetails>,
    pub sms_count: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InfobipStatus {
    pub group_id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InfobipDetails {
    pub message_count: Option<u32>,
}

impl InfobipApi {
    pub fn new(
        name: &str,
        base_url: &str,
        api_key: &Secret,
        timeout: std::time::Duration,
    ) -> Result<Self, ConfigError> {
        if api_key.expose().is_empty() {
            return Err(ConfigError::invalid(name, "api_key", "is empty"));
        }
        Ok(InfobipApi {
            name: name.to_string(),
            client: http::client(name, timeout)?,
            base_url: http::base_url(name, base_url)?,
            api_key: api_key.clone(),
        })
    }

    /// POSTs JSON to `path`; returns the first message of an accepted
    /// answer, or the classified error.
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<InfobipMessage, ChannelError> {
        let request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("App {}", self.api_key.expose()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body);
        let response = http::execute(&self.name, request).await?;
        if !response.is_success() {
            return Err(errors::classify_http(
                &self.name,
                response.status,
                &response.body,
                response.retry_after,
            ));
        }
        let answer: Option<InfobipAnswer> = serde_json::from_str(&response.body).ok();
        let Some(message) = answer.and_then(|a| a.messages.into_iter().next()) else {
            return Err(ChannelError::Transient {
                provider: self.name.clone(),
                code: Some("bad_response".into()),
                message: format!("unreadable body: {}", http::excerpt(&response.body)),
                maybe_sent: true,
            });
        };
        match &message.status {
            Some(status) if !errors::is_accepted_group(status.group_id) => Err(
                errors::classify_status_name(&self.name, &status.name, status.description.clone()),
            ),
            _ => Ok(message),
        }
    }
}

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
