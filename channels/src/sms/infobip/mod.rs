//! Infobip SMS API v3 (`POST /sms/3/messages`, `Authorization: App <key>`).
//! The status table and request plumbing are shared with
//! [`crate::voice::infobip`].

mod config;
pub mod errors;
mod service;

pub use config::InfobipConfig;
pub(crate) use service::InfobipApi;
pub use service::InfobipSms;
