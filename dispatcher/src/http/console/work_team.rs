//! `GET /console/work/team`: the supervisor's view of the work queue —
//! `work_queue::work_stats` per collector (tasks done, contact rate,
//! promises and what they promised and kept per currency, handling time,
//! late outcomes, open tasks) and per team (queue depth, open, done) —
//! and the open leases, each with a Release button and a Reassign form.
//! `POST /console/work/team/move` applies a move through
//! `http::work::apply_move`, the API's own door.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use rust_decimal::Decimal;
use serde::Serialize;

use super::session::ConsoleSession;
use super::texts::Lang;
use crate::http::work::apply_move;
use crate::http::{AppState, HttpError};
use crate::store::prelude::*;
use crate::users::Role;
use crate::work_queue::work_stats;

const PATH: &str = "/console/work/team";

/// This page's words.
#[derive(Serialize)]
struct Words {
    title: &'static str,
    collectors: &'static str,
    no_collectors: &'static str,
    collector: &'static str,
    done: &'static str,
    contact_rate: &'static str,
    promises: &'static str,
    promised: &'static str,
    kept: &'static str,
    handling: &'static str,
    late: &'static str,
    open: &'static str,
    teams: &'static str,
    no_teams: &'static str,
    team: &'static str,
    depth: &'static str,
    leases: &'static str,
    no_leases: &'static str,
    task: &'static str,
    since: &'static str,
    until: &'static str,
    release: &'static str,
    reassign: &'static str,
    reassign_to: &'static str,
    released: &'static str,
    reassigned: &'static str,
    late_total: &'static str,
    at: &'static str,
    missing: &'static str,
    invalid: &'static str,
    no_one_else: &'static str,
}

const ES: Words = Words {
    title: "Equipo de gestores",
    collectors: "Gestores",
    no_collectors: "Ningún gestor ha registrado gestiones todavía.",
    collector: "Gestor",
    done: "Gestiones",
    contact_rate: "Contacto efectivo",
    promises: "Promesas",
    promised: "Prometido",
    kept: "Cumplido",
    handling: "Tiempo medio (min)",
    late: "Fuera de ventana",
    open: "Abiertas",
    teams: "Equipos",
    no_teams: "Ningún equipo tiene gestiones en este servidor.",
    team: "Equipo",
    depth: "En espera",
    leases: "Gestiones abiertas",
    no_leases: "Nadie tiene una gestión abierta.",
    task: "Gestión",
    since: "Desde (UTC)",
    until: "Reservada hasta (UTC)",
    release: "Devolver a la cola",
    reassign: "Reasignar",
    reassign_to: "Reasignar a",
    released: "Gestión devuelta a la cola.",
    reassigned: "Gestión reasignada.",
    late_total: "Resultados registrados fuera de la ventana legal (revisión de cumplimiento)",
    at: "Cifras a las",
    missing: "Esa gestión ya no está abierta, o ese gestor no existe o está desactivado.",
    invalid: "Elija a qué gestor reasignar la gestión.",
    no_one_else: "No hay otro gestor activo a quien reasignarla.",
};

const EN: Words = Words {
    title: "Collectors' team",
    collectors: "Collectors",
    no_collectors: "No collector has recorded an outcome yet.",
    collector: "Collector",
    done: "Tasks done",
    contact_rate: "Contact rate",
    promises: "Promises",
    promised: "Promised",
    kept: "Kept",
    handling: "Avg. handling (min)",
    late: "Late",
    open: "Open",
    teams: "Teams",
    no_teams: "No team has tasks on this server.",
    team: "Team",
    depth: "Waiting",
    leases: "Open tasks",
    no_leases: "Nobody holds a task.",
    task: "Task",
    since: "Since (UTC)",
    until: "Reserved until (UTC)",
    release: "Back to the queue",
    reassign: "Reassign",
    reassign_to: "Reassign to",
    released: "Task back in the queue.",
    reassigned: "Task reassigned.",
    late_total: "Outcomes recorded outside the legal window (compliance review)",
    at: "Figures as of",
    missing: "That task is no longer open, or that collector does not exist or is disabled.",
    invalid: "Choose the collector to reassign the task to.",
    no_one_else: "No other active collector to reassign it to.",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

#[derive(Serialize)]
struct Money {
    currency: String,
    amount: String,
}

fn money(map: &BTreeMap<String, Decimal>) -> Vec<Money> {
    map.iter()
        .map(|(currency, amount)| Money {
            currency: currency.clone(),
            amount: amount.to_string(),
        })
        .collect()
}

#[derive(Serialize)]
struct CollectorRow {
    collector: String,
    done: u64,
    contact_rate: String,
    promises: u64,
    promised: Vec<Money>,
    kept: Vec<Money>,
    handling_minutes: String,
    late: u64,
    open: u64,
}

#[derive(Serialize)]
struct LeaseRow {
    task: String,
    collector: String,
    team: String,
    since: String,
    until: String,
    /// The active collectors it may go to (not its holder).
    others: Vec<String>,
}

/// The figures, the teams and the open leases.
#[utoipa::path(get, path = "/console/work/team", tag = "console", params(
    ("done" = Option<String>, Query, description = "released or reassigned: the move just made"),
), responses(
    (status = 200, description = "the supervisor's page", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not an operations user", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let w = words(me.lang);
    let now = Utc::now();
    let teams: Vec<String> = state.work.teams().iter().cloned().collect();
    let stats = work_stats(state.store.as_ref(), &teams, &state.portal.limits, now).await?;
    let collectors: Vec<CollectorRow> = stats
        .collectors
        .iter()
        .map(|c| CollectorRow {
            collector: c.collector.clone(),
            done: c.tasks_done,
            contact_rate: format!("{:.1} %", c.contact_rate),
            promises: c.promises,
            promised: money(&c.promised),
            kept: money(&c.kept),
            handling_minutes: format!("{:.1}", c.avg_handling_seconds as f64 / 60.0),
            late: c.late,
            open: c.open,
        })
        .collect();
    // Whom a task can go to: the active collectors.
    let mut active: Vec<String> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Collector && !u.disabled)
        .map(|u| u.email)
        .collect();
    active.sort();
    let leases: Vec<LeaseRow> = stats
        .leases
        .iter()
        .map(|l| LeaseRow {
            task: l.contact_id.clone(),
            collector: l.collector.clone(),
            team: l.team.clone(),
            since: l.leased_at.format("%Y-%m-%d %H:%M").to_string(),
            until: l.until.format("%H:%M").to_string(),
            others: active
                .iter()
                .filter(|a| **a != l.collector)
                .cloned()
                .collect(),
        })
        .collect();
    let flash = match query.get("done").map(String::as_str) {
        Some("released") => Some(w.released),
        Some("reassigned") => Some(w.reassigned),
        _ => None,
    };
    // A code, never text from the address bar: a link cannot put words
    // on this page.
    let error = match query.get("error").map(String::as_str) {
        Some("missing") => Some(w.missing),
        Some("invalid") => Some(w.invalid),
        _ => None,
    };
    Ok(me.page(
        "work_team.html",
        w.title,
        context! {
            w,
            at => now.format("%Y-%m-%d %H:%M UTC").to_string(),
            collectors,
            teams => stats.teams,
            leases,
            late_total => stats.late,
            flash,
            error,
        },
    ))
}

/// Releases or reassigns a leased task (fields `csrf`, `task`, `action` =
/// `release` | `reassign`, `to` for a reassignment).
#[utoipa::path(post, path = "/console/work/team/move", tag = "console", responses(
    (status = 303, description = "moved, or refused: back to the page with a notice"),
    (status = 403, description = "not an operations user, or missing or wrong csrf", content_type = "text/html"),
))]
pub async fn move_task(
    State(state): State<AppState>,
    me: ConsoleSession,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(form) = me.form(&body) else {
        return Ok(me.expired_form());
    };
    let field = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or("");
    let action = field("action");
    let to = Some(field("to")).filter(|t| !t.is_empty());
    let done = match action {
        "release" => "released",
        _ => "reassigned",
    };
    match apply_move(&state, me.principal.name(), field("task"), action, to).await {
        Ok(()) => Ok(Redirect::to(&format!("{PATH}?done={done}")).into_response()),
        Err(HttpError::NotFound(_)) => {
            Ok(Redirect::to(&format!("{PATH}?error=missing")).into_response())
        }
        Err(HttpError::Unprocessable(_)) => {
            Ok(Redirect::to(&format!("{PATH}?error=invalid")).into_response())
        }
        Err(e) => Err(e),
    }
}
