//! Provider callbacks: `POST /webhooks/{provider}/status` (delivery
//! receipts) and `POST /webhooks/{provider}/inbound` (replies). Each
//! provider file only parses its payload into the shapes below; checking
//! the signature first and applying the result to the store happen here,
//! once.
//!
//! Unknown message ids answer 200 with `"outcome": "unknown_id"` and store
//! nothing: a provider retries non-2xx answers for hours, and an id we never
//! sent (another system on the same provider account, a test message) will
//! never become known, so a 404 would only cause a retry storm.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::{AppState, HttpError, auth, inbound};
use crate::events::{AccountEvent, apply_event};
use crate::store::any::AnyStore;
use crate::store::{ContactState, LedgerFilter, LedgerState, Transition, prelude::*};
use cobro_campaigns::ChannelKind;

pub mod infobip;
pub mod twilio;
pub mod vonage;

/// One delivery receipt, whatever the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub provider_id: String,
    /// `Delivered` or `Undelivered`; `None` for an interim status
    /// (queued, ringing, accepted) that changes nothing.
    pub outcome: Option<ContactState>,
    pub code: Option<String>,
    pub detail: Option<String>,
    /// A person (not a machine) answered a call: a conversation, which
    /// starts cooldowns (US Reg F).
    pub human_answer: bool,
}

/// What one receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Recorded,
    /// Replay, or the contact is already past that state.
    Unchanged,
    /// An interim status.
    Ignored,
    UnknownId,
}

impl DeliveryOutcome {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Recorded => "recorded",
            DeliveryOutcome::Unchanged => "unchanged",
            DeliveryOutcome::Ignored => "ignored",
            DeliveryOutcome::UnknownId => "unknown_id",
        }
    }
}

/// Finds the contact the provider id belongs to (its `sent` ledger row)
/// and moves it to delivered/undelivered with a ledger row. The store only
/// allows that from sent/sending/unknown, so a replay changes nothing.
pub async fn record_delivery(
    store: &AnyStore,
    update: &StatusUpdate,
    now: DateTime<Utc>,
) -> Result<DeliveryOutcome, HttpError> {
    let rows = store
        .ledger(&LedgerFilter {
            provider_id: Some(update.provider_id.clone()),
            ..Default::default()
        })
        .await?;
    let Some(sent) = rows.iter().rev().find(|r| {
        r.provider_id.as_deref() == Some(update.provider_id.as_str())
            && matches!(r.state, LedgerState::Sent | LedgerState::Unknown)
    }) else {
        return Ok(DeliveryOutcome::UnknownId);
    };
    let Some(state) = update.outcome else {
        return Ok(DeliveryOutcome::Ignored);
    };
    let mut row = sent.clone();
    row.state = if state == ContactState::Delivered {
        LedgerState::Delivered
    } else {
        LedgerState::Undelivered
    };
    row.at = now;
    row.code = update.code.clone();
    row.detail = update.detail.clone();
    if !store
        .transition(&sent.contact_id, Transition::Finish(state), &[row])
        .await?
    {
        return Ok(DeliveryOutcome::Unchanged);
    }
    if update.human_answer {
        apply_event(
            store,
            &sent.account,
            AccountEvent::Conversation(ChannelKind::Voice),
            now,
        )
        .await?;
    }
    Ok(DeliveryOutcome::Recorded)
}

/// Form or JSON body as flat string pairs (Vonage sends either; the
/// query string too, for GET-style callbacks).
pub(crate) fn flat_params(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Vec<(String, String)>, HttpError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let mut out: Vec<(String, String)> = Vec::new();
    if is_json {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| HttpError::BadRequest(format!("body is not valid JSON: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(HttpError::BadRequest("body must be a JSON object".into()));
        };
        for (k, v) in map {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            out.push((k, v));
        }
    } else if !body.is_empty() {
        out = serde_urlencoded::from_bytes(body)
            .map_err(|e| HttpError::BadRequest(format!("body is not a valid form: {e}")))?;
    }
    if let Some(q) = query {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
        out.extend(pairs.into_iter().filter(|(k, _)| k != "secret"));
    }
    Ok(out)
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn forbidden(state: &AppState, provider: &str, kind: &str) -> Response {
    state.metrics.webhook(provider, kind, "bad_signature");
    tracing::warn!(
        provider,
        kind,
        "webhook with a bad or missing signature refused"
    );
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({"error": "bad or missing signature"})),
    )
        .into_response()
}

/// The URL Twilio requested, rebuilt from our configured public URL.
fn public_url_of(state: &AppState, uri: &Uri) -> String {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    format!("{}{}", state.config.public_url, path)
}

/// Checks the request's signature or shared secret, then parses it.
fn authenticated_params(
    state: &AppState,
    provider: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Vec<(String, String)>>, HttpError> {
    match provider {
        "twilio" => {
            let params: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).unwrap_or_default();
            let url = public_url_of(state, uri);
            Ok(auth::verify_twilio(
                state.config.twilio_auth_token.as_deref(),
                headers,
                &url,
                &params,
            )
            .then_some(params))
        }
        "vonage" => {
            if !auth::verify_shared_secret(
                state.config.webhook_secret.as_deref(),
                headers,
                uri.query(),
            ) {
                return Ok(None);
            }
            flat_params(headers, uri.query(), body).map(Some)
        }
        _ => Ok(Some(Vec::new())),
    }
}

/// Checks a callback's signature (Twilio) or shared secret (Vonage,
/// Infobip) and parses it: form parameters for Twilio and Vonage, a JSON
/// body for Infobip. `None` when the check fails (the caller answers 403
/// and stores nothing).
fn authenticated_payload<T>(
    state: &AppState,
    provider: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    from_params: impl FnOnce(&str, &[(String, String)]) -> Result<Vec<T>, HttpError>,
    from_json: impl FnOnce(&[u8]) -> Result<Vec<T>, HttpError>,
) -> Result<Option<Vec<T>>, HttpError> {
    match provider {
        "twilio" | "vonage" => match authenticated_params(state, provider, uri, headers, body)? {
            Some(params) => from_params(provider, &params).map(Some),
            None => Ok(None),
        },
        "infobip" => {
            if !auth::verify_shared_secret(
                state.config.webhook_secret.as_deref(),
                headers,
                uri.query(),
            ) {
                return Ok(None);
            }
            from_json(body).map(Some)
        }
        other => Err(HttpError::NotFound(format!(
            "unknown provider '{other}' (twilio, vonage, infobip)"
        ))),
    }
}

/// `POST /webhooks/{provider}/status`.
pub async fn status(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(updates) = authenticated_payload(
        &state,
        &provider,
        &uri,
        &headers,
        &body,
        |provider, params| match provider {
            "twilio" => twilio::status_update(params).map(|u| vec![u]),
            _ => vonage::status_update(params).map(|u| vec![u]),
        },
        infobip::status_updates,
    )?
    else {
        return Ok(forbidden(&state, &provider, "status"));
    };
    let now = Utc::now();
    let mut results = Vec::with_capacity(updates.len());
    for update in &updates {
        let outcome = record_delivery(&state.store, update, now).await?;
        state.metrics.webhook(&provider, "status", outcome.as_str());
        results.push(serde_json::json!({"message_id": update.provider_id, "outcome": outcome}));
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "results": results })),
    )
        .into_response())
}

/// `POST /webhooks/{provider}/inbound`.
pub async fn inbound(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(messages) = authenticated_payload(
        &state,
        &provider,
        &uri,
        &headers,
        &body,
        |provider, params| match provider {
            "twilio" => twilio::inbound_message(params).map(|m| vec![m]),
            _ => vonage::inbound_message(params).map(|m| vec![m]),
        },
        infobip::inbound_messages,
    )?
    else {
        return Ok(forbidden(&state, &provider, "inbound"));
    };
    let now = Utc::now();
    let mut results = Vec::with_capacity(messages.len());
    for message in &messages {
        let outcome = inbound::handle(&state.store, message, now).await?;
        state.metrics.webhook(
            &provider,
            "inbound",
            if outcome.duplicate {
                "duplicate"
            } else {
                outcome.intent
            },
        );
        results.push(outcome);
    }
    if provider == "twilio" {
        // Twilio reads the answer as TwiML: an empty Response sends no reply
        // (Twilio itself answers STOP with its own confirmation).
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>",
        )
            .into_response());
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "results": results })),
    )
        .into_response())
}
