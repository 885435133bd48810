//! Who a request is: the API's bearer tokens and the console's session
//! cookie. Provider callbacks are checked by their
//! provider's module in the channels crate (`providers/*/signature.rs`).
//! Comparisons are constant-time so that response timing does not leak
//! how much of a guess was right.

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cobro_channels::secrets_equal;

use chrono::Utc;

use super::{AppState, authz};
use crate::store::prelude::*;
use crate::users::{Principal, Session, User, secret_hash};

/// Twilio's callback signature, for callers that sign test callbacks the
/// way Twilio does.
pub use cobro_channels::providers::twilio::twilio_signature;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cobro_session";

/// Why a request has no principal.
enum Refusal {
    Unauthenticated,
    Unavailable(String),
}

fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// The value of cookie `name` in the request.
pub fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn user_if_enabled(state: &AppState, email: &str) -> Result<Option<User>, Refusal> {
    match state.store.user(email).await {
        Ok(Some(u)) if !u.disabled => Ok(Some(u)),
        Ok(_) => Ok(None),
        Err(e) => Err(Refusal::Unavailable(e.to_string())),
    }
}

/// Who the bearer token is: the bootstrap `COBRO_API_TOKEN`, or a user's
/// current token (a replaced token, or a disabled user's, is nobody).
async fn from_token(state: &AppState, token: &str) -> Result<Option<Principal>, Refusal> {
    if let Some(expected) = state.config.api_token.as_deref()
        && secrets_equal(token.as_bytes(), expected.as_bytes())
    {
        return Ok(Some(Principal::Bootstrap));
    }
    let hash = secret_hash(token);
    let email = match state.store.token_email(&hash).await {
        Ok(Some(e)) => e,
        Ok(None) => return Ok(None),
        Err(e) => return Err(Refusal::Unavailable(e.to_string())),
    };
    Ok(user_if_enabled(state, &email)
        .await?
        .filter(|u| u.token_hash.as_deref() == Some(hash.as_str()))
        .map(Principal::User))
}

/// Who the session cookie is (an expired session, or a disabled user's,
/// is nobody).
pub async fn session_principal(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Option<(Principal, Session)> {
    let id = cookie_value(headers, SESSION_COOKIE)?;
    let session = state.store.session(&secret_hash(id)).await.ok()??;
    if session.expires_at <= Utc::now() {
        return None;
    }
    let user = user_if_enabled(state, &session.email).await.ok()??;
    Some((Principal::User(user), session))
}

fn refuse(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({"error": "missing or invalid bearer token"})),
        )
            .into_response(),
        Refusal::Unavailable(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": format!("cannot check the credentials now: {e}")})),
        )
            .into_response(),
    }
}

/// Guards `/api/…`: a bearer token (`COBRO_API_TOKEN`, or a user's from
/// `cobro users token`), or for reads a console session cookie; then the
/// role table (`authz.rs`). The principal goes to the handler as an
/// extension. Writes through a cookie are refused: a page that changes
/// something posts its own CSRF-checked form instead, so a cross-site
/// request riding the cookie can never change data.
pub async fn require_principal(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let principal = match bearer(&request) {
        Some(token) => match from_token(&state, token).await {
            Ok(Some(p)) => p,
            Ok(None) => return refuse(Refusal::Unauthenticated),
            Err(r) => return refuse(r),
        },
        None if request.method() == Method::GET => {
            match session_principal(&state, request.headers()).await {
                Some((p, _)) => p,
                None => return refuse(Refusal::Unauthenticated),
            }
        }
        None => return refuse(Refusal::Unauthenticated),
    };
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let relative = path.strip_prefix(super::api::PREFIX).unwrap_or(&path);
    if !authz::allowed(principal.role(), request.method(), relative) {
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({
                "error": format!("the {} role may not {} {}", principal.role(), request.method(), path)
            })),
        )
            .into_response();
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}
