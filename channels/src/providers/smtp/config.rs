use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Secret, duration_serde};

/// How the SMTP connection is secured. Both TLS modes verify the relay's
/// certificate against the system's roots (or only `ca_file`'s) and check
/// that it names `host`; there is no switch to turn verification off, since
/// a relay that cannot be verified could be anyone reading debtors' mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text; only for a local relay or a test sink.
    None,
    /// Connect in plain text and require `STARTTLS` (port 587).
    #[default]
    #[serde(alias = "start_tls")]
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Implicit,
}

fn default_port() -> u16 {
    587
}

fn default_max_concurrent() -> usize {
    8
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

/// SMTP relay settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: TlsMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Default `From` (`"Agencia <avisos@agencia.mx>"`) when a message
    /// has none.
    pub from: String,
    /// Messages in flight at once (a semaphore), which is also the most
    /// connections kept open.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Per SMTP command.
    #[serde(default = "default_timeout", with = "duration_serde")]
    pub timeout: Duration,
    /// PEM file with the certificate authority (or authorities) that sign
    /// the relay's certificate, for a relay with an internal CA. When set,
    /// only these CAs are trusted for this relay, not the system's: a
    /// relay inside the shop has no business presenting a certificate from
    /// a public CA, so accepting one would only widen who can impersonate
    /// it. The certificate must still name `host`. Needs `tls =
    /// "starttls"` or `"implicit"`. A relative path is taken from the
    /// working directory, like the outbox `dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

impl SmtpConfig {
    pub fn new(host: impl Into<String>, port: u16, tls: TlsMode, from: impl Into<String>) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            tls,
            username: None,
            password: None,
            from: from.into(),
            max_concurrent: default_max_concurrent(),
            timeout: default_timeout(),
            ca_file: None,
        }
    }
}
