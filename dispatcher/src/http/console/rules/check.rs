//! A rules file checked the way `cobro rules check` checks it (`/console/rules/check`); nothing is installed.

use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::*;
use crate::cli::rules::check_rules;
use crate::http::console::session::ConsoleSession;

/// The outcome of a check, as the page shows it.
#[derive(Serialize, Default)]
pub(super) struct CheckResult {
    file: String,
    ok: Option<String>,
    error: Option<String>,
    line: Option<usize>,
    key: Option<String>,
}

/// `GET /console/rules/check`: the upload form.
#[utoipa::path(get, path = "/console/rules/check", tag = "console", responses(
    (status = 200, description = "the form", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a staff user"),
))]
pub async fn check_form(me: ConsoleSession) -> Response {
    let p = words(me.lang);
    me.page(
        "rules_check.html",
        p.check_title,
        context! { p, result => None::<CheckResult> },
    )
}

/// `POST /console/rules/check` (multipart: `csrf`, `file`): the file
/// checked as `cobro rules check` checks it; nothing is installed.
#[utoipa::path(post, path = "/console/rules/check", tag = "console", responses(
    (status = 200, description = "the result: valid, or the error with line and key", content_type = "text/html"),
    (status = 400, description = "not a multipart form, or no file"),
    (status = 403, description = "not a staff user, or missing or wrong CSRF value"),
))]
pub async fn check_submit(
    me: ConsoleSession,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let p = words(me.lang);
    let bad_form = |message: String| {
        let mut resp = me.page(
            "rules_check.html",
            p.check_title,
            context! { p, result => CheckResult { error: Some(message), ..Default::default() } },
        );
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        resp
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return bad_form(e.body_text()),
    };
    let mut csrf = String::new();
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return bad_form(e.body_text()),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "rules.toml".into());
                match field.bytes().await {
                    Ok(b) => upload = Some((name, b.to_vec())),
                    Err(e) => return bad_form(e.body_text()),
                }
            }
            _ => {}
        }
    }
    if !me.csrf_ok(&csrf) {
        return me.expired_form();
    }
    let Some((name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return bad_form(p.no_file.to_string());
    };
    let result = match check_rules(&name, bytes) {
        Ok(pack) => CheckResult {
            file: name,
            ok: Some(pack.id().to_string()),
            ..Default::default()
        },
        Err(e) => CheckResult {
            file: name,
            line: e.line(),
            key: e.key().map(str::to_string),
            error: Some(e.to_string()),
            ok: None,
        },
    };
    me.page("rules_check.html", p.check_title, context! { p, result })
}
