//! Twilio `Calls.json` with inline TwiML. Errors use the same table as
//! Twilio SMS ([`super::errors`]).

use super::api::TwilioApi;
use super::config::TwilioVoiceConfig;
use super::lookup::status_callback;
use crate::{
    Channel, ChannelError, ConfigError, OutboundMessage, Receipt, VoiceContent, mask_address,
};

/// Twilio's inline TwiML limit.
const MAX_TWIML: usize = 4000;

/// Voice messages through Twilio `Calls.json`.
#[derive(Debug, Clone)]
pub struct TwilioVoice {
    api: TwilioApi,
    config: TwilioVoiceConfig,
}

/// Languages Twilio's `<Say>` accepts for Spanish and English; other
/// Spanish variants (es-CO, es-CL, es-PE…) are spoken as Latin American
/// Spanish (`es-MX`) rather than rejected, others as given.
fn say_language(language: &str) -> String {
    let lower = language.to_ascii_lowercase();
    match lower.as_str() {
        "es-mx" | "es-us" => format!("es-{}", &language[3..].to_ascii_uppercase()),
        "es-es" => "es-ES".into(),
        l if l == "es" || l.starts_with("es-") => "es-MX".into(),
        "en" => "en-US".into(),
        _ => language.to_string(),
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl TwilioVoice {
    pub fn new(config: TwilioVoiceConfig) -> Result<Self, ConfigError> {
        Self::named("twilio-voice", config)
    }

    pub fn named(name: &str, config: TwilioVoiceConfig) -> Result<Self, ConfigError> {
        if config.repeat == 0 {
            return Err(ConfigError::invalid(name, "repeat", "must be at least 1"));
        }
        let api = TwilioApi::new(
            name,
            &config.account_sid,
            config.api_key_sid.as_deref(),
            &config.auth_token,
            &config.base_url,
            config.timeout,
        )?;
        Ok(TwilioVoice { api, config })
    }

    /// The TwiML played when the call connects. A short pause first, so a
    /// person picking up hears the start of the message.
    pub fn twiml(&self, content: &VoiceContent) -> String {
        let loop_attr = if self.config.repeat > 1 {
            format!(" loop=\"{}\"", self.config.repeat)
        } else {
            String::new()
        };
        let verb = match content {
            VoiceContent::Say { text, language } => {
                let voice = self
                    .config
                    .say_voice
                    .as_ref()
                    .map(|v| format!(" voice=\"{}\"", xml_escape(v)))
                    .unwrap_or_default();
                format!(
                    "<Say language=\"{}\"{voice}{loop_attr}>{}</Say>",
                    xml_escape(&say_language(language)),
                    xml_escape(text)
                )
            }
            VoiceContent::Play { url } => format!("<Play{loop_attr}>{}</Play>", xml_escape(url)),
        };
        format!("<Response><Pause length=\"1\"/>{verb}</Response>")
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        crate::http::check_e164(&self.api.name, &msg.to)?;
        let from = if msg.from.is_empty() {
            self.config.from.clone().ok_or_else(|| {
                ChannelError::permanent(
                    &self.api.name,
                    Some("no_sender".into()),
                    "no caller id configured",
                )
            })?
        } else {
            msg.from.clone()
        };
        let twiml = self.twiml(&msg.voice_content());
        if twiml.len() > MAX_TWIML {
            return Err(ChannelError::permanent(
                &self.api.name,
                Some("twiml_too_long".into()),
                format!(
                    "TwiML is {} characters, Twilio accepts {MAX_TWIML}",
                    twiml.len()
                ),
            ));
        }
        let ring = self.config.ring_timeout.map(|t| t.to_string());
        let mut form: Vec<(&str, &str)> = vec![("To", &msg.to), ("From", &from), ("Twiml", &twiml)];
        if let Some(amd) = self.config.machine_detection {
            form.push(("MachineDetection", amd.as_str()));
        }
        if let Some(ring) = &ring {
            form.push(("Timeout", ring));
        }
        let callback = status_callback(msg, self.config.status_callback.as_deref());
        if let Some(cb) = &callback {
            form.push(("StatusCallback", cb));
        }
        let body = self.api.create("Calls.json", &form).await?;
        let provider_id = body.sid.unwrap_or_default();
        tracing::debug!(channel = %self.api.name, to = %mask_address(&msg.to), provider_id = %provider_id, "call queued");
        Ok(Receipt {
            provider: self.api.name.clone(),
            provider_id,
            segments: None,
        })
    }
}

impl Channel for TwilioVoice {
    fn name(&self) -> &str {
        &self.api.name
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }

    /// Twilio's call list by recipient and day (`lookup.rs`).
    fn lookup<'a>(
        &'a self,
        query: &'a crate::LookupQuery,
    ) -> Option<futures::future::BoxFuture<'a, Result<crate::LookupAnswer, ChannelError>>> {
        Some(Box::pin(self.api.lookup_calls(query)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_escaping() {
        assert_eq!(say_language("es-MX"), "es-MX");
        assert_eq!(say_language("es-CO"), "es-MX");
        assert_eq!(say_language("es-ES"), "es-ES");
        assert_eq!(say_language("en-US"), "en-US");
        let v = TwilioVoice::new(TwilioVoiceConfig::new("AC1", "t")).expect("config");
        let twiml = v.twiml(&VoiceContent::Say {
            text: "Pago <urgente> & \"ya\"".into(),
            language: "es-PE".into(),
        });
        assert_eq!(
            twiml,
            "<Response><Pause length=\"1\"/><Say language=\"es-MX\">Pago &lt;urgente&gt; &amp; &quot;ya&quot;</Say></Response>"
        );
    }
}
