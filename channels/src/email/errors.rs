//! SMTP failures → [`ChannelError`] classes. SMTP's own reply classes are
//! the table: 4xx (including 421 "closing") is transient, 5xx permanent;
//! anything below the protocol (connection refused or dropped, timeout,
//! TLS) is transient. A 550 "mailbox unavailable" is *not* treated as an
//! opt-out: bounces say nothing about consent.

use lettre::transport::smtp::Error;

use crate::ChannelError;

pub fn classify_smtp_error(provider: &str, e: &Error) -> ChannelError {
    let code = e.status().map(|c| c.to_string());
    let message = e.to_string();
    if e.is_permanent() {
        ChannelError::permanent(provider, code, message)
    } else if e.is_transient() {
        ChannelError::transient(provider, code, message)
    } else if e.is_client() {
        // We built something the server cannot accept (e.g. an address
        // lettre refuses): sending it again changes nothing.
        ChannelError::permanent(provider, Some("client".into()), message)
    } else {
        // Connection, I/O, timeout, TLS, unparsable reply: the message may
        // or may not have been accepted if the drop came after DATA.
        ChannelError::Transient {
            provider: provider.to_string(),
            code: Some(
                if e.is_timeout() {
                    "timeout"
                } else {
                    "connection"
                }
                .into(),
            ),
            message,
            maybe_sent: true,
        }
    }
}
