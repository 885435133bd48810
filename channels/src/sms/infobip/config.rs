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
