//! Email over SMTP with lettre's async, pooled transport.

mod errors;
mod message;
mod smtp;

pub use errors::classify_smtp_error;
pub use message::{build_email, message_id_for};
pub use smtp::{SmtpChannel, SmtpConfig, TlsMode};
