//! Infobip account settings for SMS and voice, strict about unknown keys.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Secret, duration_serde};

/// Infobip settings. Every account has its own base URL
/// (`https://xxxxx.api.infobip.com`), so it is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfobipConfig {
    pub base_url: String,
    pub api_key: Secret,
    /// Default sender when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Default delivery-report URL when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    #[serde(default = "crate::http::default_timeout", with = "duration_serde")]
    pub timeout: Duration,
}

impl InfobipConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        InfobipConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            from: None,
            status_callback: None,
            timeout: crate::http::DEFAULT_TIMEOUT,
        }
    }
}

/// Infobip voice settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfobipVoiceConfig {
    pub base_url: String,
    pub api_key: Secret,
    /// Caller id (E.164 digits) when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Infobip voice name (e.g. `Miguel`); default voice of the language
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    #[serde(default = "crate::http::default_timeout", with = "duration_serde")]
    pub timeout: Duration,
}

impl InfobipVoiceConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        InfobipVoiceConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            from: None,
            voice_name: None,
            status_callback: None,
            timeout: crate::http::DEFAULT_TIMEOUT,
        }
    }
}
