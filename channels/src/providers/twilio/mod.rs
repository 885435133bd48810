//! Twilio: SMS (Programmable Messaging) and voice (`Calls.json`), their
//! shared REST client and error table, the parsing of Twilio's status and
//! inbound callbacks, and the `X-Twilio-Signature` check that guards them.

mod api;
mod config;
pub mod errors;
pub mod signature;
mod sms;
#[cfg(test)]
mod tests;
mod voice;
pub mod webhook;

pub use config::{DEFAULT_BASE_URL, MachineDetection, TwilioConfig, TwilioVoiceConfig};
pub use signature::{twilio_signature, verify};
pub use sms::TwilioSms;
pub use voice::TwilioVoice;
