use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::config::WebhookConfig;
use crate::encoding::{Encoding, sms_segments};
use crate::http::{self, classify_status};
use crate::{
    Channel, ChannelError, ChannelKind, ConfigError, OutboundMessage, Receipt, mask_address,
};

/// Posts each message to a configured URL; usable for SMS and voice.
#[derive(Debug)]
pub struct WebhookChannel {
    config: WebhookConfig,
    client: reqwest::Client,
    headers: reqwest::header::HeaderMap,
    env: Option<Environment<'static>>,
}

impl WebhookChannel {
    pub fn new(config: WebhookConfig) -> Result<Self, ConfigError> {
        let name = config.name.clone();
        if name.is_empty() {
            return Err(ConfigError::invalid("webhook", "name", "is empty"));
        }
        http::base_url(&name, &config.url)?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (key, value) in &config.headers {
            let key = reqwest::header::HeaderName::from_bytes(key.as_bytes())
                .map_err(|e| ConfigError::invalid(&name, "headers", format!("{key}: {e}")))?;
            let mut value =
                reqwest::header::HeaderValue::from_str(value.expose()).map_err(|_| {
                    ConfigError::invalid(&name, "headers", format!("{key}: invalid value"))
                })?;
            value.set_sensitive(true);
            headers.insert(key, value);
        }
        let env = match &config.body_template {
            Some(source) => {
                let mut env = Environment::new();
                env.set_undefined_behavior(UndefinedBehavior::Strict);
                env.set_auto_escape_callback(|_| AutoEscape::Json);
                env.add_template_owned("body", source.clone())
                    .map_err(|e| ConfigError::invalid(&name, "body_template", e.to_string()))?;
                Some(env)
            }
            None => None,
        };
        Ok(WebhookChannel {
            client: http::client(&name, config.timeout)?,
            config,
            headers,
            env,
        })
    }

    fn body(&self, msg: &OutboundMessage) -> Result<String, ChannelError> {
        let enc = sms_segments(&msg.text);
        let mut value = serde_json::to_value(msg).map_err(|e| {
            ChannelError::permanent(&self.config.name, Some("render".into()), e.to_string())
        })?;
        if msg.channel == ChannelKind::Sms {
            value["segments"] = enc.segments.into();
        }
        value["encoding"] = match enc.encoding {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
        .into();
        let Some(env) = &self.env else {
            return Ok(value.to_string());
        };
        let template = env.get_template("body").map_err(|e| {
            ChannelError::permanent(&self.config.name, Some("render".into()), e.to_string())
        })?;
        template
            .render(minijinja::Value::from_serialize(&value))
            .map_err(|e| {
                ChannelError::permanent(&self.config.name, Some("render".into()), e.to_string())
            })
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        let name = &self.config.name;
        let body = self.body(msg)?;
        let request = self
            .client
            .post(&self.config.url)
            .headers(self.headers.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let response = http::execute(name, request).await?;
        if !response.is_success() {
            let code = Some(format!("http_{}", response.status));
            let message = http::excerpt(&response.body);
            if self.config.opted_out_statuses.contains(&response.status) {
                return Err(ChannelError::opted_out(name, code, message));
            }
            return Err(classify_status(
                name,
                response.status,
                code,
                message,
                response.retry_after,
            ));
        }
        let answer: serde_json::Value = serde_json::from_str(&response.body).unwrap_or_default();
        let provider_id = match answer.pointer(&self.config.id_pointer) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            // Some aggregators answer 202 with no body; the contact id is
            // then the only handle for later status callbacks.
            _ => msg.contact_id.clone(),
        };
        tracing::debug!(channel = %name, to = %mask_address(&msg.to), provider_id = %provider_id, "webhook accepted");
        Ok(Receipt {
            provider: name.clone(),
            provider_id,
            segments: (msg.channel == ChannelKind::Sms).then(|| sms_segments(&msg.text).segments),
        })
    }
}

impl Channel for WebhookChannel {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }
}
