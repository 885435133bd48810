//! Provider callbacks: `POST /webhooks/{provider}/status` (delivery
//! receipts) and `POST /webhooks/{provider}/inbound` (replies). The
//! provider's own module in the channels crate checks the signature and
//! parses the payload into provider-neutral reports and messages; applying
//! them to the store happens here, once, without naming any provider's
//! fields.
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
use cobro_campaigns::ChannelKind;
use cobro_channels::{
    CallbackError, CallbackKeys, CallbackRequest, DeliveryReport, DeliveryStatus, Provider,
};

use super::{AppState, HttpError, inbound};
use crate::engine::contact_ref::verify_contact_ref;
use crate::engine::events::{AccountEvent, apply_event};
use crate::engine::reconcile::{self, ReportApplied};
use crate::store::any::AnyStore;
use crate::store::{ContactState, LedgerFilter, LedgerState, Transition, prelude::*};

/// What one receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Recorded,
    /// It named (by its signed reference) a contact whose send had no
    /// recorded answer, and resolved it (`engine::reconcile`).
    Reconciled,
    /// It named a contact still `sending` with a final status: the answer
    /// is 503, so a provider that retries reports again once the worker
    /// has written the send (or recovery made it `unknown`).
    InFlight,
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
            DeliveryOutcome::Reconciled => "reconciled",
            DeliveryOutcome::InFlight => "in_flight",
            DeliveryOutcome::Unchanged => "unchanged",
            DeliveryOutcome::Ignored => "ignored",
            DeliveryOutcome::UnknownId => "unknown_id",
        }
    }
}

/// Applies one receipt. A receipt that carries a contact reference signed
/// with `link_secret` (`engine::contact_ref`) for a contact whose send has
/// no recorded answer (`unknown`) reconciles it
/// (`engine::reconcile::apply_report`), or, for one still `sending`, is
/// asked for again; a reference that does not verify is ignored, never
/// believed. Otherwise it finds the
/// contact the provider id belongs to (its `sent` ledger row) and moves it
/// to delivered/undelivered with a ledger row. The store only allows that
/// from sent/sending/unknown, so a replay changes nothing.
pub async fn record_delivery(
    store: &AnyStore,
    provider: &str,
    link_secret: &[u8],
    update: &DeliveryReport,
    now: DateTime<Utc>,
) -> Result<DeliveryOutcome, HttpError> {
    if let Some(reference) = &update.contact_ref {
        match verify_contact_ref(link_secret, reference) {
            Some(contact) => {
                match reconcile::apply_report(store, &contact, provider, update, now).await? {
                    ReportApplied::Reconciled(_) => return Ok(DeliveryOutcome::Reconciled),
                    ReportApplied::InFlight => return Ok(DeliveryOutcome::InFlight),
                    ReportApplied::NotForUs => {}
                }
            }
            None => {
                tracing::warn!(
                    provider,
                    "a delivery report's contact reference is not ours: ignored"
                );
            }
        }
    }
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
    let state = match update.status {
        Some(DeliveryStatus::Delivered) => ContactState::Delivered,
        Some(DeliveryStatus::Undelivered) => ContactState::Undelivered,
        Some(DeliveryStatus::Accepted) | None => return Ok(DeliveryOutcome::Ignored),
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

/// The URL the provider requested, rebuilt from our configured public
/// URL (what Twilio signs).
fn public_url_of(state: &AppState, uri: &Uri) -> String {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    format!("{}{}", state.config.public_url, path)
}

/// Runs the provider's signature check and parser on the request: `None`
/// when the check fails (the caller answers 403 and stores nothing).
fn authenticated<T>(
    state: &AppState,
    provider: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    parse: impl FnOnce(Provider, &CallbackRequest<'_>, &CallbackKeys<'_>) -> Result<T, CallbackError>,
) -> Result<Option<(Provider, T)>, HttpError> {
    let provider =
        Provider::for_callbacks(provider).map_err(|e| HttpError::NotFound(e.to_string()))?;
    let url = public_url_of(state, uri);
    let request = CallbackRequest {
        url: &url,
        query: uri.query(),
        headers,
        body,
    };
    let keys = CallbackKeys {
        twilio_auth_token: state.config.twilio_auth_token.as_deref(),
        shared_secret: state.config.webhook_secret.as_deref(),
    };
    match parse(provider, &request, &keys) {
        Ok(parsed) => Ok(Some((provider, parsed))),
        Err(e) if e.is_unauthenticated() => Ok(None),
        Err(e) if e.is_unknown_provider() => Err(HttpError::NotFound(e.to_string())),
        Err(e) => Err(HttpError::BadRequest(e.to_string())),
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
    let Some((_, updates)) =
        authenticated(&state, &provider, &uri, &headers, &body, |p, req, keys| {
            p.delivery_reports(req, keys)
        })?
    else {
        return Ok(forbidden(&state, &provider, "status"));
    };
    let now = Utc::now();
    let mut results = Vec::with_capacity(updates.len());
    let mut in_flight = false;
    for update in &updates {
        let outcome = record_delivery(
            &state.store,
            &provider,
            &state.config.sender.link_secret,
            update,
            now,
        )
        .await?;
        state.metrics.webhook(&provider, "status", outcome.as_str());
        in_flight |= outcome == DeliveryOutcome::InFlight;
        results.push(serde_json::json!({"message_id": update.provider_id, "outcome": outcome}));
    }
    if in_flight {
        // Everything else is applied; replays of it change nothing.
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "60")],
            Json(serde_json::json!({ "results": results })),
        )
            .into_response());
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
    let Some((known, messages)) =
        authenticated(&state, &provider, &uri, &headers, &body, |p, req, keys| {
            p.inbound_messages(req, keys)
        })?
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
    if let Some((content_type, reply)) = known.inbound_reply() {
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            reply,
        )
            .into_response());
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "results": results })),
    )
        .into_response())
}
