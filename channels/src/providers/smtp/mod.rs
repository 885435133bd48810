//! Email over an SMTP relay with lettre: the relay's settings, the send
//! path (our own connection pool), the message builder and the table that
//! maps SMTP replies to error classes.

mod config;
mod errors;
mod message;
mod send;

pub use config::{SmtpConfig, TlsMode};
pub use errors::classify_smtp_error;
pub use message::{build_email, message_id_for};
pub use send::SmtpChannel;
