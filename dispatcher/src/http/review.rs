//! `GET /api/review` and `POST /api/review/{contact}`: the review queue of
//! `unknown` contacts (a send whose outcome was lost) with their evidence,
//! and an operator's answer (`delivered` or `not_sent`), applied by
//! `engine::review::resolve` exactly as the console's review page does.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::engine::review::{ReviewError, ReviewItem, ReviewOutcome, resolve, review_page};
use crate::store::LedgerEntry;
use crate::users::Principal;

/// A page of the queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// The `next` of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    /// Contacts per page (1–200, default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// One `unknown` contact and what is known of its attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewContact {
    pub contact: String,
    pub campaign: String,
    pub account: String,
    pub step: String,
    pub channel: String,
    pub attempt: u32,
    /// RFC 3339: when it was due.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: DateTime<Utc>,
    /// The contact's ledger rows, oldest first (provider, provider id,
    /// error detail of each attempt).
    #[schema(value_type = Vec<Object>)]
    pub evidence: Vec<LedgerEntry>,
}

impl From<ReviewItem> for ReviewContact {
    fn from(item: ReviewItem) -> Self {
        let c = item.record.contact;
        ReviewContact {
            contact: c.id,
            campaign: c.campaign,
            account: c.account,
            step: c.step,
            channel: c.channel.as_str().to_string(),
            attempt: item.record.attempt,
            due_at: item.record.due_at,
            evidence: item.evidence,
        }
    }
}

/// The queue, by contact id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewContact>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
}

/// Contacts in state `unknown`, with their evidence.
#[utoipa::path(get, path = "/api/review", tag = "api", security(("bearer" = [])), params(ReviewQuery), responses(
    (status = 200, description = "the queue", body = ReviewList),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not an operations user", body = ApiError),
))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<ReviewList>, HttpError> {
    let (items, next) = review_page(
        state.store.as_ref(),
        q.after.as_deref().filter(|a| !a.is_empty()),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(ReviewList {
        items: items.into_iter().map(ReviewContact::from).collect(),
        next,
    }))
}

/// What the operator found.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `delivered`, or `not_sent` (back to the plan: the guard decides it
    /// again).
    #[schema(pattern = "^(delivered|not_sent)$")]
    pub outcome: String,
}

/// What the answer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reviewed {
    pub contact: String,
    pub outcome: String,
    /// The contact's state now: `delivered` or `pending`.
    pub state: String,
}

/// Resolve an `unknown` contact.
///
/// The contact id goes URL-encoded (`/` as `%2F`). A ledger row names the
/// operator.
#[utoipa::path(post, path = "/api/review/{contact}", tag = "api", security(("bearer" = [])), params(
    ("contact" = String, Path, description = "contact id, URL-encoded"),
), request_body = ReviewBody, responses(
    (status = 200, description = "resolved", body = Reviewed),
    (status = 400, description = "malformed body", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not an operations user", body = ApiError),
    (status = 404, description = "unknown contact", body = ApiError),
    (status = 409, description = "the contact is not in review (resolved meanwhile)", body = ApiError),
    (status = 422, description = "unknown outcome", body = ApiError),
))]
pub async fn answer(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(contact): Path<String>,
    payload: Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Json<Reviewed>, HttpError> {
    let req = super::api::body(payload)?;
    let outcome = ReviewOutcome::parse(&req.outcome).ok_or_else(|| {
        HttpError::Unprocessable(format!(
            "outcome '{}': expected delivered or not_sent",
            req.outcome
        ))
    })?;
    let to = resolve(
        state.store.as_ref(),
        &contact,
        outcome,
        principal.name(),
        Utc::now(),
    )
    .await
    .map_err(review_error)?;
    Ok(Json(Reviewed {
        contact,
        outcome: outcome.as_str().to_string(),
        state: to.as_str().to_string(),
    }))
}

/// 404 for an unknown contact, 409 for one no longer in review.
pub fn review_error(e: ReviewError) -> HttpError {
    match e {
        ReviewError::Store(e) => HttpError::Store(e),
        e if e.is_not_found() => HttpError::NotFound(e.to_string()),
        e => HttpError::Conflict(e.to_string()),
    }
}
