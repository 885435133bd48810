//! One-click unsubscribe (`/u/{token}`, RFC 8058). The token is the signed
//! claim the worker put in the email's `List-Unsubscribe` header, so it
//! names the account, channel and address without any guessable id. GET
//! only shows a confirmation page (mail scanners follow links; they must
//! not unsubscribe anyone); POST unsubscribes.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use cobro_channels::mask_address;

use super::{AppState, HttpError, html_escape};
use crate::engine::sender::UnsubscribeClaim;
use crate::store::{Suppression, prelude::*};

/// Spanish for debtors whose language is Spanish, English otherwise.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Es,
    En,
}

struct Texts {
    title: &'static str,
    confirm: &'static str,
    button: &'static str,
    done: &'static str,
    invalid: &'static str,
}

fn texts(lang: Lang) -> Texts {
    match lang {
        Lang::Es => Texts {
            title: "Cancelar suscripción",
            confirm: "¿Desea dejar de recibir mensajes de cobranza por correo electrónico en",
            button: "Confirmar baja",
            done: "Listo: no recibirá más correos de cobranza en",
            invalid: "Enlace no válido o caducado.",
        },
        Lang::En => Texts {
            title: "Unsubscribe",
            confirm: "Do you want to stop receiving collection emails at",
            button: "Unsubscribe",
            done: "Done: you will receive no more collection emails at",
            invalid: "This link is not valid or has expired.",
        },
    }
}

fn page(lang: Lang, title: &str, body: &str) -> String {
    let tag = if lang == Lang::Es { "es" } else { "en" };
    format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><style>body{{font-family:sans-serif;max-width:36em;margin:3em auto;color:#222}}\
         button{{font-size:1.1em;padding:.5em 1.2em}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = html_escape(title)
    )
}

/// The debtor's language and the address the token was made for. The
/// token carries only a digest of the address (links end up in logs), so
/// the address is the account's contact point with that digest; `None`
/// when the account or the address is gone.
async fn resolve(
    state: &AppState,
    claim: &UnsubscribeClaim,
) -> Result<Option<(Lang, String)>, HttpError> {
    let Some((account, _)) = state.store.account(&claim.account).await? else {
        return Ok(None);
    };
    let lang = if account.language.to_ascii_lowercase().starts_with("es") {
        Lang::Es
    } else {
        Lang::En
    };
    Ok(account
        .contact_points
        .iter()
        .find(|p| p.serves(claim.channel) && claim.matches(&p.address))
        .map(|p| (lang, p.address.clone())))
}

fn invalid(lang: Lang) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page(
            lang,
            texts(lang).title,
            &format!("<p>{}</p>", texts(lang).invalid),
        )),
    )
        .into_response()
}

/// Unsubscribe confirmation page (changes nothing).
#[utoipa::path(get, path = "/u/{token}", tag = "unsubscribe",
    params(("token" = String, Path, description = "the signed token of the message's link")),
    responses(
        (status = 200, description = "HTML: the confirmation form", body = String, content_type = "text/html"),
        (status = 404, description = "HTML: the link is not valid", body = String, content_type = "text/html"),
    ),
)]
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    let Some(claim) = state.config.sender.verify_unsubscribe_token(&token) else {
        state.metrics.webhook("unsubscribe", "get", "bad_token");
        return Ok(invalid(Lang::Es));
    };
    let Some((lang, address)) = resolve(&state, &claim).await? else {
        return Ok(invalid(Lang::Es));
    };
    let t = texts(lang);
    let body = format!(
        "<p>{} <b id=\"address\">{}</b>?</p><form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\" id=\"confirm\">{}</button></form>",
        html_escape(t.confirm),
        html_escape(&mask_address(&address)),
        html_escape(t.button)
    );
    Ok(Html(page(lang, t.title, &body)).into_response())
}

/// RFC 8058 one-click unsubscribe (List-Unsubscribe=One-Click).
///
/// `POST /u/{token}`: RFC 8058 one-click (`List-Unsubscribe=One-Click`),
/// also what the confirmation page's button sends. Suppresses the address
/// for the claim's channel and cancels the account's pending contacts of
/// that channel. Idempotent.
#[utoipa::path(post, path = "/u/{token}", tag = "unsubscribe",
    params(("token" = String, Path, description = "the signed token of the message's link")),
    responses(
        (status = 200, description = "HTML: unsubscribed", body = String, content_type = "text/html"),
        (status = 404, description = "HTML: the link is not valid", body = String, content_type = "text/html"),
    ),
)]
pub async fn one_click(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(claim) = state.config.sender.verify_unsubscribe_token(&token) else {
        state.metrics.webhook("unsubscribe", "post", "bad_token");
        return Ok(invalid(Lang::Es));
    };
    if !body.is_empty() {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        if !form
            .iter()
            .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click")
        {
            return Err(HttpError::BadRequest(
                "expected the form body List-Unsubscribe=One-Click (RFC 8058)".into(),
            ));
        }
    }
    let Some((lang, address)) = resolve(&state, &claim).await? else {
        state
            .metrics
            .webhook("unsubscribe", "post", "unknown_address");
        return Ok(invalid(Lang::Es));
    };
    let now = Utc::now();
    state
        .store
        .suppress(&Suppression {
            channel: Some(claim.channel),
            address: address.clone(),
            prefix: false,
            source: "unsubscribe".into(),
            at: now,
        })
        .await?;
    let cancelled = state
        .store
        .cancel_account_contacts(
            &claim.account,
            Some(claim.channel),
            crate::engine::LedgerCode::OptOut.as_str(),
            "the debtor unsubscribed (one-click link)",
            now,
        )
        .await?;
    tracing::info!(to = %mask_address(&address), cancelled = cancelled.len(), "unsubscribed");
    state.metrics.webhook("unsubscribe", "post", "unsubscribed");
    let t = texts(lang);
    let body = format!(
        "<p id=\"done\">{} <b>{}</b>.</p>",
        html_escape(t.done),
        html_escape(&mask_address(&address))
    );
    Ok(Html(page(lang, t.title, &body)).into_response())
}
