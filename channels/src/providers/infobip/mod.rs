//! Infobip: SMS API v3 (`POST /sms/3/messages`, `Authorization: App <key>`)
//! and text-to-speech voice, their shared client and status table, the
//! parsing of Infobip's delivery reports and inbound messages, and the
//! shared-secret check that guards those callbacks, and the lookup of an
//! SMS whose answer was lost (`lookup.rs`).

mod api;
mod config;
pub mod errors;
pub mod lookup;
pub mod signature;
mod sms;
mod voice;
pub mod webhook;

pub use config::{InfobipConfig, InfobipVoiceConfig};
pub use sms::InfobipSms;
pub use voice::InfobipVoice;
