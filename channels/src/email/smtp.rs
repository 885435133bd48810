use std::sync::Arc;
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::errors::classify_smtp_error;
use super::message::build_email;
use crate::{
    Channel, ChannelError, ConfigError, OutboundMessage, Receipt, Secret, duration_serde,
    mask_address,
};

/// How the SMTP connection is secured.
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
    /// Messages in flight at once. lettre's pool only bounds idle
    /// connections, not concurrency, so a semaphore enforces this.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Per SMTP command.
    #[serde(default = "default_timeout", with = "duration_serde")]
    pub timeout: Duration,
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
        }
    }
}

/// Email through an SMTP relay, pooled, with bounded concurrency.
#[derive(Clone)]
pub struct SmtpChannel {
    name: String,
    from: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for SmtpChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpChannel")
            .field("name", &self.name)
            .field("from", &self.from)
            .finish()
    }
}

impl SmtpChannel {
    pub fn new(config: SmtpConfig) -> Result<Self, ConfigError> {
        Self::named("smtp", config)
    }

    /// Must be called (and the channel dropped) inside a Tokio runtime:
    /// lettre's pool spawns a task for idle connections. Outside one this
    /// returns an error instead of panicking.
    pub fn named(name: &str, config: SmtpConfig) -> Result<Self, ConfigError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::invalid(
                name,
                "runtime",
                "the SMTP channel must be created inside a Tokio runtime",
            ));
        }
        if config.max_concurrent == 0 {
            return Err(ConfigError::invalid(
                name,
                "max_concurrent",
                "must be at least 1",
            ));
        }
        config
            .from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| ConfigError::invalid(name, "from", e.to_string()))?;
        let tls_err =
            |e: lettre::transport::smtp::Error| ConfigError::invalid(name, "tls", e.to_string());
        let mut builder = match config.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            TlsMode::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(tls_err)?,
            TlsMode::Implicit => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(tls_err)?
            }
        }
        .port(config.port)
        .timeout(Some(config.timeout))
        .pool_config(PoolConfig::new().max_size(config.max_concurrent as u32));
        match (&config.username, &config.password) {
            (Some(user), Some(pass)) => {
                builder =
                    builder.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError::invalid(
                    name,
                    "username",
                    "username and password go together",
                ));
            }
        }
        Ok(SmtpChannel {
            name: name.to_string(),
            from: config.from,
            transport: builder.build(),
            permits: Arc::new(Semaphore::new(config.max_concurrent)),
        })
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        let email = build_email(&self.name, msg, &self.from)?;
        let message_id = email
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_string();
        let _permit = self.permits.acquire().await.map_err(|_| {
            ChannelError::transient(&self.name, Some("shutdown".into()), "channel closed")
        })?;
        match self.transport.send(email).await {
            Ok(response) => {
                tracing::debug!(
                    channel = %self.name,
                    to = %mask_address(&msg.to),
                    message_id = %message_id,
                    reply = %response.message().collect::<Vec<_>>().join(" "),
                    "email accepted"
                );
                Ok(Receipt {
                    provider: self.name.clone(),
                    provider_id: message_id,
                    segments: None,
                })
            }
            Err(e) => {
                let err = classify_smtp_error(&self.name, &e);
                tracing::debug!(channel = %self.name, to = %mask_address(&msg.to), error = %err, "email failed");
                Err(err)
            }
        }
    }
}

impl Channel for SmtpChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(self.send_inner(msg))
    }
}
