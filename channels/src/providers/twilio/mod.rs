//! Twilio: SMS (Programmable Messaging) and voice (`Calls.json`), their
//! shared REST client and error table, the parsing of Twilio's status and
//! inbound callbacks, the `X-Twilio-Signature` check that guards them, and
//! the lookup of a message or call whose answer was lost (`lookup.rs`).

mod api;
mod config;
pub mod errors;
mod lookup;
pub mod signature;
mod sms;
#[cfg(test)]
mod tests;
mod voice;
pub mod webhook;

pub use config::{DEFAULT_BASE_URL, MachineDetection, TwilioConfig, TwilioVoiceConfig};
pub use lookup::REFERENCE_PARAM;
pub use signature::{twilio_signature, verify};
pub use sms::TwilioSms;
pub use voice::TwilioVoice;
