//! `GET /console/accounts`: the expedientes list in the browser, with the
//! same filters and cursor pages as `GET /api/accounts` and the same
//! tenancy (a creditor user's own creditor, whatever the query says).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Utc;
use minijinja::context;
use rust_decimal::Decimal;
use serde::Serialize;

use super::session::ConsoleSession;
use super::texts::status_label;
use crate::account_list::{AccountQuery, list_accounts};
use crate::http::{AppState, HttpError};
use crate::store::AccountStatus;

/// `k=v&...` of `pairs`, URL-encoded, for the pager's links.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let pairs: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[derive(Serialize)]
struct StatusOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct Row {
    id: String,
    debtor_name: String,
    creditor: String,
    status_label: &'static str,
    balance: String,
    currency: String,
    days_past_due: i64,
    due_date: String,
}

/// The expedientes list page.
#[utoipa::path(get, path = "/console/accounts", tag = "console", responses(
    (status = 200, description = "the list", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let t = me.texts();
    let get = |k: &str| query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let number = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
    let decimal = |k: &str| get(k).and_then(|v| v.replace(',', ".").parse::<Decimal>().ok());
    let confined = me.confined_to();
    let account_query = AccountQuery {
        creditor: confined
            .clone()
            .or_else(|| get("creditor").map(str::to_string)),
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

    let statuses: Vec<StatusOption> = AccountStatus::ALL
        .iter()
        .map(|s| StatusOption {
            value: s.as_str(),
            label: status_label(me.lang, s.as_str()),
            selected: get("status") == Some(s.as_str()),
        })
        .collect();
    let items: Vec<Row> = page
        .items
        .iter()
        .map(|i| Row {
            id: i.id.clone(),
            debtor_name: i.debtor_name.clone(),
            creditor: i.creditor.clone(),
            status_label: status_label(me.lang, i.status),
            balance: i.balance.to_string(),
            currency: i.currency.clone(),
            days_past_due: i.days_past_due,
            due_date: i.due_date.to_string(),
        })
        .collect();
    const FILTERS: [&str; 10] = [
        "q",
        "creditor",
        "campaign",
        "status",
        "country",
        "segment",
        "dpd_min",
        "dpd_max",
        "amount_min",
        "amount_max",
    ];
    let filters: HashMap<&str, &str> = FILTERS.iter().map(|k| (*k, get(k).unwrap_or(""))).collect();
    let keep = query_string(FILTERS.iter().map(|k| (*k, get(k).unwrap_or(""))));
    let first_href = account_query
        .cursor
        .is_some()
        .then(|| format!("/console/accounts?{keep}"));
    let next_href = page.next.as_deref().map(|next| {
        format!(
            "/console/accounts?{}",
            query_string(
                [("cursor", next)]
                    .into_iter()
                    .chain(FILTERS.iter().map(|k| (*k, get(k).unwrap_or(""))))
            )
        )
    });
    Ok(me.page(
        "accounts.html",
        t.accounts_title,
        context! {
            f => filters,
            confined => confined.is_some(),
            statuses,
            items,
            first_href,
            next_href,
        },
    ))
}
