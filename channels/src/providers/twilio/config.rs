//! Twilio account settings for SMS (`[channels.sms]`) and voice
//! (`[channels.voice]`), strict about unknown keys.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Secret, duration_serde};

pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// Twilio SMS settings. Authenticates with the account SID and auth token,
/// or with an API key (`api_key_sid` + its secret in `auth_token`), which
/// Twilio recommends for production because it can be revoked alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    pub account_sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_sid: Option<String>,
    pub auth_token: Secret,
    /// Default sender (number or alphanumeric id) when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Send through a Messaging Service instead of a fixed number (Twilio
    /// then picks the sender); wins over `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_service_sid: Option<String>,
    /// Default `StatusCallback` when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    /// Overridable so tests (and regional edges) can point elsewhere.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    #[serde(default = "crate::http::default_timeout", with = "duration_serde")]
    pub timeout: Duration,
}

impl TwilioConfig {
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<Secret>) -> Self {
        TwilioConfig {
            account_sid: account_sid.into(),
            api_key_sid: None,
            auth_token: auth_token.into(),
            from: None,
            messaging_service_sid: None,
            status_callback: None,
            base_url: default_base_url(),
            timeout: crate::http::DEFAULT_TIMEOUT,
        }
    }
}

/// Twilio answering-machine detection mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MachineDetection {
    /// Detect a machine and report it; TwiML plays at once.
    Enable,
    /// Wait for the voicemail greeting to end (the beep) before playing,
    /// so the whole message lands in the mailbox.
    DetectMessageEnd,
}

impl MachineDetection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MachineDetection::Enable => "Enable",
            MachineDetection::DetectMessageEnd => "DetectMessageEnd",
        }
    }
}

fn default_amd() -> Option<MachineDetection> {
    Some(MachineDetection::DetectMessageEnd)
}

fn default_loop() -> u32 {
    1
}

/// Twilio voice settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioVoiceConfig {
    pub account_sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_sid: Option<String>,
    pub auth_token: Secret,
    /// Caller id (a Twilio number) when a message has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    /// Default `DetectMessageEnd`; `null` turns detection off.
    #[serde(default = "default_amd")]
    pub machine_detection: Option<MachineDetection>,
    /// `<Say voice=…>`, e.g. `Polly.Mia` (es-MX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say_voice: Option<String>,
    /// How many times the message is said or played.
    #[serde(default = "default_loop")]
    pub repeat: u32,
    /// How long to let it ring (Twilio `Timeout`, seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_timeout: Option<u32>,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    #[serde(default = "crate::http::default_timeout", with = "duration_serde")]
    pub timeout: Duration,
}

impl TwilioVoiceConfig {
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<Secret>) -> Self {
        TwilioVoiceConfig {
            account_sid: account_sid.into(),
            api_key_sid: None,
            auth_token: auth_token.into(),
            from: None,
            status_callback: None,
            machine_detection: default_amd(),
            say_voice: None,
            repeat: 1,
            ring_timeout: None,
            base_url: default_base_url(),
            timeout: crate::http::DEFAULT_TIMEOUT,
        }
    }
}
