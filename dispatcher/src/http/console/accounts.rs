//! `GET /console/accounts`: the expedientes list in the browser, with the
//! same filters and cursor pages as `GET /api/accounts` and the same
//! tenancy (a creditor user's own creditor, whatever the query says).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use rust_decimal::Decimal;

use super::texts::{status_label, texts};
use super::{csrf_value, lang, layout};
use crate::account_list::{AccountQuery, list_accounts};
use crate::http::auth::session_principal;
use crate::http::{AppState, HttpError, html_escape};
use crate::store::AccountStatus;
use crate::users::{Principal, Role};

fn url_escape(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// The expedientes list page.
#[utoipa::path(get, path = "/console/accounts", tag = "console", responses(
    (status = 200, description = "the list", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
))]
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let Some((principal, session)) = session_principal(&state, &headers).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let lang = lang(&headers, query.get("lang").map(String::as_str));
    let t = texts(lang);
    let get = |k: &str| query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let number = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
    let decimal = |k: &str| get(k).and_then(|v| v.replace(',', ".").parse::<Decimal>().ok());
    let confined = principal.role() == Role::Creditor;
    let creditor = match (&principal, confined) {
        (p, true) => Some(p.creditor().unwrap_or("\u{0}").to_string()),
        (_, false) => get("creditor").map(str::to_string),
    };
    let account_query = AccountQuery {
        creditor,
        campaign: get("campaign").map(str::to_string),
        status: get("status").and_then(AccountStatus::parse),
        segment: get("segment").map(str::to_string),
        country: get("country").map(str::to_string),
        q: get("q").map(str::to_string),
        dpd_min: number("dpd_min"),
        dpd_max: number("dpd_max"),
        amount_min: decimal("amount_min"),
        amount_max: decimal("amount_max"),
        cursor: get("cursor").map(str::to_string),
        limit: 50,
    };
    let page = list_accounts(
        state.store.as_ref(),
        &account_query,
        Utc::now().date_naive(),
    )
    .await?;

    let value = |k: &str| html_escape(get(k).unwrap_or(""));
    let input = |k: &str, label: &str, kind: &str| {
        format!(
            "<div><label for=\"f-{k}\">{label}</label><input id=\"f-{k}\" name=\"{k}\" type=\"{kind}\" value=\"{}\"></div>",
            value(k)
        )
    };
    let mut statuses = format!("<option value=\"\">{}</option>", t.any);
    for s in AccountStatus::ALL {
        let selected = if get("status") == Some(s.as_str()) {
            " selected"
        } else {
            ""
        };
        statuses.push_str(&format!(
            "<option value=\"{v}\"{selected}>{l}</option>",
            v = s.as_str(),
            l = status_label(lang, s.as_str())
        ));
    }
    let mut body = format!(
        "<h1>{title}</h1><form class=\"card\" method=\"get\" action=\"/console/accounts\"><div class=\"grid\">{q}{cred}\
         <div><label for=\"f-status\">{status}</label><select id=\"f-status\" name=\"status\">{statuses}</select></div>\
         {country}{segment}{campaign}{dmin}{dmax}{amin}{amax}</div><button class=\"primary\" type=\"submit\">{filter}</button></form>",
        title = t.accounts_title,
        q = input("q", t.search, "search"),
        cred = if confined {
            String::new()
        } else {
            input("creditor", t.creditor, "text")
        },
        status = t.status,
        country = input("country", t.country, "text"),
        segment = input("segment", t.segment, "text"),
        campaign = input("campaign", t.campaign, "text"),
        dmin = input("dpd_min", &format!("{} ≥", t.dpd), "number"),
        dmax = input("dpd_max", &format!("{} ≤", t.dpd), "number"),
        amin = input("amount_min", t.amount_min, "text"),
        amax = input("amount_max", t.amount_max, "text"),
        filter = t.filter,
    );
    body.push_str("<div class=\"card\">");
    if page.items.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"no-accounts\">{}</p>",
            t.none_found
        ));
    } else {
        body.push_str(&format!(
            "<table id=\"accounts\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th>{}</th></tr></thead><tbody>",
            t.account, t.debtor, t.creditor, t.status, t.balance, t.dpd, t.due_date
        ));
        for i in &page.items {
            body.push_str(&format!(
                "<tr data-account=\"{id}\"><td data-label=\"{la}\">{id}</td><td data-label=\"{ld}\">{name}</td><td data-label=\"{lc}\">{cred}</td>\
                 <td data-label=\"{ls}\">{status}</td><td class=\"n\" data-label=\"{lb}\">{balance:.2} {cur}</td><td class=\"n\" data-label=\"{lp}\">{dpd}</td><td data-label=\"{lv}\">{due}</td></tr>",
                id = html_escape(&i.id),
                name = html_escape(&i.debtor_name),
                cred = html_escape(&i.creditor),
                status = status_label(lang, i.status),
                balance = i.balance,
                cur = html_escape(&i.currency),
                dpd = i.days_past_due,
                due = i.due_date,
                la = t.account,
                ld = t.debtor,
                lc = t.creditor,
                ls = t.status,
                lb = t.balance,
                lp = t.dpd,
                lv = t.due_date,
            ));
        }
        body.push_str("</tbody></table>");
    }
    let keep: String = query
        .iter()
        .filter(|(k, v)| k.as_str() != "cursor" && k.as_str() != "lang" && !v.is_empty())
        .map(|(k, v)| format!("&{}={}", url_escape(k), url_escape(v)))
        .collect();
    body.push_str("<nav class=\"pager\">");
    if account_query.cursor.is_some() {
        body.push_str(&format!(
            "<a href=\"/console/accounts?{}\">{}</a>",
            html_escape(keep.trim_start_matches('&')),
            t.first_page
        ));
    }
    if let Some(next) = &page.next {
        body.push_str(&format!(
            "<a id=\"next-page\" href=\"/console/accounts?cursor={}{}\">{}</a>",
            url_escape(next),
            html_escape(&keep),
            t.next_page
        ));
    }
    body.push_str("</nav></div>");
    let csrf = csrf_value(
        &state.config.sender.link_secret,
        "session",
        &session.id_hash,
    );
    let name = match &principal {
        Principal::User(u) => u.email.clone(),
        Principal::Bootstrap => "admin".into(),
    };
    let mut resp = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        layout(lang, t.accounts_title, Some((&name, &csrf)), &body),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
