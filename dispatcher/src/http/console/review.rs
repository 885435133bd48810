//! `GET /console/review`: the review queue of `unknown` contacts (a send
//! whose outcome was lost in a crash), each with its evidence (the
//! contact's ledger rows), and `POST /console/review`: an operator's
//! answer, "delivered" or "not sent (the guard may plan it again)",
//! applied by `engine::review::resolve` as `POST /api/review/{contact}`
//! does, with a ledger row that names the operator.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use serde::Serialize;

use super::accounts::query_string;
use super::session::ConsoleSession;
use super::texts::Lang;
use crate::engine::review::{ReviewOutcome, resolve, review_page};
use crate::http::{AppState, HttpError};

const PATH: &str = "/console/review";

/// This page's words.
#[derive(Serialize)]
struct Words {
    title: &'static str,
    intro: &'static str,
    empty: &'static str,
    contact: &'static str,
    campaign: &'static str,
    channel: &'static str,
    attempt: &'static str,
    due: &'static str,
    evidence: &'static str,
    at: &'static str,
    state: &'static str,
    provider: &'static str,
    provider_id: &'static str,
    detail: &'static str,
    mark_delivered: &'static str,
    mark_not_sent: &'static str,
    done_delivered: &'static str,
    done_not_sent: &'static str,
    gone: &'static str,
}

const ES: Words = Words {
    title: "Revisión de contactos inciertos",
    intro: "El proceso se detuvo después de entregar estos mensajes al proveedor y antes de registrar la respuesta: no se sabe si salieron. Revise la evidencia y diga qué pasó; nunca se reenvían solos.",
    empty: "No hay contactos por revisar.",
    contact: "Contacto",
    campaign: "Campaña",
    channel: "Canal",
    attempt: "Intento",
    due: "Programado",
    evidence: "Evidencia",
    at: "Fecha",
    state: "Estado",
    provider: "Proveedor",
    provider_id: "Id del proveedor",
    detail: "Detalle",
    mark_delivered: "Marcar entregado",
    mark_not_sent: "Marcar no enviado (la guardia puede planificarlo de nuevo)",
    done_delivered: "Contacto marcado como entregado.",
    done_not_sent: "Contacto devuelto al plan: la guardia lo decidirá de nuevo.",
    gone: "Ese contacto ya no está en revisión (se resolvió mientras tanto).",
};

const EN: Words = Words {
    title: "Review of uncertain contacts",
    intro: "The process stopped after handing these messages to the provider and before recording the answer: nobody knows whether they went out. Read the evidence and say what happened; they are never resent on their own.",
    empty: "No contacts to review.",
    contact: "Contact",
    campaign: "Campaign",
    channel: "Channel",
    attempt: "Attempt",
    due: "Due",
    evidence: "Evidence",
    at: "At",
    state: "State",
    provider: "Provider",
    provider_id: "Provider id",
    detail: "Detail",
    mark_delivered: "Mark delivered",
    mark_not_sent: "Mark not sent (the guard may plan it again)",
    done_delivered: "Contact marked delivered.",
    done_not_sent: "Contact back in the plan: the guard decides it again.",
    gone: "That contact is no longer in review (it was resolved meanwhile).",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

#[derive(Serialize)]
struct EvidenceRow {
    at: String,
    state: &'static str,
    code: String,
    provider: String,
    provider_id: String,
    detail: String,
    attempt: u32,
}

#[derive(Serialize)]
struct Item {
    id: String,
    campaign: String,
    account: String,
    step: String,
    channel: &'static str,
    attempt: u32,
    due_at: String,
    evidence: Vec<EvidenceRow>,
}

/// The queue.
#[utoipa::path(get, path = "/console/review", tag = "console", responses(
    (status = 200, description = "the review queue", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not an operations user", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let p = words(me.lang);
    let after = query
        .get("after")
        .map(|a| a.trim())
        .filter(|a| !a.is_empty());
    let (items, next) = review_page(state.store.as_ref(), after, 50).await?;
    let items: Vec<Item> = items
        .into_iter()
        .map(|i| Item {
            id: i.record.contact.id.clone(),
            campaign: i.record.contact.campaign.clone(),
            account: i.record.contact.account.clone(),
            step: i.record.contact.step.clone(),
            channel: i.record.contact.channel.as_str(),
            attempt: i.record.attempt,
            due_at: i.record.due_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            evidence: i
                .evidence
                .into_iter()
                .map(|e| EvidenceRow {
                    at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    state: e.state.as_str(),
                    code: e.code.unwrap_or_default(),
                    provider: e.provider.unwrap_or_default(),
                    provider_id: e.provider_id.unwrap_or_default(),
                    detail: e.detail.unwrap_or_default(),
                    attempt: e.attempt,
                })
                .collect(),
        })
        .collect();
    let flash = match query.get("done").map(String::as_str) {
        Some("delivered") => Some(p.done_delivered),
        Some("not_sent") => Some(p.done_not_sent),
        _ => None,
    };
    let error = (query.get("error").map(String::as_str) == Some("gone")).then_some(p.gone);
    let next_href = next.map(|n| format!("{PATH}?{}", query_string([("after", n.as_str())])));
    let first_href = after.is_some().then(|| PATH.to_string());
    Ok(me.page(
        "review.html",
        p.title,
        context! { p, items, flash, error, next_href, first_href },
    ))
}

/// An operator's answer for one contact (form fields `contact`,
/// `outcome` = `delivered` | `not_sent`, `csrf`).
#[utoipa::path(post, path = "/console/review", tag = "console", responses(
    (status = 303, description = "answered: back to the queue with a notice"),
    (status = 403, description = "not an operations user, or missing or wrong csrf", content_type = "text/html"),
    (status = 404, description = "no such contact", content_type = "text/html"),
))]
pub async fn answer(
    State(state): State<AppState>,
    me: ConsoleSession,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(form) = me.form(&body) else {
        return Ok(me.expired_form());
    };
    let field = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or("");
    let Some(outcome) = ReviewOutcome::parse(field("outcome")) else {
        return Err(HttpError::BadRequest(
            "outcome: expected delivered or not_sent".into(),
        ));
    };
    match resolve(
        state.store.as_ref(),
        field("contact"),
        outcome,
        me.principal.name(),
        Utc::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{PATH}?done={}", outcome.as_str())).into_response()),
        Err(e) if e.is_not_found() => Ok(me.not_found()),
        Err(e) if e.is_conflict() => {
            Ok(Redirect::to(&format!("{PATH}?error=gone")).into_response())
        }
        Err(e) => Err(crate::http::review::review_error(e)),
    }
}
