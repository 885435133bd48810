use serde::Deserialize;

use super::config::VonageConfig;
use super::errors;
use crate::encoding::{Encoding, sms_segments};
use crate::http::{self, classify_status};
use crate::{Channel, ChannelError, ConfigError, OutboundMessage, Receipt, mask_address};

/// SMS through Vonage's `/sms/json`.
#[derive(Debug, Clone)]
pub struct VonageSms {
    name: String,
    client: reqwest::Client,
    base_url: String,
    config: VonageConfig,
}

#[derive(Debug, Deserialize)]
struct VonageResponse {
    #[serde(rename = "message-count")]
    message_count: Option<String>,
    #[serde(default)]
    messages: Vec<VonagePart>,
}

#[derive(Debug, Deserialize)]
struct VonagePart {
    status: String,
    #[serde(rename = "message-id")]
    message_id: Option<String>,
    #[serde(rename = "error-text")]
    error_text: Option<String>,
}

impl VonageSms {
    pub fn new(config: VonageConfig) -> Result<Self, ConfigError> {
        Self::named("vonage", config)
    }

    pub fn named(name: &str, config: VonageConfig) -> Result<Self, ConfigError> {
        if config.api_key.is_empty() {
            return Err(ConfigError::invalid(name, "api_key", "is empty"));
        }
        Ok(VonageSms {
            name: name.to_string(),
            client: http::client(name, config.timeout)?,
            base_url: http::base_url(name, &config.base_url)?,
            config,
        })
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        http::check_e164(&self.name, &msg.to)?;
        let from = if msg.from.is_empty() {
            self.config.from.as_deref().ok_or_else(|| {
                ChannelError::permanent(
                    &self.name,
                    Some("no_sender".into()),
                    "no sender configured",
                )
            })?
        } else {
            msg.from.as_str()
        };
        let to = http::digits_only(&msg.to);
        let encoding = sms_segments(&msg.text);
        let mut form: Vec<(&str, &str)> = vec![
            ("api_key", &self.config.api_key),
            ("api_secret", self.config.api_secret.expose()),
            ("from", from),
            ("to", &to),
            ("text", &msg.text),
            // Vonage needs `type=unicode` for UCS-2 text or it mangles
            // accents; GSM text stays `text` (cheaper segments).
            (
                "type",
                if encoding.encoding == Encoding::Ucs2 {
                    "unicode"
                } else {
                    "text"
                },
            ),
            // Echoed back in delivery receipts, so webhooks can find the
            // contact even when the ledger never got the message id: the
            // signed contact reference when the dispatcher gave one.
            (
                "client-ref",
                client_ref(msg.reference.as_deref().unwrap_or(&msg.contact_id)),
            ),
        ];
        if let Some(cb) = msg
            .status_callback
            .as_ref()
            .or(self.config.status_callback.as_ref())
        {
            form.push(("callback", cb));
            form.push(("status-report-req", "1"));
        }
        let request = self
            .client
            .post(format!("{}/sms/json", self.base_url))
            .form(&form);
        let response = http::execute(&self.name, request).await?;
        let parsed: Option<VonageResponse> = serde_json::from_str(&response.body).ok();
        if !response.is_success() {
            return Err(classify_status(
                &self.name,
                response.status,
                Some(format!("http_{}", response.status)),
                http::excerpt(&response.body),
                response.retry_after,
            ));
        }
        let Some(parsed) = parsed.filter(|p| !p.messages.is_empty()) else {
            return Err(ChannelError::Transient {
                provider: self.name.clone(),
                code: Some("bad_response".into()),
                message: format!("unreadable body: {}", http::excerpt(&response.body)),
                maybe_sent: true,
            });
        };
        // A long text is split into parts, each with its own status: the
        // first failing part decides (the others cannot be recalled).
        if let Some(bad) = parsed.messages.iter().find(|p| p.status != "0") {
            return Err(errors::classify(
                &self.name,
                &bad.status,
                bad.error_text.clone().unwrap_or_default(),
            ));
        }
        let provider_id = parsed.messages[0].message_id.clone().unwrap_or_default();
        let segments = parsed
            .message_count
            .and_then(|c| c.parse().ok())
            .unwrap_or(parsed.messages.len() as u32);
        tracing::debug!(channel = %self.name, to = %mask_address(&msg.to), provider_id = %provider_id, "sms accepted");
        Ok(Receipt {
            provider: self.name.clone(),
            provider_id,
            segments: Some(segments),
        })
    }
}

/// Vonage limits `client-ref` to 100 characters.
fn client_ref(contact_id: &str) -> &str {
    match contact_id.char_indices().nth(100) {
        Some((i, _)) => &contact_id[..i],
        None => contact_id,
    }
}

impl Channel for VonageSms {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }
}
