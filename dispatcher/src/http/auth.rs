//! The API bearer token check. Provider callbacks are checked by their
//! provider's module in the channels crate (`providers/*/signature.rs`).
//! Comparisons are constant-time so that response timing does not leak
//! how much of a guess was right.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cobro_channels::secrets_equal;

use super::AppState;

/// Twilio's callback signature, for callers that sign test callbacks the
/// way Twilio does.
pub use cobro_channels::providers::twilio::twilio_signature;

/// Guards `/api/…`: `Authorization: Bearer $COBRO_API_TOKEN`. Without a
/// configured token the API is closed (503), never open.
pub async fn require_bearer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.config.api_token.as_deref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": "the API is disabled: set COBRO_API_TOKEN"})),
        )
            .into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        Some(token) if secrets_equal(token.as_bytes(), expected.as_bytes()) => {
            next.run(request).await
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({"error": "missing or invalid bearer token"})),
        )
            .into_response(),
    }
}
