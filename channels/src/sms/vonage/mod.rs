//! Vonage (Nexmo) SMS API, `POST /sms/json`. Vonage answers HTTP 200 even
//! when it rejects a message: the verdict is the `status` of each part in
//! the body, so the body is always classified, never the HTTP status alone.

mod config;
pub mod errors;
mod service;

pub use config::{DEFAULT_BASE_URL, VonageConfig};
pub use service::VonageSms;
