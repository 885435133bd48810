//! The console: server-rendered pages for operations, compliance and
//! creditors, behind a login. `login.rs` starts and ends sessions,
//! `accounts.rs` is the expedientes list, `account.rs` one expediente
//! with its gestiones, `collections.rs` the parte de cobros, `upload.rs`
//! the alta de expedientes, `campaigns.rs` the campaigns (progress,
//! pause/resume/cancel, simulate and launch), `arms.rs` a campaign's
//! champion/challenger table, `review.rs` the review queue
//! of `unknown` contacts, `suppressions.rs` the suppression list,
//! `work.rs` a collector's work queue and `work_team.rs` its supervisor's
//! view; one file per page. Every page
//! handler takes a `session::ConsoleSession` argument (login, role,
//! language, CSRF value) and ends with `ConsoleSession::page`, which
//! renders its minijinja template (`templates/`, registered in
//! `render.rs`) inside `layout.html`. Shared words are in `texts.rs`.
//! Pages are plain HTML with inline CSS (nothing loaded from elsewhere,
//! usable on a phone, no JavaScript) and forms that carry a CSRF value
//! bound to the session.

pub mod account;
pub mod accounts;
pub mod arms;
pub mod campaigns;
pub mod collections;
pub mod lang_switch;
pub mod login;
pub mod render;
pub mod review;
pub mod rules;
pub mod session;
pub mod suppressions;
pub mod texts;
pub mod upload;
pub mod upload_reports;
pub mod work;
pub mod work_team;

use axum::http::header;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AppState;
use super::auth::cookie_value;
use texts::Lang;

/// A console cookie: HttpOnly, SameSite=Lax, Secure when the service is
/// public over https.
pub fn cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The cookie that remembers the console language.
pub const LANG_COOKIE: &str = "cobro_lang";

/// The console language: `?lang=` first, then the cookie, then the
/// browser's Accept-Language; Spanish when nothing says otherwise.
pub fn lang(headers: &HeaderMap, query_lang: Option<&str>) -> Lang {
    query_lang
        .and_then(Lang::parse)
        .or_else(|| cookie_value(headers, LANG_COOKIE).and_then(Lang::parse))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(Lang::parse)
        })
        .unwrap_or(Lang::Es)
}

/// The CSRF value of a form for the session (or pre-login value) `key`.
pub fn csrf_value(secret: &[u8], purpose: &str, key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(b"cobro-console-csrf-v1:");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(key.as_bytes());
    URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
}
