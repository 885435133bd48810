//! What a provider's callbacks mean, whatever the provider: a delivery
//! report or an inbound message. Each provider's `webhook.rs` turns its own
//! form or JSON into these types, so the dispatcher's HTTP layer applies
//! them to the store without knowing any provider's field names.

use reqwest::header::{CONTENT_TYPE, HeaderMap};

/// The final fate of a sent message, as the provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// The provider has the message (queued, sent to the carrier, a call
    /// ringing): not its fate yet, but proof that it went out, which
    /// resolves a send whose answer was lost.
    Accepted,
    Delivered,
    Undelivered,
}

/// One delivery receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub provider_id: String,
    /// `None` for a status that says nothing cobro acts on.
    pub status: Option<DeliveryStatus>,
    pub code: Option<String>,
    pub detail: Option<String>,
    /// A person (not a machine) answered a call: a conversation, which
    /// starts cooldowns (US Reg F).
    pub human_answer: bool,
    /// The contact reference the message carried, as the provider echoed
    /// it (`OutboundMessage::reference`). Not yet checked: the dispatcher
    /// verifies its signature before it believes it.
    pub contact_ref: Option<String>,
}

/// One reply from a debtor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub provider: &'static str,
    pub message_id: Option<String>,
    pub from: String,
    pub text: String,
}

/// A callback as it reached us: what the signature checks and the parsers
/// need, and nothing of the web framework.
#[derive(Debug, Clone, Copy)]
pub struct CallbackRequest<'a> {
    /// The URL the provider called, rebuilt from our public URL (path and
    /// query included): Twilio signs it.
    pub url: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The secrets callbacks are checked against. A provider whose secret is
/// not configured refuses every callback, never accepts them unchecked.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallbackKeys<'a> {
    /// Twilio's auth token (the HMAC key of `X-Twilio-Signature`).
    pub twilio_auth_token: Option<&'a str>,
    /// The secret shared with providers that do not sign (Vonage,
    /// Infobip), carried in a header or the callback URL's query.
    pub shared_secret: Option<&'a str>,
}

/// Why a callback was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("bad or missing signature")]
    Unauthenticated,
    #[error("{0}")]
    Malformed(String),
    #[error("unknown provider '{0}' (twilio, vonage, infobip)")]
    UnknownProvider(String),
}

impl CallbackError {
    /// The caller should answer 403 and store nothing.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, CallbackError::Unauthenticated)
    }

    /// No provider of that name takes callbacks (a 404, not a 400).
    pub fn is_unknown_provider(&self) -> bool {
        matches!(self, CallbackError::UnknownProvider(_))
    }

    pub(crate) fn missing(field: &str) -> Self {
        CallbackError::Malformed(format!("{field} is missing"))
    }
}

/// Form or JSON body as flat string pairs (Vonage sends either; the query
/// string too, for GET-style callbacks, without its `secret`).
pub(crate) fn flat_params(
    req: &CallbackRequest<'_>,
) -> Result<Vec<(String, String)>, CallbackError> {
    let is_json = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let mut out: Vec<(String, String)> = Vec::new();
    if is_json {
        let value: serde_json::Value = serde_json::from_slice(req.body)
            .map_err(|e| CallbackError::Malformed(format!("body is not valid JSON: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(CallbackError::Malformed(
                "body must be a JSON object".into(),
            ));
        };
        for (k, v) in map {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            out.push((k, v));
        }
    } else if !req.body.is_empty() {
        out = serde_urlencoded::from_bytes(req.body)
            .map_err(|e| CallbackError::Malformed(format!("body is not a valid form: {e}")))?;
    }
    if let Some(q) = req.query {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
        out.extend(pairs.into_iter().filter(|(k, _)| k != "secret"));
    }
    Ok(out)
}

/// A non-blank parameter.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}
