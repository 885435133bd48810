//! A month's calendar per pack and country (`/console/rules/calendar`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Months, NaiveDate, Utc};
use cobro_compliance::{CHANNELS, RulePack};
use minijinja::context;
use serde::Serialize;

use super::*;
use crate::cli::rules::{month_view, window_label};
use crate::http::AppState;
use crate::http::console::accounts::query_string;
use crate::http::console::session::ConsoleSession;

#[derive(Serialize)]
pub(super) struct Hours {
    channel: &'static str,
    hours: String,
}

#[derive(Serialize)]
pub(super) struct Cell {
    day: u32,
    date: String,
    holiday: Option<String>,
    closed: bool,
    hours: Vec<Hours>,
}

#[derive(Serialize)]
pub(super) struct PackOption {
    id: String,
    selected: bool,
}

/// `GET /console/rules/calendar?pack=&country=&subdivision=&month=YYYY-MM`:
/// the month as weeks × days, each day a business day or a holiday with
/// its name and the hours allowed on each channel.
#[utoipa::path(get, path = "/console/rules/calendar", tag = "console", responses(
    (status = 200, description = "the month", content_type = "text/html"),
    (status = 400, description = "a month, country or subdivision that does not parse", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a staff user"),
    (status = 404, description = "no pack in force has that id"),
))]
pub async fn calendar(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(q): Query<Params>,
) -> Response {
    let p = words(me.lang);
    // A pack asked for by id; else, with a country, every pack the rules
    // in force apply to its debtors (stacked, as the guard does); else the
    // first pack in force in its own country.
    let asked = param(&q, "country").map(str::to_ascii_uppercase);
    let found = match param(&q, "pack") {
        Some(id) => match state.rules.pack(id) {
            Some(f) => Some(f),
            None => return me.not_found(),
        },
        None if asked.is_some() => None,
        None => state.rules.packs.first(),
    };
    let country = asked
        .or_else(|| found.and_then(|f| f.pack.country().map(str::to_string)))
        .unwrap_or_default();
    let chosen: Vec<RulePack> = match found {
        Some(f) => vec![f.pack.clone()],
        None => state
            .rules
            .set(None)
            .map(|set| set.guard.packs_for(&country).into_iter().cloned().collect())
            .unwrap_or_default(),
    };
    let packs: Vec<PackOption> = state
        .rules
        .packs
        .iter()
        .map(|pk| PackOption {
            id: pk.pack.id().to_string(),
            selected: found.is_some_and(|f| f.pack.id() == pk.pack.id()),
        })
        .collect();
    let pack_id = found.map(|f| f.pack.id().to_string()).unwrap_or_default();
    let pack_label = chosen
        .iter()
        .map(|p| p.id())
        .collect::<Vec<_>>()
        .join(" + ");
    let subdivision = param(&q, "subdivision").map(str::to_string);
    let month = param(&q, "month")
        .map(str::to_string)
        .unwrap_or_else(|| Utc::now().format("%Y-%m").to_string());
    let form = context! {
        pack => &pack_id, country => &country,
        subdivision => subdivision.as_deref().unwrap_or(""), month => &month,
    };
    let render_error = |message: String| {
        let mut resp = me.page(
            "rules_calendar.html",
            p.calendar_title,
            context! { p, packs => &packs, f => &form, error => message, weeks => None::<()> },
        );
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        resp
    };
    if chosen.is_empty() {
        // Fail closed: a debtor no pack applies to is never contacted.
        return render_error(p.no_pack_applies.replace("{country}", &country));
    }
    let mut views = Vec::new();
    for ch in CHANNELS {
        match month_view(&chosen, &country, subdivision.as_deref(), None, ch, &month) {
            Ok(v) => views.push((ch, v)),
            Err(e) => return render_error(e),
        }
    }
    let Some((_, first_view)) = views.first() else {
        return render_error(p.none.to_string());
    };
    let first = first_view.first;
    let zones: Vec<&str> = first_view.zones.zones.iter().map(|z| z.name()).collect();
    let cells: Vec<Cell> = first_view
        .days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let mut names: Vec<String> = Vec::new();
            for (_, n) in &day.holidays {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
            let hours: Vec<Hours> = views
                .iter()
                .filter_map(|(ch, v)| {
                    let d = v.days.get(i)?;
                    // The first zone's clock; the other zones of the
                    // country allow the same instants (listed on top).
                    let label = d
                        .zones
                        .first()
                        .map(|zd| {
                            zd.windows
                                .iter()
                                .map(|(a, b)| window_label(d.date, *a, *b))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| p.closed.to_string());
                    Some(Hours {
                        channel: ch.as_str(),
                        hours: label,
                    })
                })
                .collect();
            Cell {
                day: day.date.day(),
                date: day.date.to_string(),
                holiday: (!names.is_empty()).then(|| names.join("; ")),
                closed: day.allowed_utc.is_empty(),
                hours,
            }
        })
        .collect();
    let lead = first.weekday().num_days_from_monday() as usize;
    let mut slots: Vec<Option<Cell>> = (0..lead).map(|_| None).collect();
    slots.extend(cells.into_iter().map(Some));
    while !slots.len().is_multiple_of(7) {
        slots.push(None);
    }
    let mut weeks: Vec<Vec<Option<Cell>>> = Vec::new();
    let mut it = slots.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    let link = |d: Option<NaiveDate>| {
        d.map(|d| {
            format!(
                "/console/rules/calendar?{}",
                query_string([
                    ("pack", pack_id.as_str()),
                    ("country", country.as_str()),
                    ("subdivision", subdivision.as_deref().unwrap_or("")),
                    ("month", d.format("%Y-%m").to_string().as_str()),
                ])
            )
        })
    };
    let prev_href = link(first.checked_sub_months(Months::new(1)));
    let next_href = link(first.checked_add_months(Months::new(1)));
    me.page(
        "rules_calendar.html",
        p.calendar_title,
        context! {
            p, packs => &packs, f => &form, error => None::<String>, weeks, pack_label,
            month_label => first.format("%Y-%m").to_string(),
            zones, zone_source => zone_source(me.lang, first_view.zones.source),
            prev_href, next_href,
        },
    )
}
