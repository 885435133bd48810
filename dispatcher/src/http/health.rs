//! `GET /healthz`: whether the store and the queue answer, for `cobro
//! serve` and for the `/healthz` of `cobro work --metrics-bind`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::metrics::WorkerMetricsState;
use crate::queue_probe::{PROBE_TIMEOUT, QueueProbe};
use crate::store::any::AnyStore;
use crate::store::prelude::*;

/// The answer of `/healthz`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when both answered, else `unavailable`.
    #[schema(pattern = "^(ok|unavailable)$")]
    pub status: String,
    /// `ok`, or the store's error.
    pub store: String,
    /// `ok`, `unused` (this process runs no workers and was given no
    /// `--queue`), or the queue's error.
    pub queue: String,
}

/// 200 `{"status":"ok","store":"ok","queue":"ok"}` when the store and the
/// queue answer; 503 with the failing one's error in its field otherwise.
/// A process that uses no queue reports `"queue":"unused"`.
async fn health(store: &AnyStore, queue: Option<&QueueProbe>) -> Response {
    let store_check = async {
        match tokio::time::timeout(PROBE_TIMEOUT, store.account_count()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
        }
    };
    let queue_check = async {
        match queue {
            Some(probe) => probe.jobs().await.map(|_| "ok").map_err(|e| e.to_string()),
            None => Ok("unused"),
        }
    };
    let (store_result, queue_result) = tokio::join!(store_check, queue_check);
    let healthy = store_result.is_ok() && queue_result.is_ok();
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" }.to_string(),
        store: store_result
            .map(|()| "ok".to_string())
            .unwrap_or_else(|e| e),
        queue: queue_result.map(str::to_string).unwrap_or_else(|e| e),
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Health: store and queue reachable.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "both answered", body = Health),
    (status = 503, description = "the store or the queue did not answer within 3 s; its field holds the error", body = Health),
))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    health(&state.store, state.queue.as_deref()).await
}

pub(crate) async fn worker_healthz(State(state): State<WorkerMetricsState>) -> Response {
    health(&state.store, state.queue.as_deref()).await
}
