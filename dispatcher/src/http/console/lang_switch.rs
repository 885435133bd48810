//! `GET /console/lang/{lang}`: the header's language link. It remembers
//! the choice in a cookie and goes back to the page the user was on, with
//! its query (the month of a report, the filters of a list), so switching
//! language never loses one's place. Only the Referer's path and query are
//! used, never its host: the redirect cannot leave the service.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::texts::Lang;
use super::{LANG_COOKIE, cookie};
use crate::http::AppState;

/// Where to go back to: the Referer's path and query, without a `lang`
/// parameter; the expedientes list when there is none.
fn back_to(headers: &HeaderMap) -> String {
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok());
    let Some(uri) = referer else {
        return "/console/accounts".into();
    };
    let path = uri.path();
    // A backslash is a slash to browsers: `/\evil.example` would leave
    // the service as `//evil.example` does.
    if !path.starts_with('/')
        || path.starts_with("//")
        || path.contains('\\')
        || path.starts_with("/console/lang/")
    {
        return "/console/accounts".into();
    }
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let kept: Vec<(String, String)> = query.into_iter().filter(|(k, _)| k != "lang").collect();
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// Remembers the language and goes back.
#[utoipa::path(get, path = "/console/lang/{lang}", tag = "console", params(
    ("lang" = String, Path, description = "es or en"),
), responses(
    (status = 303, description = "back to the page the link was on, with the language cookie"),
))]
pub async fn switch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(lang): Path<String>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Es);
    let mut resp = Redirect::to(&back_to(&headers)).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, LANG_COOKIE, lang.tag(), 365 * 86400),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(referer: &str) -> String {
        let mut h = HeaderMap::new();
        h.insert(header::REFERER, referer.parse().expect("header"));
        back_to(&h)
    }

    #[test]
    fn goes_back_to_the_same_page_and_query_but_never_elsewhere() {
        assert_eq!(
            from("http://127.0.0.1:8080/console/collections?month=2026-02&lang=es"),
            "/console/collections?month=2026-02"
        );
        assert_eq!(from("https://evil.example/steal?x=1"), "/steal?x=1");
        assert_eq!(from("/console/lang/en"), "/console/accounts");
        assert_eq!(back_to(&HeaderMap::new()), "/console/accounts");
    }
}
