//! `GET /api/reports/collections?month=YYYY-MM[&format=json|csv]`: the
//! parte de cobros of ARCHITECTURE.md ("HTTP contracts"), confined to what the caller sees (a
//! creditor user: its own accounts only).

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::report::monthly::{MonthlyCollections, parse_month};
use crate::users::Principal;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CollectionsQuery {
    /// `YYYY-MM`.
    pub month: String,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// What was collected in a month, per debtor, with totals per currency.
#[utoipa::path(get, path = "/api/reports/collections", tag = "api", security(("bearer" = [])), params(CollectionsQuery), responses(
    (status = 200, description = "the month's rows and totals (JSON, or CSV with format=csv)", body = Object),
    (status = 400, description = "month or format that does not parse", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn collections(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(q): Query<CollectionsQuery>,
) -> Result<Response, HttpError> {
    let first = parse_month(&q.month)
        .ok_or_else(|| HttpError::BadRequest(format!("month '{}': expected YYYY-MM", q.month)))?;
    let report = MonthlyCollections::build(
        state.store.as_ref(),
        first,
        &principal,
        state.portal.limits.grace_days,
    )
    .await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "csv" => {
            let csv = report
                .to_csv()
                .map_err(|e| HttpError::BadRequest(format!("csv: {e}")))?;
            let name = format!(
                "attachment; filename=\"parte-de-cobros-{}.csv\"",
                report.month
            );
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                csv,
            )
                .into_response())
        }
        other => Err(HttpError::BadRequest(format!(
            "format '{other}': expected json or csv"
        ))),
    }
}
