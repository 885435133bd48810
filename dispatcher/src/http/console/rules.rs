//! The compliance pages: the rule packs in force and their source files
//! (`/console/rules`, `/console/rules/{pack}`), a rules file checked the
//! way `cobro rules check` checks it (`/console/rules/check`), a month's
//! calendar per country (`/console/rules/calendar`) and the guard's
//! explanation for an expediente at an instant (`/console/rules/explain`).
//!
//! Nothing here decides anything of its own: the check is
//! `cli::rules::check_rules`, the calendar `cli::rules::month_view`, the
//! explanation `account_explain::explain_account` (the guard a worker asks,
//! with the account's history). The packs shown are `AppState::rules`,
//! the ones the service was started with. Staff only (`authz::page_roles`).

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Months, NaiveDate, SecondsFormat, Utc};
use cobro_campaigns::ChannelKind;
use cobro_compliance::{
    CHANNELS, CapPeriod, CapScope, DebtorProfile, Decision, RulePack, TzSource,
};
use minijinja::context;
use serde::Serialize;

use super::accounts::query_string;
use super::session::ConsoleSession;
use super::texts::Lang;
use crate::account_explain::{AccountExplain, ExplainError, explain_account};
use crate::cli::rules::{check_rules, month_view, parse_instant, window_label};
use crate::http::{AppState, HttpError};
use crate::rules_in_force::{PackInForce, PackOrigin};

/// The rules pages' own words.
#[derive(Serialize)]
pub struct P {
    title: &'static str,
    pack_title: &'static str,
    check_title: &'static str,
    calendar_title: &'static str,
    explain_title: &'static str,
    in_force_builtin: &'static str,
    in_force_campaigns: &'static str,
    pack: &'static str,
    applies_to: &'static str,
    source: &'static str,
    campaigns: &'static str,
    hours: &'static str,
    holidays: &'static str,
    holidays_in: &'static str,
    no_calendar: &'static str,
    caps: &'static str,
    cooldowns: &'static str,
    none: &'static str,
    channels: &'static str,
    channel: &'static str,
    margin: &'static str,
    consent: &'static str,
    consent_required: &'static str,
    elements: &'static str,
    closed: &'static str,
    unrestricted: &'static str,
    as_weekday: &'static str,
    days: [&'static str; 8],
    days_short: [&'static str; 7],
    source_text: &'static str,
    summary: &'static str,
    see_source: &'static str,
    file: &'static str,
    check: &'static str,
    check_intro: &'static str,
    check_ok: &'static str,
    check_failed: &'static str,
    line: &'static str,
    key: &'static str,
    message: &'static str,
    no_file: &'static str,
    country: &'static str,
    subdivision: &'static str,
    month: &'static str,
    show: &'static str,
    prev_month: &'static str,
    next_month: &'static str,
    zones: &'static str,
    business_day: &'static str,
    holiday: &'static str,
    account: &'static str,
    at: &'static str,
    at_hint: &'static str,
    campaign: &'static str,
    debtor_json: &'static str,
    debtor_hint: &'static str,
    explain: &'static str,
    decision: &'static str,
    decisions: [&'static str; 3],
    until: &'static str,
    timezones: &'static str,
    packs_applied: &'static str,
    no_objection: &'static str,
    other_reasons: &'static str,
    address: &'static str,
    no_address: &'static str,
    suppressed: &'static str,
    history: &'static str,
    yes: &'static str,
    no: &'static str,
    json: &'static str,
    hypothetical: &'static str,
    all_for_country: &'static str,
    no_pack_applies: &'static str,
}

const ES: P = P {
    title: "Reglas de cumplimiento",
    pack_title: "Paquete de reglas",
    check_title: "Revisar un archivo de reglas",
    calendar_title: "Calendario de contacto",
    explain_title: "Explicación de una decisión",
    in_force_builtin: "Este servicio se inició sin campañas: rigen los paquetes integrados, cada uno para su país (los deudores de otros países quedan bloqueados).",
    in_force_campaigns: "Rigen los paquetes de las campañas con las que se inició el servicio:",
    pack: "Paquete",
    applies_to: "Se aplica a",
    source: "Origen",
    campaigns: "Campañas",
    hours: "Horario (hora local del deudor)",
    holidays: "Feriados",
    holidays_in: "feriados en",
    no_calendar: "sin calendario de feriados",
    caps: "Límites de frecuencia",
    cooldowns: "Pausas tras una conversación",
    none: "ninguno",
    channels: "Canales",
    channel: "Canal",
    margin: "Margen antes del cierre",
    consent: "Consentimiento",
    consent_required: "obligatorio",
    elements: "Elementos obligatorios del mensaje",
    closed: "cerrado",
    unrestricted: "Sin restricción de horario",
    as_weekday: "como día hábil",
    days: [
        "Lunes",
        "Martes",
        "Miércoles",
        "Jueves",
        "Viernes",
        "Sábado",
        "Domingo",
        "Feriado",
    ],
    days_short: ["Lun", "Mar", "Mié", "Jue", "Vie", "Sáb", "Dom"],
    source_text: "Archivo fuente",
    summary: "Resumen",
    see_source: "Ver archivo y resumen",
    file: "Archivo de reglas (TOML)",
    check: "Revisar",
    check_intro: "Se revisa el archivo igual que con «cobro rules check». No se instala nada.",
    check_ok: "El archivo es válido. Paquete:",
    check_failed: "El archivo no es válido.",
    line: "Línea",
    key: "Clave",
    message: "Error",
    no_file: "Elija un archivo.",
    country: "País",
    subdivision: "Subdivisión (opcional)",
    month: "Mes (AAAA-MM)",
    show: "Mostrar",
    prev_month: "Mes anterior",
    next_month: "Mes siguiente",
    zones: "Husos horarios",
    business_day: "hábil",
    holiday: "feriado",
    account: "Expediente",
    at: "Instante (RFC 3339)",
    at_hint: "Vacío: ahora.",
    campaign: "Campaña",
    debtor_json: "Deudor hipotético (JSON, opcional)",
    debtor_hint: "Como --debtor de «cobro rules explain»; reemplaza los datos del expediente.",
    explain: "Explicar",
    decision: "Decisión",
    decisions: ["permitido", "diferido", "bloqueado"],
    until: "Hasta",
    timezones: "Husos usados",
    packs_applied: "Paquetes evaluados",
    no_objection: "sin objeción",
    other_reasons: "Otros motivos",
    address: "Dirección",
    no_address: "El expediente no tiene una dirección para este canal: cobro no enviaría nada por él.",
    suppressed: "En lista de exclusión",
    history: "Contactos previos contados",
    yes: "sí",
    no: "no",
    json: "JSON de «rules explain»",
    hypothetical: "deudor hipotético",
    all_for_country: "los que rigen en el país",
    no_pack_applies: "Ningún paquete en vigor se aplica a deudores de «{country}»: no se los contacta.",
};

const EN: P = P {
    title: "Compliance rules",
    pack_title: "Rule pack",
    check_title: "Check a rules file",
    calendar_title: "Contact calendar",
    explain_title: "Explain a decision",
    in_force_builtin: "This service was started without campaigns: the built-in packs are in force, each for its own country (debtors of other countries are blocked).",
    in_force_campaigns: "The packs of the campaigns this service was started with are in force:",
    pack: "Pack",
    applies_to: "Applies to",
    source: "Source",
    campaigns: "Campaigns",
    hours: "Hours (debtor's local time)",
    holidays: "Holidays",
    holidays_in: "holidays in",
    no_calendar: "no holiday calendar",
    caps: "Frequency caps",
    cooldowns: "Cooldowns after a conversation",
    none: "none",
    channels: "Channels",
    channel: "Channel",
    margin: "Margin before closing",
    consent: "Consent",
    consent_required: "required",
    elements: "Required message elements",
    closed: "closed",
    unrestricted: "No restriction on hours",
    as_weekday: "as a weekday",
    days: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Holiday",
    ],
    days_short: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    source_text: "Source file",
    summary: "Summary",
    see_source: "See file and summary",
    file: "Rules file (TOML)",
    check: "Check",
    check_intro: "The file is checked as `cobro rules check` checks it. Nothing is installed.",
    check_ok: "The file is valid. Pack:",
    check_failed: "The file is not valid.",
    line: "Line",
    key: "Key",
    message: "Error",
    no_file: "Choose a file.",
    country: "Country",
    subdivision: "Subdivision (optional)",
    month: "Month (YYYY-MM)",
    show: "Show",
    prev_month: "Previous month",
    next_month: "Next month",
    zones: "Time zones",
    business_day: "business day",
    holiday: "holiday",
    account: "Account",
    at: "Instant (RFC 3339)",
    at_hint: "Empty: now.",
    campaign: "Campaign",
    debtor_json: "Hypothetical debtor (JSON, optional)",
    debtor_hint: "As `cobro rules explain --debtor`; replaces the account's data.",
    explain: "Explain",
    decision: "Decision",
    decisions: ["allowed", "deferred", "blocked"],
    until: "Until",
    timezones: "Zones used",
    packs_applied: "Packs evaluated",
    no_objection: "no objection",
    other_reasons: "Other reasons",
    address: "Address",
    no_address: "The account has no address for this channel: cobro would send nothing on it.",
    suppressed: "On a suppression list",
    history: "Earlier contacts counted",
    yes: "yes",
    no: "no",
    json: "`rules explain` JSON",
    hypothetical: "hypothetical debtor",
    all_for_country: "those in force in the country",
    no_pack_applies: "No pack in force applies to debtors of `{country}`: they are not contacted.",
};

fn words(lang: Lang) -> &'static P {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

type Params = HashMap<String, String>;

fn param<'a>(q: &'a Params, k: &str) -> Option<&'a str> {
    q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn hhmm(secs: u32) -> String {
    if secs >= 24 * 3600 {
        return "24:00".into();
    }
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// Where the zones came from, in the page's language.
fn zone_source(lang: Lang, source: TzSource) -> &'static str {
    match (source, lang) {
        (TzSource::Explicit, Lang::Es) => "huso indicado",
        (TzSource::Explicit, Lang::En) => "explicit zone",
        (TzSource::Subdivision, Lang::Es) => "por subdivisión",
        (TzSource::Subdivision, Lang::En) => "from the subdivision",
        (TzSource::Country, Lang::Es) => "por país",
        (TzSource::Country, Lang::En) => "from the country",
    }
}

#[derive(Serialize)]
struct DayRow {
    label: &'static str,
    hours: String,
}

#[derive(Serialize)]
struct ChannelRow {
    name: &'static str,
    margin_minutes: u32,
    consent_required: bool,
    elements: String,
}

/// A pack as the list and the pack page show it.
#[derive(Serialize)]
struct Summary {
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

fn channel_list(lang: Lang, chs: &[ChannelKind]) -> String {
    if chs.len() == CHANNELS.len() {
        return match lang {
            Lang::Es => "todos los canales".into(),
            Lang::En => "all channels".into(),
        };
    }
    chs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("+")
}

fn cap_text(lang: Lang, cap: &cobro_compliance::Cap) -> String {
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

fn summary(lang: Lang, p: &PackInForce, year: i32) -> Summary {
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

/// The outcome of a check, as the page shows it.
#[derive(Serialize, Default)]
struct CheckResult {
    file: String,
    ok: Option<String>,
    error: Option<String>,
    line: Option<usize>,
    key: Option<String>,
}

/// `GET /console/rules/check`: the upload form.
#[utoipa::path(get, path = "/console/rules/check", tag = "console", responses(
    (status = 200, description = "the form", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a staff user"),
))]
pub async fn check_form(me: ConsoleSession) -> Response {
    let p = words(me.lang);
    me.page(
        "rules_check.html",
        p.check_title,
        context! { p, result => None::<CheckResult> },
    )
}

/// `POST /console/rules/check` (multipart: `csrf`, `file`): the file
/// checked as `cobro rules check` checks it; nothing is installed.
#[utoipa::path(post, path = "/console/rules/check", tag = "console", responses(
    (status = 200, description = "the result: valid, or the error with line and key", content_type = "text/html"),
    (status = 400, description = "not a multipart form, or no file"),
    (status = 403, description = "not a staff user, or missing or wrong CSRF value"),
))]
pub async fn check_submit(
    me: ConsoleSession,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let p = words(me.lang);
    let bad_form = |message: String| {
        let mut resp = me.page(
            "rules_check.html",
            p.check_title,
            context! { p, result => CheckResult { error: Some(message), ..Default::default() } },
        );
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        resp
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return bad_form(e.body_text()),
    };
    let mut csrf = String::new();
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return bad_form(e.body_text()),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "rules.toml".into());
                match field.bytes().await {
                    Ok(b) => upload = Some((name, b.to_vec())),
                    Err(e) => return bad_form(e.body_text()),
                }
            }
            _ => {}
        }
    }
    if !me.csrf_ok(&csrf) {
        return me.expired_form();
    }
    let Some((name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return bad_form(p.no_file.to_string());
    };
    let result = match check_rules(&name, bytes) {
        Ok(pack) => CheckResult {
            file: name,
            ok: Some(pack.id().to_string()),
            ..Default::default()
        },
        Err(e) => CheckResult {
            file: name,
            line: e.line(),
            key: e.key().map(str::to_string),
            error: Some(e.to_string()),
            ok: None,
        },
    };
    me.page("rules_check.html", p.check_title, context! { p, result })
}

#[derive(Serialize)]
struct Hours {
    channel: &'static str,
    hours: String,
}

#[derive(Serialize)]
struct Cell {
    day: u32,
    date: String,
    holiday: Option<String>,
    closed: bool,
    hours: Vec<Hours>,
}

#[derive(Serialize)]
struct PackOption {
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

#[derive(Serialize)]
struct PackVerdict {
    id: String,
    ok: bool,
    reasons: Vec<(String, String)>,
}

/// A verdict as the explain page shows it.
#[derive(Serialize)]
struct ExplainView {
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

fn explain_view(lang: Lang, e: &AccountExplain, hypothetical: bool) -> ExplainView {
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
