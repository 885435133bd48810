use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Secret, duration_serde};

pub const DEFAULT_BASE_URL: &str = "https://rest.nexmo.com";

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// Vonage SMS settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VonageConfig {
    pub api_key: String,
    pub api_secret: Secret,
    /// Default sender id when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Default delivery-receipt URL (`callback`) when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    #[serde(default = "crate::http::default_timeout", with = "duration_serde")]
    pub timeout: Duration,
}

impl VonageConfig {
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        VonageConfig {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            from: None,
            status_callback: None,
            base_url: default_base_url(),
            timeout: crate::http::DEFAULT_TIMEOUT,
        }
    }
}
