//! Who is looking at a console page, in which language, and what they may
//! do. A page handler takes a `ConsoleSession` argument: the extractor
//! sends a visitor without a session to `/login` and answers 403 to a role
//! the page is not for (`authz::page_roles`, by the route's method and
//! path), before the handler runs, so no page can forget either. Forms carry the session's CSRF value and a handler that changes
//! something asks [`ConsoleSession::csrf_ok`] before it does.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cobro_channels::secrets_equal;
use minijinja::{Value, context};
use serde::Serialize;

use super::render::render;
use super::texts::{Lang, Texts, texts};
use super::{csrf_value, lang};
use crate::http::AppState;
use crate::http::auth::session_principal;
use crate::http::authz::page_allowed;
use crate::users::{Principal, Role, Session};

/// A signed-in console user on one request.
pub struct ConsoleSession {
    pub principal: Principal,
    pub session: Session,
    pub lang: Lang,
    /// The value every form of this session carries.
    pub csrf: String,
    /// The route path of the page (`/console/accounts/{id}`), for the
    /// navigation's current item.
    path: String,
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    label: &'static str,
    current: bool,
}

impl ConsoleSession {
    /// The session of a request to the page `path` (its route path) with
    /// `method`, or the response to answer instead: a redirect to the
    /// login page, or 403 for a role the page is not for.
    async fn for_page(
        state: &AppState,
        headers: &HeaderMap,
        query_lang: Option<&str>,
        method: Method,
        path: &str,
    ) -> Result<Self, Response> {
        let Some((principal, session)) = session_principal(state, headers).await else {
            return Err(Redirect::to("/login").into_response());
        };
        let csrf = csrf_value(
            &state.config.sender.link_secret,
            "session",
            &session.id_hash,
        );
        let me = ConsoleSession {
            principal,
            session,
            lang: lang(headers, query_lang),
            csrf,
            path: path.to_string(),
        };
        if !page_allowed(me.role(), &method, path) {
            let t = me.texts();
            let mut resp = me.page(
                "message.html",
                t.forbidden_title,
                context! { message => t.forbidden },
            );
            *resp.status_mut() = StatusCode::FORBIDDEN;
            return Err(resp);
        }
        Ok(me)
    }

    pub fn role(&self) -> Role {
        self.principal.role()
    }

    /// The creditor a creditor user is confined to; `Some("\0")` (nobody's)
    /// for a creditor user without one, so it sees nothing; `None` for
    /// staff, who see every creditor.
    pub fn confined_to(&self) -> Option<String> {
        (self.role() == Role::Creditor)
            .then(|| self.principal.creditor().unwrap_or("\u{0}").to_string())
    }

    pub fn texts(&self) -> &'static Texts {
        texts(self.lang)
    }

    /// Whether a submitted form's `csrf` is this session's.
    pub fn csrf_ok(&self, given: &str) -> bool {
        !given.is_empty() && secrets_equal(self.csrf.as_bytes(), given.as_bytes())
    }

    /// The fields of a posted form (`application/x-www-form-urlencoded`)
    /// once its `csrf` is this session's; `None` otherwise (answer
    /// [`ConsoleSession::expired_form`]).
    pub fn form(&self, body: &[u8]) -> Option<HashMap<String, String>> {
        let form: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        let given = form.get("csrf").map(|v| v.trim()).unwrap_or("");
        self.csrf_ok(given).then_some(form)
    }

    /// The 403 a form with a missing or wrong CSRF value gets.
    pub fn expired_form(&self) -> Response {
        let t = self.texts();
        let mut resp = self.page(
            "message.html",
            t.forbidden_title,
            context! { message => t.expired_form },
        );
        *resp.status_mut() = StatusCode::FORBIDDEN;
        resp
    }

    /// The 404 of an id this user may not see, identical to an unknown one.
    pub fn not_found(&self) -> Response {
        let t = self.texts();
        let mut resp = self.page(
            "message.html",
            t.not_found_title,
            context! { message => t.not_found },
        );
        *resp.status_mut() = StatusCode::NOT_FOUND;
        resp
    }

    /// The pages this role may open, in the order of the navigation bar.
    fn nav(&self) -> Vec<NavItem> {
        let t = self.texts();
        let items = [
            ("/console/accounts", t.nav_accounts),
            ("/console/collections", t.nav_collections),
            ("/console/upload", t.nav_upload),
            ("/console/campaigns", t.nav_campaigns),
            ("/console/review", t.nav_review),
            ("/console/suppressions", t.nav_suppressions),
            ("/console/rules", t.nav_rules),
            ("/console/work", t.nav_work),
            ("/console/work/team", t.nav_work_team),
        ];
        let under = |href: &str| self.path == href || self.path.starts_with(&format!("{href}/"));
        // The longest entry the page is under is the current one (the
        // team page is under "my queue" too, but is not it).
        let current = items
            .iter()
            .map(|(href, _)| *href)
            .filter(|href| under(href))
            .max_by_key(|href| href.len());
        items
            .into_iter()
            .filter(|(href, _)| page_allowed(self.role(), &Method::GET, href))
            .map(|(href, label)| NavItem {
                href,
                label,
                current: current == Some(href),
            })
            .collect()
    }

    /// Renders `template` with the page's own `ctx` and the shared context
    /// (texts, navigation, user, CSRF value, language), never cached.
    pub fn page(&self, template: &str, title: &str, ctx: Value) -> Response {
        let other_lang = match self.lang {
            Lang::Es => "en",
            Lang::En => "es",
        };
        let shared = context! {
            t => self.texts(),
            nav => self.nav(),
            user => self.principal.name(),
            role => self.role().as_str(),
            csrf => &self.csrf,
            lang => self.lang.tag(),
            other_lang,
            title,
        };
        html_response(render(template, context! { ..ctx, ..shared }))
    }
}

impl FromRequestParts<AppState> for ConsoleSession {
    type Rejection = Response;

    /// The session of the request, checked against the role table for the
    /// route's own method and path; `?lang=` from the query.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .extensions
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        let query_lang = parts.uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v)
        });
        let method = parts.method.clone();
        ConsoleSession::for_page(state, &parts.headers, query_lang.as_deref(), method, &path).await
    }
}

/// A rendered page as a response: `text/html`, `no-store`; a template
/// error is logged and answered 500 (never a half-rendered page).
pub fn html_response(rendered: Result<String, minijinja::Error>) -> Response {
    match rendered {
        Ok(html) => {
            let mut resp =
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}
