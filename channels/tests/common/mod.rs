//! Shared test helpers: sample messages and accounts, and header/MIME
//! decoding for asserting what arrived (the real `smtp-sink` and free
//! ports come from `cobro-testkit`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use chrono::NaiveDate;
use cobro_campaigns::{Account, ChannelKind};
use cobro_channels::OutboundMessage;
use cobro_channels::templates::SenderIdentity;
use rust_decimal::Decimal;

/// Headers of an RFC 5322 message (unfolded), name → values.
pub fn headers(raw: &str) -> BTreeMap<String, Vec<String>> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let head = head.split("\n\n").next().unwrap_or(head);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = current.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = current.take() {
            out.entry(k).or_default().push(v);
        }
        if let Some((k, v)) = line.split_once(':') {
            current = Some((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    if let Some((k, v)) = current.take() {
        out.entry(k).or_default().push(v);
    }
    out
}

pub fn header<'a>(h: &'a BTreeMap<String, Vec<String>>, name: &str) -> &'a str {
    h.get(&name.to_ascii_lowercase())
        .and_then(|v| v.first())
        .map(String::as_str)
        .unwrap_or_else(|| panic!("header {name} missing in {h:?}"))
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`);
/// whitespace between two encoded words is dropped, as the RFC says.
pub fn decode_rfc2047(value: &str) -> String {
    let mut out = String::new();
    let mut prev_encoded = false;
    for (i, token) in value.split_whitespace().enumerate() {
        let decoded = decode_word(token);
        let is_encoded = decoded.is_some();
        if i > 0 && !(prev_encoded && is_encoded) {
            out.push(' ');
        }
        out.push_str(&decoded.unwrap_or_else(|| token.to_string()));
        prev_encoded = is_encoded;
    }
    out
}

fn decode_word(token: &str) -> Option<String> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let _charset = parts.next()?;
    let enc = parts.next()?.to_ascii_lowercase();
    let text = parts.next()?;
    let bytes = match enc.as_str() {
        "b" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
        "q" => decode_qp(&text.replace('_', " ")),
        _ => return None,
    };
    String::from_utf8(bytes).ok()
}

pub fn decode_qp(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if i + 2 < b.len() + 1 && b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let Some(hex) = s.get(i + 1..i + 3)
                && let Ok(v) = u8::from_str_radix(hex, 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The decoded bodies of the MIME parts of a message with `content_type`.
pub fn mime_part(raw: &str, content_type: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    for chunk in raw.split("\n--") {
        let Some((head, body)) = chunk.split_once("\n\n") else {
            continue;
        };
        let h = headers(head.trim_start_matches(|c: char| c != '\n').trim_start());
        let ct = h
            .get("content-type")
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default();
        if !ct.starts_with(content_type) {
            continue;
        }
        let cte = h
            .get("content-transfer-encoding")
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body = body.trim_end_matches('-').trim_end();
        let bytes = match cte.as_str() {
            "base64" => base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .ok()?,
            "quoted-printable" => decode_qp(body),
            _ => body.as_bytes().to_vec(),
        };
        return String::from_utf8(bytes).ok();
    }
    None
}

pub fn email_message(contact_id: &str, to: &str) -> OutboundMessage {
    OutboundMessage {
        contact_id: contact_id.to_string(),
        channel: ChannelKind::Email,
        to: to.to_string(),
        from: String::new(),
        language: "es-MX".into(),
        subject: Some("Recordatorio de pago — acción requerida: Ñandú".into()),
        text: "Estimado(a) José Pérez: su saldo es de $1,234.56 MXN.".into(),
        html: Some("<p>Estimado(a) <b>José Pérez</b>: su saldo es de $1,234.56 MXN.</p>".into()),
        unsubscribe_url: Some("https://cobro.example/u/tok123".into()),
        status_callback: None,
        reference: None,
        voice: None,
        sent_at: None,
    }
}

pub fn sms_message(contact_id: &str, to: &str, text: &str) -> OutboundMessage {
    OutboundMessage {
        contact_id: contact_id.to_string(),
        channel: ChannelKind::Sms,
        to: to.to_string(),
        from: "+15557122661".into(),
        language: "es-MX".into(),
        subject: None,
        text: text.to_string(),
        html: None,
        unsubscribe_url: None,
        status_callback: Some("https://cobro.example/webhooks/twilio/status".into()),
        reference: None,
        voice: None,
        sent_at: None,
    }
}

pub fn account(language: &str, currency: &str) -> Account {
    let mut attributes = BTreeMap::new();
    attributes.insert("producto".to_string(), "Tarjeta Oro".to_string());
    Account {
        id: "A-000123".into(),
        creditor: "Banco del Sol".into(),
        debtor_name: "José Pérez Núñez".into(),
        tax_id: None,
        amount_due: Decimal::from_str("1234.56").expect("decimal"),
        currency: currency.into(),
        due_date: NaiveDate::from_ymd_opt(2026, 12, 15).expect("date"),
        segment: None,
        language: language.into(),
        country: language.rsplit('-').next().unwrap_or("MX").into(),
        subdivision: None,
        timezone: None,
        flags: Default::default(),
        contact_points: Vec::new(),
        attributes,
    }
}

pub fn sender() -> SenderIdentity {
    SenderIdentity {
        collector: "Cobranzas Andinas S.A. de C.V.".into(),
        collector_phone: "+52 55 5000 1234".into(),
        payment_base_url: "https://pagos.cobranzas-andinas.example/p/".into(),
        unsubscribe_url: None,
        opt_out_keyword: None,
    }
}

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/templates")
}
