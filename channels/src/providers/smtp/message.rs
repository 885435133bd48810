use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::{ChannelError, OutboundMessage};

/// `List-Unsubscribe` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), which
/// lets mail clients unsubscribe with one POST and no confirmation page.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// `<local@domain>` for a contact id: the same contact always gets the same
/// id, so a resend after an ambiguous failure is recognisable downstream
/// and bounces can be traced to the contact. Characters outside RFC 5322
/// `atext` (and `=`, `.`) are written `=XX`, keeping the mapping
/// one-to-one.
pub fn message_id_for(contact_id: &str, from_address: &str) -> String {
    let mut local = String::with_capacity(contact_id.len() + 8);
    for b in contact_id.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "!#$%&'*+-/?^_`{|}~".contains(c) {
            local.push(c);
        } else {
            local.push_str(&format!("={b:02X}"));
        }
    }
    if local.is_empty() {
        local.push_str("=00");
    }
    let domain = from_address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("cobro.invalid");
    format!("<{local}@{domain}>")
}

/// Builds the RFC 5322 message for `msg`: multipart/alternative text+HTML
/// (or text only), UTF-8 subject (RFC 2047 encoded by lettre), the
/// unsubscribe headers and a `Message-ID` from the contact id. Shared by
/// the SMTP channel and the outbox so both write the very same bytes.
pub fn build_email(
    provider: &str,
    msg: &OutboundMessage,
    default_from: &str,
) -> Result<Message, ChannelError> {
    let invalid = |field: &str, e: String| {
        ChannelError::permanent(
            provider,
            Some("invalid_message".into()),
            format!("{field}: {e}"),
        )
    };
    let from_raw = if msg.from.is_empty() {
        default_from
    } else {
        msg.from.as_str()
    };
    let from: Mailbox = from_raw
        .parse()
        .map_err(|e: lettre::address::AddressError| invalid("from", e.to_string()))?;
    let to: Mailbox = msg
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| invalid("to", e.to_string()))?;
    let subject = msg
        .subject
        .as_deref()
        .unwrap_or("")
        .replace(['\r', '\n'], " ");
    let mut builder = Message::builder()
        .message_id(Some(message_id_for(&msg.contact_id, from.email.as_ref())))
        .from(from)
        .to(to)
        .subject(subject);
    builder = match msg.sent_at {
        Some(at) => builder.date(std::time::SystemTime::from(at)),
        None => builder.date_now(),
    };
    if let Some(url) = &msg.unsubscribe_url {
        if url.contains(['\r', '\n', '<', '>']) {
            return Err(invalid(
                "unsubscribe_url",
                "contains forbidden characters".into(),
            ));
        }
        builder = builder.header(ListUnsubscribe(format!("<{url}>")));
        // RFC 8058 one-click needs an HTTPS URI to POST to.
        if url.starts_with("https://") {
            builder = builder.header(ListUnsubscribePost);
        }
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(msg.text.clone());
    let built = match &msg.html {
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
        ),
        None => builder.singlepart(text),
    };
    built.map_err(|e| invalid("message", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChannelKind;

    fn msg() -> OutboundMessage {
        OutboundMessage {
            contact_id: "dic-2026/A-1/recordatorio".into(),
            channel: ChannelKind::Email,
            to: "juan@example.com".into(),
            from: String::new(),
            language: "es-MX".into(),
            subject: Some("Recordatorio de pago — Banco Ñandú".into()),
            text: "Hola".into(),
            html: Some("<p>Hola</p>".into()),
            unsubscribe_url: Some("https://cobro.example/u/abc".into()),
            status_callback: None,
            reference: None,
            voice: None,
            sent_at: None,
        }
    }

    #[test]
    fn message_ids_are_stable_and_injective() {
        assert_eq!(
            message_id_for("c/a/s+sms", "Cobranza <avisos@agencia.mx>"),
            "<c/a/s+sms@agencia.mx>"
        );
        assert_eq!(message_id_for("a.b", "x@y.z"), "<a=2Eb@y.z>");
        assert_ne!(
            message_id_for("a=2Eb", "x@y.z"),
            message_id_for("a.b", "x@y.z")
        );
        assert_eq!(message_id_for("ñ", "x"), "<=C3=B1@cobro.invalid>");
    }

    #[test]
    fn builds_headers() {
        let m = build_email("smtp", &msg(), "Agencia <avisos@agencia.mx>").expect("builds");
        let raw = String::from_utf8(m.formatted()).expect("utf8");
        assert!(
            raw.contains("Message-ID: <dic-2026/A-1/recordatorio@agencia.mx>"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe: <https://cobro.example/u/abc>"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(
            raw.contains("Subject: Recordatorio de pago =?utf-8?b?"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"));
    }

    #[test]
    fn the_date_header_is_the_dispatchers_send_instant() {
        let mut m = msg();
        m.sent_at = Some(
            chrono::DateTime::parse_from_rfc3339("2026-12-01T15:00:00Z")
                .expect("instant")
                .with_timezone(&chrono::Utc),
        );
        let raw = String::from_utf8(
            build_email("smtp", &m, "a@b.c")
                .expect("builds")
                .formatted(),
        )
        .expect("utf8");
        assert!(
            raw.contains("Date: Tue, 01 Dec 2026 15:00:00 +0000"),
            "{raw}"
        );
        // Without one, the message is dated now (not 1970).
        let raw = String::from_utf8(
            build_email("smtp", &msg(), "a@b.c")
                .expect("builds")
                .formatted(),
        )
        .expect("utf8");
        let year = chrono::Utc::now().format(" %Y ").to_string();
        assert!(
            raw.lines()
                .any(|l| l.starts_with("Date: ") && l.contains(&year)),
            "{raw}"
        );
    }

    #[test]
    fn rejects_bad_addresses_permanently() {
        let mut m = msg();
        m.to = "not an address".into();
        assert!(
            build_email("smtp", &m, "a@b.c")
                .expect_err("bad")
                .is_permanent()
        );
        let mut m = msg();
        m.unsubscribe_url = Some("https://x\r\nBcc: evil@x".into());
        assert!(build_email("smtp", &m, "a@b.c").is_err());
    }
}
