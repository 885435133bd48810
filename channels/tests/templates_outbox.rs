//! Templates (the shipped examples and the loader's rules) and the outbox
//! and null transports.

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use cobro_campaigns::{ChannelKind, TemplateElement};
use cobro_channels::encoding::{Encoding, sms_segments};
use cobro_channels::null::NullChannel;
use cobro_channels::outbox::OutboxChannel;
use cobro_channels::templates::{MessageContext, TemplateError, TemplateSet};
use cobro_channels::{Channel, OutboundMessage};
use common::*;

const LANGUAGES: [(&str, &str); 5] = [
    ("es-MX", "MXN"),
    ("es-CO", "COP"),
    ("es-CL", "CLP"),
    ("es-PE", "PEN"),
    ("en-US", "USD"),
];

/// (template, channels it may be sent on, including fallbacks) of the
/// example strategy.
const STEPS: [(&str, &[ChannelKind]); 5] = [
    ("recordatorio", &[ChannelKind::Email]),
    ("aviso_sms", &[ChannelKind::Sms, ChannelKind::Email]),
    ("mensaje_voz", &[ChannelKind::Voice, ChannelKind::Sms]),
    ("ultimo_aviso", &[ChannelKind::Email, ChannelKind::Sms]),
    (
        "promesa_incumplida",
        &[ChannelKind::Sms, ChannelKind::Email],
    ),
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 22).expect("date")
}

fn ctx(language: &str, currency: &str) -> MessageContext {
    MessageContext::from_account(&account(language, currency), &sender(), today())
        .with_unsubscribe_url("https://cobro.example/u/tok123")
        .with_portal_link("https://cobro.example/d/tok456")
}

#[test]
fn examples_cover_every_step_language_and_channel() {
    let set = TemplateSet::load(&examples_dir()).expect("examples load");
    let all = [
        TemplateElement::CollectorId,
        TemplateElement::CreditorId,
        TemplateElement::OptOut,
        TemplateElement::PaymentLink,
    ];
    for (lang, currency) in LANGUAGES {
        for (template, channels) in STEPS {
            for &channel in channels {
                assert!(
                    set.has(template, lang, channel),
                    "{lang}/{template}.{channel}"
                );
                // A voice call points to the link sent by SMS/email instead
                // of reading a URL aloud.
                let required: &[TemplateElement] = if channel == ChannelKind::Voice {
                    &all[..3]
                } else {
                    &all
                };
                let missing = set
                    .missing_elements(template, lang, channel, required)
                    .expect("check");
                assert!(
                    missing.is_empty(),
                    "{lang}/{template}.{channel} misses {missing:?}"
                );
                let r = set
                    .render(template, lang, channel, &ctx(lang, currency))
                    .unwrap_or_else(|e| panic!("{lang}/{template}.{channel}: {e}"));
                assert!(
                    r.text.contains("Cobranzas Andinas S.A. de C.V."),
                    "{lang}/{template}.{channel}"
                );
                assert!(r.text.contains("Banco del Sol"));
                match channel {
                    ChannelKind::Email => {
                        let subject = r.subject.as_deref().expect("subject");
                        assert!(!subject.contains('\n') && !subject.is_empty());
                        let html = r.html.as_deref().expect("html");
                        assert!(html.contains("https://cobro.example/u/tok123"));
                        // The signed personal link, never the guessable
                        // account-id link.
                        assert!(html.contains("https://cobro.example/d/tok456"), "{html}");
                        assert!(!html.contains("/p/A-000123"), "{html}");
                        assert!(r.text.contains("https://cobro.example/u/tok123"));
                    }
                    ChannelKind::Sms => {
                        let opt_out = if lang == "en-US" {
                            "Reply STOP to opt out."
                        } else {
                            "Responda BAJA para no recibir más mensajes."
                        };
                        assert!(r.text.ends_with(opt_out), "{lang}/{template}: {}", r.text);
                        assert!(r.text.contains("https://cobro.example/d/tok456"));
                        let enc = sms_segments(&r.text);
                        assert!(enc.segments <= 3, "{lang}/{template}: {enc:?} {}", r.text);
                        if lang != "en-US" {
                            assert_eq!(enc.encoding, Encoding::Ucs2);
                        }
                    }
                    // A collector's call script: plain text read on screen.
                    ChannelKind::AgentCall | ChannelKind::AgentTask => {
                        assert!(r.subject.is_none() && r.html.is_none());
                    }
                    ChannelKind::Voice => {
                        assert!(r.subject.is_none() && r.html.is_none());
                        assert!(
                            r.text
                                .contains(if lang == "en-US" { "STOP" } else { "BAJA" })
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn examples_format_money_and_dates_per_country() {
    let set = TemplateSet::load(&examples_dir()).expect("examples load");
    let cases = [
        ("es-MX", "MXN", "$1,234.56 MXN", "15 de diciembre de 2026"),
        ("es-CO", "COP", "$ 1.234,56", "15 de diciembre de 2026"),
        ("es-CL", "CLP", "$1.235", "15 de diciembre de 2026"),
        ("es-PE", "PEN", "S/ 1,234.56", "15 de diciembre de 2026"),
        ("en-US", "USD", "$1,234.56", "December 15, 2026"),
    ];
    for (lang, currency, money, date) in cases {
        let r = set
            .render(
                "recordatorio",
                lang,
                ChannelKind::Email,
                &ctx(lang, currency),
            )
            .expect("render");
        assert!(r.text.contains(money), "{lang}: {}", r.text);
        assert!(r.text.contains(date), "{lang}: {}", r.text);
        assert!(r.text.contains("José Pérez Núñez"));
    }
}

#[test]
fn html_is_escaped_and_text_is_not() {
    let set = TemplateSet::load(&examples_dir()).expect("examples load");
    let mut acc = account("es-MX", "MXN");
    acc.debtor_name = "Ana <b>\"Tom & Jerry\"</b>".into();
    let c = MessageContext::from_account(&acc, &sender(), today())
        .with_unsubscribe_url("https://u.example/x?a=1&b=2")
        .with_portal_link("https://u.example/d/tok");
    let r = set
        .render("recordatorio", "es-MX", ChannelKind::Email, &c)
        .expect("render");
    let html = r.html.expect("html");
    assert!(
        html.contains("Ana &lt;b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>\"Tom"));
    assert!(r.text.contains("Ana <b>\"Tom & Jerry\"</b>"));
}

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, body).expect("write");
}

#[test]
fn strict_undefined_fails_instead_of_sending_blanks() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "es-MX/t.sms.txt", "Hola {{ debtor_nombre }}");
    write(dir.path(), "es-MX/u.email.subject", "Aviso");
    write(
        dir.path(),
        "es-MX/u.email.txt",
        "Baja: {{ unsubscribe_url }}",
    );
    let set = TemplateSet::load(dir.path()).expect("load");
    let err = set
        .render("t", "es-MX", ChannelKind::Sms, &ctx("es-MX", "MXN"))
        .expect_err("undefined");
    assert!(err.is_render(), "{err}");
    assert!(err.to_string().contains("es-MX/t.sms.txt"), "{err}");
    // An absent unsubscribe URL is undefined, not the text "none".
    let no_url = MessageContext::from_account(&account("es-MX", "MXN"), &sender(), today());
    assert!(
        set.render("u", "es-MX", ChannelKind::Email, &no_url)
            .is_err()
    );
}

#[test]
fn language_fallback_is_base_language_only() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "es/a.sms.txt", "genérico {{ opt_out_keyword }}");
    write(dir.path(), "es-MX/a.sms.txt", "México");
    write(dir.path(), "es-MX/b.sms.txt", "solo México");
    write(dir.path(), "README.md", "ignored");
    let set = TemplateSet::load(dir.path()).expect("load");
    let c = ctx("es-CO", "COP");
    assert_eq!(
        set.render("a", "es-MX", ChannelKind::Sms, &c)
            .expect("mx")
            .text,
        "México"
    );
    assert_eq!(
        set.render("a", "es-CO", ChannelKind::Sms, &c)
            .expect("co")
            .text,
        "genérico BAJA"
    );
    assert_eq!(
        set.render("a", "es-mx", ChannelKind::Sms, &c)
            .expect("case")
            .text,
        "México"
    );
    // No cross-country fallback: es-CO never gets the Mexican text.
    let err = set
        .render("b", "es-CO", ChannelKind::Sms, &c)
        .expect_err("no fallback");
    assert!(err.is_not_found(), "{err}");
    assert!(!set.has("b", "es-CO", ChannelKind::Sms));
    assert!(!set.has("a", "en-US", ChannelKind::Sms));
    assert!(!set.has("a", "es-MX", ChannelKind::Email));
}

#[test]
fn layout_mistakes_are_reported_with_the_file() {
    let cases = [
        ("es-MX/a.fax.txt", "x"),
        ("es-MX/a.sms.subject", "x"),
        ("es-MX/a.txt", "x"),
    ];
    for (rel, body) in cases {
        let dir = tempfile::tempdir().expect("tmp");
        write(dir.path(), rel, body);
        let err = TemplateSet::load(dir.path()).expect_err(rel);
        assert!(matches!(err, TemplateError::Layout { .. }), "{rel}: {err}");
    }
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "es-MX/a.email.txt", "cuerpo");
    let err = TemplateSet::load(dir.path()).expect_err("no subject");
    assert!(err.to_string().contains("a.email.subject"), "{err}");
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "es-MX/a.sms.txt", "line\n{% if %}");
    let err = TemplateSet::load(dir.path()).expect_err("syntax");
    assert!(
        matches!(err, TemplateError::Syntax { line: Some(2), .. }),
        "{err:?}"
    );
    assert!(TemplateSet::load(Path::new("/nonexistent/cobro")).is_err());
}

#[test]
fn missing_elements_are_found_statically() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "es-MX/s.sms.txt",
        "{{ creditor }}: pague en {{ payment_link }}",
    );
    write(
        dir.path(),
        "es-MX/k.sms.txt",
        "{{ collector }} / {{ creditor }}. Responda {{ opt_out_keyword }}.",
    );
    write(dir.path(), "es-MX/e.email.subject", "x");
    write(
        dir.path(),
        "es-MX/e.email.txt",
        "{{ collector }} {{ creditor }} {{ unsubscribe_url }}",
    );
    // The HTML part forgot the unsubscribe link: a reader of HTML mail
    // would not see it.
    write(
        dir.path(),
        "es-MX/e.email.html",
        "<p>{{ collector }} {{ creditor }}</p>",
    );
    let set = TemplateSet::load(dir.path()).expect("load");
    let all = [
        TemplateElement::CollectorId,
        TemplateElement::CreditorId,
        TemplateElement::OptOut,
        TemplateElement::PaymentLink,
    ];
    assert_eq!(
        set.missing_elements("s", "es-MX", ChannelKind::Sms, &all)
            .expect("check"),
        vec![TemplateElement::CollectorId, TemplateElement::OptOut]
    );
    assert_eq!(
        set.missing_elements("k", "es-MX", ChannelKind::Sms, &all[..3])
            .expect("check"),
        vec![]
    );
    assert_eq!(
        set.missing_elements("e", "es-MX", ChannelKind::Email, &all[..3])
            .expect("check"),
        vec![TemplateElement::OptOut]
    );
    assert!(
        set.missing_elements("zz", "es-MX", ChannelKind::Sms, &all)
            .is_err()
    );
}

fn rendered_message(set: &TemplateSet, contact_id: &str, channel: ChannelKind) -> OutboundMessage {
    let c = ctx("es-MX", "MXN");
    let template = match channel {
        ChannelKind::Email => "recordatorio",
        ChannelKind::Sms => "aviso_sms",
        ChannelKind::Voice => "mensaje_voz",
        ChannelKind::AgentCall | ChannelKind::AgentTask => panic!("a collector's work is not sent"),
    };
    let r = set.render(template, "es-MX", channel, &c).expect("render");
    OutboundMessage {
        contact_id: contact_id.into(),
        channel,
        to: if channel == ChannelKind::Email {
            "jose.perez@example.com".into()
        } else {
            "+525512345678".into()
        },
        from: String::new(),
        language: "es-MX".into(),
        subject: r.subject,
        text: r.text,
        html: r.html,
        unsubscribe_url: c.unsubscribe_url.clone(),
        status_callback: None,
        reference: None,
        voice: None,
        sent_at: None,
    }
}

#[tokio::test]
async fn outbox_writes_eml_and_json_once_per_contact() {
    let set = TemplateSet::load(&examples_dir()).expect("examples load");
    let dir = tempfile::tempdir().expect("tmp");
    let outbox: Arc<dyn Channel> = Arc::new(
        OutboxChannel::with_from(
            dir.path().join("outbox"),
            "Cobranzas Andinas <avisos@cobranzas-andinas.example>",
        )
        .expect("outbox"),
    );
    let email = rendered_message(
        &set,
        "2026-12-mensual/A-000123/d0-email",
        ChannelKind::Email,
    );
    let r = outbox.send(&email).await.expect("written");
    assert_eq!(r.provider, "outbox");
    assert_eq!(r.provider_id, "2026-12-mensual%2FA-000123%2Fd0-email.eml");
    let path = dir.path().join("outbox").join(&r.provider_id);
    let raw = std::fs::read_to_string(&path).expect("eml");
    let h = headers(&raw);
    assert_eq!(
        header(&h, "Message-ID"),
        "<2026-12-mensual/A-000123/d0-email@cobranzas-andinas.example>"
    );
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
        "Recordatorio de pago de su cuenta con Banco del Sol"
    );
    let text = mime_part(&raw, "text/plain").expect("text part");
    assert!(
        text.contains("$1,234.56 MXN") && text.contains("15 de diciembre de 2026"),
        "{text}"
    );
    assert!(
        mime_part(&raw, "text/html")
            .expect("html")
            .contains("Pagar ahora")
    );

    // The same contact again (a redelivered job): no second message, the
    // first file is kept byte for byte.
    let mut again = email.clone();
    again.text = "otro texto".into();
    let r2 = outbox.send(&again).await.expect("no-op");
    assert_eq!(r2, r);
    assert_eq!(std::fs::read_to_string(&path).expect("eml"), raw);

    let sms = rendered_message(&set, "2026-12-mensual/A-000123/d3-sms", ChannelKind::Sms);
    let r = outbox.send(&sms).await.expect("written");
    assert_eq!(r.provider_id, "2026-12-mensual%2FA-000123%2Fd3-sms.json");
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("outbox").join(&r.provider_id)).expect("json"),
    )
    .expect("valid json");
    assert_eq!(json["channel"], "sms");
    assert_eq!(json["to"], "+525512345678");
    assert_eq!(json["sms"]["encoding"], "ucs2");
    assert_eq!(json["sms"]["segments"].as_u64(), r.segments.map(u64::from));
    assert!(
        json["text"]
            .as_str()
            .expect("text")
            .contains("Responda BAJA")
    );

    let voice = rendered_message(
        &set,
        "2026-12-mensual/A-000123/d7-voice",
        ChannelKind::Voice,
    );
    outbox.send(&voice).await.expect("written");
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("outbox"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "2026-12-mensual%2FA-000123%2Fd0-email.eml",
            "2026-12-mensual%2FA-000123%2Fd3-sms.json",
            "2026-12-mensual%2FA-000123%2Fd7-voice.json"
        ],
        "no temporary files left behind"
    );
}

#[tokio::test]
async fn outbox_concurrent_writes_of_one_contact_leave_one_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let outbox = Arc::new(OutboxChannel::new(dir.path()).expect("outbox"));
    let mut handles = Vec::new();
    for i in 0..16 {
        let outbox = outbox.clone();
        handles.push(tokio::spawn(async move {
            let msg = sms_message("c/a/s", "+525512345678", &format!("intento {i}"));
            outbox.send(&msg).await
        }));
    }
    for h in handles {
        h.await.expect("join").expect("ok");
    }
    let files: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(files.len(), 1);
}

#[tokio::test]
async fn null_discards_and_counts_segments() {
    let null = NullChannel::new();
    let r = null
        .send(&sms_message("c/a/s", "+525512345678", &"ó".repeat(71)))
        .await
        .expect("ok");
    assert_eq!(r.segments, Some(2));
    assert_eq!(null.sent(), 1);
    let r = null
        .send(&email_message("c/a/e", "a@b.c"))
        .await
        .expect("ok");
    assert_eq!(r.segments, None);
    assert_eq!(r.provider_id, "null-2");
}
