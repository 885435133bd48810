//! The campaigns pages: `GET /console/campaigns` (every campaign with its
//! counts by state and paused flag, and the campaign files this server
//! was given, to simulate), `GET /console/campaigns/{id}` (progress per
//! day and channel from the ledger, and pause / resume / cancel),
//! `POST /console/campaigns/simulate` (the dry run's report, with a launch
//! button) and `POST /console/campaigns/launch`.
//!
//! Every action goes through the functions the API uses
//! (`api::apply_campaign_action`, `api::launch_file`,
//! `simulate::simulate_file`), so the console cannot do anything the API
//! would do differently. Compliance reads these pages; only operations
//! (and the admin) get the buttons and may post.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;

use super::accounts::query_string;
use super::session::ConsoleSession;
use super::texts::{Lang, state_label};
use crate::http::api::{
    CampaignAction, Progress, apply_campaign_action, known_campaign, launch_file, progress_json,
};
use crate::http::authz::page_allowed;
use crate::http::{AppState, HttpError};
use crate::report::daily::{COUNTED, DailyProgress};
use crate::simulate::simulate_file;
use crate::store::ContactState;
use crate::store::prelude::*;

const ACTION: &str = "/console/campaigns/{id}/{action}";

/// Ledger rows the detail page reads at most per visit.
const DAILY_MAX_ROWS: u64 = 50_000;

/// This page's words.
#[derive(Serialize)]
struct Words {
    title: &'static str,
    campaign: &'static str,
    total: &'static str,
    open: &'static str,
    paused: &'static str,
    running: &'static str,
    none: &'static str,
    files_title: &'static str,
    files_intro: &'static str,
    no_files: &'static str,
    simulate: &'static str,
    launch: &'static str,
    launch_note: &'static str,
    states_title: &'static str,
    daily_title: &'static str,
    daily_truncated: &'static str,
    no_rows: &'static str,
    day: &'static str,
    channel: &'static str,
    pause: &'static str,
    resume: &'static str,
    cancel: &'static str,
    confirm_cancel: &'static str,
    done_pause: &'static str,
    done_resume: &'static str,
    done_cancel: &'static str,
    done_launch: &'static str,
    error_confirm: &'static str,
    simulation_title: &'static str,
    simulation_intro: &'static str,
    rows_read: &'static str,
    bad_rows: &'static str,
    accounts: &'static str,
    planned: &'static str,
    decisions: &'static str,
    deferred_by: &'static str,
    blocked_by: &'static str,
    cancelled_by: &'static str,
    failed_by: &'static str,
    reason: &'static str,
    count: &'static str,
    sent_per_day: &'static str,
    messages_sent: &'static str,
    sms_segments: &'static str,
    estimated_cost: &'static str,
    first_send: &'static str,
    last_send: &'static str,
    failed_title: &'static str,
    back: &'static str,
}

const ES: Words = Words {
    title: "Campañas",
    campaign: "Campaña",
    total: "Contactos",
    open: "Por enviar",
    paused: "En pausa",
    running: "En marcha",
    none: "Todavía no hay campañas lanzadas.",
    files_title: "Archivos de campaña del servidor",
    files_intro: "Simule una campaña antes de lanzarla: corre con reloj virtual en un almacén temporal, sin enviar nada ni tocar los datos reales.",
    no_files: "Este servidor no recibió archivos de campaña (cobro serve --campaign ARCHIVO).",
    simulate: "Simular",
    launch: "Lanzar esta campaña",
    launch_note: "Lanzar importa la cartera, planifica cada contacto y lo guarda; es idempotente (un segundo lanzamiento no agrega nada dos veces).",
    states_title: "Contactos por estado",
    daily_title: "Avance por día y canal",
    daily_truncated: "Se contaron las primeras {n} filas del registro de gestiones; la exportación las tiene todas.",
    no_rows: "Sin gestiones todavía.",
    day: "Día",
    channel: "Canal",
    pause: "Pausar",
    resume: "Reanudar",
    cancel: "Cancelar campaña",
    confirm_cancel: "Sí, cancelar todos los contactos pendientes (no se puede deshacer)",
    done_pause: "Campaña en pausa.",
    done_resume: "Campaña reanudada: cada contacto pasa otra vez por la guardia.",
    done_cancel: "Campaña cancelada.",
    done_launch: "Campaña lanzada.",
    error_confirm: "Para cancelar marque la casilla de confirmación.",
    simulation_title: "Simulación",
    simulation_intro: "Resultado con reloj virtual y transporte nulo en un almacén temporal: nada se envió y los datos reales no cambiaron.",
    rows_read: "Filas leídas",
    bad_rows: "Filas rechazadas",
    accounts: "Expedientes",
    planned: "Contactos planificados",
    decisions: "Decisiones de la guardia",
    deferred_by: "Diferidos por regla",
    blocked_by: "Bloqueados por regla",
    cancelled_by: "Cancelados por motivo",
    failed_by: "Fallidos por motivo",
    reason: "Regla o motivo",
    count: "Cantidad",
    sent_per_day: "Enviados por día (fecha local del deudor) y canal",
    messages_sent: "Mensajes enviados",
    sms_segments: "Segmentos SMS",
    estimated_cost: "Costo estimado",
    first_send: "Primer envío",
    last_send: "Último envío",
    failed_title: "No se pudo",
    back: "Volver a campañas",
};

const EN: Words = Words {
    title: "Campaigns",
    campaign: "Campaign",
    total: "Contacts",
    open: "Still to send",
    paused: "Paused",
    running: "Running",
    none: "No campaign has been launched yet.",
    files_title: "Campaign files on the server",
    files_intro: "Simulate a campaign before launching it: it runs on a virtual clock in a scratch store, sending nothing and leaving the real data alone.",
    no_files: "This server was given no campaign files (cobro serve --campaign FILE).",
    simulate: "Simulate",
    launch: "Launch this campaign",
    launch_note: "Launching imports the portfolio, plans every contact and stores it; it is idempotent (a second launch adds nothing twice).",
    states_title: "Contacts by state",
    daily_title: "Progress per day and channel",
    daily_truncated: "The first {n} ledger rows were counted; the export has them all.",
    no_rows: "No ledger rows yet.",
    day: "Day",
    channel: "Channel",
    pause: "Pause",
    resume: "Resume",
    cancel: "Cancel campaign",
    confirm_cancel: "Yes, cancel every contact still to send (cannot be undone)",
    done_pause: "Campaign paused.",
    done_resume: "Campaign resumed: every contact goes through the guard again.",
    done_cancel: "Campaign cancelled.",
    done_launch: "Campaign launched.",
    error_confirm: "Tick the confirmation box to cancel.",
    simulation_title: "Simulation",
    simulation_intro: "Run on a virtual clock with the null transport in a scratch store: nothing was sent and the real data did not change.",
    rows_read: "Rows read",
    bad_rows: "Rows refused",
    accounts: "Accounts",
    planned: "Contacts planned",
    decisions: "Guard decisions",
    deferred_by: "Deferred by rule",
    blocked_by: "Blocked by rule",
    cancelled_by: "Cancelled by reason",
    failed_by: "Failed by reason",
    reason: "Rule or reason",
    count: "Count",
    sent_per_day: "Sent per day (debtor-local date) and channel",
    messages_sent: "Messages sent",
    sms_segments: "SMS segments",
    estimated_cost: "Estimated cost",
    first_send: "First send",
    last_send: "Last send",
    failed_title: "Could not",
    back: "Back to campaigns",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

#[derive(Serialize)]
struct StateCount {
    state: &'static str,
    label: String,
    n: u64,
}

#[derive(Serialize)]
struct CampaignRow {
    id: String,
    total: u64,
    open: u64,
    paused: bool,
    states: Vec<StateCount>,
}

fn row(lang: Lang, p: Progress) -> CampaignRow {
    let states = ContactState::ALL
        .iter()
        .map(|s| StateCount {
            state: s.as_str(),
            label: state_label(lang, s.as_str()),
            n: p.states.get(s.as_str()).copied().unwrap_or(0),
        })
        .collect();
    CampaignRow {
        id: p.campaign,
        total: p.total,
        open: p.open,
        paused: p.paused,
        states,
    }
}

#[derive(Serialize)]
struct FileRow {
    index: usize,
    name: String,
}

/// The campaign files the server knows, by index (what the forms post).
fn files(state: &AppState) -> Vec<FileRow> {
    state
        .campaign_files
        .iter()
        .enumerate()
        .map(|(index, path)| FileRow {
            index,
            name: path.display().to_string(),
        })
        .collect()
}

/// The file a form chose (`file` = its index), if the server knows it.
fn chosen_file(state: &AppState, form: &HashMap<String, String>) -> Option<PathBuf> {
    let index: usize = form.get("file")?.trim().parse().ok()?;
    state.campaign_files.get(index).cloned()
}

/// Whether this user may press the buttons (operations, admin).
fn may_act(me: &ConsoleSession) -> bool {
    page_allowed(me.role(), &Method::POST, ACTION)
}

/// A message page with `status` (a refused file, a failed simulation).
fn problem(me: &ConsoleSession, status: StatusCode, message: String) -> Response {
    let p = words(me.lang);
    let mut resp = me.page("message.html", p.failed_title, context! { message });
    *resp.status_mut() = status;
    resp
}

/// Every campaign with its progress.
#[utoipa::path(get, path = "/console/campaigns", tag = "console", responses(
    (status = 200, description = "the campaigns", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not staff", content_type = "text/html"),
))]
pub async fn list(
    State(state): State<AppState>,
    me: ConsoleSession,
) -> Result<Response, HttpError> {
    let p = words(me.lang);
    let paused = state.store.paused_campaigns().await?;
    let mut campaigns = Vec::new();
    for c in state.store.campaigns().await? {
        let progress = progress_json(&state.store, &c, paused.contains(&c)).await?;
        campaigns.push(row(me.lang, progress));
    }
    Ok(me.page(
        "campaigns.html",
        p.title,
        context! {
            p,
            campaigns,
            files => files(&state),
            may_act => may_act(&me),
        },
    ))
}

#[derive(Serialize)]
struct DayRow {
    day: String,
    channel: String,
    counts: Vec<u64>,
}

/// One campaign: counts, progress per day and channel, actions.
#[utoipa::path(get, path = "/console/campaigns/{id}", tag = "console", params(("id" = String, Path, description = "campaign id")), responses(
    (status = 200, description = "the campaign", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not staff", content_type = "text/html"),
    (status = 404, description = "no such campaign", content_type = "text/html"),
))]
pub async fn detail(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let p = words(me.lang);
    if known_campaign(&state.store, &id).await.is_err() {
        return Ok(me.not_found());
    }
    let paused = state.store.paused_campaigns().await?.contains(&id);
    let progress = row(me.lang, progress_json(&state.store, &id, paused).await?);
    let daily = DailyProgress::from_store(state.store.as_ref(), &id, DAILY_MAX_ROWS).await?;
    let columns: Vec<String> = COUNTED
        .iter()
        .map(|s| state_label(me.lang, s.as_str()))
        .collect();
    let days: Vec<DayRow> = daily
        .rows
        .iter()
        .map(|d| DayRow {
            day: d.day.to_string(),
            channel: d.channel.clone(),
            counts: COUNTED
                .iter()
                .map(|s| d.counts.get(s.as_str()).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    let flash = match query.get("done").map(String::as_str) {
        Some("pause") => Some(p.done_pause.to_string()),
        Some("resume") => Some(p.done_resume.to_string()),
        Some("cancel") => Some(format!(
            "{} ({})",
            p.done_cancel,
            query.get("n").map(String::as_str).unwrap_or("0")
        )),
        Some("launch") => Some(format!(
            "{} (+{})",
            p.done_launch,
            query.get("n").map(String::as_str).unwrap_or("0")
        )),
        _ => None,
    };
    let error =
        (query.get("error").map(String::as_str) == Some("confirm")).then_some(p.error_confirm);
    let truncated = daily.truncated.then(|| {
        p.daily_truncated
            .replace("{n}", &daily.rows_read.to_string())
    });
    Ok(me.page(
        "campaign.html",
        &format!("{} {}", p.campaign, id),
        context! {
            p,
            c => progress,
            columns,
            days,
            truncated,
            flash,
            error,
            may_act => may_act(&me),
            arms_label => crate::http::arms::campaign_file(&state, &id)
                .filter(|l| l.arms.is_some())
                .map(|_| match me.lang {
                    super::texts::Lang::Es => "Brazos (campeón / retador) y grupo de control",
                    super::texts::Lang::En => "Arms (champion / challenger) and holdout",
                }),
        },
    ))
}

/// Pause, resume or cancel (form fields `csrf`; `confirm=yes` to cancel).
#[utoipa::path(post, path = "/console/campaigns/{id}/{action}", tag = "console", params(
    ("id" = String, Path, description = "campaign id"),
    ("action" = String, Path, description = "pause, resume or cancel"),
), responses(
    (status = 303, description = "done (or cancel without confirmation): back to the campaign"),
    (status = 403, description = "not operations, or missing or wrong csrf", content_type = "text/html"),
    (status = 404, description = "no such campaign or action", content_type = "text/html"),
))]
pub async fn act(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(form) = me.form(&body) else {
        return Ok(me.expired_form());
    };
    let Some(action) = CampaignAction::parse(&action) else {
        return Ok(me.not_found());
    };
    let back = format!("/console/campaigns/{}", urlencoding(&id));
    if action == CampaignAction::Cancel && form.get("confirm").map(String::as_str) != Some("yes") {
        return Ok(Redirect::to(&format!("{back}?error=confirm")).into_response());
    }
    match apply_campaign_action(&state.store, &id, action, me.principal.name()).await {
        Ok(done) => {
            let n = done.cancelled.unwrap_or(0).to_string();
            Ok(Redirect::to(&format!(
                "{back}?{}",
                query_string([("done", action.as_str()), ("n", n.as_str())])
            ))
            .into_response())
        }
        Err(HttpError::NotFound(_)) => Ok(me.not_found()),
        Err(e) => Err(e),
    }
}

/// A campaign id as one path segment (percent-encoded; a space as `%20`).
fn urlencoding(id: &str) -> String {
    serde_urlencoded::to_string([("", id)])
        .map(|s| s.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

/// The dry run of a campaign file the server knows (form fields `file`,
/// `csrf`): its report, with a button that launches it.
#[utoipa::path(post, path = "/console/campaigns/simulate", tag = "console", responses(
    (status = 200, description = "the simulation report", content_type = "text/html"),
    (status = 403, description = "not operations, or missing or wrong csrf", content_type = "text/html"),
    (status = 404, description = "no such campaign file", content_type = "text/html"),
    (status = 422, description = "the campaign file is invalid", content_type = "text/html"),
))]
pub async fn simulate(
    State(state): State<AppState>,
    me: ConsoleSession,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(form) = me.form(&body) else {
        return Ok(me.expired_form());
    };
    let Some(path) = chosen_file(&state, &form) else {
        return Ok(me.not_found());
    };
    let p = words(me.lang);
    let simulation = match simulate_file(&path, state.portal.limits).await {
        Ok(s) => s,
        Err(e) if e.is_bad_input() => {
            return Ok(problem(
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.to_string(),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, file = %path.display(), "console simulation failed");
            return Ok(problem(
                &me,
                StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            ));
        }
    };
    let r = &simulation.report;
    let labelled = |map: &BTreeMap<String, u64>| -> Vec<(String, u64)> {
        map.iter().map(|(k, n)| (k.clone(), *n)).collect()
    };
    let states: Vec<(String, u64)> = r
        .states
        .iter()
        .map(|(k, n)| (state_label(me.lang, k), *n))
        .collect();
    let decisions: Vec<(String, u64)> = r
        .decisions
        .iter()
        .map(|(k, n)| (state_label(me.lang, k), *n))
        .collect();
    let per_day: Vec<(String, u64, u64, u64)> = r
        .sent_per_day
        .iter()
        .map(|(day, m)| {
            let get = |k: &str| m.get(k).copied().unwrap_or(0);
            (day.to_string(), get("email"), get("sms"), get("voice"))
        })
        .collect();
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    };
    Ok(me.page(
        "simulation.html",
        &format!("{} {}", p.simulation_title, r.campaign),
        context! {
            p,
            campaign => &r.campaign,
            file => state.campaign_files.iter().position(|f| *f == path),
            rows_read => simulation.launch.import.rows_read,
            bad_rows => simulation.launch.import.bad_rows.len(),
            accounts => simulation.launch.accounts,
            planned => simulation.launch.planned,
            states,
            decisions,
            deferred => labelled(&r.deferred_by_reason),
            blocked => labelled(&r.blocked_by_reason),
            cancelled => labelled(&r.cancelled_by_reason),
            failed => labelled(&r.failed_by_reason),
            per_day,
            total_sent => r.total_sent(),
            sms_segments => r.sms_segments,
            cost => r.cost.as_ref().map(|c| context! {
                total => c.total.round_dp(2).to_string(),
                currency => &c.currency,
                detail => c.to_text(),
            }),
            first_send => time(r.first_send),
            last_send => time(r.last_send),
        },
    ))
}

/// Launches a campaign file the server knows (form fields `file`, `csrf`),
/// then shows the campaign.
#[utoipa::path(post, path = "/console/campaigns/launch", tag = "console", responses(
    (status = 303, description = "launched: to the campaign's page"),
    (status = 403, description = "not operations, or missing or wrong csrf", content_type = "text/html"),
    (status = 404, description = "no such campaign file", content_type = "text/html"),
    (status = 422, description = "the campaign file is invalid", content_type = "text/html"),
))]
pub async fn launch(
    State(state): State<AppState>,
    me: ConsoleSession,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(form) = me.form(&body) else {
        return Ok(me.expired_form());
    };
    let Some(path) = chosen_file(&state, &form) else {
        return Ok(me.not_found());
    };
    match launch_file(state.store.as_ref(), &path).await {
        Ok(done) => Ok(Redirect::to(&format!(
            "/console/campaigns/{}?{}",
            urlencoding(&done.campaign),
            query_string([("done", "launch"), ("n", done.added.to_string().as_str())])
        ))
        .into_response()),
        Err(HttpError::Unprocessable(message)) => {
            Ok(problem(&me, StatusCode::UNPROCESSABLE_ENTITY, message))
        }
        Err(e) => Err(e),
    }
}
