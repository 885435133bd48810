//! The collectors' work queue over HTTP (`work_queue`; ARCHITECTURE.md, "The work queue"):
//! `GET /api/work/next` hands the asking collector its next allowed task
//! (204 when none is allowed now), `POST /api/work/{task}/outcome` records
//! what came of it; a supervisor reads `GET /api/work/stats` and releases
//! or reassigns leased tasks.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::store::UserStore;
use crate::users::Principal;
use crate::work_queue::{
    self, OutcomeForm, OutcomeRecorded, Task, WorkError, WorkStats, next_task, record_outcome,
    work_stats,
};

impl From<WorkError> for HttpError {
    fn from(e: WorkError) -> Self {
        match e {
            WorkError::NotFound(_) => HttpError::NotFound(e.to_string()),
            WorkError::NotYours(_) => HttpError::Conflict(e.to_string()),
            WorkError::BadOutcome(_) => HttpError::Unprocessable(e.to_string()),
            WorkError::Store(s) => HttpError::Store(s),
            WorkError::Pipeline(crate::engine::PipelineError::Store(s)) => HttpError::Store(s),
            WorkError::Pipeline(p) => {
                HttpError::Store(crate::store::StoreError::Query(p.to_string()))
            }
        }
    }
}

/// The teams `principal` works (a collector's own; staff: every team):
/// what the API and the console's work page hand tasks from.
pub(crate) async fn teams_of(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<String>, HttpError> {
    let own = match principal {
        Principal::User(u) => state
            .store
            .user(&u.email)
            .await?
            .map(|u| u.teams)
            .unwrap_or_default(),
        Principal::Bootstrap => Vec::new(),
    };
    Ok(state.work.teams_of(&own))
}

/// The next task for the caller, leased to it.
///
/// The guard decides the task at this instant (hours, days, holidays,
/// caps counted with every automated contact, targets, consent, the
/// debtor's preferences); a collector already holding a task gets it back.
#[utoipa::path(get, path = "/api/work/next", tag = "api", security(("bearer" = [])), responses(
    (status = 200, description = "a task, leased to the caller", body = Task),
    (status = 204, description = "no task is allowed now"),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not a collector", body = ApiError),
))]
pub async fn next(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Response, HttpError> {
    let teams = teams_of(&state, &principal).await?;
    let task = next_task(
        state.work.as_ref(),
        state.store.as_ref(),
        principal.name(),
        &teams,
        Utc::now(),
    )
    .await?;
    Ok(match task {
        Some(task) => Json(task).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Record what came of a task.
///
/// The task id (its contact id) goes URL-encoded (`/` as `%2F`). The
/// guard is asked again: an outcome recorded when the call would not be
/// allowed is kept and flagged (`late`).
#[utoipa::path(post, path = "/api/work/{task}/outcome", tag = "api", security(("bearer" = [])), params(
    ("task" = String, Path, description = "task id, URL-encoded"),
), request_body = OutcomeForm, responses(
    (status = 200, description = "recorded", body = OutcomeRecorded),
    (status = 400, description = "malformed body", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not a collector", body = ApiError),
    (status = 404, description = "unknown task", body = ApiError),
    (status = 409, description = "the task is not leased to the caller", body = ApiError),
    (status = 422, description = "unknown outcome or a missing or wrong field", body = ApiError),
))]
pub async fn outcome(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(task): Path<String>,
    payload: Result<Json<OutcomeForm>, JsonRejection>,
) -> Result<Json<OutcomeRecorded>, HttpError> {
    let form = super::api::body(payload)?;
    let done = record_outcome(
        state.work.as_ref(),
        state.store.as_ref(),
        principal.name(),
        &task,
        &form,
        Utc::now(),
    )
    .await?;
    Ok(Json(done))
}

/// The supervisor's figures: per collector and team.
#[utoipa::path(get, path = "/api/work/stats", tag = "api", security(("bearer" = [])), responses(
    (status = 200, description = "the figures now", body = WorkStats),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not a supervisor (admin or operations)", body = ApiError),
))]
pub async fn stats(State(state): State<AppState>) -> Result<Json<WorkStats>, HttpError> {
    let teams: Vec<String> = state.work.teams().iter().cloned().collect();
    let stats = work_stats(
        state.store.as_ref(),
        &teams,
        &state.portal.limits,
        Utc::now(),
    )
    .await?;
    Ok(Json(stats))
}

/// A supervisor's move of a leased task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskMove {
    /// `release` (back to the queue, due now) or `reassign` (to `to`).
    pub action: String,
    /// The collector's email, for `reassign`.
    #[serde(default)]
    pub to: Option<String>,
}

/// Release or reassign a leased task.
#[utoipa::path(post, path = "/api/work/{task}/move", tag = "api", security(("bearer" = [])), params(
    ("task" = String, Path, description = "task id, URL-encoded"),
), request_body = TaskMove, responses(
    (status = 204, description = "done"),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 403, description = "not a supervisor", body = ApiError),
    (status = 404, description = "no leased task with that id, or no such collector", body = ApiError),
    (status = 422, description = "unknown action", body = ApiError),
))]
pub async fn move_task(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(task): Path<String>,
    payload: Result<Json<TaskMove>, JsonRejection>,
) -> Result<StatusCode, HttpError> {
    let req = super::api::body(payload)?;
    apply_move(
        &state,
        principal.name(),
        &task,
        &req.action,
        req.to.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `release` or `reassign`, shared with the console's supervisor page.
pub async fn apply_move(
    state: &AppState,
    by: &str,
    task: &str,
    action: &str,
    to: Option<&str>,
) -> Result<(), HttpError> {
    let now = Utc::now();
    match action {
        "release" => work_queue::release(state.store.as_ref(), task, by, now).await?,
        "reassign" => {
            let to = to.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
                HttpError::Unprocessable("to: the collector's email is required".into())
            })?;
            let to = to.to_lowercase();
            let collector = state.store.user(&to).await?;
            if !collector.is_some_and(|u| u.role == crate::users::Role::Collector && !u.disabled) {
                return Err(HttpError::NotFound(format!("no active collector '{to}'")));
            }
            work_queue::reassign(state.store.as_ref(), task, &to, by, now).await?
        }
        other => {
            return Err(HttpError::Unprocessable(format!(
                "action '{other}': expected release or reassign"
            )));
        }
    }
    Ok(())
}
