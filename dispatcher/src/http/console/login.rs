//! `GET /login`, `POST /login` and `POST /logout`. The login form's CSRF
//! value is bound to a random pre-login cookie (double submit); a session
//! is a random id in an HttpOnly, SameSite=Lax cookie (Secure when the
//! service is public over https) whose hash the store keeps. Wrong
//! passwords back off (`users::authenticate`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use cobro_channels::secrets_equal;
use minijinja::context;

use super::render::render;
use super::session::html_response;
use super::texts::{Lang, texts};
use super::{LANG_COOKIE, cookie, csrf_value, lang};
use crate::http::AppState;
use crate::http::auth::{SESSION_COOKIE, cookie_value, session_principal};
use crate::store::prelude::*;
use crate::users::{
    LoginError, Role, SESSION_HOURS, Session, authenticate, new_secret, secret_hash,
};

/// Where a signed-in user lands: a collector on its work queue (the
/// expedientes list is not a collector's page), everyone else on the
/// expedientes.
pub fn home(role: Role) -> &'static str {
    match role {
        Role::Collector => "/console/work",
        _ => "/console/accounts",
    }
}

/// The pre-login cookie the login form's CSRF value is bound to.
const LOGIN_COOKIE: &str = "cobro_login";

fn login_page(state: &AppState, lang: Lang, error: Option<String>, email: &str) -> Response {
    let t = texts(lang);
    let pre = new_secret("");
    let login_csrf = csrf_value(&state.config.sender.link_secret, "login", &pre);
    let status = if error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let other_lang = match lang {
        Lang::Es => "en",
        Lang::En => "es",
    };
    let ctx = context! {
        t,
        lang => lang.tag(),
        other_lang,
        title => t.login_title,
        user => None::<String>,
        nav => Vec::<String>::new(),
        csrf => "",
        login_csrf,
        error,
        email,
    };
    let mut resp = html_response(render("login.html", ctx));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.append(header::SET_COOKIE, cookie(state, LOGIN_COOKIE, &pre, 3600));
    headers.append(
        header::SET_COOKIE,
        cookie(state, LANG_COOKIE, lang.tag(), 365 * 86400),
    );
    resp
}

/// The login form.
#[utoipa::path(get, path = "/login", tag = "console", responses(
    (status = 200, description = "the login page", content_type = "text/html"),
    (status = 303, description = "already signed in: to the console"),
))]
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some((principal, _)) = session_principal(&state, &headers).await
        && !query.contains_key("lang")
    {
        return Redirect::to(home(principal.role())).into_response();
    }
    let lang = lang(&headers, query.get("lang").map(String::as_str));
    login_page(&state, lang, None, "")
}

/// Checks the password and starts a session.
#[utoipa::path(post, path = "/login", tag = "console", responses(
    (status = 303, description = "signed in: to the console, with the session cookie"),
    (status = 401, description = "wrong email or password, or locked after failures", content_type = "text/html"),
    (status = 403, description = "missing or wrong csrf"),
))]
pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = lang(&headers, None);
    let t = texts(lang);
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let expected = cookie_value(&headers, LOGIN_COOKIE)
        .map(|pre| csrf_value(&state.config.sender.link_secret, "login", pre));
    let given = field("csrf");
    if given.is_empty() || !expected.is_some_and(|e| secrets_equal(e.as_bytes(), given.as_bytes()))
    {
        return login_page(&state, lang, Some(t.expired_form.into()), field("email"));
    }
    let now = Utc::now();
    let user =
        match authenticate(state.store.as_ref(), field("email"), field("password"), now).await {
            Ok(u) => u,
            Err(LoginError::Locked { until }) => {
                let msg = t
                    .locked
                    .replace("{until}", &until.format("%H:%M:%S").to_string());
                return login_page(&state, lang, Some(msg), field("email"));
            }
            Err(e) if e.is_transient() => {
                return (StatusCode::SERVICE_UNAVAILABLE, "try again in a moment").into_response();
            }
            Err(_) => {
                return login_page(
                    &state,
                    lang,
                    Some(t.wrong_credentials.into()),
                    field("email"),
                );
            }
        };
    let id = new_secret("");
    let session = Session {
        id_hash: secret_hash(&id),
        email: user.email,
        created_at: now,
        expires_at: now + Duration::hours(SESSION_HOURS),
    };
    if state.store.put_session(&session).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again in a moment").into_response();
    }
    let mut resp = Redirect::to(home(user.role)).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, SESSION_COOKIE, &id, SESSION_HOURS * 3600),
    );
    resp.headers_mut()
        .append(header::SET_COOKIE, cookie(&state, LOGIN_COOKIE, "", 0));
    resp
}

/// Ends the session (its CSRF value is the session's own).
#[utoipa::path(post, path = "/logout", tag = "console", responses(
    (status = 303, description = "signed out: to the login page"),
    (status = 403, description = "missing or wrong csrf"),
))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let Some((_, session)) = session_principal(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let expected = csrf_value(
        &state.config.sender.link_secret,
        "session",
        &session.id_hash,
    );
    let given = form.get("csrf").map(String::as_str).unwrap_or("");
    if !secrets_equal(expected.as_bytes(), given.as_bytes()) {
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    let _ = state.store.delete_session(&session.id_hash).await;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, cookie(&state, SESSION_COOKIE, "", 0));
    resp
}
