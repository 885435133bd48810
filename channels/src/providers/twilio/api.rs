//! The authenticated REST client that Twilio SMS and voice share: one
//! place for the account's credentials and for reading Twilio's answers.

use serde::Deserialize;

use super::errors;
use crate::http::{self, HttpResponse};
use crate::{ChannelError, ConfigError, Secret};

/// An authenticated Twilio REST client, shared by SMS and voice.
#[derive(Debug, Clone)]
pub(crate) struct TwilioApi {
    pub name: String,
    pub(super) client: reqwest::Client,
    pub(super) base_url: String,
    pub(super) account_sid: String,
    pub(super) username: String,
    pub(super) token: Secret,
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
        Err(self.error_of(response))
    }

    /// The classified error of a failed answer (Twilio's error object, or
    /// an excerpt of whatever came).
    pub(super) fn error_of(&self, response: HttpResponse) -> ChannelError {
        let parsed: Option<TwilioBody> = serde_json::from_str(&response.body).ok();
        let (code, message) = match parsed {
            Some(b) => (b.code, b.message.unwrap_or_default()),
            None => (None, http::excerpt(&response.body)),
        };
        errors::classify(
            &self.name,
            response.status,
            code,
            message,
            response.retry_after,
        )
    }
}
