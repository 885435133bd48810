//! `GET /console/collections?month=YYYY-MM`: the parte de cobros in the
//! browser. The same report as `GET /api/reports/collections`
//! (`report::monthly`, built for the signed-in principal, so a creditor
//! user sees its own rows whatever the query says), with month navigation,
//! totals per currency, per creditor and campaign, the debtors' rows and
//! links to the CSV and XLSX files. The links point at the API, which
//! reads the console's session cookie on GET: one route serves the files,
//! with one tenancy check.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Months, NaiveDate, Utc};
use cobro_channels::templates::filters::MESES;
use minijinja::context;
use serde::Serialize;

use super::accounts::query_string;
use super::session::ConsoleSession;
use super::texts::Lang;
use crate::http::{AppState, HttpError};
use crate::report::monthly::{MonthlyCollections, MonthlyTotals, parse_month};

/// The page's own words.
#[derive(Serialize)]
pub struct PageTexts {
    pub title: &'static str,
    pub month: &'static str,
    pub show: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub creditor_filter: &'static str,
    pub download: &'static str,
    pub download_csv: &'static str,
    pub download_xlsx: &'static str,
    pub totals: &'static str,
    pub per_creditor: &'static str,
    pub per_debtor: &'static str,
    pub currency: &'static str,
    pub paid: &'static str,
    pub payments: &'static str,
    pub accounts: &'static str,
    pub promises_kept: &'static str,
    pub promises_broken: &'static str,
    pub balance_start: &'static str,
    pub balance: &'static str,
    pub recovery_rate: &'static str,
    pub campaign: &'static str,
    pub no_campaign: &'static str,
    pub last_payment: &'static str,
    pub none_found: &'static str,
    pub bad_month: &'static str,
    pub footnote: &'static str,
}

const ES: PageTexts = PageTexts {
    title: "Parte de cobros",
    month: "Mes",
    show: "Ver",
    previous: "Mes anterior",
    next: "Mes siguiente",
    creditor_filter: "Acreedor (vacío: todos)",
    download: "Descargar",
    download_csv: "CSV",
    download_xlsx: "Excel (XLSX)",
    totals: "Totales del mes",
    per_creditor: "Por acreedor y campaña",
    per_debtor: "Por deudor",
    currency: "Moneda",
    paid: "Cobrado",
    payments: "Pagos",
    accounts: "Cuentas",
    promises_kept: "Promesas cumplidas",
    promises_broken: "Promesas incumplidas",
    balance_start: "Saldo al inicio",
    balance: "Saldo al cierre",
    recovery_rate: "Tasa de recuperación",
    campaign: "Campaña",
    no_campaign: "Sin campaña",
    last_payment: "Último pago",
    none_found: "Nadie pagó ni tuvo una promesa con vencimiento en este mes.",
    bad_month: "El mes «{month}» no es válido: escríbalo como AAAA-MM (por ejemplo 2026-03).",
    footnote: "Tasa de recuperación = lo cobrado en el mes ÷ el saldo que esas mismas cuentas debían al inicio del mes (monto adeudado menos los pagos con fecha anterior al mes). Solo cuentan las cuentas listadas: las que pagaron o tuvieron una promesa con vencimiento en el mes; puede superar el 100 % si alguien pagó de más. Cada cuenta se atribuye a una sola campaña: la última que le envió un mensaje antes del cierre del mes («sin campaña» si ninguna); así las campañas suman el total del acreedor. Fechas en UTC.",
};

const EN: PageTexts = PageTexts {
    title: "Collections report",
    month: "Month",
    show: "Show",
    previous: "Previous month",
    next: "Next month",
    creditor_filter: "Creditor (empty: all)",
    download: "Download",
    download_csv: "CSV",
    download_xlsx: "Excel (XLSX)",
    totals: "Month totals",
    per_creditor: "Per creditor and campaign",
    per_debtor: "Per debtor",
    currency: "Currency",
    paid: "Collected",
    payments: "Payments",
    accounts: "Accounts",
    promises_kept: "Promises kept",
    promises_broken: "Promises broken",
    balance_start: "Balance at start",
    balance: "Balance at close",
    recovery_rate: "Recovery rate",
    campaign: "Campaign",
    no_campaign: "No campaign",
    last_payment: "Last payment",
    none_found: "Nobody paid or had a promise fall due this month.",
    bad_month: "The month “{month}” is not valid: write it as YYYY-MM (for example 2026-03).",
    footnote: "Recovery rate = collected in the month ÷ what the same accounts owed at the month's start (amount due less the payments dated before the month). Only the accounts listed count: those that paid or had a promise fall due in the month; it can pass 100 % when someone overpaid. Each account is credited to one campaign: the last one that sent it a message before the month's close (“no campaign” if none), so the campaigns add up to the creditor's total. Dates in UTC.",
};

fn page_texts(lang: Lang) -> &'static PageTexts {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

/// `marzo de 2026` / `March 2026`.
fn month_label(lang: Lang, first: NaiveDate) -> String {
    match lang {
        Lang::Es => format!("{} de {}", MESES[first.month0() as usize], first.year()),
        Lang::En => first.format("%B %Y").to_string(),
    }
}

/// One line of the per-creditor table: a creditor's total, or one of its
/// campaigns under it.
#[derive(Serialize)]
struct GroupLine {
    creditor: String,
    /// `None` on the creditor's own line.
    campaign: Option<String>,
    currency: String,
    totals: MonthlyTotals,
}

/// The parte de cobros page.
#[utoipa::path(get, path = "/console/collections", tag = "console", responses(
    (status = 200, description = "the month's report", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 400, description = "a month that is not YYYY-MM (the page says so)", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let p = page_texts(me.lang);
    let get = |k: &str| query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let confined = me.confined_to().is_some();
    // Staff may narrow to one creditor; a creditor user is its own already.
    let creditor = if confined { None } else { get("creditor") };
    let raw_month = get("month");
    let first = match raw_month {
        None => Some(Utc::now().date_naive().with_day(1).unwrap_or_default()),
        Some(raw) => parse_month(raw),
    };
    let Some(first) = first else {
        let message = p.bad_month.replace("{month}", raw_month.unwrap_or(""));
        let mut resp = me.page(
            "collections.html",
            p.title,
            context! {
                p,
                error => message,
                month => raw_month.unwrap_or(""),
                confined,
                creditor => creditor.unwrap_or(""),
                this_href => "/console/collections",
            },
        );
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(resp);
    };
    let report = MonthlyCollections::build(
        state.store.as_ref(),
        first,
        &me.principal,
        state.portal.limits.grace_days,
    )
    .await?;
    let report = match creditor {
        Some(c) => report.only_creditor(c),
        None => report,
    };
    let href = |base: &str, month: NaiveDate, format: &str| {
        let month = month.format("%Y-%m").to_string();
        format!(
            "{base}?{}",
            query_string([
                ("month", month.as_str()),
                ("format", format),
                ("creditor", creditor.unwrap_or("")),
            ])
        )
    };
    let collections = "/console/collections";
    let api = "/api/reports/collections";
    let groups: Vec<GroupLine> = report
        .by_creditor
        .iter()
        .flat_map(|c| {
            std::iter::once(GroupLine {
                creditor: c.creditor.clone(),
                campaign: None,
                currency: c.currency.clone(),
                totals: c.totals.clone(),
            })
            .chain(c.campaigns.iter().map(|k| GroupLine {
                creditor: c.creditor.clone(),
                campaign: Some(k.campaign.clone().unwrap_or_else(|| p.no_campaign.into())),
                currency: c.currency.clone(),
                totals: k.totals.clone(),
            }))
        })
        .collect();
    Ok(me.page(
        "collections.html",
        p.title,
        context! {
            p,
            error => None::<String>,
            month => &report.month,
            month_label => month_label(me.lang, first),
            confined,
            creditor => creditor.unwrap_or(""),
            this_href => collections,
            previous_href => href(collections, first - Months::new(1), ""),
            next_href => href(collections, first + Months::new(1), ""),
            csv_href => href(api, first, "csv"),
            xlsx_href => href(api, first, "xlsx"),
            totals => &report.totals,
            groups,
            rows => &report.rows,
        },
    ))
}
