//! `GET /api/disputes`: the disputes waiting for review, oldest first. A
//! dispute holds every contact of its account until `cobro event
//! dispute_resolved` (or `POST /api/accounts/{id}/events`), so this list
//! is an operations team's work queue.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::store::prelude::*;
use crate::users::Principal;

/// How many books one store round trip reads.
const CHUNK: usize = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DisputesQuery {
    /// `open` (default): waiting for review; `all`: resolved ones too.
    #[serde(default)]
    pub state: Option<String>,
}

/// One dispute of one account.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeItem {
    pub account: String,
    pub creditor: String,
    /// RFC 3339.
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: DateTime<Utc>,
    pub reason: String,
    pub text: String,
    /// `portal`, `api`, `cli`, `agent`…
    pub source: String,
    /// RFC 3339; null while open.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The disputes to review (every account's book is read: a list for
/// people, not a bulk export).
#[utoipa::path(get, path = "/api/disputes", tag = "api", security(("bearer" = [])), params(DisputesQuery), responses(
    (status = 200, description = "disputes, oldest first", body = [DisputeItem]),
    (status = 400, description = "unknown state filter", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(q): Query<DisputesQuery>,
) -> Result<Json<Vec<DisputeItem>>, HttpError> {
    let open_only = match q.state.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(other) => {
            return Err(HttpError::BadRequest(format!(
                "state '{other}': expected open or all"
            )));
        }
    };
    let accounts = state.store.book_accounts().await?;
    let mut items = Vec::new();
    for chunk in accounts.chunks(CHUNK) {
        let books = state.store.books(chunk).await?;
        let with_disputes: Vec<(String, Vec<_>)> = chunk
            .iter()
            .zip(books)
            .map(|(id, book)| {
                let disputes: Vec<_> = book
                    .disputes
                    .into_iter()
                    .filter(|d| !open_only || d.resolved_at.is_none())
                    .collect();
                (id.clone(), disputes)
            })
            .filter(|(_, d)| !d.is_empty())
            .collect();
        if with_disputes.is_empty() {
            continue;
        }
        let ids: Vec<String> = with_disputes.iter().map(|(id, _)| id.clone()).collect();
        let accounts = state.store.accounts(&ids).await?;
        for ((id, disputes), account) in with_disputes.into_iter().zip(accounts) {
            let Some((account, _)) = account else {
                continue;
            };
            if !principal.sees(&account.creditor) {
                continue;
            }
            let creditor = account.creditor;
            items.extend(disputes.into_iter().map(|d| DisputeItem {
                account: id.clone(),
                creditor: creditor.clone(),
                opened_at: d.opened_at,
                reason: d.reason,
                text: d.text,
                source: d.source.as_str().to_string(),
                resolved_at: d.resolved_at,
            }));
        }
    }
    items.sort_by(|a, b| (a.opened_at, &a.account).cmp(&(b.opened_at, &b.account)));
    Ok(Json(items))
}
