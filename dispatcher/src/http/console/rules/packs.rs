//! The packs in force (`/console/rules`) and one pack's source and summary (`/console/rules/{pack}`).

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Datelike, Utc};
use cobro_campaigns::ChannelKind;
use cobro_compliance::{CHANNELS, CapPeriod, CapScope};
use minijinja::context;
use serde::Serialize;

use super::*;
use crate::http::AppState;
use crate::http::console::session::ConsoleSession;
use crate::http::console::texts::Lang;
use crate::rules_in_force::{PackInForce, PackOrigin};

#[derive(Serialize)]
pub(super) struct DayRow {
    label: &'static str,
    hours: String,
}

#[derive(Serialize)]
pub(super) struct ChannelRow {
    name: &'static str,
    margin_minutes: u32,
    consent_required: bool,
    elements: String,
}

/// A pack as the list and the pack page show it.
#[derive(Serialize)]
pub(super) struct Summary {
    id: String,
    name: Option<String>,
    description: Option<String>,
    country: Option<String>,
    applies_to: Vec<String>,
    campaigns: Vec<String>,
    source: String,
    unrestricted: bool,
    days: Vec<DayRow>,
    calendar: Option<String>,
    year: i32,
    holidays: Vec<(String, String)>,
    caps: Vec<String>,
    cooldowns: Vec<String>,
    channels: Vec<ChannelRow>,
}

pub(super) fn channel_list(lang: Lang, chs: &[ChannelKind]) -> String {
    if chs.len() == CHANNELS.len() {
        return match lang {
            Lang::Es => "todos los canales".into(),
            Lang::En => "all channels".into(),
        };
    }
    chs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("+")
}

pub(super) fn cap_text(lang: Lang, cap: &cobro_compliance::Cap) -> String {
    let period = match (cap.period, lang) {
        (CapPeriod::CalendarDay, Lang::Es) => "por día calendario".to_string(),
        (CapPeriod::CalendarDay, Lang::En) => "per calendar day".to_string(),
        (CapPeriod::CalendarWeek, Lang::Es) => "por semana calendario (lun–dom)".to_string(),
        (CapPeriod::CalendarWeek, Lang::En) => "per calendar week (Mon–Sun)".to_string(),
        (CapPeriod::Rolling(n), Lang::Es) => format!("en {n} días móviles"),
        (CapPeriod::Rolling(n), Lang::En) => format!("per rolling {n} days"),
    };
    let scope = match (cap.scope, lang) {
        (CapScope::Debtor, Lang::Es) => "por deudor",
        (CapScope::Debtor, Lang::En) => "per debtor",
        (CapScope::Account, Lang::Es) => "por expediente",
        (CapScope::Account, Lang::En) => "per account",
    };
    let mut parts = Vec::new();
    if let Some(max) = cap.max {
        parts.push(format!("≤ {max} {period}"));
    }
    if let Some(gap) = cap.min_gap_days {
        parts.push(match lang {
            Lang::Es => format!("≥ {gap} días entre contactos"),
            Lang::En => format!("≥ {gap} days between contacts"),
        });
    }
    let per_channel = match (cap.per_channel, lang) {
        (true, Lang::Es) => ", por canal",
        (true, Lang::En) => ", per channel",
        (false, _) => "",
    };
    format!(
        "{}: {} ({scope}, {}{per_channel})",
        cap.id,
        parts.join("; "),
        channel_list(lang, &cap.channel_list())
    )
}

pub(super) fn summary(lang: Lang, p: &PackInForce, year: i32) -> Summary {
    let w = words(lang);
    let pack = &p.pack;
    let day_windows = pack.day_windows();
    let days = day_windows
        .as_ref()
        .map(|days| {
            days.iter()
                .enumerate()
                .map(|(i, d)| DayRow {
                    label: w.days[i],
                    hours: match d {
                        None => w.as_weekday.to_string(),
                        Some(v) if v.is_empty() => w.closed.to_string(),
                        Some(v) => v
                            .iter()
                            .map(|(a, b)| format!("{}–{}", hhmm(*a), hhmm(*b)))
                            .collect::<Vec<_>>()
                            .join(", "),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let source = match &p.origin {
        PackOrigin::Builtin(name) => match lang {
            Lang::Es => format!("integrado «{name}» (config/rules/{name}.toml)"),
            Lang::En => format!("built-in `{name}` (config/rules/{name}.toml)"),
        },
        PackOrigin::File(path) => path.display().to_string(),
    };
    let applies_to = p
        .applies_to
        .iter()
        .map(|a| match (a.as_str(), lang) {
            ("default", Lang::Es) => "resto de países".to_string(),
            ("default", Lang::En) => "other countries".to_string(),
            ("house", Lang::Es) => "todos (regla de la casa)".to_string(),
            ("house", Lang::En) => "everyone (house rule)".to_string(),
            (c, _) => c.to_string(),
        })
        .collect();
    Summary {
        id: pack.id().to_string(),
        name: pack.name().map(str::to_string),
        description: pack.description().map(str::to_string),
        country: pack.country().map(str::to_string),
        applies_to,
        campaigns: p.campaigns.clone(),
        source,
        unrestricted: day_windows.is_none(),
        days,
        calendar: pack.calendar().map(str::to_string),
        year,
        holidays: pack
            .holidays_in(year)
            .into_iter()
            .map(|(d, n)| (d.to_string(), n))
            .collect(),
        caps: pack.caps().iter().map(|c| cap_text(lang, c)).collect(),
        cooldowns: pack
            .cooldowns()
            .iter()
            .map(|c| match lang {
                Lang::Es => format!(
                    "{}: {} días ({})",
                    c.id,
                    c.days,
                    channel_list(lang, &c.channel_list())
                ),
                Lang::En => format!(
                    "{}: {} days ({})",
                    c.id,
                    c.days,
                    channel_list(lang, &c.channel_list())
                ),
            })
            .collect(),
        channels: CHANNELS
            .iter()
            .map(|c| ChannelRow {
                name: c.as_str(),
                margin_minutes: pack.margin(*c) / 60,
                consent_required: pack.consent_required(*c),
                elements: pack
                    .required_elements(*c)
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
    }
}

/// `GET /console/rules`: the packs in force.
#[utoipa::path(get, path = "/console/rules", tag = "console", responses(
    (status = 200, description = "the packs in force", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a staff user"),
))]
pub async fn list(State(state): State<AppState>, me: ConsoleSession) -> Response {
    let p = words(me.lang);
    let year = Utc::now().year();
    let packs: Vec<Summary> = state
        .rules
        .packs
        .iter()
        .map(|pk| summary(me.lang, pk, year))
        .collect();
    let builtin = state.rules.sets.iter().all(|s| s.campaign.is_none());
    let campaigns: Vec<&str> = state
        .rules
        .sets
        .iter()
        .filter_map(|s| s.campaign.as_deref())
        .collect();
    me.page(
        "rules.html",
        p.title,
        context! { p, packs, builtin, campaigns },
    )
}

/// `GET /console/rules/{pack}`: a pack's source text and its summary.
#[utoipa::path(get, path = "/console/rules/{pack}", tag = "console",
    params(("pack" = String, Path, description = "the pack id")),
    responses(
    (status = 200, description = "the pack", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a staff user"),
    (status = 404, description = "no pack in force has that id"),
))]
pub async fn pack(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path(id): Path<String>,
) -> Response {
    let Some(found) = state.rules.pack(&id) else {
        return me.not_found();
    };
    let p = words(me.lang);
    let s = summary(me.lang, found, Utc::now().year());
    me.page(
        "rules_pack.html",
        p.pack_title,
        context! { p, s, source_text => &found.source },
    )
}
