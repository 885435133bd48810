//! Vonage (Nexmo) SMS API, `POST /sms/json`: its settings, the send path,
//! its error table, the parsing of its delivery receipts and inbound
//! messages, and the shared-secret check that guards those callbacks.
//!
//! Vonage answers HTTP 200 even when it rejects a message: the verdict is
//! the `status` of each part in the body, so the body is always
//! classified, never the HTTP status alone.

mod config;
pub mod errors;
pub mod signature;
mod sms;
pub mod webhook;

pub use config::{DEFAULT_BASE_URL, VonageConfig};
pub use sms::VonageSms;
