use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::sync::Semaphore;

use super::config::{SmtpConfig, TlsMode};
use super::errors::classify_smtp_error;
use super::message::build_email;
use crate::{Channel, ChannelError, ConfigError, OutboundMessage, Receipt, mask_address};

/// The TLS settings for `config`, or `None` for a plain connection. Read
/// once at start-up, so a missing or empty CA file is a configuration
/// error and never a stream of failed sends.
fn tls_parameters(name: &str, config: &SmtpConfig) -> Result<Option<TlsParameters>, ConfigError> {
    let tls_err =
        |e: lettre::transport::smtp::Error| ConfigError::invalid(name, "tls", e.to_string());
    match (config.tls, &config.ca_file) {
        (TlsMode::None, Some(_)) => Err(ConfigError::invalid(
            name,
            "ca_file",
            "needs tls = \"starttls\" or \"implicit\" (with tls = \"none\" no certificate is checked)",
        )),
        (TlsMode::None, None) => Ok(None),
        (TlsMode::StartTls | TlsMode::Implicit, None) => TlsParameters::new(config.host.clone())
            .map(Some)
            .map_err(tls_err),
        (TlsMode::StartTls | TlsMode::Implicit, Some(path)) => {
            let ca = read_ca_file(name, path)?;
            TlsParameters::builder(config.host.clone())
                .certificate_store(CertificateStore::None)
                .add_root_certificate(ca)
                .build()
                .map(Some)
                .map_err(|e| {
                    ConfigError::invalid(name, "ca_file", format!("{}: {e}", path.display()))
                })
        }
    }
}

/// The certificates of a PEM file. A file without any (a key, a DER file,
/// the wrong path's contents) is refused here: lettre would accept it and
/// then trust nothing, turning a typo into "certificate refused" at the
/// first send.
fn read_ca_file(name: &str, path: &Path) -> Result<Certificate, ConfigError> {
    let invalid = |reason: String| {
        ConfigError::invalid(name, "ca_file", format!("{}: {reason}", path.display()))
    };
    let pem = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(
            "no certificate in it (expected \"-----BEGIN CERTIFICATE-----\" blocks)".into(),
        ));
    }
    Certificate::from_pem(&pem).map_err(|e| invalid(e.to_string()))
}

/// Pooled connections idle longer than this are checked with `NOOP`
/// before reuse. It is zero, so every reuse is checked: a send that fails
/// on a session the server already closed reports `maybe_sent` (lettre
/// cannot say which command failed), which the dispatcher must treat as
/// possibly delivered. One round trip per message is the price; tested
/// with a 1 s window, a restarted server turned the next send into such an
/// ambiguous failure.
const IDLE_CHECK_AFTER: Duration = Duration::ZERO;
/// Idle connections older than this are closed rather than reused.
const IDLE_MAX: Duration = Duration::from_secs(60);

struct IdleConnection {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// Email through an SMTP relay, with pooled connections and bounded
/// concurrency.
///
/// The pool is our own rather than lettre's `AsyncSmtpTransport` pool for
/// two reasons measured here: lettre writes the end-of-data marker as a
/// separate small write and does not set `TCP_NODELAY`, so every message
/// waited for the server's delayed ACK (about 40 ms: 22 messages/s per
/// connection against a local `smtp-sink`); and its pool spawns tasks on
/// creation and drop, which panics outside a Tokio runtime. Plain and
/// STARTTLS connections set `TCP_NODELAY`; implicit TLS connections are
/// opened by lettre (no `TCP_NODELAY` hook there).
pub struct SmtpChannel {
    name: String,
    from: String,
    host: String,
    port: u16,
    tls: TlsMode,
    tls_parameters: Option<TlsParameters>,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<IdleConnection>>,
    max_idle: usize,
    permits: Semaphore,
}

impl std::fmt::Debug for SmtpChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpChannel")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .finish()
    }
}

impl SmtpChannel {
    pub fn new(config: SmtpConfig) -> Result<Self, ConfigError> {
        Self::named("smtp", config)
    }

    pub fn named(name: &str, config: SmtpConfig) -> Result<Self, ConfigError> {
        if config.max_concurrent == 0 {
            return Err(ConfigError::invalid(
                name,
                "max_concurrent",
                "must be at least 1",
            ));
        }
        if config.host.trim().is_empty() {
            return Err(ConfigError::invalid(name, "host", "is empty"));
        }
        config
            .from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| ConfigError::invalid(name, "from", e.to_string()))?;
        let tls_parameters = tls_parameters(name, &config)?;
        let credentials = match (&config.username, &config.password) {
            (Some(user), Some(pass)) => {
                Some(Credentials::new(user.clone(), pass.expose().to_string()))
            }
            (None, None) => None,
            _ => {
                return Err(ConfigError::invalid(
                    name,
                    "username",
                    "username and password go together",
                ));
            }
        };
        Ok(SmtpChannel {
            name: name.to_string(),
            from: config.from,
            host: config.host,
            port: config.port,
            tls: config.tls,
            tls_parameters,
            credentials,
            timeout: config.timeout,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            max_idle: config.max_concurrent,
            permits: Semaphore::new(config.max_concurrent),
        })
    }

    /// Opens, secures and authenticates one connection.
    async fn connect(&self) -> Result<AsyncSmtpConnection, ChannelError> {
        let smtp_err = |e: lettre::transport::smtp::Error| {
            // Nothing was sent yet: a failure here never duplicates.
            match classify_smtp_error(&self.name, &e) {
                ChannelError::Transient {
                    provider,
                    code,
                    message,
                    ..
                } => ChannelError::Transient {
                    provider,
                    code,
                    message,
                    maybe_sent: false,
                },
                other => other,
            }
        };
        let open = async {
            let mut conn = match (&self.tls, &self.tls_parameters) {
                (TlsMode::Implicit, Some(params)) => AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    Some(params.clone()),
                    None,
                )
                .await
                .map_err(smtp_err)?,
                _ => {
                    let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                        .await
                        .map_err(|e| {
                            ChannelError::transient(
                                &self.name,
                                Some("connect".into()),
                                e.to_string(),
                            )
                        })?;
                    // See the type docs: without it every message waits for
                    // a delayed ACK.
                    let _ = tcp.set_nodelay(true);
                    let mut conn =
                        AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                            .await
                            .map_err(smtp_err)?;
                    if let (TlsMode::StartTls, Some(params)) = (&self.tls, &self.tls_parameters) {
                        if !conn.can_starttls() {
                            conn.abort().await;
                            return Err(ChannelError::permanent(
                                &self.name,
                                Some("starttls_unavailable".into()),
                                "the server does not offer STARTTLS, which is required",
                            ));
                        }
                        conn.starttls(params.clone(), &self.hello)
                            .await
                            .map_err(smtp_err)?;
                    }
                    conn
                }
            };
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(smtp_err)?;
            }
            Ok(conn)
        };
        tokio::time::timeout(self.timeout, open)
            .await
            .unwrap_or_else(|_| {
                Err(ChannelError::transient(
                    &self.name,
                    Some("timeout".into()),
                    format!("no SMTP session within {:?}", self.timeout),
                ))
            })
    }

    /// An open connection: a fresh idle one, an older idle one that still
    /// answers `NOOP`, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, ChannelError> {
        loop {
            let candidate = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some(IdleConnection { mut conn, since }) = candidate else {
                return self.connect().await;
            };
            let age = since.elapsed();
            if age > IDLE_MAX || conn.has_broken() {
                continue;
            }
            if (!IDLE_CHECK_AFTER.is_zero() && age < IDLE_CHECK_AFTER)
                || tokio::time::timeout(self.timeout, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Ok(conn);
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push(IdleConnection {
                conn,
                since: Instant::now(),
            });
        }
    }

    async fn send_inner(&self, msg: &OutboundMessage) -> Result<Receipt, ChannelError> {
        let email = build_email(&self.name, msg, &self.from)?;
        let message_id = email
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_string();
        let envelope = email.envelope().clone();
        let bytes = email.formatted();
        let _permit = self.permits.acquire().await.map_err(|_| {
            ChannelError::transient(&self.name, Some("shutdown".into()), "channel closed")
        })?;
        let mut conn = self.checkout().await?;
        if let Some(extension) = lacks_extension(&conn, &envelope, &bytes) {
            self.checkin(conn);
            return Err(ChannelError::permanent(
                &self.name,
                Some("client".into()),
                format!("the message needs {extension}, which the server does not offer"),
            ));
        }
        let handed = AtomicBool::new(false);
        let sent = tokio::time::timeout(
            self.timeout,
            send_staged(&mut conn, &envelope, &bytes, &handed),
        )
        .await;
        // Before the message's data went out, the server cannot have taken
        // it (RFC 5321 §4.1.1.4: a message is accepted only by the reply to
        // its end of data): a failure then is a plain retry, not a send
        // that may have happened.
        let maybe_sent = handed.load(Ordering::Acquire);
        match sent {
            Ok(Ok(response)) => {
                self.checkin(conn);
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
            Ok(Err(e)) => {
                // lettre aborts the session on a failed command; a session
                // still usable goes back to the pool.
                self.checkin(conn);
                let err = not_sent_unless(classify_smtp_error(&self.name, &e), maybe_sent);
                tracing::debug!(channel = %self.name, to = %mask_address(&msg.to), error = %err, "email failed");
                Err(err)
            }
            Err(_) => Err(ChannelError::Transient {
                provider: self.name.clone(),
                code: Some("timeout".into()),
                message: format!("no answer within {:?}", self.timeout),
                maybe_sent,
            }),
        }
    }
}

/// `AsyncSmtpConnection::send` step by step (the same commands and
/// checks), setting `handed` just before the message's data is written:
/// from then on a failure may hide an accepted message.
async fn send_staged(
    conn: &mut AsyncSmtpConnection,
    envelope: &lettre::address::Envelope,
    email: &[u8],
    handed: &AtomicBool,
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
    use lettre::transport::smtp::extension::{MailBodyParameter, MailParameter};
    // `lacks_extension` refused what the server cannot take.
    let mut mail_options = vec![];
    if non_ascii_addresses(envelope) {
        mail_options.push(MailParameter::SmtpUtfEight);
    }
    if !email.is_ascii() {
        mail_options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let staged = async {
        conn.command(Mail::new(envelope.from().cloned(), mail_options))
            .await?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), vec![])).await?;
        }
        conn.command(Data).await?;
        handed.store(true, Ordering::Release);
        conn.message(email).await
    };
    match staged.await {
        Ok(response) => Ok(response),
        Err(e) => {
            conn.abort().await;
            Err(e)
        }
    }
}

/// lettre's `Envelope::has_non_ascii_addresses` (crate-private there).
fn non_ascii_addresses(envelope: &lettre::address::Envelope) -> bool {
    envelope
        .to()
        .iter()
        .chain(envelope.from())
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii())
}

/// The extension the message needs and the server does not offer
/// (lettre's own check before `MAIL FROM`): nothing was sent, and sending
/// again changes nothing.
fn lacks_extension(
    conn: &AsyncSmtpConnection,
    envelope: &lettre::address::Envelope,
    email: &[u8],
) -> Option<&'static str> {
    use lettre::transport::smtp::extension::Extension;
    let info = conn.server_info();
    if non_ascii_addresses(envelope) && !info.supports_feature(Extension::SmtpUtfEight) {
        return Some("SMTPUTF8");
    }
    if !email.is_ascii() && !info.supports_feature(Extension::EightBitMime) {
        return Some("8BITMIME");
    }
    None
}

/// A transient failure before the data went out never sent anything.
fn not_sent_unless(err: ChannelError, maybe_sent: bool) -> ChannelError {
    match err {
        ChannelError::Transient {
            provider,
            code,
            message,
            maybe_sent: was,
        } => ChannelError::Transient {
            provider,
            code,
            message,
            maybe_sent: was && maybe_sent,
        },
        other => other,
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
