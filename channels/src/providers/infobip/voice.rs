//! Infobip text-to-speech voice messages (`POST /tts/3/single`). Statuses
//! and errors use the Infobip SMS table ([`super::errors`]).

use serde_json::json;

use super::api::InfobipApi;
use super::config::InfobipVoiceConfig;
use crate::{
    Channel, ChannelError, ConfigError, OutboundMessage, Receipt, VoiceContent, mask_address,
};

/// Infobip TTS language codes are the primary subtag (`es`, `en`).
fn tts_language(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or("es")
        .to_ascii_lowercase()
}

/// Voice messages through Infobip TTS.
#[derive(Debug, Clone)]
pub struct InfobipVoice {
    api: InfobipApi,
    config: InfobipVoiceConfig,
}

impl InfobipVoice {
    pub fn new(config: InfobipVoiceConfig) -> Result<Self, ConfigError> {
        Self::named("infobip-voice", config)
    }

    pub fn named(name: &str, config: InfobipVoiceConfig) -> Result<Self, ConfigError> {
        let api = InfobipApi::new(name, &config.base_url, &config.api_key, config.timeout)?;
        Ok(InfobipVoice { api, config })
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        crate::http::check_e164(&self.api.name, &msg.to)?;
        let from = if msg.from.is_empty() {
            self.config.from.clone().unwrap_or_default()
        } else {
            msg.from.clone()
        };
        let mut body = json!({ "to": crate::http::digits_only(&msg.to) });
        if !from.is_empty() {
            body["from"] = json!(crate::http::digits_only(&from));
        }
        match msg.voice_content() {
            VoiceContent::Say { text, language } => {
                body["text"] = json!(text);
                body["language"] = json!(tts_language(&language));
                if let Some(name) = &self.config.voice_name {
                    body["voice"] = json!({ "name": name });
                }
            }
            VoiceContent::Play { url } => body["audioFileUrl"] = json!(url),
        }
        if let Some(cb) = msg
            .status_callback
            .as_ref()
            .or(self.config.status_callback.as_ref())
        {
            body["notifyUrl"] = json!(cb);
        }
        let answer = self.api.post("/tts/3/single", &body).await?;
        let provider_id = answer.message_id.unwrap_or_default();
        tracing::debug!(channel = %self.api.name, to = %mask_address(&msg.to), provider_id = %provider_id, "call queued");
        Ok(Receipt {
            provider: self.api.name.clone(),
            provider_id,
            segments: None,
        })
    }
}

impl Channel for InfobipVoice {
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
