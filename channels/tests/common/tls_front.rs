//! Test support: a TLS front for postfix's `smtp-sink`, which speaks no
//! TLS, so the SMTP channel's STARTTLS and implicit TLS can be tested
//! against a real server: the message still ends up in smtp-sink's dump,
//! only now it crossed a real rustls session on the way.
//!
//! - [`FrontMode::Implicit`]: TLS from the first byte, then smtp-sink's
//!   own greeting and every byte both ways.
//! - [`FrontMode::StartTls`]: the front speaks the plain-text prelude
//!   itself (220 greeting, `EHLO` answered with `250-STARTTLS`, `STARTTLS`
//!   answered `220`), upgrades, connects to smtp-sink, swallows its
//!   greeting (the client already had one) and relays.
//! - [`FrontMode::PlainNoStartTls`]: no TLS at all; relays smtp-sink,
//!   which offers no STARTTLS (but does offer AUTH), and records what the
//!   client sent, to prove nothing but the greeting exchange left in
//!   plain text.
//!
//! With [`TlsFront::with_auth`] the front also advertises `AUTH PLAIN
//! LOGIN` in the `EHLO` reply after TLS, checks `AUTH PLAIN` itself
//! (235 or 535) and refuses any other command until it succeeded, so no
//! unauthenticated mail reaches the sink.
//!
//! The certificates come from [`Pki`], a CA made at test time with
//! `rcgen`; its PEM file is what the client's `ca_file` points to.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one test, with its certificate
/// written to `ca.pem` in a private folder.
pub struct Pki {
    dir: tempfile::TempDir,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate (signed by a [`Pki`]) and its key.
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} test CA"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("self-signed CA");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).expect("write ca.pem");
        Pki {
            dir,
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA certificate as a PEM file, for `ca_file`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn server_identity(&self, names: &[&str]) -> ServerIdentity {
        let key = KeyPair::generate().expect("server key");
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("server params");
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        ServerIdentity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontMode {
    Implicit,
    StartTls,
    PlainNoStartTls,
}

/// One `AUTH PLAIN` the front checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAttempt {
    pub user: String,
    pub accepted: bool,
}

/// What the front saw, for the tests to assert on.
#[derive(Debug, Default, Clone)]
pub struct FrontLog {
    /// TCP connections accepted.
    pub connections: usize,
    /// TLS handshakes that completed.
    pub handshakes: usize,
    /// Server-side errors of handshakes that did not.
    pub handshake_errors: Vec<String>,
    /// Every byte the client sent in plain text (the STARTTLS prelude, or
    /// the whole session in `PlainNoStartTls`).
    pub plaintext: String,
    pub auth: Vec<AuthAttempt>,
}

struct Settings {
    mode: FrontMode,
    sink_port: u16,
    acceptor: Option<TlsAcceptor>,
    auth: Option<(String, String)>,
}

/// The front, listening on `127.0.0.1:port`; stops (with every session it
/// relays) when dropped.
pub struct TlsFront {
    pub port: u16,
    log: Arc<Mutex<FrontLog>>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsFront {
    /// A front for the smtp-sink on `sink_port`. `identity` is required for
    /// the TLS modes.
    pub async fn start(mode: FrontMode, identity: Option<ServerIdentity>, sink_port: u16) -> Self {
        Self::with_auth(mode, identity, sink_port, None).await
    }

    /// Like [`TlsFront::start`], requiring `AUTH PLAIN` with `auth`
    /// (user, password) after TLS.
    pub async fn with_auth(
        mode: FrontMode,
        identity: Option<ServerIdentity>,
        sink_port: u16,
        auth: Option<(&str, &str)>,
    ) -> Self {
        let acceptor = identity.map(|id| {
            let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
            let config = ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_no_client_auth()
                .with_single_cert(id.chain, id.key)
                .expect("server certificate");
            TlsAcceptor::from(Arc::new(config))
        });
        assert!(
            acceptor.is_some() || mode == FrontMode::PlainNoStartTls,
            "TLS modes need a server identity"
        );
        let settings = Arc::new(Settings {
            mode,
            sink_port,
            acceptor,
            auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind front");
        let port = listener.local_addr().expect("front addr").port();
        let log = Arc::new(Mutex::new(FrontLog::default()));
        let task_log = log.clone();
        let task = tokio::spawn(async move {
            // Sessions live in the set, so aborting this task ends them.
            let mut sessions = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let _ = client.set_nodelay(true);
                task_log.lock().expect("log").connections += 1;
                sessions.spawn(session(client, settings.clone(), task_log.clone()));
            }
        });
        TlsFront { port, log, task }
    }

    pub fn log(&self) -> FrontLog {
        self.log.lock().expect("log").clone()
    }

    /// The log once `ready` holds for it (the front records on its own
    /// task, which may run after the client already returned), or as it
    /// is after `timeout`.
    pub async fn log_when(
        &self,
        ready: impl Fn(&FrontLog) -> bool,
        timeout: std::time::Duration,
    ) -> FrontLog {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let log = self.log();
            if ready(&log) || tokio::time::Instant::now() >= deadline {
                return log;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(client: TcpStream, settings: Arc<Settings>, log: Arc<Mutex<FrontLog>>) {
    // A session that fails simply ends; the client sees the drop, and the
    // tests assert on what reached the sink and on the log.
    let _ = session_inner(client, &settings, &log).await;
}

async fn session_inner(
    client: TcpStream,
    settings: &Settings,
    log: &Mutex<FrontLog>,
) -> std::io::Result<()> {
    match (settings.mode, &settings.acceptor) {
        (FrontMode::PlainNoStartTls, _) => relay_recorded(client, settings.sink_port, log).await,
        (FrontMode::Implicit, Some(acceptor)) => {
            let tls = handshake(acceptor, client, log).await?;
            after_tls(tls, settings, true, log).await
        }
        (FrontMode::StartTls, Some(acceptor)) => {
            let mut client = BufReader::new(client);
            client.write_all(b"220 tls-front ESMTP ready\r\n").await?;
            loop {
                let line = read_line(&mut client).await?;
                log.lock().expect("log").plaintext.push_str(&line);
                let reply: &[u8] = match verb(&line).as_str() {
                    "" => return Ok(()), // client went away
                    "EHLO" => b"250-tls-front\r\n250-8BITMIME\r\n250 STARTTLS\r\n",
                    "HELO" => b"250 tls-front\r\n",
                    "NOOP" => b"250 2.0.0 Ok\r\n",
                    "QUIT" => {
                        client.write_all(b"221 2.0.0 Bye\r\n").await?;
                        return Ok(());
                    }
                    "STARTTLS" => {
                        client
                            .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                            .await?;
                        break;
                    }
                    _ => b"530 5.7.0 Must issue a STARTTLS command first\r\n",
                };
                client.write_all(reply).await?;
            }
            // The client waits for our 220 before its ClientHello, so
            // nothing can be buffered; bytes here would be an injection.
            if !client.buffer().is_empty() {
                return Err(std::io::Error::other("data after STARTTLS"));
            }
            let tls = handshake(acceptor, client.into_inner(), log).await?;
            after_tls(tls, settings, false, log).await
        }
        (_, None) => Err(std::io::Error::other("TLS mode without identity")),
    }
}

async fn handshake(
    acceptor: &TlsAcceptor,
    client: TcpStream,
    log: &Mutex<FrontLog>,
) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    match acceptor.accept(client).await {
        Ok(tls) => {
            log.lock().expect("log").handshakes += 1;
            Ok(tls)
        }
        Err(e) => {
            log.lock()
                .expect("log")
                .handshake_errors
                .push(e.to_string());
            Err(e)
        }
    }
}

/// Connects to smtp-sink, forwards (implicit TLS) or swallows (STARTTLS)
/// its greeting, runs the AUTH exchange when required, then relays.
async fn after_tls<S: AsyncRead + AsyncWrite + Unpin>(
    client: S,
    settings: &Settings,
    forward_greeting: bool,
    log: &Mutex<FrontLog>,
) -> std::io::Result<()> {
    let mut sink = BufReader::new(TcpStream::connect(("127.0.0.1", settings.sink_port)).await?);
    let greeting = read_reply(&mut sink).await?;
    let mut client = BufReader::new(client);
    if forward_greeting {
        client.write_all(greeting.concat().as_bytes()).await?;
    }
    if let Some((user, password)) = &settings.auth {
        loop {
            let line = read_line(&mut client).await?;
            match verb(&line).as_str() {
                "" => return Ok(()),
                "EHLO" => {
                    sink.write_all(line.as_bytes()).await?;
                    let mut reply = read_reply(&mut sink).await?;
                    // "250 last" becomes "250-last", then our AUTH line ends it.
                    if let Some(last) = reply.last_mut()
                        && last.starts_with("250 ")
                    {
                        last.replace_range(3..4, "-");
                        reply.push("250 AUTH PLAIN LOGIN\r\n".into());
                    }
                    client.write_all(reply.concat().as_bytes()).await?;
                }
                "AUTH" => {
                    let mut words = line.split_whitespace().skip(1);
                    let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
                    if mechanism != "PLAIN" {
                        client
                            .write_all(b"504 5.5.4 Only AUTH PLAIN here\r\n")
                            .await?;
                        continue;
                    }
                    let response = match words.next() {
                        Some(initial) => initial.to_string(),
                        None => {
                            client.write_all(b"334 \r\n").await?;
                            read_line(&mut client).await?.trim().to_string()
                        }
                    };
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(response.trim())
                        .unwrap_or_default();
                    let mut parts = decoded.split(|b| *b == 0).skip(1);
                    let given_user =
                        String::from_utf8_lossy(parts.next().unwrap_or(b"")).to_string();
                    let given_password = parts.next().unwrap_or(b"");
                    let accepted = given_user == *user && given_password == password.as_bytes();
                    log.lock().expect("log").auth.push(AuthAttempt {
                        user: given_user,
                        accepted,
                    });
                    if accepted {
                        client
                            .write_all(b"235 2.7.0 Authentication successful\r\n")
                            .await?;
                        break;
                    }
                    client
                        .write_all(b"535 5.7.8 Authentication credentials invalid\r\n")
                        .await?;
                }
                "QUIT" => {
                    client.write_all(b"221 2.0.0 Bye\r\n").await?;
                    return Ok(());
                }
                "NOOP" => client.write_all(b"250 2.0.0 Ok\r\n").await?,
                _ => {
                    client
                        .write_all(b"530 5.7.0 Authentication required\r\n")
                        .await?
                }
            }
        }
    }
    tokio::io::copy_bidirectional(&mut client, &mut sink).await?;
    Ok(())
}

/// Relays a plain-text session to smtp-sink, recording the client's bytes.
async fn relay_recorded(
    client: TcpStream,
    sink_port: u16,
    log: &Mutex<FrontLog>,
) -> std::io::Result<()> {
    let sink = TcpStream::connect(("127.0.0.1", sink_port)).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut sink_read, mut sink_write) = sink.into_split();
    let to_client = async {
        let _ = tokio::io::copy(&mut sink_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    let to_sink = async {
        let mut buf = [0u8; 4096];
        loop {
            use tokio::io::AsyncReadExt;
            match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    log.lock()
                        .expect("log")
                        .plaintext
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                    if sink_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sink_write.shutdown().await;
    };
    tokio::join!(to_client, to_sink);
    Ok(())
}

async fn read_line<R: AsyncBufReadExt + Unpin>(r: &mut R) -> std::io::Result<String> {
    let mut line = String::new();
    r.read_line(&mut line).await?;
    Ok(line)
}

/// One SMTP reply, line by line (`250-…` continues, `250 …` ends).
async fn read_reply<R: AsyncBufReadExt + Unpin>(r: &mut R) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let line = read_line(r).await?;
        if line.is_empty() {
            return Err(std::io::Error::other("sink closed mid-reply"));
        }
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            return Ok(lines);
        }
    }
}

fn verb(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}
