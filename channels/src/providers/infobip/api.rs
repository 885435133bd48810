//! The authenticated Infobip client that SMS and voice share, and the
//! shapes of Infobip's answers.

use serde::Deserialize;

use super::errors;
use crate::http;
use crate::{ChannelError, ConfigError, Secret};

/// An authenticated Infobip client, shared by SMS and voice.
#[derive(Debug, Clone)]
pub(crate) struct InfobipApi {
    pub name: String,
    pub(super) client: reqwest::Client,
    pub(super) base_url: String,
    pub(super) api_key: Secret,
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
