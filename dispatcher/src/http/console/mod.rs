//! The console: server-rendered pages for operations, compliance and
//! creditors, behind a login. `login.rs` starts and ends sessions,
//! `accounts.rs` is the expedientes list; `texts.rs` holds every string in
//! Spanish and English. Pages are plain HTML with inline CSS (nothing
//! loaded from elsewhere, usable on a phone) and forms that carry a CSRF
//! value bound to the session.

pub mod accounts;
pub mod login;
pub mod texts;

use axum::http::HeaderMap;
use axum::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::auth::cookie_value;
use super::html_escape;
use texts::{Lang, texts};

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

const STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c1c1c;background:#f3f4f6}\
header{background:#0b3d5c;color:#fff;padding:.8rem 1rem;display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;justify-content:space-between}\
header a,header button{color:#fff}header form{display:inline}header button{background:none;border:1px solid #fff;border-radius:.3rem;padding:.2rem .6rem;cursor:pointer}\
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}\
.card{background:#fff;border-radius:.5rem;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}\
label{display:block;font-size:.85rem;font-weight:600;margin:.4rem 0 .2rem}\
input,select{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem;border:1px solid #bbb;border-radius:.3rem}\
button.primary{margin-top:.8rem;font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#0b6e4f;color:#fff;font-weight:600;cursor:pointer}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.6rem}\
table{width:100%;border-collapse:collapse;font-size:.92rem}th,td{text-align:left;padding:.45rem .4rem;border-bottom:1px solid #e5e7eb}\
td.n,th.n{text-align:right;white-space:nowrap}.err{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:.3rem}\
.muted{color:#555;font-size:.85rem}.pager{display:flex;gap:1rem;margin-top:.8rem}\
@media(max-width:40rem){table thead{display:none}table tr{display:block;border-bottom:1px solid #ddd;padding:.3rem 0}table td{display:flex;justify-content:space-between;border:0;padding:.15rem 0}table td::before{content:attr(data-label);font-weight:600;margin-right:1rem}}";

/// A whole page: the header with who is signed in and the sign-out form.
pub fn layout(lang: Lang, title: &str, user: Option<(&str, &str)>, body: &str) -> String {
    let t = texts(lang);
    let other = match lang {
        Lang::Es => "en",
        Lang::En => "es",
    };
    let who = user
        .map(|(name, csrf)| {
            format!(
                "<span>{} <b>{}</b></span> <form method=\"post\" action=\"/logout\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
                t.signed_in_as,
                html_escape(name),
                html_escape(csrf),
                t.sign_out
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex,nofollow\"><title>{title} · cobro</title>\
         <style>{STYLE}</style></head><body><header><b>cobro</b><span>{who} \
         <a href=\"?lang={other}\">{other_name}</a></span></header><main>{body}</main></body></html>",
        tag = lang.tag(),
        title = html_escape(title),
        other_name = t.other_language,
    )
}
