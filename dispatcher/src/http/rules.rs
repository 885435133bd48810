//! `GET /api/rules` (the packs in force) and `GET /api/rules/explain`
//! (the `cobro rules explain` JSON of DESIGN §9 for an account at an
//! instant): the API twins of the console's rules pages, staff only
//! (`authz::roles_for`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::console::rules::explain_ask;
use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::account_explain::{ExplainError, explain_account};
use crate::rules_in_force::PackJson;

/// The packs in force: id, name, country, where each was read from and
/// whom it applies to.
#[utoipa::path(get, path = "/api/rules", tag = "api", security(("bearer" = [])), responses(
    (status = 200, description = "the packs in force", body = [PackJson]),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not a staff user", body = ApiError),
))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<PackJson>> {
    Json(state.rules.to_json())
}

/// The query of `GET /api/rules/explain`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExplainQuery {
    /// The account (expediente) id.
    pub account: Option<String>,
    /// RFC 3339 instant; now when absent.
    pub at: Option<String>,
    /// `email`, `sms` (default) or `voice`.
    pub channel: Option<String>,
    /// The campaign whose rules decide (default: the first in force).
    pub campaign: Option<String>,
    /// A hypothetical debtor (the `--debtor` JSON), replacing the account's.
    pub debtor: Option<String>,
}

/// The guard's decision for an account at an instant, as `cobro rules
/// explain` prints it: `decision`, `until` (defer only), `timezones`,
/// `reasons` [{rule, code, detail}].
#[utoipa::path(get, path = "/api/rules/explain", tag = "api", security(("bearer" = [])), params(ExplainQuery), responses(
    (status = 200, description = "the `rules explain` JSON", body = Object),
    (status = 400, description = "an instant, channel or debtor that does not parse, or neither account nor debtor", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not a staff user", body = ApiError),
    (status = 404, description = "unknown account or campaign", body = ApiError),
))]
pub async fn explain(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let ask = explain_ask(&q).map_err(HttpError::BadRequest)?;
    let set = state
        .rules
        .set(ask.campaign.as_deref())
        .ok_or_else(|| HttpError::NotFound("no such campaign in force".into()))?;
    match explain_account(
        state.store.as_ref(),
        &set.guard,
        ask.account.as_deref(),
        ask.debtor,
        ask.channel,
        ask.at,
    )
    .await
    {
        // The contract's key order, which a serde_json map would sort.
        Ok(e) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            e.verdict.to_explain_string(),
        )
            .into_response()),
        Err(ExplainError::UnknownAccount(id)) => {
            Err(HttpError::NotFound(format!("account {id} not found")))
        }
        Err(ExplainError::NothingToExplain) => Err(HttpError::BadRequest(
            "give account=ID or debtor=JSON".into(),
        )),
        Err(ExplainError::Store(e)) => Err(HttpError::Store(e)),
    }
}
