//! The operations API under `/api`, behind the bearer token
//! (`auth::require_principal`). Bodies are validated into clear 4xx JSON
//! errors; every change goes through the same store methods and
//! `events::apply_event` the CLI uses, so the API and `cobro event` /
//! `cobro suppress` can never disagree.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router, middleware};
use chrono::Utc;
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{BookAction, EventSource};
use cobro_channels::templates::TemplateSet;
use cobro_config::LoadedCampaign;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ApiError;
use super::{AppState, HttpError, Route, auth, route};
use crate::engine::actions::record_action_by;
use crate::engine::events::{AccountEvent, apply_event};
use crate::launch::launch;
use crate::store::any::AnyStore;
use crate::store::{
    AccountStatus, ContactState, LedgerEntry, LedgerFilter, Suppression, prelude::*,
};
use crate::users::Principal;

/// Where [`router`] nests these routes.
pub const PREFIX: &str = "/api";

/// The API's routes, relative to [`PREFIX`]: what [`router`] serves and
/// what the OpenAPI test compares with the document.
pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/campaigns", list_campaigns),
        route(Method::POST, "/campaigns", launch_campaign),
        route(Method::GET, "/campaigns/{id}", campaign_progress),
        route(Method::POST, "/campaigns/{id}/{action}", campaign_action),
        route(Method::GET, "/campaigns/{id}/arms", super::arms::arms),
        route(Method::GET, "/me", super::me::me),
        route(Method::GET, "/accounts", super::accounts::list),
        route(Method::GET, "/accounts/{id}", super::accounts::account),
        route(
            Method::POST,
            "/accounts/{id}/payments",
            super::accounts::record_payment,
        ),
        route(Method::GET, "/accounts/{id}/history", account_history),
        route(
            Method::GET,
            "/accounts/{id}/gestiones",
            super::accounts::gestiones,
        ),
        route(Method::GET, "/disputes", super::disputes::list),
        route(
            Method::GET,
            "/reports/collections",
            super::reports::collections,
        ),
        route(Method::POST, "/accounts/{id}/events", account_event),
        route(
            Method::POST,
            "/portfolios",
            super::portfolios::upload
                .layer(DefaultBodyLimit::max(super::portfolios::MAX_UPLOAD_BYTES)),
        ),
        route(Method::GET, "/suppressions", list_suppressions),
        route(Method::POST, "/suppressions", add_suppression),
        route(Method::DELETE, "/suppressions", remove_suppression),
        route(Method::GET, "/review", super::review::list),
        route(Method::POST, "/review/{contact}", super::review::answer),
        route(Method::GET, "/rules", super::rules::list),
        route(Method::GET, "/rules/explain", super::rules::explain),
        route(Method::GET, "/work/next", super::work::next),
        route(Method::POST, "/work/{task}/outcome", super::work::outcome),
        route(Method::GET, "/work/stats", super::work::stats),
        route(Method::POST, "/work/{task}/move", super::work::move_task),
    ]
}

pub fn router(state: AppState) -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .route_layer(middleware::from_fn_with_state(
            state,
            auth::require_principal,
        ))
}

/// A JSON body or a 400 that says what is wrong with it.
pub(crate) fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, HttpError> {
    payload.map(|Json(v)| v).map_err(|e| match e {
        JsonRejection::MissingJsonContentType(_) => {
            HttpError::BadRequest("send the body as JSON (Content-Type: application/json)".into())
        }
        other => HttpError::BadRequest(format!("invalid JSON body: {}", other.body_text())),
    })
}

fn parse_channel(value: Option<&str>) -> Result<Option<ChannelKind>, HttpError> {
    crate::suppression_list::parse_channel(value).map_err(HttpError::Unprocessable)
}

/// Counts of one campaign, in the shape of `cobro status --json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub campaign: String,
    /// Planned contacts in every state.
    pub total: u64,
    /// Contacts still to send: pending, queued or sending.
    pub open: u64,
    pub paused: bool,
    /// Contacts by state.
    pub states: BTreeMap<String, u64>,
}

/// Counts of one campaign, in the shape of `cobro status --json`.
pub async fn progress_json(
    store: &AnyStore,
    campaign: &str,
    paused: bool,
) -> Result<Progress, HttpError> {
    let counts = store.counts(Some(campaign)).await?;
    let mut states = BTreeMap::new();
    let mut total = 0;
    for s in ContactState::ALL {
        let n = counts.get(&s).copied().unwrap_or(0);
        total += n;
        states.insert(s.as_str().to_string(), n);
    }
    let open: u64 = [
        ContactState::Pending,
        ContactState::Queued,
        ContactState::Sending,
    ]
    .iter()
    .map(|s| counts.get(s).copied().unwrap_or(0))
    .sum();
    Ok(Progress {
        campaign: campaign.to_string(),
        total,
        open,
        paused,
        states,
    })
}

pub async fn known_campaign(store: &AnyStore, id: &str) -> Result<(), HttpError> {
    if store.campaigns().await?.iter().any(|c| c == id) {
        Ok(())
    } else {
        Err(HttpError::NotFound(format!("no campaign '{id}'")))
    }
}

/// Every campaign's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<Progress>,
}

/// Campaigns with progress.
#[utoipa::path(get, path = "/api/campaigns", tag = "api", security(("bearer" = [])), responses(
    (status = 200, description = "campaigns", body = CampaignList),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn list_campaigns(
    State(state): State<AppState>,
) -> Result<Json<CampaignList>, HttpError> {
    let paused = state.store.paused_campaigns().await?;
    let mut campaigns = Vec::new();
    for c in state.store.campaigns().await? {
        campaigns.push(progress_json(&state.store, &c, paused.contains(&c)).await?);
    }
    Ok(Json(CampaignList { campaigns }))
}

/// What `POST /api/campaigns` launches.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchBody {
    /// Path of a campaign.toml on the server.
    #[schema(value_type = String)]
    campaign_file: PathBuf,
}

/// What a launch did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Launched {
    pub campaign: String,
    pub rows_read: usize,
    /// `line N: field: reason` of each portfolio row refused.
    pub bad_rows: Vec<String>,
    pub accounts: u64,
    pub planned: u64,
    /// Contacts new to the store (0 on a repeated launch).
    pub added: u64,
}

/// Launch a campaign from a campaign.toml on the server (idempotent).
///
/// Import, check, plan, store, like `cobro launch`.
#[utoipa::path(post, path = "/api/campaigns", tag = "api", security(("bearer" = [])), request_body = LaunchBody, responses(
    (status = 201, description = "launched", body = Launched),
    (status = 400, description = "malformed body", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 422, description = "invalid campaign", body = ApiError),
))]
pub async fn launch_campaign(
    State(state): State<AppState>,
    payload: Result<Json<LaunchBody>, JsonRejection>,
) -> Result<Response, HttpError> {
    let req = body(payload)?;
    let launched = launch_file(state.store.as_ref(), &req.campaign_file).await?;
    Ok((StatusCode::CREATED, Json(launched)).into_response())
}

/// Launches the campaign file at `path` into `store`, like `cobro launch`:
/// what `POST /api/campaigns` and the console's launch button share. A
/// problem in the file answers 422.
pub async fn launch_file(store: &AnyStore, path: &std::path::Path) -> Result<Launched, HttpError> {
    let loaded = LoadedCampaign::load(path).map_err(|e| HttpError::Unprocessable(e.to_string()))?;
    let templates = TemplateSet::load(&loaded.templates_dir).map_err(|e| {
        HttpError::Unprocessable(format!("{}: {e}", loaded.templates_dir.display()))
    })?;
    let report = launch(store, &loaded, &templates, |_, _| {})
        .await
        .map_err(|e| match e {
            crate::launch::LaunchError::Store(e) => HttpError::Store(e),
            other => HttpError::Unprocessable(other.to_string()),
        })?;
    tracing::info!(campaign = %loaded.campaign.id, added = report.added, "campaign launched");
    Ok(Launched {
        campaign: loaded.campaign.id,
        rows_read: report.import.rows_read,
        bad_rows: report.import.bad_rows,
        accounts: report.accounts,
        planned: report.planned,
        added: report.added,
    })
}

/// Progress of a campaign.
#[utoipa::path(get, path = "/api/campaigns/{id}", tag = "api", security(("bearer" = [])), params(("id" = String, Path, description = "campaign id")), responses(
    (status = 200, description = "progress", body = Progress),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown campaign", body = ApiError),
))]
pub async fn campaign_progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Progress>, HttpError> {
    known_campaign(&state.store, &id).await?;
    let paused = state.store.paused_campaigns().await?.contains(&id);
    Ok(Json(progress_json(&state.store, &id, paused).await?))
}

/// What a campaign action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    pub campaign: String,
    pub action: String,
    /// pause, resume: whether the campaign's paused flag changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
    /// cancel: how many open contacts were cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<usize>,
    pub progress: Progress,
}

/// Pause, resume or cancel a campaign.
///
/// Pause stops claims of its contacts (they keep their state and due
/// time); resume lets them be claimed again, each re-checked by the guard
/// at that moment. Cancel pauses for good (so a fallback planned by an
/// in-flight send is never claimed) and cancels every open contact with a
/// ledger row.
#[utoipa::path(post, path = "/api/campaigns/{id}/{action}", tag = "api", security(("bearer" = [])), params(
    ("id" = String, Path, description = "campaign id"),
    ("action" = String, Path, description = "pause, resume or cancel", pattern = "^(pause|resume|cancel)$"),
), responses(
    (status = 200, description = "done", body = ActionResult),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown campaign or action", body = ApiError),
))]
pub async fn campaign_action(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, action)): Path<(String, String)>,
) -> Result<Json<ActionResult>, HttpError> {
    let action = CampaignAction::parse(&action).ok_or_else(|| {
        HttpError::NotFound(format!("unknown action '{action}' (pause, resume, cancel)"))
    })?;
    Ok(Json(
        apply_campaign_action(&state.store, &id, action, principal.name()).await?,
    ))
}

/// What an operator does to a running campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAction {
    Pause,
    Resume,
    Cancel,
}

impl CampaignAction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pause" => Some(CampaignAction::Pause),
            "resume" => Some(CampaignAction::Resume),
            "cancel" => Some(CampaignAction::Cancel),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignAction::Pause => "pause",
            CampaignAction::Resume => "resume",
            CampaignAction::Cancel => "cancel",
        }
    }
}

/// Pauses, resumes or cancels campaign `id` (404 when the store has no
/// such campaign) on behalf of `operator`: what the API and the console
/// share. See [`campaign_action`] for what each does.
pub async fn apply_campaign_action(
    store: &AnyStore,
    id: &str,
    action: CampaignAction,
    operator: &str,
) -> Result<ActionResult, HttpError> {
    known_campaign(store, id).await?;
    let (mut changed, mut cancelled) = (None, None);
    match action {
        CampaignAction::Pause => {
            changed = Some(store.set_campaign_paused(id, true).await?);
        }
        CampaignAction::Resume => {
            changed = Some(store.set_campaign_paused(id, false).await?);
        }
        CampaignAction::Cancel => {
            store.set_campaign_paused(id, true).await?;
            let ids = store
                .cancel_campaign_contacts(
                    id,
                    crate::engine::LedgerCode::CampaignCancelled.as_str(),
                    &format!("the campaign was cancelled by an operator ({operator})"),
                    Utc::now(),
                )
                .await?;
            cancelled = Some(ids.len());
        }
    }
    tracing::info!(campaign = %id, action = action.as_str(), operator, "campaign action");
    let paused = store.paused_campaigns().await?.contains(&id.to_string());
    let progress = progress_json(store, id, paused).await?;
    Ok(ActionResult {
        campaign: id.to_string(),
        action: action.as_str().to_string(),
        changed,
        cancelled,
        progress,
    })
}

/// An account's status and its ledger rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub account: String,
    /// The account's status (active, promise_to_pay, paid…).
    #[schema(value_type = String)]
    pub status: AccountStatus,
    /// Ledger rows, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<LedgerEntry>,
}

/// Ledger rows (gestiones) of an account.
#[utoipa::path(get, path = "/api/accounts/{id}/history", tag = "api", security(("bearer" = [])), params(("id" = String, Path, description = "account id")), responses(
    (status = 200, description = "history", body = History),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown account", body = ApiError),
))]
pub async fn account_history(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<History>, HttpError> {
    let (_, status) = super::accounts::visible_account(&state, &principal, &id).await?;
    let rows = state
        .store
        .ledger(&LedgerFilter {
            account: Some(id.clone()),
            ..Default::default()
        })
        .await?;
    Ok(Json(History {
        account: id,
        status,
        rows,
    }))
}

/// An account event.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Event)]
pub struct EventBody {
    /// payment, promise_to_pay, dispute, dispute_resolved, opt_out or
    /// conversation (a payment with its amount: `POST …/payments`).
    #[schema(pattern = "^(payment|promise_to_pay|dispute|dispute_resolved|opt_out|conversation)$")]
    pub kind: String,
    /// email, sms or voice (opt_out, conversation); absent: every channel.
    #[serde(default)]
    pub channel: Option<String>,
}

/// What an event changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventApplied {
    pub account: String,
    pub kind: String,
    /// Ids of the contacts the event cancelled.
    pub cancelled: Vec<String>,
}

/// Record a payment, promise, dispute, opt-out or conversation.
///
/// Each changes the account's plan at once.
#[utoipa::path(post, path = "/api/accounts/{id}/events", tag = "api", security(("bearer" = [])), params(("id" = String, Path, description = "account id")), request_body = EventBody, responses(
    (status = 200, description = "applied; lists the cancelled contacts", body = EventApplied),
    (status = 400, description = "malformed body", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown account", body = ApiError),
    (status = 422, description = "unknown kind or channel", body = ApiError),
))]
pub async fn account_event(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    payload: Result<Json<EventBody>, JsonRejection>,
) -> Result<Json<EventApplied>, HttpError> {
    // The body is checked first: its errors say nothing about the account.
    let req = body(payload)?;
    if req.kind.trim() == "dispute_resolved" {
        super::accounts::visible_account(&state, &principal, &id).await?;
        // The book's side: the account's disputes closed, its contacts
        // free to go again (they were held, not cancelled).
        record_action_by(
            state.store.as_ref(),
            &id,
            &BookAction::DisputeResolved,
            EventSource::Api,
            Some(principal.name()),
            Utc::now(),
            &state.portal.limits,
        )
        .await
        .map_err(super::accounts::action_error)?;
        return Ok(Json(EventApplied {
            account: id,
            kind: req.kind,
            cancelled: Vec::new(),
        }));
    }
    let channel = parse_channel(req.channel.as_deref())?;
    let event = AccountEvent::parse(&req.kind, channel).map_err(HttpError::Unprocessable)?;
    super::accounts::visible_account(&state, &principal, &id).await?;
    match apply_event(state.store.as_ref(), &id, event, Utc::now()).await? {
        None => Err(HttpError::NotFound(format!("no account '{id}'"))),
        Some(cancelled) => Ok(Json(EventApplied {
            account: id,
            kind: req.kind,
            cancelled,
        })),
    }
}

fn normalise_address(raw: &str, prefix: bool) -> Result<String, HttpError> {
    crate::suppression_list::normalise_address(raw, prefix).map_err(HttpError::Unprocessable)
}

/// Suppression list entries, as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressionList {
    #[schema(value_type = Vec<Object>)]
    pub suppressions: Vec<Suppression>,
}

/// The entry as stored (address normalised, source defaulted).
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressionAdded {
    #[schema(value_type = Object)]
    pub suppression: Suppression,
}

/// A removal's answer: `{"removed": true}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub removed: bool,
}

/// List suppression entries.
#[utoipa::path(get, path = "/api/suppressions", tag = "api", security(("bearer" = [])), responses(
    (status = 200, description = "entries", body = SuppressionList),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn list_suppressions(
    State(state): State<AppState>,
) -> Result<Json<SuppressionList>, HttpError> {
    Ok(Json(SuppressionList {
        suppressions: state.store.suppressions().await?,
    }))
}

/// A suppression entry to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Suppression)]
pub struct SuppressionBody {
    /// E.164 number or email; with prefix, a number range or @domain.
    pub address: String,
    /// email, sms, voice; absent or "all" for every channel.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub prefix: bool,
    /// Who asked (default: officer).
    #[serde(default)]
    pub source: Option<String>,
}

/// Add a suppression entry.
#[utoipa::path(post, path = "/api/suppressions", tag = "api", security(("bearer" = [])), request_body = SuppressionBody, responses(
    (status = 201, description = "added", body = SuppressionAdded),
    (status = 400, description = "malformed body", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 422, description = "invalid address or channel", body = ApiError),
))]
pub async fn add_suppression(
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
        Json(SuppressionAdded { suppression: entry }),
    )
        .into_response())
}

/// Which entry to remove.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// The entry's address (required).
    address: Option<String>,
    /// The entry's channel; absent: the all-channels entry.
    channel: Option<String>,
}

/// Remove a suppression entry.
#[utoipa::path(delete, path = "/api/suppressions", tag = "api", security(("bearer" = [])), params(RemoveQuery), responses(
    (status = 200, description = "removed", body = Removed),
    (status = 400, description = "no address", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "no such entry", body = ApiError),
))]
pub async fn remove_suppression(
    State(state): State<AppState>,
    Query(q): Query<RemoveQuery>,
) -> Result<Json<Removed>, HttpError> {
    let address = q
        .address
        .ok_or_else(|| HttpError::BadRequest("the address query parameter is required".into()))?;
    let channel = parse_channel(q.channel.as_deref())?;
    let address = normalise_address(&address, true)?;
    if !state.store.unsuppress(channel, &address).await? {
        return Err(HttpError::NotFound("no such suppression entry".into()));
    }
    Ok(Json(Removed { removed: true }))
}
