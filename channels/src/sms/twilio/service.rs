use serde::Deserialize;

use super::config::TwilioConfig;
use super::errors;
use crate::encoding::sms_segments;
use crate::http::{self, HttpResponse};
use crate::{Channel, ChannelError, ConfigError, OutboundMessage, Receipt, Secret, mask_address};

/// An authenticated Twilio REST client, shared by SMS and voice.
#[derive(Debug, Clone)]
pub(crate) struct TwilioApi {
    pub name: String,
    client: reqwest::Client,
    base_url: String,
    account_sid: String,
    username: String,
    token: Secret,
}

/// Twilio's JSON answer: a resource on success, an error object otherwise.
#[derive(Debug, Deserialize)]
pub(crate) struct TwilioBody {
    pub sid: Option<String>,
    pub num_segments: Option<String>,
    pub code: Option<i64>,
    pub message: Option<String>,
}

impl TwilioApi {
    pub fn new(
        name: &str,
        account_sid: &str,
        api_key_sid: Option<&str>,
        token: &Secret,
        base_url: &str,
        timeout: std::time::Duration,
    ) -> Result<Self, ConfigError> {
        if !account_sid.starts_with("AC") {
            return Err(ConfigError::invalid(
                name,
                "account_sid",
                "must start with AC",
            ));
        }
        if token.expose().is_empty() {
            return Err(ConfigError::invalid(name, "auth_token", "is empty"));
        }
        Ok(TwilioApi {
            name: name.to_string(),
            client: http::client(name, timeout)?,
            base_url: http::base_url(name, base_url)?,
            account_sid: account_sid.to_string(),
            username: api_key_sid.unwrap_or(account_sid).to_string(),
            token: token.clone(),
        })
    }

    /// POSTs a form to `/2010-04-01/Accounts/{sid}/{resource}` and returns
    /// the created resource, or the classified error.
    pub async fn create(
        &self,
        resource: &str,
        form: &[(&str, &str)],
    ) -> Result<TwilioBody, ChannelError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.base_url, self.account_sid
        );
        let request = self
            .client
            .post(url)
            .basic_auth(&self.username, Some(self.token.expose()))
            .form(form);
        let response = http::execute(&self.name, request).await?;
        self.interpret(response)
    }

    fn interpret(&self, response: HttpResponse) -> Result<TwilioBody, ChannelError> {
        let parsed: Option<TwilioBody> = serde_json::from_str(&response.body).ok();
        if response.is_success() {
            return match parsed {
                Some(body) if body.sid.is_some() => Ok(body),
                // Accepted but unreadable: the message may be out, so do not
                // let a retry send it twice without the caller knowing.
                _ => Err(ChannelError::Transient {
                    provider: self.name.clone(),
                    code: Some("bad_response".into()),
                    message: format!("unreadable success body: {}", http::excerpt(&response.body)),
                    maybe_sent: true,
                }),
            };
        }
        let (code, message) = match parsed {
            Some(b) => (b.code, b.message.unwrap_or_default()),
            None => (None, http::excerpt(&response.body)),
        };
        Err(errors::classify(
            &self.name,
            response.status,
            code,
            message,
            response.retry_after,
        ))
    }
}

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
        if let Some(cb) = msg
            .status_callback
            .as_ref()
            .or(self.config.status_callback.as_ref())
        {
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
}
