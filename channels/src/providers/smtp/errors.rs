//! SMTP failures → [`ChannelError`] classes. SMTP's own reply classes are
//! the table: 4xx (including 421 "closing") is transient, 5xx permanent;
//! anything below the protocol (connection refused or dropped, timeout, a
//! TLS handshake cut short) is transient. A 550 "mailbox unavailable" is
//! *not* treated as an opt-out: bounces say nothing about consent.
//!
//! One exception below the protocol: a relay certificate that fails
//! verification (unknown CA, wrong host name, expired) is permanent, code
//! `tls_certificate`. Like bad credentials (535) or a relay that does not
//! offer a required STARTTLS, it is a fixed property of the relay and our
//! settings: every retry meets the same certificate, nothing has been sent,
//! and only an operator (`ca_file`, `host`, the relay's certificate) can
//! change the outcome. Retrying would burn the step's attempts and delay
//! its fallback for nothing; as `Permanent` the reason lands in the ledger
//! at once.

use lettre::transport::smtp::Error;

use crate::ChannelError;

/// The code of a refused relay certificate.
const TLS_CERTIFICATE: &str = "tls_certificate";

pub fn classify_smtp_error(provider: &str, e: &Error) -> ChannelError {
    let code = e.status().map(|c| c.to_string());
    let message = e.to_string();
    if let Some(reason) = refused_certificate(e) {
        return ChannelError::permanent(
            provider,
            Some(TLS_CERTIFICATE.into()),
            format!(
                "the relay's TLS certificate was refused ({reason}); \
                 if the relay uses an internal CA, set `ca_file` to it"
            ),
        );
    }
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

/// Why rustls refused the relay's certificate, if that is what `e` is.
/// lettre reports a failed handshake as a connection error wrapping the
/// `io::Error` of tokio-rustls, whose payload is the `rustls::Error`; an
/// `io::Error`'s `source()` skips its payload, so each `io::Error` in the
/// chain is opened with `get_ref`.
fn refused_certificate(e: &Error) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = tls {
            return Some(tls.to_string());
        }
        current = err.source();
    }
    None
}
