//! The guard's explanation for an expediente at an instant (`/console/rules/explain`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{SecondsFormat, Utc};
use cobro_campaigns::ChannelKind;
use cobro_compliance::{CHANNELS, DebtorProfile, Decision};
use minijinja::context;
use serde::Serialize;

use super::*;
use crate::account_explain::{AccountExplain, ExplainError, explain_account};
use crate::cli::rules::parse_instant;
use crate::http::console::session::ConsoleSession;
use crate::http::console::texts::Lang;
use crate::http::{AppState, HttpError};

#[derive(Serialize)]
pub(super) struct PackVerdict {
    id: String,
    ok: bool,
    reasons: Vec<(String, String)>,
}

/// A verdict as the explain page shows it.
#[derive(Serialize)]
pub(super) struct ExplainView {
    account: Option<String>,
    debtor_name: Option<String>,
    hypothetical: bool,
    channel: &'static str,
    at: String,
    decision: &'static str,
    decision_label: &'static str,
    until: Option<String>,
    until_local: Option<String>,
    timezones: Vec<String>,
    tz_source: Option<&'static str>,
    packs: Vec<PackVerdict>,
    others: Vec<(String, String, String)>,
    address: Option<String>,
    suppressed: bool,
    history: usize,
    json: String,
}

pub(super) fn explain_view(lang: Lang, e: &AccountExplain, hypothetical: bool) -> ExplainView {
    let p = words(lang);
    let v = &e.verdict;
    let (decision_label, until) = match v.decision {
        Decision::Allow => (p.decisions[0], None),
        Decision::Defer { until } => (p.decisions[1], Some(until)),
        Decision::Block => (p.decisions[2], None),
    };
    let packs = v
        .rules
        .iter()
        .map(|id| {
            let reasons: Vec<(String, String)> = v
                .reasons
                .iter()
                .filter(|r| &r.rule == id)
                .map(|r| (r.code.as_str().to_string(), r.detail.clone()))
                .collect();
            PackVerdict {
                id: id.clone(),
                ok: reasons.is_empty(),
                reasons,
            }
        })
        .collect();
    let others = v
        .reasons
        .iter()
        .filter(|r| !v.rules.contains(&r.rule))
        .map(|r| {
            (
                r.rule.clone(),
                r.code.as_str().to_string(),
                r.detail.clone(),
            )
        })
        .collect();
    ExplainView {
        account: e.account.as_ref().map(|a| a.id.clone()),
        debtor_name: e.account.as_ref().map(|a| a.debtor_name.clone()),
        hypothetical,
        channel: e.channel.as_str(),
        at: e.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        decision: v.decision.as_str(),
        decision_label,
        until: until.map(|u| u.to_rfc3339_opts(SecondsFormat::Secs, true)),
        until_local: until.and_then(|u| {
            v.timezones.first().map(|z| {
                format!(
                    "{} {}",
                    u.with_timezone(z).format("%Y-%m-%d %H:%M"),
                    z.name()
                )
            })
        }),
        timezones: v.timezones.iter().map(|z| z.name().to_string()).collect(),
        tz_source: v.tz_source.map(|s| zone_source(lang, s)),
        packs,
        others,
        address: e.address.clone(),
        suppressed: e.suppressed,
        history: e.history.len(),
        json: v.to_explain_string(),
    }
}

/// What `account`, `at`, `channel`, `campaign` and `debtor` ask for, or
/// the message naming the one that does not parse.
pub(crate) struct ExplainAsk {
    pub account: Option<String>,
    pub at: chrono::DateTime<Utc>,
    pub channel: ChannelKind,
    pub campaign: Option<String>,
    pub debtor: Option<DebtorProfile>,
}

pub(crate) fn explain_ask(q: &Params) -> Result<ExplainAsk, String> {
    let at = match param(q, "at") {
        Some(raw) => parse_instant(raw).map_err(|e| format!("at: {e}"))?,
        None => Utc::now(),
    };
    let channel = param(q, "channel")
        .unwrap_or("sms")
        .parse::<ChannelKind>()
        .map_err(|e| format!("channel: {e}"))?;
    let debtor = param(q, "debtor")
        .map(|raw| {
            serde_json::from_str::<DebtorProfile>(raw)
                .map_err(|e| format!("debtor:{}: {e}", e.line()))
        })
        .transpose()?;
    Ok(ExplainAsk {
        account: param(q, "account").map(str::to_string),
        at,
        channel,
        campaign: param(q, "campaign").map(str::to_string),
        debtor,
    })
}

/// `GET /console/rules/explain?account=&at=&channel=[&campaign=][&debtor=JSON]`:
/// the guard's verdict for an expediente at an instant (now by default),
/// each pack evaluated with its explanation; a debtor JSON asks about a
/// hypothetical debtor.
#[utoipa::path(get, path = "/console/rules/explain", tag = "console", responses(
    (status = 200, description = "the form, and the verdict when an account or debtor is given", content_type = "text/html"),
    (status = 400, description = "an instant, channel or debtor that does not parse", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a staff user"),
    (status = 404, description = "unknown account"),
))]
pub async fn explain(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(q): Query<Params>,
) -> Result<Response, HttpError> {
    let p = words(me.lang);
    let campaigns: Vec<&str> = state
        .rules
        .sets
        .iter()
        .filter_map(|s| s.campaign.as_deref())
        .collect();
    let form = context! {
        account => param(&q, "account").unwrap_or(""),
        at => param(&q, "at").unwrap_or(""),
        channel => param(&q, "channel").unwrap_or("sms"),
        campaign => param(&q, "campaign").unwrap_or(""),
        debtor => param(&q, "debtor").unwrap_or(""),
    };
    let channels: Vec<&str> = CHANNELS.iter().map(|c| c.as_str()).collect();
    let render = |result: Option<ExplainView>, error: Option<String>| {
        let status = if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let mut resp = me.page(
            "rules_explain.html",
            p.explain_title,
            context! { p, f => &form, campaigns => &campaigns, channels => &channels, result, error },
        );
        *resp.status_mut() = status;
        resp
    };
    let ask = match explain_ask(&q) {
        Ok(a) => a,
        Err(e) => return Ok(render(None, Some(e))),
    };
    if ask.account.is_none() && ask.debtor.is_none() {
        return Ok(render(None, None));
    }
    let Some(set) = state.rules.set(ask.campaign.as_deref()) else {
        return Ok(render(None, Some(format!("campaign: {}", p.none))));
    };
    let hypothetical = ask.debtor.is_some();
    match explain_account(
        state.store.as_ref(),
        &set.guard,
        ask.account.as_deref(),
        ask.debtor,
        ask.channel,
        ask.at,
    )
    .await
    {
        Ok(e) => Ok(render(Some(explain_view(me.lang, &e, hypothetical)), None)),
        Err(ExplainError::UnknownAccount(_)) => Ok(me.not_found()),
        Err(ExplainError::NothingToExplain) => Ok(render(None, None)),
        Err(ExplainError::Store(e)) => Err(HttpError::Store(e)),
    }
}
