//! The suppression list in the browser: `GET /console/suppressions`
//! (searchable, paged, addresses masked as everywhere else), and
//! `POST /console/suppressions/{add|remove|import}`: an entry added by
//! hand (address, channel or all, reason), removed, or a file of addresses
//! imported (multipart, read by `suppression_list::parse_import`, the
//! importer `cobro suppress import` uses). Every form carries the
//! session's CSRF value; nothing is stored without it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use cobro_channels::mask_address;
use minijinja::context;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::accounts::query_string;
use super::session::ConsoleSession;
use super::texts::Lang;
use crate::http::authz::page_allowed;
use crate::http::{AppState, HttpError};
use crate::store::{Suppression, prelude::*};
use crate::suppression_list::{normalise_address, parse_channel, parse_import};

const PATH: &str = "/console/suppressions";
const ACTION: &str = "/console/suppressions/{action}";
const PAGE: usize = 50;
/// The longest reason kept (it is a label, not a document).
const REASON_MAX: usize = 80;

/// This page's words.
#[derive(Serialize)]
struct Words {
    title: &'static str,
    intro: &'static str,
    search: &'static str,
    address: &'static str,
    channel: &'static str,
    all_channels: &'static str,
    kind: &'static str,
    exact: &'static str,
    prefix: &'static str,
    prefix_help: &'static str,
    source: &'static str,
    reason: &'static str,
    reason_default: &'static str,
    at: &'static str,
    add_title: &'static str,
    add: &'static str,
    remove: &'static str,
    import_title: &'static str,
    import_help: &'static str,
    file: &'static str,
    import: &'static str,
    empty: &'static str,
    total: &'static str,
    done_add: &'static str,
    done_remove: &'static str,
    done_import: &'static str,
    gone: &'static str,
    refused: &'static str,
}

const ES: Words = Words {
    title: "Lista de exclusión",
    intro: "Direcciones a las que nadie puede contactar (por canal o en todos). La guardia las consulta antes de cada envío.",
    search: "Buscar dirección",
    address: "Dirección",
    channel: "Canal",
    all_channels: "Todos los canales",
    kind: "Tipo",
    exact: "Exacta",
    prefix: "Prefijo",
    prefix_help: "Prefijo (rango de números o @dominio completo)",
    source: "Origen",
    reason: "Motivo",
    reason_default: "officer",
    at: "Fecha",
    add_title: "Agregar",
    add: "Agregar a la lista",
    remove: "Quitar",
    import_title: "Importar un archivo",
    import_help: "CSV o texto: una dirección por línea, opcionalmente «dirección,canal». La primera línea inválida detiene la importación y se indica.",
    file: "Archivo",
    import: "Importar",
    empty: "No hay direcciones con este criterio.",
    total: "Entradas",
    done_add: "Dirección agregada.",
    done_remove: "Dirección quitada de la lista.",
    done_import: "Importación terminada; entradas agregadas:",
    gone: "Esa entrada ya no estaba en la lista.",
    refused: "No se guardó nada",
};

const EN: Words = Words {
    title: "Suppression list",
    intro: "Addresses nobody may contact (on one channel or all). The guard checks them before every send.",
    search: "Search address",
    address: "Address",
    channel: "Channel",
    all_channels: "All channels",
    kind: "Kind",
    exact: "Exact",
    prefix: "Prefix",
    prefix_help: "Prefix (a number range or a whole @domain)",
    source: "Source",
    reason: "Reason",
    reason_default: "officer",
    at: "Date",
    add_title: "Add",
    add: "Add to the list",
    remove: "Remove",
    import_title: "Import a file",
    import_help: "CSV or text: one address per line, optionally \"address,channel\". The first invalid line stops the import and is named.",
    file: "File",
    import: "Import",
    empty: "No addresses match.",
    total: "Entries",
    done_add: "Address added.",
    done_remove: "Address removed from the list.",
    done_import: "Import finished; entries added:",
    gone: "That entry was no longer on the list.",
    refused: "Nothing was stored",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

/// An entry's key in the forms: a digest of (channel, address), so the
/// page never carries an address unmasked, not even in a hidden field.
fn entry_key(s: &Suppression) -> String {
    let mut h = Sha256::new();
    h.update(s.channel.map_or("*", |c| c.as_str()).as_bytes());
    h.update(b"|");
    h.update(s.address.as_bytes());
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Serialize)]
struct Row {
    key: String,
    address: String,
    channel: String,
    prefix: bool,
    source: String,
    at: String,
}

/// The list.
#[utoipa::path(get, path = "/console/suppressions", tag = "console", responses(
    (status = 200, description = "the list", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not staff", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let p = words(me.lang);
    let q = query.get("q").map(|v| v.trim()).unwrap_or("");
    // A search is compared with the list's own spelling of an address.
    let needle = if q.contains('@') {
        q.to_lowercase()
    } else {
        q.replace([' ', '-'], "")
    };
    let page_no: usize = query.get("page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut entries = state.store.suppressions().await?;
    entries.retain(|s| needle.is_empty() || s.address.contains(&needle));
    entries.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.address.cmp(&b.address)));
    let total = entries.len();
    let rows: Vec<Row> = entries
        .iter()
        .skip(page_no * PAGE)
        .take(PAGE)
        .map(|s| Row {
            key: entry_key(s),
            address: mask_address(&s.address),
            channel: s.channel.map_or(p.all_channels, |c| c.as_str()).to_string(),
            prefix: s.prefix,
            source: s.source.clone(),
            at: s.at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    let page_href = |n: usize| {
        let n = n.to_string();
        format!("{PATH}?{}", query_string([("q", q), ("page", n.as_str())]))
    };
    let prev_href = (page_no > 0).then(|| page_href(page_no - 1));
    let next_href = ((page_no + 1) * PAGE < total).then(|| page_href(page_no + 1));
    let flash = match query.get("done").map(String::as_str) {
        Some("add") => Some(p.done_add.to_string()),
        Some("remove") => Some(p.done_remove.to_string()),
        Some("import") => Some(format!(
            "{} {}",
            p.done_import,
            query.get("n").map(String::as_str).unwrap_or("0")
        )),
        _ => None,
    };
    let error = (query.get("error").map(String::as_str) == Some("gone")).then_some(p.gone);
    Ok(me.page(
        "suppressions.html",
        p.title,
        context! {
            p,
            q,
            rows,
            total,
            prev_href,
            next_href,
            flash,
            error,
            channels => ["email", "sms", "voice"],
            may_change => page_allowed(me.role(), &Method::POST, ACTION),
        },
    ))
}

/// Nothing stored: the reason, with 422.
fn refused(me: &ConsoleSession, message: String) -> Response {
    let mut resp = me.page("message.html", words(me.lang).refused, context! { message });
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    resp
}

/// The reason an officer typed, as the entry's source (with who did it).
fn source(reason: &str, operator: &str) -> String {
    let reason: String = reason.trim().chars().take(REASON_MAX).collect();
    let reason = if reason.is_empty() {
        "officer".to_string()
    } else {
        reason
    };
    format!("{reason} ({operator})")
}

/// Add, remove or import (`csrf` in every form; import is multipart).
#[utoipa::path(post, path = "/console/suppressions/{action}", tag = "console", params(
    ("action" = String, Path, description = "add, remove or import"),
), responses(
    (status = 303, description = "done: back to the list with a notice"),
    (status = 403, description = "not allowed, or missing or wrong csrf", content_type = "text/html"),
    (status = 404, description = "unknown action", content_type = "text/html"),
    (status = 422, description = "an invalid address, channel or file line; nothing stored", content_type = "text/html"),
))]
pub async fn act(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path(action): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    match action.as_str() {
        "add" | "remove" => {
            let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
                .await
                .unwrap_or_else(|_| Bytes::new());
            let Some(form) = me.form(&body) else {
                return Ok(me.expired_form());
            };
            let field = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or("");
            if action == "add" {
                add(
                    &state,
                    &me,
                    field("address"),
                    field("channel"),
                    field("prefix") == "yes",
                    field("reason"),
                )
                .await
            } else {
                remove(&state, field("key")).await
            }
        }
        "import" => {
            let multipart = match <Multipart as axum::extract::FromRequest<AppState>>::from_request(
                request, &state,
            )
            .await
            {
                Ok(m) => m,
                Err(e) => return Ok(refused(&me, e.body_text())),
            };
            import(&state, &me, multipart).await
        }
        _ => Ok(me.not_found()),
    }
}

async fn add(
    state: &AppState,
    me: &ConsoleSession,
    address: &str,
    channel: &str,
    prefix: bool,
    reason: &str,
) -> Result<Response, HttpError> {
    let channel = match parse_channel(Some(channel)) {
        Ok(c) => c,
        Err(e) => return Ok(refused(me, e)),
    };
    let address = match normalise_address(address, prefix) {
        Ok(a) => a,
        Err(e) => return Ok(refused(me, e)),
    };
    state
        .store
        .suppress(&Suppression {
            channel,
            address,
            prefix,
            source: source(reason, me.principal.name()),
            at: Utc::now(),
        })
        .await?;
    Ok(Redirect::to(&format!("{PATH}?done=add")).into_response())
}

async fn remove(state: &AppState, key: &str) -> Result<Response, HttpError> {
    let entry = state
        .store
        .suppressions()
        .await?
        .into_iter()
        .find(|s| !key.is_empty() && entry_key(s) == key);
    let removed = match entry {
        Some(s) => state.store.unsuppress(s.channel, &s.address).await?,
        None => false,
    };
    Ok(Redirect::to(&if removed {
        format!("{PATH}?done=remove")
    } else {
        format!("{PATH}?error=gone")
    })
    .into_response())
}

/// Reads every field first (the CSRF value may come after the file), then
/// checks the CSRF value, then the whole file, and only then stores.
async fn import(
    state: &AppState,
    me: &ConsoleSession,
    mut multipart: Multipart,
) -> Result<Response, HttpError> {
    let (mut csrf, mut reason, mut file, mut file_name) = (
        String::new(),
        String::new(),
        None::<Bytes>,
        String::from("file"),
    );
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Ok(refused(me, e.body_text())),
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(n) = field
            .file_name()
            .filter(|n| name == "file" && !n.is_empty())
        {
            file_name = n.to_string();
        }
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return Ok(refused(me, e.body_text())),
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).trim().to_string(),
            "reason" => reason = String::from_utf8_lossy(&bytes).to_string(),
            "file" => file = Some(bytes),
            _ => {}
        }
    }
    if !me.csrf_ok(&csrf) {
        return Ok(me.expired_form());
    }
    let Some(file) = file else {
        return Ok(refused(me, format!("{file_name}: no file")));
    };
    // Addresses are ASCII; a stray Windows-1252 byte can only be in a
    // comment or a line the address check refuses anyway.
    let text = String::from_utf8_lossy(&file);
    let entries = match parse_import(
        &text,
        &file_name,
        &source(
            if reason.trim().is_empty() {
                "import"
            } else {
                &reason
            },
            me.principal.name(),
        ),
        Utc::now(),
    ) {
        Ok(e) => e,
        Err(e) => return Ok(refused(me, e.to_string())),
    };
    for entry in &entries {
        state.store.suppress(entry).await?;
    }
    tracing::info!(
        entries = entries.len(),
        operator = me.principal.name(),
        "suppression list imported"
    );
    Ok(Redirect::to(&format!("{PATH}?done=import&n={}", entries.len())).into_response())
}
