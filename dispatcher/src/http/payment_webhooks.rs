//! Payment notifications: `/webhooks/mercadopago` and `/webhooks/stripe`.
//! The provider's signature is checked by its module in `cobro-payments`
//! (Mercado Pago `x-signature`, Stripe `Stripe-Signature`); a bad one gets
//! 403 and nothing is stored. A verified payment is recorded under the
//! provider's own id as reference, so however often the provider
//! redelivers it, it counts once.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use cobro_campaigns::book::{BookAction, EventSource};
use cobro_payments::Notification;

use super::{AppState, HttpError};
use crate::engine::actions::{ActionError, record_action};

async fn receive(
    state: AppState,
    provider: &'static str,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(payments) = state
        .portal
        .payments
        .as_ref()
        .filter(|p| p.name() == provider)
    else {
        return Ok((StatusCode::FORBIDDEN, "payment provider not configured").into_response());
    };
    let now = Utc::now();
    let notification = match payments
        .notification(query.as_deref().unwrap_or(""), &headers, &body, now)
        .await
    {
        Ok(n) => n,
        Err(e) if e.is_signature() => {
            tracing::warn!(provider, "payment notification refused: {e}");
            return Ok((StatusCode::FORBIDDEN, "bad signature").into_response());
        }
        Err(e) if e.is_transient() => {
            return Ok((StatusCode::SERVICE_UNAVAILABLE, "try again").into_response());
        }
        Err(e) => {
            tracing::warn!(provider, "payment notification not understood: {e}");
            return Ok((StatusCode::BAD_REQUEST, "not understood").into_response());
        }
    };
    let payment = match notification {
        Notification::Ignored(why) => {
            tracing::debug!(provider, "payment notification ignored: {why}");
            return Ok(StatusCode::OK.into_response());
        }
        Notification::Payment(p) => p,
    };
    let action = BookAction::Payment {
        amount: payment.amount,
        at: payment.at,
        reference: format!("{}:{}", payment.provider, payment.provider_id),
    };
    match record_action(
        state.store.as_ref(),
        &payment.account,
        &action,
        EventSource::Webhook,
        now,
        &state.portal.limits,
    )
    .await
    {
        Ok(_) => Ok(StatusCode::OK.into_response()),
        // Not ours (another system's checkout on the same account): 200
        // so the provider stops, logged for review.
        Err(e @ (ActionError::UnknownAccount(_) | ActionError::Refused(_))) => {
            tracing::warn!(provider, "payment notification not recorded: {e}");
            Ok(StatusCode::OK.into_response())
        }
        Err(e) => Err(super::accounts::action_error(e)),
    }
}

/// Mercado Pago payment notification (Webhooks, `x-signature`).
#[utoipa::path(post, path = "/webhooks/mercadopago", tag = "webhooks", responses(
    (status = 200, description = "recorded once, or nothing to record"),
    (status = 403, description = "bad signature (or provider not configured): nothing stored"),
))]
pub async fn mercadopago(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    receive(state, "mercadopago", query, headers, body).await
}

/// Stripe event (`checkout.session.completed`, `Stripe-Signature`).
#[utoipa::path(post, path = "/webhooks/stripe", tag = "webhooks", responses(
    (status = 200, description = "recorded once, or nothing to record"),
    (status = 403, description = "bad signature (or provider not configured): nothing stored"),
))]
pub async fn stripe(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    receive(state, "stripe", query, headers, body).await
}
