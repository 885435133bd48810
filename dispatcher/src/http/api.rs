//! The operations API under `/api`, behind the bearer token
//! (`auth::require_bearer`). Bodies are validated into clear 4xx JSON
//! errors; every change goes through the same store methods and
//! `events::apply_event` the CLI uses, so the API and `cobro event` /
//! `cobro suppress` can never disagree.

use std::path::PathBuf;
use std::str::FromStr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use chrono::Utc;
use cobro_campaigns::ChannelKind;
use cobro_channels::templates::TemplateSet;
use cobro_config::LoadedCampaign;
use serde::Deserialize;

use super::{AppState, HttpError, auth};
use crate::events::{AccountEvent, apply_event};
use crate::launch::launch;
use crate::store::any::AnyStore;
use crate::store::{ContactState, LedgerFilter, Suppression, prelude::*};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list_campaigns).post(launch_campaign))
        .route("/campaigns/{id}", get(campaign_progress))
        .route("/campaigns/{id}/{action}", post(campaign_action))
        .route("/accounts/{id}/history", get(account_history))
        .route("/accounts/{id}/events", post(account_event))
        .route(
            "/suppressions",
            get(list_suppressions)
                .post(add_suppression)
                .delete(remove_suppression),
        )
        .route_layer(middleware::from_fn_with_state(state, auth::require_bearer))
}

/// A JSON body or a 400 that says what is wrong with it.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, HttpError> {
    payload.map(|Json(v)| v).map_err(|e| match e {
        JsonRejection::MissingJsonContentType(_) => {
            HttpError::BadRequest("send the body as JSON (Content-Type: application/json)".into())
        }
        other => HttpError::BadRequest(format!("invalid JSON body: {}", other.body_text())),
    })
}

fn parse_channel(value: Option<&str>) -> Result<Option<ChannelKind>, HttpError> {
    match value.map(str::trim) {
        None | Some("") | Some("all") | Some("*") => Ok(None),
        Some(c) => ChannelKind::from_str(c)
            .map(Some)
            .map_err(|e| HttpError::Unprocessable(e.to_string())),
    }
}

/// Counts of one campaign, in the shape of `cobro status --json`.
pub async fn progress_json(
    store: &AnyStore,
    campaign: &str,
    paused: bool,
) -> Result<serde_json::Value, HttpError> {
    let counts = store.counts(Some(campaign)).await?;
    let mut states = serde_json::Map::new();
    let mut total = 0;
    for s in ContactState::ALL {
        let n = counts.get(&s).copied().unwrap_or(0);
        total += n;
        states.insert(s.as_str().into(), n.into());
    }
    let open: u64 = [
        ContactState::Pending,
        ContactState::Queued,
        ContactState::Sending,
    ]
    .iter()
    .map(|s| counts.get(s).copied().unwrap_or(0))
    .sum();
    Ok(
        serde_json::json!({"campaign": campaign, "total": total, "open": open, "paused": paused, "states": states}),
    )
}

async fn known_campaign(store: &AnyStore, id: &str) -> Result<(), HttpError> {
    if store.campaigns().await?.iter().any(|c| c == id) {
        Ok(())
    } else {
        Err(HttpError::NotFound(format!("no campaign '{id}'")))
    }
}

async fn list_campaigns(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let paused = state.store.paused_campaigns().await?;
    let mut out = Vec::new();
    for c in state.store.campaigns().await? {
        out.push(progress_json(&state.store, &c, paused.contains(&c)).await?);
    }
    Ok(Json(serde_json::json!({ "campaigns": out })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LaunchBody {
    /// Path of a campaign.toml on the server.
    campaign_file: PathBuf,
}

/// `POST /api/campaigns`: import, check, plan, store (idempotent, like
/// `cobro launch`).
async fn launch_campaign(
    State(state): State<AppState>,
    payload: Result<Json<LaunchBody>, JsonRejection>,
) -> Result<Response, HttpError> {
    let req = body(payload)?;
    let loaded = LoadedCampaign::load(&req.campaign_file)
        .map_err(|e| HttpError::Unprocessable(e.to_string()))?;
    let templates = TemplateSet::load(&loaded.templates_dir).map_err(|e| {
        HttpError::Unprocessable(format!("{}: {e}", loaded.templates_dir.display()))
    })?;
    let report = launch(state.store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .map_err(|e| match e {
            crate::launch::LaunchError::Store(e) => HttpError::Store(e),
            other => HttpError::Unprocessable(other.to_string()),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "campaign": loaded.campaign.id,
            "rows_read": report.import.rows_read,
            "bad_rows": report.import.bad_rows,
            "accounts": report.accounts,
            "planned": report.planned,
            "added": report.added,
        })),
    )
        .into_response())
}

async fn campaign_progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, HttpError> {
    known_campaign(&state.store, &id).await?;
    let paused = state.store.paused_campaigns().await?.contains(&id);
    Ok(Json(progress_json(&state.store, &id, paused).await?))
}

/// `POST /api/campaigns/{id}/pause|resume|cancel`. Pause stops claims of
/// its contacts (they keep their state and due time); resume lets them be
/// claimed again, each re-checked by the guard at that moment. Cancel
/// pauses for good (so a fallback planned by an in-flight send is never
/// claimed) and cancels every open contact with a ledger row.
async fn campaign_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, HttpError> {
    known_campaign(&state.store, &id).await?;
    let store = &state.store;
    let mut result = serde_json::json!({"campaign": id, "action": action});
    match action.as_str() {
        "pause" => {
            result["changed"] = store.set_campaign_paused(&id, true).await?.into();
        }
        "resume" => {
            result["changed"] = store.set_campaign_paused(&id, false).await?.into();
        }
        "cancel" => {
            store.set_campaign_paused(&id, true).await?;
            let ids = store
                .cancel_campaign_contacts(
                    &id,
                    crate::engine::LedgerCode::CampaignCancelled.as_str(),
                    "the campaign was cancelled by an operator",
                    Utc::now(),
                )
                .await?;
            result["cancelled"] = ids.len().into();
        }
        other => {
            return Err(HttpError::NotFound(format!(
                "unknown action '{other}' (pause, resume, cancel)"
            )));
        }
    }
    tracing::info!(campaign = %id, action = %action, "campaign action");
    let paused = store.paused_campaigns().await?.contains(&id);
    result["progress"] = progress_json(store, &id, paused).await?;
    Ok(Json(result))
}

/// `GET /api/accounts/{id}/history`: the account's gestiones.
async fn account_history(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let Some((_, status)) = state.store.account(&id).await? else {
        return Err(HttpError::NotFound(format!("no account '{id}'")));
    };
    let rows = state
        .store
        .ledger(&LedgerFilter {
            account: Some(id.clone()),
            ..Default::default()
        })
        .await?;
    Ok(Json(
        serde_json::json!({"account": id, "status": status, "rows": rows}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    kind: String,
    #[serde(default)]
    channel: Option<String>,
}

/// `POST /api/accounts/{id}/events`: payment, promise to pay, dispute,
/// opt-out and conversation change the plan at once.
async fn account_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    payload: Result<Json<EventBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let req = body(payload)?;
    let channel = parse_channel(req.channel.as_deref())?;
    let event = AccountEvent::parse(&req.kind, channel).map_err(HttpError::Unprocessable)?;
    match apply_event(state.store.as_ref(), &id, event, Utc::now()).await? {
        None => Err(HttpError::NotFound(format!("no account '{id}'"))),
        Some(cancelled) => Ok(Json(
            serde_json::json!({"account": id, "kind": req.kind, "cancelled": cancelled}),
        )),
    }
}

/// Emails compare lower-case; phone numbers as E.164 (spaces and dashes
/// dropped). Anything else is refused rather than stored as a list entry
/// that never matches.
fn normalise_address(raw: &str, prefix: bool) -> Result<String, HttpError> {
    let a = raw.trim();
    if a.contains('@') {
        let a = a.to_lowercase();
        if a.chars().any(char::is_whitespace) || (!prefix && a.starts_with('@')) {
            return Err(HttpError::Unprocessable(format!(
                "'{raw}' is not an email address"
            )));
        }
        return Ok(a);
    }
    let a = a.replace([' ', '-'], "");
    let digits = a.strip_prefix('+').unwrap_or(&a);
    let min = if prefix { 1 } else { 6 };
    if !a.starts_with('+')
        || digits.len() < min
        || digits.len() > 15
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(HttpError::Unprocessable(format!(
            "'{raw}' is neither an email address nor an E.164 number (+525512345678)"
        )));
    }
    Ok(a)
}

async fn list_suppressions(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    Ok(Json(
        serde_json::json!({ "suppressions": state.store.suppressions().await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionBody {
    address: String,
    /// email, sms, voice; absent or "all" for every channel.
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    prefix: bool,
    #[serde(default)]
    source: Option<String>,
}

async fn add_suppression(
    State(state): State<AppState>,
    payload: Result<Json<SuppressionBody>, JsonRejection>,
) -> Result<Response, HttpError> {
    let req = body(payload)?;
    let entry = Suppression {
        channel: parse_channel(req.channel.as_deref())?,
        address: normalise_address(&req.address, req.prefix)?,
        prefix: req.prefix,
        source: req
            .source
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "officer".into()),
        at: Utc::now(),
    };
    state.store.suppress(&entry).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "suppression": entry })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct RemoveQuery {
    address: Option<String>,
    channel: Option<String>,
}

/// `DELETE /api/suppressions?address=…&channel=…` (channel absent: the
/// all-channels entry).
async fn remove_suppression(
    State(state): State<AppState>,
    Query(q): Query<RemoveQuery>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let address = q
        .address
        .ok_or_else(|| HttpError::BadRequest("the address query parameter is required".into()))?;
    let channel = parse_channel(q.channel.as_deref())?;
    let address = normalise_address(&address, true)?;
    if !state.store.unsuppress(channel, &address).await? {
        return Err(HttpError::NotFound("no such suppression entry".into()));
    }
    Ok(Json(serde_json::json!({"removed": true})))
}
