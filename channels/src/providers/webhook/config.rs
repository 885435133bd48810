use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Secret, duration_serde, http};

/// Generic webhook settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Provider name for receipts, logs and rate limits.
    pub name: String,
    pub url: String,
    /// Extra headers, e.g. `Authorization = "Bearer …"`.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_template: Option<String>,
    /// JSON pointer to the provider's message id in the answer.
    #[serde(default = "default_id_pointer")]
    pub id_pointer: String,
    #[serde(default)]
    pub opted_out_statuses: Vec<u16>,
    #[serde(default = "crate::http::default_timeout", with = "duration_serde")]
    pub timeout: Duration,
}

fn default_id_pointer() -> String {
    "/id".to_string()
}

impl WebhookConfig {
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        WebhookConfig {
            name: name.into(),
            url: url.into(),
            headers: BTreeMap::new(),
            body_template: None,
            id_pointer: default_id_pointer(),
            opted_out_statuses: Vec::new(),
            timeout: http::DEFAULT_TIMEOUT,
        }
    }
}
