//! SMTP channel against a real `smtp-sink` (postfix), started per test on
//! a free port.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cobro_channels::providers::smtp::{SmtpChannel, SmtpConfig, TlsMode};
use cobro_channels::{Channel, ChannelError};
use cobro_testkit::{SmtpSink, free_port};
use common::*;

fn channel(port: u16, max_concurrent: usize) -> SmtpChannel {
    let mut cfg = SmtpConfig::new(
        "127.0.0.1",
        port,
        TlsMode::None,
        "Cobranzas Andinas <avisos@cobranzas-andinas.example>",
    );
    cfg.max_concurrent = max_concurrent;
    cfg.timeout = Duration::from_secs(5);
    SmtpChannel::new(cfg).expect("smtp config")
}

#[tokio::test]
async fn message_arrives_with_headers_and_utf8() {
    let sink = SmtpSink::start(&[]);
    let ch: Arc<dyn Channel> = Arc::new(channel(sink.port, 2));
    let msg = email_message(
        "2026-12-mensual/A-000123/d0-email",
        "jose.perez@example.com",
    );
    let receipt = ch.send(&msg).await.expect("sent");
    assert_eq!(receipt.provider, "smtp");
    assert_eq!(
        receipt.provider_id,
        "<2026-12-mensual/A-000123/d0-email@cobranzas-andinas.example>"
    );

    let dumps = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(dumps.len(), 1, "one message arrives");
    let raw = &dumps[0];
    let h = headers(raw);
    assert_eq!(header(&h, "X-Rcpt-Args"), "<jose.perez@example.com>");
    assert_eq!(
        header(&h, "X-Mail-Args").split_whitespace().next(),
        Some("<avisos@cobranzas-andinas.example>")
    );
    assert_eq!(header(&h, "Message-ID"), receipt.provider_id);
    assert_eq!(
        header(&h, "List-Unsubscribe"),
        "<https://cobro.example/u/tok123>"
    );
    assert_eq!(
        header(&h, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    // The subject travels RFC 2047-encoded (7-bit safe) and decodes back.
    let subject = header(&h, "Subject");
    assert!(
        subject.is_ascii() && subject.contains("=?utf-8?"),
        "{subject}"
    );
    assert_eq!(
        decode_rfc2047(subject),
        "Recordatorio de pago — acción requerida: Ñandú"
    );
    assert!(header(&h, "From").contains("avisos@cobranzas-andinas.example"));
    assert!(header(&h, "Content-Type").starts_with("multipart/alternative"));
    assert_eq!(header(&h, "MIME-Version"), "1.0");
    let text = mime_part(raw, "text/plain; charset=utf-8").expect("text part");
    assert_eq!(
        text.trim(),
        "Estimado(a) José Pérez: su saldo es de $1,234.56 MXN."
    );
    let html = mime_part(raw, "text/html; charset=utf-8").expect("html part");
    assert!(html.contains("<b>José Pérez</b>"), "{html}");
}

#[tokio::test]
async fn no_one_click_header_without_https() {
    let sink = SmtpSink::start(&[]);
    let ch = channel(sink.port, 1);
    let mut msg = email_message("c/a/s", "ana@example.com");
    msg.unsubscribe_url = Some("mailto:baja@cobranzas-andinas.example".into());
    msg.html = None;
    ch.send(&msg).await.expect("sent");
    let dumps = sink.wait_for(1, Duration::from_secs(5));
    let h = headers(&dumps[0]);
    assert_eq!(
        header(&h, "List-Unsubscribe"),
        "<mailto:baja@cobranzas-andinas.example>"
    );
    assert!(!h.contains_key("list-unsubscribe-post"));
    assert!(header(&h, "Content-Type").starts_with("text/plain"));
}

#[tokio::test]
async fn soft_reject_4xx_is_transient() {
    let sink = SmtpSink::start(&["-r", "rcpt"]);
    let err = channel(sink.port, 1)
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("4xx");
    assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
    assert!(
        err.provider_code().is_some_and(|c| c.starts_with('4')),
        "{err:?}"
    );
    // smtp-sink opens its dump at MAIL FROM; no message content got in.
    for dump in sink.wait_for(0, Duration::ZERO) {
        assert!(!dump.contains("Message-ID"), "{dump}");
    }
}

#[tokio::test]
async fn hard_reject_5xx_is_permanent() {
    let sink = SmtpSink::start(&["-f", "rcpt"]);
    let err = channel(sink.port, 1)
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("5xx");
    assert!(matches!(err, ChannelError::Permanent { .. }), "{err:?}");
    assert!(
        err.provider_code().is_some_and(|c| c.starts_with('5')),
        "{err:?}"
    );
}

#[tokio::test]
async fn hard_reject_of_data_is_permanent() {
    let sink = SmtpSink::start(&["-f", "data"]);
    let err = channel(sink.port, 1)
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("5xx");
    assert!(err.is_permanent() && !err.is_opted_out(), "{err:?}");
}

#[tokio::test]
async fn dropped_connection_is_transient() {
    let sink = SmtpSink::start(&["-q", "data"]);
    let err = channel(sink.port, 1)
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("dropped");
    assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
}

/// Only a drop after the message's data went out may hide a delivered
/// message (`maybe_sent`, so the contact ends `unknown`); a drop at
/// `MAIL FROM` or at `DATA`, before any data, is a plain retry.
#[tokio::test]
async fn only_a_drop_after_the_data_may_have_delivered() {
    for (command, maybe_sent) in [
        ("mail", false),
        ("rcpt", false),
        ("data", false),
        (".", true),
    ] {
        let sink = SmtpSink::start(&["-q", command]);
        let err = channel(sink.port, 1)
            .send(&email_message("c/a/s", "ana@example.com"))
            .await
            .expect_err("dropped");
        assert!(
            matches!(err, ChannelError::Transient { .. }),
            "{command}: {err:?}"
        );
        assert_eq!(err.maybe_sent(), maybe_sent, "{command}: {err:?}");
    }
}

#[tokio::test]
async fn reply_421_and_hang_up_is_transient() {
    let sink = SmtpSink::start(&["-Q", "mail"]);
    let err = channel(sink.port, 1)
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("421");
    assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = free_port();
    let err = channel(port, 1)
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("refused");
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn invalid_recipient_is_permanent_before_any_io() {
    let port = free_port();
    let err = channel(port, 1)
        .send(&email_message("c/a/s", "not-an-address"))
        .await
        .expect_err("bad address");
    assert!(err.is_permanent(), "{err:?}");
}

#[tokio::test]
async fn a_dead_pooled_connection_is_replaced_not_reported() {
    let sink = SmtpSink::start(&[]);
    let port = sink.port;
    let ch = channel(port, 1);
    ch.send(&email_message("c/a/1", "ana@example.com"))
        .await
        .expect("first");
    // The server goes away and comes back: the pooled session is dead.
    drop(sink);
    let sink = SmtpSink::start_on(Some(port), true, &[]);
    tokio::time::sleep(Duration::from_millis(50)).await;
    ch.send(&email_message("c/a/2", "ana@example.com"))
        .await
        .expect("NOOP finds the dead session and a new one is opened");
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).len(), 1);
}

#[tokio::test]
async fn concurrent_sends_all_arrive_once() {
    let sink = SmtpSink::start(&[]);
    let ch = Arc::new(channel(sink.port, 4));
    let mut handles = Vec::new();
    for i in 0..24 {
        let ch = ch.clone();
        handles.push(tokio::spawn(async move {
            let msg = email_message(&format!("c/A-{i}/s"), &format!("d{i}@example.com"));
            ch.send(&msg).await
        }));
    }
    for h in handles {
        h.await.expect("join").expect("sent");
    }
    let dumps = sink.wait_for(24, Duration::from_secs(10));
    assert_eq!(dumps.len(), 24);
    let mut ids: Vec<String> = dumps
        .iter()
        .map(|d| header(&headers(d), "Message-ID").to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24, "one message per contact");
}

#[test]
fn builds_and_drops_outside_a_runtime() {
    let cfg = SmtpConfig::new("127.0.0.1", 25, TlsMode::None, "a@b.c");
    drop(SmtpChannel::new(cfg).expect("no runtime needed"));
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_permanent() {
    // smtp-sink offers no STARTTLS unless told to.
    let sink = SmtpSink::start(&[]);
    let cfg = SmtpConfig::new("127.0.0.1", sink.port, TlsMode::StartTls, "a@b.c");
    let err = SmtpChannel::new(cfg)
        .expect("config")
        .send(&email_message("c/a/s", "ana@example.com"))
        .await
        .expect_err("no starttls");
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(err.provider_code(), Some("starttls_unavailable"));
}

#[tokio::test]
async fn connection_is_reused_after_an_error() {
    // Reject one recipient with 5xx, then send normally: the channel must
    // not be left with a broken session.
    let sink = SmtpSink::start(&["-f", "rcpt"]);
    let ch = channel(sink.port, 1);
    assert!(
        ch.send(&email_message("c/a/1", "ana@example.com"))
            .await
            .is_err()
    );
    assert!(
        ch.send(&email_message("c/a/2", "ana@example.com"))
            .await
            .is_err()
    );
    let ok_sink = SmtpSink::start(&[]);
    let ch = channel(ok_sink.port, 1);
    for i in 0..5 {
        ch.send(&email_message(&format!("c/a/{i}"), "ana@example.com"))
            .await
            .expect("sent");
    }
    assert_eq!(ok_sink.wait_for(5, Duration::from_secs(5)).len(), 5);
}

#[test]
fn config_is_strict_and_secret_safe() {
    let cfg: SmtpConfig = serde_json::from_str(
        r#"{"host":"smtp.example.com","tls":"implicit","port":465,"username":"u","password":"p4ss","from":"a@b.c","timeout":"10s"}"#,
    )
    .expect("valid");
    assert_eq!(cfg.tls, TlsMode::Implicit);
    assert!(!format!("{cfg:?}").contains("p4ss"));
    assert!(
        serde_json::from_str::<SmtpConfig>(r#"{"host":"h","from":"a@b.c","tsl":"none"}"#).is_err()
    );
    let mut bad = cfg.clone();
    bad.password = None;
    assert!(SmtpChannel::new(bad).is_err(), "username without password");
    let mut zero = cfg;
    zero.max_concurrent = 0;
    assert!(SmtpChannel::new(zero).is_err());
}
