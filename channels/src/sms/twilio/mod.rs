//! Twilio Programmable Messaging (`Messages.json`). Its error table and
//! request plumbing are shared with [`crate::voice::twilio`].

mod config;
pub mod errors;
mod service;
#[cfg(test)]
mod tests;

pub use config::{DEFAULT_BASE_URL, TwilioConfig};
pub(crate) use service::TwilioApi;
pub use service::TwilioSms;
