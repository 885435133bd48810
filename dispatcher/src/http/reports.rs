//! `GET /api/reports/collections?month=YYYY-MM[&format=json|csv|xlsx][&creditor=]`:
//! the parte de cobros of ARCHITECTURE.md ("HTTP contracts"), confined to
//! what the caller sees (a creditor user: its own accounts only, whatever
//! `creditor` says). The console's download links point here too (a
//! session cookie reads the API), so the files have one route and one
//! tenancy check.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::report::monthly::{MonthlyCollections, parse_month};
use crate::users::{Principal, Role};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CollectionsQuery {
    /// `YYYY-MM`.
    pub month: String,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
    /// Staff: only this creditor's rows. A creditor user is confined to
    /// its own whatever this says.
    pub creditor: Option<String>,
    /// Accepted (and ignored) so a console link may carry it.
    pub lang: Option<String>,
}

/// The file name of a download of `month`'s report as `ext`.
pub fn attachment(month: &str, ext: &str) -> String {
    format!("attachment; filename=\"parte-de-cobros-{month}.{ext}\"")
}

/// A month's report as `format` (`json`, `csv` or `xlsx`), or the 400 of
/// a format that is none of them.
pub fn report_response(report: MonthlyCollections, format: &str) -> Result<Response, HttpError> {
    match format {
        "json" => Ok(Json(report).into_response()),
        "csv" => {
            let csv = match report.to_csv() {
                Ok(csv) => csv,
                Err(e) => return Ok(unwritable("csv", &e)),
            };
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        attachment(&report.month, "csv"),
                    ),
                ],
                csv,
            )
                .into_response())
        }
        "xlsx" => {
            let xlsx = match report.to_xlsx() {
                Ok(xlsx) => xlsx,
                Err(e) => return Ok(unwritable("xlsx", &e)),
            };
            Ok((
                [
                    (header::CONTENT_TYPE, XLSX_TYPE.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        attachment(&report.month, "xlsx"),
                    ),
                ],
                xlsx,
            )
                .into_response())
        }
        other => Err(HttpError::BadRequest(format!(
            "format '{other}': expected json, csv or xlsx"
        ))),
    }
}

/// The 500 of a report that could not be written (logged: it is a bug,
/// not the caller's input).
fn unwritable(format: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, format, "parte de cobros could not be written");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({ "error": format!("the {format} file could not be written") })),
    )
        .into_response()
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What was collected in a month, per debtor, with totals per currency and
/// per creditor and campaign (recovery rate: `report::monthly`).
#[utoipa::path(get, path = "/api/reports/collections", tag = "api", security(("bearer" = [])), params(CollectionsQuery), responses(
    (status = 200, description = "the month's rows and totals (JSON; CSV with format=csv, an Excel workbook with format=xlsx)", body = Object),
    (status = 400, description = "month or format that does not parse", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn collections(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(q): Query<CollectionsQuery>,
) -> Result<Response, HttpError> {
    let first = parse_month(&q.month).ok_or_else(|| {
        HttpError::BadRequest(format!(
            "month '{}': expected YYYY-MM (for example 2026-03)",
            q.month
        ))
    })?;
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(HttpError::BadRequest(format!(
            "format '{format}': expected json, csv or xlsx"
        )));
    }
    let report = MonthlyCollections::build(
        state.store.as_ref(),
        first,
        &principal,
        state.portal.limits.grace_days,
    )
    .await?;
    // A creditor user's report is already its own: the filter is staff's.
    let report = match q.creditor.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() && principal.role() != Role::Creditor => report.only_creditor(c),
        _ => report,
    };
    report_response(report, format)
}
