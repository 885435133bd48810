//! SMTP channel over TLS: STARTTLS, implicit TLS, AUTH after TLS and
//! certificate checks, against a real `smtp-sink` behind a rustls front
//! (`common/tls_front.rs`) with a CA made at test time. Every message that
//! arrives crossed a real TLS session; every refusal is checked to have
//! sent nothing.

mod common;
#[path = "common/tls_front.rs"]
mod tls_front;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use cobro_channels::providers::smtp::{SmtpChannel, SmtpConfig, TlsMode};
use cobro_channels::{Channel, ChannelError, ProviderConfig, Secret};
use cobro_testkit::SmtpSink;
use common::*;
use tls_front::{AuthAttempt, FrontMode, Pki, TlsFront};

const FROM: &str = "Cobranzas Andinas <avisos@cobranzas-andinas.example>";

fn config(port: u16, tls: TlsMode, ca_file: Option<&Path>) -> SmtpConfig {
    let mut cfg = SmtpConfig::new("127.0.0.1", port, tls, FROM);
    cfg.timeout = Duration::from_secs(5);
    cfg.max_concurrent = 1;
    cfg.ca_file = ca_file.map(Path::to_path_buf);
    cfg
}

fn with_credentials(mut cfg: SmtpConfig, user: &str, password: &str) -> SmtpConfig {
    cfg.username = Some(user.into());
    cfg.password = Some(Secret::new(password));
    cfg
}

/// A relay that requires `cobro` / `s3cret-pass` after TLS (`mode`), in
/// front of a fresh sink, and the config that logs in to it with
/// `password`. The `Pki` and the sink live as long as the test.
async fn relay_with_auth(mode: FrontMode, password: &str) -> (Pki, SmtpSink, TlsFront, SmtpConfig) {
    let pki = Pki::new("relay");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::with_auth(
        mode,
        Some(pki.server_identity(&["127.0.0.1"])),
        sink.port,
        Some(("cobro", "s3cret-pass")),
    )
    .await;
    let tls = match mode {
        FrontMode::Implicit => TlsMode::Implicit,
        FrontMode::StartTls | FrontMode::PlainNoStartTls => TlsMode::StartTls,
    };
    let cfg = with_credentials(
        config(front.port, tls, Some(&pki.ca_file())),
        "cobro",
        password,
    );
    (pki, sink, front, cfg)
}

/// The checks of the plain-text test (`smtp.rs`), on a message that came
/// through TLS.
fn assert_delivered_intact(raw: &str, provider_id: &str) {
    let h = headers(raw);
    assert_eq!(header(&h, "X-Rcpt-Args"), "<jose.perez@example.com>");
    assert_eq!(
        header(&h, "X-Mail-Args").split_whitespace().next(),
        Some("<avisos@cobranzas-andinas.example>")
    );
    assert_eq!(header(&h, "Message-ID"), provider_id);
    assert_eq!(
        header(&h, "List-Unsubscribe"),
        "<https://cobro.example/u/tok123>"
    );
    assert_eq!(
        header(&h, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(
        decode_rfc2047(header(&h, "Subject")),
        "Recordatorio de pago — acción requerida: Ñandú"
    );
    assert!(header(&h, "Content-Type").starts_with("multipart/alternative"));
    let text = mime_part(raw, "text/plain; charset=utf-8").expect("text part");
    assert_eq!(
        text.trim(),
        "Estimado(a) José Pérez: su saldo es de $1,234.56 MXN."
    );
    let html = mime_part(raw, "text/html; charset=utf-8").expect("html part");
    assert!(html.contains("<b>José Pérez</b>"), "{html}");
}

/// A refused certificate: permanent, named, nothing sent, and the front
/// saw the client abort the handshake.
async fn assert_certificate_refused(
    err: &ChannelError,
    front: &TlsFront,
    sink: &SmtpSink,
    why: &str,
) {
    assert!(
        matches!(err, ChannelError::Permanent { .. }),
        "a refused certificate is permanent: {err:?}"
    );
    assert_eq!(err.provider_code(), Some("tls_certificate"), "{err:?}");
    assert!(err.to_string().contains(why), "{err}");
    assert!(err.to_string().contains("ca_file"), "names the fix: {err}");
    let log = front
        .log_when(|l| !l.handshake_errors.is_empty(), Duration::from_secs(5))
        .await;
    assert_eq!(log.connections, 1, "{log:?}");
    assert_eq!(log.handshakes, 0, "{log:?}");
    assert_eq!(log.handshake_errors.len(), 1, "{log:?}");
    // The client said why it hung up (a TLS alert), not just closed.
    assert!(log.handshake_errors[0].contains("alert"), "{log:?}");
    assert!(sink.files().is_empty(), "nothing reached the sink");
}

#[tokio::test]
async fn starttls_message_arrives_with_headers_intact() {
    let pki = Pki::new("relay");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(
        FrontMode::StartTls,
        Some(pki.server_identity(&["127.0.0.1"])),
        sink.port,
    )
    .await;
    let ch = SmtpChannel::new(config(front.port, TlsMode::StartTls, Some(&pki.ca_file())))
        .expect("config");
    let msg = email_message(
        "2026-12-mensual/A-000123/d0-email",
        "jose.perez@example.com",
    );
    let receipt = ch.send(&msg).await.expect("sent over STARTTLS");

    let dumps = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(dumps.len(), 1, "one message arrives");
    assert_delivered_intact(&dumps[0], &receipt.provider_id);
    let log = front.log();
    assert_eq!(log.handshakes, 1, "{log:?}");
    // Before the upgrade only the greeting exchange travelled in clear.
    let verbs: Vec<&str> = log
        .plaintext
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(verbs, ["EHLO", "STARTTLS"], "{:?}", log.plaintext);
}

#[tokio::test]
async fn implicit_tls_message_arrives_with_headers_intact() {
    let pki = Pki::new("relay");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(
        FrontMode::Implicit,
        Some(pki.server_identity(&["127.0.0.1"])),
        sink.port,
    )
    .await;
    let ch = SmtpChannel::new(config(front.port, TlsMode::Implicit, Some(&pki.ca_file())))
        .expect("config");
    let msg = email_message(
        "2026-12-mensual/A-000123/d0-email",
        "jose.perez@example.com",
    );
    let receipt = ch.send(&msg).await.expect("sent over implicit TLS");

    let dumps = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(dumps.len(), 1, "one message arrives");
    assert_delivered_intact(&dumps[0], &receipt.provider_id);
    let log = front.log();
    assert_eq!(log.handshakes, 1, "{log:?}");
    assert!(log.plaintext.is_empty(), "{log:?}");
}

#[tokio::test]
async fn tls_connections_are_pooled_and_reused() {
    let pki = Pki::new("relay");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(
        FrontMode::StartTls,
        Some(pki.server_identity(&["127.0.0.1"])),
        sink.port,
    )
    .await;
    let ch = SmtpChannel::new(config(front.port, TlsMode::StartTls, Some(&pki.ca_file())))
        .expect("config");
    for i in 0..4 {
        ch.send(&email_message(&format!("c/a/{i}"), "ana@example.com"))
            .await
            .expect("sent");
    }
    assert_eq!(sink.wait_for(4, Duration::from_secs(5)).len(), 4);
    let log = front.log();
    assert_eq!(
        (log.connections, log.handshakes),
        (1, 1),
        "one TLS session carries all four: {log:?}"
    );
}

#[tokio::test]
async fn starttls_not_offered_sends_nothing_in_plain_text() {
    // smtp-sink behind a recording relay: it offers AUTH but no STARTTLS.
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(FrontMode::PlainNoStartTls, None, sink.port).await;
    let pki = Pki::new("relay");
    let cfg = with_credentials(
        config(front.port, TlsMode::StartTls, Some(&pki.ca_file())),
        "cobro",
        "s3cret-pass",
    );
    let err = SmtpChannel::new(cfg)
        .expect("config")
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("no STARTTLS");
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(err.provider_code(), Some("starttls_unavailable"));
    assert!(err.to_string().contains("STARTTLS"), "{err}");

    // The relay records on its own task: wait for the client's QUIT (or
    // its hang-up) to be seen before judging what it sent.
    let log = front
        .log_when(
            |l| l.plaintext.to_ascii_uppercase().contains("QUIT"),
            Duration::from_secs(2),
        )
        .await;
    let sent = log.plaintext.to_ascii_uppercase();
    assert!(sent.starts_with("EHLO "), "the relay recorded: {sent:?}");
    for forbidden in ["MAIL FROM", "RCPT TO", "DATA", "AUTH"] {
        assert!(!sent.contains(forbidden), "{forbidden} in clear: {sent:?}");
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode("\0cobro\0s3cret-pass");
    assert!(!log.plaintext.contains(&encoded) && !log.plaintext.contains("s3cret"));
    assert!(sink.files().is_empty(), "nothing reached the sink");
}

#[tokio::test]
async fn auth_over_starttls_with_good_credentials_delivers() {
    let (_pki, sink, front, cfg) = relay_with_auth(FrontMode::StartTls, "s3cret-pass").await;
    let ch = SmtpChannel::new(cfg).expect("config");
    let msg = email_message("c/a/auth", "jose.perez@example.com");
    let receipt = ch.send(&msg).await.expect("authenticated and sent");
    let dumps = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(dumps.len(), 1);
    assert_delivered_intact(&dumps[0], &receipt.provider_id);
    let log = front.log();
    assert_eq!(
        log.auth,
        [AuthAttempt {
            user: "cobro".into(),
            accepted: true
        }]
    );
    // The credentials travelled inside TLS only.
    assert!(
        !log.plaintext.to_ascii_uppercase().contains("AUTH"),
        "{log:?}"
    );
}

#[tokio::test]
async fn auth_over_implicit_tls_with_good_credentials_delivers() {
    let (_pki, sink, front, cfg) = relay_with_auth(FrontMode::Implicit, "s3cret-pass").await;
    let receipt = SmtpChannel::new(cfg)
        .expect("config")
        .send(&email_message("c/a/auth", "jose.perez@example.com"))
        .await
        .expect("authenticated and sent");
    let dumps = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(dumps.len(), 1);
    assert_delivered_intact(&dumps[0], &receipt.provider_id);
    assert_eq!(front.log().auth.len(), 1);
    assert!(front.log().auth[0].accepted);
}

#[tokio::test]
async fn auth_with_bad_credentials_is_permanent_and_sends_nothing() {
    let (_pki, sink, front, cfg) = relay_with_auth(FrontMode::StartTls, "wrong-pass").await;
    let err = SmtpChannel::new(cfg)
        .expect("config")
        .send(&email_message("c/a/auth", "ana@example.com"))
        .await
        .expect_err("535");
    assert!(matches!(err, ChannelError::Permanent { .. }), "{err:?}");
    assert_eq!(err.provider_code(), Some("535"), "{err:?}");
    assert!(!err.to_string().contains("wrong-pass"), "{err}");
    assert_eq!(
        front.log().auth,
        [AuthAttempt {
            user: "cobro".into(),
            accepted: false
        }]
    );
    assert!(sink.files().is_empty(), "nothing reached the sink");
}

#[tokio::test]
async fn certificate_from_an_untrusted_ca_is_refused() {
    // The relay's CA is not in the system's roots and no ca_file is set.
    let pki = Pki::new("relay");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(
        FrontMode::StartTls,
        Some(pki.server_identity(&["127.0.0.1"])),
        sink.port,
    )
    .await;
    let err = SmtpChannel::new(config(front.port, TlsMode::StartTls, None))
        .expect("config")
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("untrusted");
    assert_certificate_refused(&err, &front, &sink, "invalid peer certificate").await;
}

#[tokio::test]
async fn certificate_from_another_ca_than_ca_file_is_refused() {
    // ca_file names a CA, but the relay's certificate comes from another
    // one (a system-trusted CA would not help either: ca_file replaces
    // the system's roots).
    let relay_pki = Pki::new("relay");
    let our_pki = Pki::new("ours");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(
        FrontMode::Implicit,
        Some(relay_pki.server_identity(&["127.0.0.1"])),
        sink.port,
    )
    .await;
    let err = SmtpChannel::new(config(
        front.port,
        TlsMode::Implicit,
        Some(&our_pki.ca_file()),
    ))
    .expect("config")
    .send(&email_message("c/a/s", "ana@example.com"))
    .await
    .expect_err("other CA");
    assert_certificate_refused(&err, &front, &sink, "UnknownIssuer").await;
}

#[tokio::test]
async fn certificate_for_another_host_is_refused() {
    // Trusted CA, but the certificate names another host: hostname
    // verification stays on with ca_file.
    let pki = Pki::new("relay");
    let sink = SmtpSink::start(&[]);
    let front = TlsFront::start(
        FrontMode::StartTls,
        Some(pki.server_identity(&["relay.other.example"])),
        sink.port,
    )
    .await;
    let err = SmtpChannel::new(config(front.port, TlsMode::StartTls, Some(&pki.ca_file())))
        .expect("config")
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("wrong host");
    assert_certificate_refused(&err, &front, &sink, "not valid for name").await;
}

#[test]
fn ca_file_is_checked_at_start_up() {
    let pki = Pki::new("relay");
    let ok = config(587, TlsMode::StartTls, Some(&pki.ca_file()));
    SmtpChannel::new(ok.clone()).expect("a PEM CA file builds");

    // No TLS, nothing to check the certificate of: refuse the setting
    // rather than let it suggest a protection that is not there.
    let mut plain = ok.clone();
    plain.tls = TlsMode::None;
    let err = SmtpChannel::new(plain).expect_err("ca_file without tls");
    assert!(err.to_string().contains("`ca_file`"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.pem");
    let err =
        SmtpChannel::new(config(587, TlsMode::Implicit, Some(&missing))).expect_err("missing file");
    assert!(err.to_string().contains("missing.pem"), "{err}");

    let not_pem = dir.path().join("key.pem");
    std::fs::write(
        &not_pem,
        "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    let err = SmtpChannel::new(config(587, TlsMode::StartTls, Some(&not_pem)))
        .expect_err("no certificate");
    assert!(err.to_string().contains("no certificate"), "{err}");
}

#[test]
fn ca_file_is_a_provider_setting() {
    let pki = Pki::new("relay");
    let toml_path = pki.ca_file().display().to_string().replace('\\', "/");
    let c: ProviderConfig = serde_json::from_value(serde_json::json!({
        "provider": "smtp",
        "host": "relay.internal.example",
        "tls": "implicit",
        "port": 465,
        "from": FROM,
        "ca_file": toml_path,
    }))
    .expect("ca_file accepted");
    let ProviderConfig::Smtp(smtp) = &c else {
        panic!("smtp: {c:?}");
    };
    assert_eq!(smtp.ca_file.as_deref(), Some(pki.ca_file().as_path()));
    assert_eq!(c.build().expect("builds").name(), "smtp");
    assert!(
        serde_json::from_value::<ProviderConfig>(serde_json::json!({
            "provider": "smtp", "host": "h", "from": FROM, "ca_fil": "x.pem"
        }))
        .is_err(),
        "unknown keys are still refused"
    );
}
