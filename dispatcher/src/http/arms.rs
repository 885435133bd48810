//! `GET /api/campaigns/{id}/arms`: the champion/challenger table of a
//! campaign (`report::arms`): per arm and for the holdout, accounts,
//! contacts by channel, cost, contact rate, promises, payments, recovery
//! rate and uplift over the holdout with its 95 % interval. The server
//! knows a campaign's arms from the campaign files it was given (`cobro
//! serve --campaign`): the arms are a pure function of that file, so an
//! unknown file or a campaign without arms answers 404. Staff only: the
//! figures mix every creditor's accounts of the campaign.

use axum::Json;
use axum::extract::{Path, State};

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::report::arms::{ArmsReport, ArmsReportError};

/// The loaded campaign file with `id` among the server's `--campaign`
/// files (each is read again, so an edited file is seen).
pub fn campaign_file(state: &AppState, id: &str) -> Option<cobro_config::LoadedCampaign> {
    state
        .campaign_files
        .iter()
        .filter_map(|path| cobro_config::LoadedCampaign::load(path).ok())
        .find(|loaded| loaded.campaign.id == id)
}

/// The arms' report of campaign `id`, or the 404 of an unknown one.
pub async fn arms_report(state: &AppState, id: &str) -> Result<ArmsReport, HttpError> {
    let Some(loaded) = campaign_file(state, id) else {
        return Err(HttpError::NotFound(format!(
            "no campaign file for '{id}' on this server (cobro serve --campaign FILE)"
        )));
    };
    ArmsReport::build(state.store.as_ref(), &loaded)
        .await
        .map_err(|e| match e {
            ArmsReportError::Store(e) => HttpError::Store(e),
            ArmsReportError::NoArms(_) => HttpError::NotFound(e.to_string()),
            ArmsReportError::Portfolio(_) => HttpError::Unprocessable(e.to_string()),
        })
}

/// Per arm and for the holdout: `arm`, `strategy`, `weight`, `accounts`,
/// `segments`, `contacts` (per channel), `contacts_total`,
/// `contacted_accounts`, `contact_rate` (%), `sms_segments`, `cost`
/// (`currency`, `lines`, `total`), `promises`, `payments`, `payers`,
/// `paid` and `amount_due` (per currency), `recovery_rate` (% of accounts
/// that paid in the window) and `uplift` over the holdout (`points`,
/// `low`, `high`: the 95 % Newcombe hybrid score interval, in points;
/// `verdict`: better, worse or not_enough_data, with `verdict_es` and
/// `verdict_en`); with `campaign`, `holdout_percent`, `window_from`,
/// `window_to` and `method`.
#[utoipa::path(get, path = "/api/campaigns/{id}/arms", tag = "api", security(("bearer" = [])),
    params(("id" = String, Path, description = "campaign id")),
    responses(
        (status = 200, description = "the arms' table: campaign, holdout_percent, window_from, window_to, method, arms[] (arm, accounts, contacts, cost, contact_rate, promises, payments, payers, paid, recovery_rate, uplift {points, low, high, verdict, verdict_es, verdict_en})", body = Object),
        (status = 401, description = "missing or wrong bearer token", body = ApiError),
        (status = 403, description = "not staff", body = ApiError),
        (status = 404, description = "no campaign file with that id on this server, or no [[arms]] in it", body = ApiError),
    ))]
pub async fn arms(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ArmsReport>, HttpError> {
    Ok(Json(arms_report(&state, &id).await?))
}
