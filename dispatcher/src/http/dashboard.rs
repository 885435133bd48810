//! `GET /`: the operations and compliance dashboard. Server-rendered HTML
//! with CSS bars and no script or external asset, so it works on an
//! air-gapped operations network. Every number carries an element id
//! (`c-<campaign>-<state>`, `c-<campaign>-sent-<day>-<channel>`…) so that
//! tests and scrapers can read it without parsing text.
//!
//! Addresses of recent opt-outs are masked: the page is for counts, not
//! for debtors' personal data.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Html;
use cobro_channels::mask_address;

use super::{AppState, HttpError, html_escape};
use crate::report::CampaignReport;
use crate::store::{ContactState, prelude::*};

/// A campaign id made safe for an element id.
pub fn slug(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}h2{margin-top:1.5em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th{background:#f4f4f4}.l{text-align:left}.bar{display:inline-block;height:12px;vertical-align:middle}\
.email{background:#4e79a7}.sms{background:#f28e2b}.voice{background:#59a14f}.progress{background:#eee;width:300px;height:14px;display:inline-block}\
.progress span{display:block;height:14px;background:#59a14f}.paused{color:#b00;font-weight:bold}.legend span{margin-right:1em}";

fn reason_table(title: &str, id: &str, map: &BTreeMap<String, u64>) -> String {
    let mut t = format!(
        "<h3>{}</h3><table id=\"{id}\"><tr><th class=\"l\">reason</th><th>count</th></tr>",
        html_escape(title)
    );
    if map.is_empty() {
        t.push_str("<tr><td class=\"l\" colspan=\"2\">none</td></tr>");
    }
    for (code, n) in map {
        let _ = write!(
            t,
            "<tr><td class=\"l\">{}</td><td id=\"{id}-{}\">{n}</td></tr>",
            html_escape(code),
            slug(code)
        );
    }
    t.push_str("</table>");
    t
}

pub async fn render(state: &AppState) -> Result<String, HttpError> {
    let store = &state.store;
    let campaigns = store.campaigns().await?;
    let paused = store.paused_campaigns().await?;
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cobro dashboard</title><style>{STYLE}</style></head>\
         <body><h1>cobro</h1><p>Campaigns: <b id=\"campaign-count\">{}</b></p>",
        campaigns.len()
    );
    for campaign in &campaigns {
        let s = slug(campaign);
        let report = CampaignReport::from_store(store.as_ref(), campaign, 0).await?;
        let counts = store.counts(Some(campaign)).await?;
        let total: u64 = counts.values().sum();
        let open: u64 = [
            ContactState::Pending,
            ContactState::Queued,
            ContactState::Sending,
        ]
        .iter()
        .map(|st| counts.get(st).copied().unwrap_or(0))
        .sum();
        let done_pct = ((total - open) * 100).checked_div(total).unwrap_or(0);
        let _ = write!(
            html,
            "<section class=\"campaign\" data-campaign=\"{c}\" id=\"c-{s}\"><h2>Campaign {c}{p}</h2>\
             <p>Contacts: <b id=\"c-{s}-total\">{total}</b>, open <b id=\"c-{s}-open\">{open}</b>, \
             messages sent <b id=\"c-{s}-sent-total\">{sent}</b>. \
             <span class=\"progress\" title=\"{done_pct}% finished\"><span style=\"width:{done_pct}%\"></span></span> \
             <span id=\"c-{s}-done-pct\">{done_pct}</span>% finished</p>",
            c = html_escape(campaign),
            p = if paused.contains(campaign) {
                " <span class=\"paused\" id=\"c-".to_string() + &s + "-paused\">paused</span>"
            } else {
                String::new()
            },
            sent = report.total_sent(),
        );
        html.push_str("<table><tr>");
        for st in ContactState::ALL {
            let _ = write!(html, "<th>{}</th>", st.as_str());
        }
        html.push_str("</tr><tr>");
        for st in ContactState::ALL {
            let _ = write!(
                html,
                "<td id=\"c-{s}-{}\">{}</td>",
                st.as_str(),
                counts.get(&st).copied().unwrap_or(0)
            );
        }
        html.push_str("</tr></table>");

        // Sends per day and channel, as bars.
        let max_day = report
            .sent_per_day
            .values()
            .map(|m| m.values().sum::<u64>())
            .max()
            .unwrap_or(1)
            .max(1);
        let _ = write!(
            html,
            "<h3>Sent per day and channel</h3><p class=\"legend\"><span><span class=\"bar email\" style=\"width:12px\"></span> email</span>\
             <span><span class=\"bar sms\" style=\"width:12px\"></span> sms</span><span><span class=\"bar voice\" style=\"width:12px\"></span> voice</span></p>\
             <table id=\"c-{s}-per-day\"><tr><th class=\"l\">day</th><th>email</th><th>sms</th><th>voice</th><th class=\"l\"></th></tr>"
        );
        for (day, per_channel) in &report.sent_per_day {
            let get = |k: &str| per_channel.get(k).copied().unwrap_or(0);
            let _ = write!(html, "<tr><td class=\"l\">{day}</td>");
            for k in ["email", "sms", "voice"] {
                let _ = write!(html, "<td id=\"c-{s}-sent-{day}-{k}\">{}</td>", get(k));
            }
            html.push_str("<td class=\"l\">");
            for k in ["email", "sms", "voice"] {
                let width = get(k) * 400 / max_day;
                let _ = write!(
                    html,
                    "<span class=\"bar {k}\" style=\"width:{width}px\"></span>"
                );
            }
            html.push_str("</td></tr>");
        }
        html.push_str("</table>");
        html.push_str(&reason_table(
            "Deferred by reason",
            &format!("c-{s}-deferred"),
            &report.deferred_by_reason,
        ));
        html.push_str(&reason_table(
            "Blocked by reason",
            &format!("c-{s}-blocked"),
            &report.blocked_by_reason,
        ));
        html.push_str(&reason_table(
            "Cancelled by reason",
            &format!("c-{s}-cancelled"),
            &report.cancelled_by_reason,
        ));
        html.push_str("</section>");
    }

    let mut suppressions = store.suppressions().await?;
    suppressions.sort_by_key(|s| std::cmp::Reverse(s.at));
    let _ = write!(
        html,
        "<h2>Recent opt-outs</h2><p>Suppression entries: <b id=\"suppression-count\">{}</b></p>\
         <table id=\"opt-outs\"><tr><th class=\"l\">when (UTC)</th><th class=\"l\">address</th><th class=\"l\">channel</th><th class=\"l\">source</th></tr>",
        suppressions.len()
    );
    if suppressions.is_empty() {
        html.push_str("<tr><td class=\"l\" colspan=\"4\">none</td></tr>");
    }
    for entry in suppressions.iter().take(25) {
        let _ = write!(
            html,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            entry.at.format("%Y-%m-%d %H:%M"),
            html_escape(&mask_address(&entry.address)),
            if entry.prefix { "*" } else { "" },
            entry.channel.map_or("all", |c| c.as_str()),
            html_escape(&entry.source)
        );
    }
    html.push_str("</table></body></html>\n");
    Ok(html)
}

/// Dashboard (HTML): campaigns, their states and decisions.
#[utoipa::path(get, path = "/", tag = "operations", responses(
    (status = 200, description = "Dashboard (HTML)", body = String, content_type = "text/html"),
))]
pub async fn page(State(state): State<AppState>) -> Result<Html<String>, HttpError> {
    Ok(Html(render(&state).await?))
}
