//! `GET /console/work`: a collector's work queue. The task it holds (one
//! at a time, `work_queue::next_task`) with what the call needs: the
//! debtor's context (balance, payments and open promises from
//! `AccountView`, the last gestiones from `account_timeline`), the call
//! script in the debtor's language, the minutes left in the legal window
//! and the lease's end, and the outcome form. `POST /console/work/next`
//! asks for the next task (the guard decides it at that instant; a GET
//! never claims one, so a reload or a prefetch takes no work);
//! `POST /console/work/outcome` records what came of it
//! (`work_queue::record_outcome`, the API's door). When nothing is allowed
//! the page says so and shows how deep the collector's queues are.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Serialize;

use super::account::{actor_label, channel_label, code_label, kind_label, promise_state_label};
use super::session::ConsoleSession;
use super::texts::Lang;
use crate::account_timeline::account_timeline;
use crate::account_view::AccountView;
use crate::http::work::teams_of;
use crate::http::{AppState, HttpError};
use crate::store::ContactState;
use crate::store::prelude::*;
use crate::work_queue::{Outcome, OutcomeForm, Task, WorkError, next_task, record_outcome};

const PATH: &str = "/console/work";
/// Gestiones shown beside the script: the latest few are what a
/// collector reads before dialling.
const RECENT: usize = 5;

/// This page's words.
#[derive(Serialize)]
struct Words {
    title: &'static str,
    next: &'static str,
    idle: &'static str,
    none_allowed: &'static str,
    depth: &'static str,
    team: &'static str,
    waiting: &'static str,
    no_teams: &'static str,
    debtor: &'static str,
    phone: &'static str,
    balance: &'static str,
    account: &'static str,
    campaign: &'static str,
    window_closes: &'static str,
    window_open: &'static str,
    window_unknown: &'static str,
    lease_until: &'static str,
    script: &'static str,
    no_script: &'static str,
    payments: &'static str,
    no_payments: &'static str,
    open_promises: &'static str,
    no_promises: &'static str,
    date: &'static str,
    amount: &'static str,
    reference: &'static str,
    source: &'static str,
    state: &'static str,
    recent: &'static str,
    no_recent: &'static str,
    time: &'static str,
    kind: &'static str,
    channel: &'static str,
    what: &'static str,
    actor: &'static str,
    outcome_title: &'static str,
    outcome: &'static str,
    choose: &'static str,
    for_promise_paid: &'static str,
    promise_date: &'static str,
    for_plan: &'static str,
    instalments: &'static str,
    first_date: &'static str,
    for_callback: &'static str,
    callback_at: &'static str,
    for_paid: &'static str,
    for_dispute: &'static str,
    reason: &'static str,
    note: &'static str,
    record: &'static str,
    recorded: &'static str,
    late: &'static str,
    gone: &'static str,
    refused: &'static str,
}

const ES: Words = Words {
    title: "Mi cola de gestiones",
    next: "Siguiente gestión",
    idle: "No tiene ninguna gestión abierta. Pida la siguiente: la guardia de cumplimiento decide en ese momento si se puede llamar.",
    none_allowed: "No hay gestiones permitidas ahora.",
    depth: "Gestiones en espera",
    team: "Equipo",
    waiting: "En espera",
    no_teams: "Ningún equipo tiene gestiones en este servidor.",
    debtor: "Deudor",
    phone: "Teléfono",
    balance: "Saldo",
    account: "Expediente",
    campaign: "Campaña",
    window_closes: "La ventana legal cierra en {min} min",
    window_open: "La ventana legal sigue abierta más de 24 horas",
    window_unknown: "La ventana legal ya no está abierta: registre el resultado cuanto antes",
    lease_until: "Gestión reservada para usted hasta las {at} UTC",
    script: "Guion de la llamada",
    no_script: "Esta campaña no tiene guion para el idioma del deudor.",
    payments: "Pagos",
    no_payments: "Sin pagos registrados.",
    open_promises: "Promesas vigentes",
    no_promises: "Sin promesas vigentes.",
    date: "Fecha",
    amount: "Importe",
    reference: "Referencia",
    source: "Registrado por",
    state: "Estado",
    recent: "Últimas gestiones",
    no_recent: "Este expediente aún no tiene gestiones.",
    time: "Fecha (UTC)",
    kind: "Tipo",
    channel: "Canal",
    what: "Qué pasó",
    actor: "Quién",
    outcome_title: "Resultado de la gestión",
    outcome: "Resultado",
    choose: "Elija un resultado",
    for_promise_paid: "Promesa de pago o pago",
    promise_date: "Fecha prometida",
    for_plan: "Plan de pagos",
    instalments: "Número de cuotas",
    first_date: "Fecha de la primera cuota",
    for_callback: "Volver a llamar",
    callback_at: "Fecha y hora (UTC)",
    for_paid: "Pagó",
    for_dispute: "Disputa",
    reason: "Motivo",
    note: "Nota",
    record: "Registrar resultado",
    recorded: "Resultado registrado: {outcome}.",
    late: "La llamada se registró fuera de la ventana legal: quedó marcada para revisión de cumplimiento.",
    gone: "Esa gestión ya no es suya (su reserva terminó o se reasignó).",
    refused: "No se registró",
};

const EN: Words = Words {
    title: "My work queue",
    next: "Next task",
    idle: "You hold no task. Ask for the next one: the compliance guard decides at that moment whether the call may be made.",
    none_allowed: "No task is allowed now.",
    depth: "Tasks waiting",
    team: "Team",
    waiting: "Waiting",
    no_teams: "No team has tasks on this server.",
    debtor: "Debtor",
    phone: "Phone",
    balance: "Balance",
    account: "Account",
    campaign: "Campaign",
    window_closes: "The legal window closes in {min} min",
    window_open: "The legal window stays open for more than 24 hours",
    window_unknown: "The legal window is no longer open: record the outcome now",
    lease_until: "Task reserved for you until {at} UTC",
    script: "Call script",
    no_script: "This campaign has no script in the debtor's language.",
    payments: "Payments",
    no_payments: "No payments recorded.",
    open_promises: "Open promises",
    no_promises: "No open promises.",
    date: "Date",
    amount: "Amount",
    reference: "Reference",
    source: "Recorded by",
    state: "State",
    recent: "Latest activity",
    no_recent: "Nothing has happened on this account yet.",
    time: "When (UTC)",
    kind: "Kind",
    channel: "Channel",
    what: "What happened",
    actor: "Who",
    outcome_title: "Outcome",
    outcome: "Outcome",
    choose: "Choose an outcome",
    for_promise_paid: "Promise to pay or payment",
    promise_date: "Promised date",
    for_plan: "Payment plan",
    instalments: "Instalments",
    first_date: "First instalment's date",
    for_callback: "Call back",
    callback_at: "Date and time (UTC)",
    for_paid: "Paid",
    for_dispute: "Dispute",
    reason: "Reason",
    note: "Note",
    record: "Record outcome",
    recorded: "Outcome recorded: {outcome}.",
    late: "The call was recorded outside the legal window: it was flagged for compliance review.",
    gone: "That task is no longer yours (its lease ended or it was reassigned).",
    refused: "Not recorded",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

fn pick(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Es => es,
        Lang::En => en,
    }
}

/// An outcome as the collector reads it.
pub fn outcome_label(lang: Lang, outcome: Outcome) -> &'static str {
    let (es, en) = match outcome {
        Outcome::NoAnswer => ("Sin respuesta", "No answer"),
        Outcome::LeftMessage => ("Dejó mensaje", "Left a message"),
        Outcome::WrongNumber => ("Número equivocado", "Wrong number"),
        Outcome::Promise => ("Promesa de pago", "Promise to pay"),
        Outcome::Plan => ("Plan de pagos", "Payment plan"),
        Outcome::Refused => ("Se negó a pagar", "Refused to pay"),
        Outcome::Dispute => ("Disputa", "Dispute"),
        Outcome::Callback => ("Volver a llamar", "Call back"),
        Outcome::Paid => ("Pagó", "Paid"),
        Outcome::OptOut => ("No quiere más llamadas", "Asked not to be called"),
        Outcome::Deceased => ("Fallecido", "Deceased"),
        Outcome::Minor => ("Menor de edad", "Minor"),
    };
    pick(lang, es, en)
}

/// An outcome's refusal (`field: …`, English, from `record_outcome`) as
/// a sentence in the collector's language; the message itself when the
/// field has no sentence of its own (a house limit, say).
fn refusal(lang: Lang, message: &str) -> String {
    let field = message.split_once(':').map(|(f, _)| f.trim()).unwrap_or("");
    let (es, en) = match field {
        "outcome" => ("Elija el resultado de la gestión.", "Choose the outcome."),
        "amount" => (
            "Indique un importe mayor que cero.",
            "Enter an amount greater than zero.",
        ),
        "date" => (
            "Indique la fecha prometida (AAAA-MM-DD).",
            "Enter the promised date (YYYY-MM-DD).",
        ),
        "instalments" => (
            "Un plan de pagos tiene al menos 2 cuotas.",
            "A payment plan has at least 2 instalments.",
        ),
        "first_date" => (
            "Indique la fecha de la primera cuota.",
            "Enter the first instalment's date.",
        ),
        "callback_at" => (
            "Indique una fecha y hora futuras para volver a llamar.",
            "Enter a future date and time to call back.",
        ),
        "reference" => (
            "Indique la referencia del pago.",
            "Enter the payment's reference.",
        ),
        _ => return message.to_string(),
    };
    pick(lang, es, en).to_string()
}

#[derive(Serialize)]
struct OutcomeOption {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct TaskView {
    id: String,
    account: String,
    campaign: String,
    step: String,
    debtor_name: String,
    phone: String,
    currency: String,
    balance: String,
    /// "closes in N min", "open past 24 h" or "closed".
    window: String,
    /// Minutes left, for the template's emphasis; `None` past 24 h.
    window_minutes: Option<i64>,
    lease: String,
    script: Option<String>,
}

#[derive(Serialize)]
struct PaymentRow {
    at: String,
    amount: String,
    reference: String,
    source: String,
}

#[derive(Serialize)]
struct PromiseRow {
    date: String,
    amount: String,
    state: &'static str,
    source: String,
}

#[derive(Serialize)]
struct RecentRow {
    at: String,
    kind: &'static str,
    channel: Option<&'static str>,
    what: String,
    actor: String,
}

#[derive(Serialize)]
struct Depth {
    team: String,
    waiting: u64,
}

/// What the collector typed, given back when a field is refused.
#[derive(Serialize, Default)]
struct Entered {
    outcome: String,
    amount: String,
    date: String,
    instalments: String,
    first_date: String,
    callback_at: String,
    reference: String,
    reason: String,
    note: String,
}

impl Entered {
    fn from_form(form: &HashMap<String, String>) -> Self {
        let f = |k: &str| {
            form.get(k)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        Entered {
            outcome: f("outcome"),
            amount: f("amount"),
            date: f("date"),
            instalments: f("instalments"),
            first_date: f("first_date"),
            callback_at: f("callback_at"),
            reference: f("reference"),
            reason: f("reason"),
            note: f("note"),
        }
    }

    /// The outcome form `record_outcome` reads; an empty field is absent.
    fn outcome_form(&self) -> OutcomeForm {
        let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
        OutcomeForm {
            outcome: self.outcome.clone(),
            amount: opt(&self.amount),
            date: opt(&self.date),
            // Not a number: absent, which a plan refuses by its field.
            instalments: self.instalments.parse().ok(),
            first_date: opt(&self.first_date),
            callback_at: opt(&self.callback_at),
            reference: opt(&self.reference),
            reason: opt(&self.reason),
            note: opt(&self.note),
        }
    }
}

/// What the page shows besides its words.
#[derive(Default)]
struct Notice {
    flash: Option<String>,
    late: bool,
    none_allowed: bool,
    error: Option<String>,
    entered: Entered,
}

/// The task `me` holds, if any. Only a held task is looked up (a GET never
/// claims work): `next_task` gives a holder its own task back.
async fn held_task(
    state: &AppState,
    me: &ConsoleSession,
    teams: &[String],
    now: DateTime<Utc>,
) -> Result<Option<Task>, HttpError> {
    let mut holds = false;
    for lease in state.store.leases(Some(me.principal.name())).await? {
        if lease.until > now
            && state
                .store
                .contact(&lease.contact_id)
                .await?
                .is_some_and(|r| r.state == ContactState::Sending)
        {
            holds = true;
            break;
        }
    }
    if !holds {
        return Ok(None);
    }
    Ok(next_task(
        state.work.as_ref(),
        state.store.as_ref(),
        me.principal.name(),
        teams,
        now,
    )
    .await?)
}

fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// Renders the page for `me` with `notice`, answering `status`.
async fn render(
    state: &AppState,
    me: &ConsoleSession,
    notice: Notice,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = me.lang;
    let w = words(lang);
    let now = Utc::now();
    let teams = teams_of(state, &me.principal).await?;
    let task = held_task(state, me, &teams, now).await?;
    let mut depth = Vec::new();
    for team in &teams {
        depth.push(Depth {
            team: team.clone(),
            waiting: state.store.work_depth(team, now).await?,
        });
    }
    let mut payments: Vec<PaymentRow> = Vec::new();
    let mut promises: Vec<PromiseRow> = Vec::new();
    let mut recent: Vec<RecentRow> = Vec::new();
    let view = match &task {
        None => None,
        Some(task) => {
            let limits = state
                .work
                .dispatcher(&task.campaign)
                .map(|d| d.book_limits)
                .unwrap_or_default();
            if let Some(v) =
                AccountView::load(state.store.as_ref(), &task.account, now, &limits).await?
            {
                payments = v
                    .payments
                    .iter()
                    .rev()
                    .map(|p| PaymentRow {
                        at: format!("{} UTC", minute(p.at)),
                        amount: p.amount.to_string(),
                        reference: p.reference.clone(),
                        source: actor_label(lang, p.source),
                    })
                    .collect();
                promises = v
                    .promises
                    .iter()
                    .filter(|p| p.state == "open")
                    .map(|p| PromiseRow {
                        date: p.date.to_string(),
                        amount: p.amount.to_string(),
                        state: promise_state_label(lang, p.state),
                        source: actor_label(lang, p.source),
                    })
                    .collect();
            }
            if let Some((account, _)) = state.store.account(&task.account).await? {
                let entries = account_timeline(state.store.as_ref(), &account).await?;
                recent = entries
                    .iter()
                    .rev()
                    .filter(|e| e.kind != "planned")
                    .take(RECENT)
                    .map(|e| {
                        let mut what: Vec<String> = Vec::new();
                        if let Some(code) = &e.code {
                            what.push(
                                code_label(lang, code)
                                    .map(str::to_string)
                                    .unwrap_or_else(|| code.clone()),
                            );
                        }
                        if let (Some(amount), Some(currency)) = (e.amount, &e.currency) {
                            what.push(format!("{amount} {currency}"));
                        }
                        if let Some(date) = e.promised_for {
                            what.push(date.to_string());
                        }
                        if e.amount.is_none()
                            && let Some(detail) = &e.detail
                        {
                            what.push(detail.clone());
                        }
                        RecentRow {
                            at: minute(e.at),
                            kind: kind_label(lang, e.kind),
                            channel: e.channel.map(|c| channel_label(lang, c)),
                            what: what.join(" · "),
                            actor: match e.source {
                                Some(source) if source != e.actor => {
                                    format!("{} ({})", e.actor, actor_label(lang, source))
                                }
                                _ => actor_label(lang, &e.actor),
                            },
                        }
                    })
                    .collect();
            }
            let (window, window_minutes) = match task.window_closes_at {
                Some(closes) => {
                    let minutes = (closes - now).num_minutes().max(0);
                    (
                        w.window_closes.replace("{min}", &minutes.to_string()),
                        Some(minutes),
                    )
                }
                None => (w.window_open.to_string(), None),
            };
            Some(TaskView {
                id: task.task.clone(),
                account: task.account.clone(),
                campaign: task.campaign.clone(),
                step: task.step.clone(),
                debtor_name: task.debtor_name.clone(),
                phone: task.phone.clone(),
                currency: task.currency.clone(),
                balance: task.balance.clone(),
                window,
                window_minutes,
                lease: w
                    .lease_until
                    .replace("{at}", &task.lease_until.format("%H:%M").to_string()),
                script: task.script.clone(),
            })
        }
    };
    let outcomes: Vec<OutcomeOption> = Outcome::ALL
        .into_iter()
        .map(|o| OutcomeOption {
            value: o.as_str(),
            label: outcome_label(lang, o),
        })
        .collect();
    let Notice {
        flash,
        late,
        none_allowed,
        error,
        entered,
    } = notice;
    let mut resp = me.page(
        "work.html",
        w.title,
        context! {
            w,
            task => view,
            payments,
            promises,
            recent,
            depth,
            outcomes,
            flash,
            late,
            none_allowed,
            error,
            entered,
        },
    );
    if resp.status() == StatusCode::OK {
        *resp.status_mut() = status;
    }
    Ok(resp)
}

/// The collector's page: the task it holds, or the way to ask for one.
#[utoipa::path(get, path = "/console/work", tag = "console", params(
    ("done" = Option<String>, Query, description = "the outcome just recorded, for the confirmation"),
    ("late" = Option<String>, Query, description = "1: it was recorded outside the legal window"),
    ("none" = Option<String>, Query, description = "1: the last ask found no task allowed"),
), responses(
    (status = 200, description = "the collector's work queue", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not a collector or supervisor", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let w = words(me.lang);
    let flash = query
        .get("done")
        .and_then(|d| Outcome::parse(d))
        .map(|o| w.recorded.replace("{outcome}", outcome_label(me.lang, o)));
    let error =
        (query.get("error").map(String::as_str) == Some("gone")).then(|| w.gone.to_string());
    let notice = Notice {
        late: flash.is_some() && query.get("late").map(String::as_str) == Some("1"),
        flash,
        none_allowed: query.get("none").map(String::as_str) == Some("1"),
        error,
        entered: Entered::default(),
    };
    render(&state, &me, notice, StatusCode::OK).await
}

/// Asks for the next task (form field `csrf`): the guard decides it now.
#[utoipa::path(post, path = "/console/work/next", tag = "console", responses(
    (status = 303, description = "to the work page: the task now held, or ?none=1 when nothing is allowed"),
    (status = 403, description = "not a collector or supervisor, or missing or wrong csrf", content_type = "text/html"),
))]
pub async fn next(
    State(state): State<AppState>,
    me: ConsoleSession,
    body: Bytes,
) -> Result<Response, HttpError> {
    if me.form(&body).is_none() {
        return Ok(me.expired_form());
    }
    let teams = teams_of(&state, &me.principal).await?;
    let task = next_task(
        state.work.as_ref(),
        state.store.as_ref(),
        me.principal.name(),
        &teams,
        Utc::now(),
    )
    .await?;
    let to = if task.is_some() {
        PATH.to_string()
    } else {
        format!("{PATH}?none=1")
    };
    Ok(Redirect::to(&to).into_response())
}

/// Records what came of the held task (fields `csrf`, `task`, `outcome`,
/// and those the outcome needs: `amount`, `date`, `instalments`,
/// `first_date`, `callback_at`, `reference`, `reason`, `note`).
#[utoipa::path(post, path = "/console/work/outcome", tag = "console", responses(
    (status = 303, description = "recorded: back to the work page with a confirmation (and the late flag)"),
    (status = 403, description = "not a collector or supervisor, or missing or wrong csrf", content_type = "text/html"),
    (status = 404, description = "no such task", content_type = "text/html"),
    (status = 409, description = "the task is not the caller's (lease ended or reassigned)", content_type = "text/html"),
    (status = 422, description = "a field the outcome needs is missing or wrong: the form again, with the error", content_type = "text/html"),
))]
pub async fn outcome(
    State(state): State<AppState>,
    me: ConsoleSession,
    body: Bytes,
) -> Result<Response, HttpError> {
    let Some(form) = me.form(&body) else {
        return Ok(me.expired_form());
    };
    let task = form.get("task").map(|t| t.trim()).unwrap_or("").to_string();
    let entered = Entered::from_form(&form);
    let done = record_outcome(
        state.work.as_ref(),
        state.store.as_ref(),
        me.principal.name(),
        &task,
        &entered.outcome_form(),
        Utc::now(),
    )
    .await;
    let w = words(me.lang);
    match done {
        Ok(done) => {
            let late = if done.late { "&late=1" } else { "" };
            Ok(Redirect::to(&format!("{PATH}?done={}{late}", done.outcome)).into_response())
        }
        Err(WorkError::BadOutcome(message)) => {
            let notice = Notice {
                error: Some(format!("{}: {}", w.refused, refusal(me.lang, &message))),
                entered,
                ..Notice::default()
            };
            render(&state, &me, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(WorkError::NotYours(_)) => {
            let notice = Notice {
                error: Some(w.gone.to_string()),
                ..Notice::default()
            };
            render(&state, &me, notice, StatusCode::CONFLICT).await
        }
        Err(WorkError::NotFound(_)) => Ok(me.not_found()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_words_and_a_refused_field_reads_as_a_sentence() {
        for lang in [Lang::Es, Lang::En] {
            let labels: std::collections::BTreeSet<&str> = Outcome::ALL
                .iter()
                .map(|o| outcome_label(lang, *o))
                .collect();
            assert_eq!(labels.len(), Outcome::ALL.len(), "{lang:?}");
        }
        assert_eq!(outcome_label(Lang::Es, Outcome::NoAnswer), "Sin respuesta");
        assert_eq!(
            refusal(Lang::Es, "amount: 'x' is not a positive amount"),
            "Indique un importe mayor que cero."
        );
        assert_eq!(
            refusal(Lang::En, "callback_at: must be in the future"),
            "Enter a future date and time to call back."
        );
        assert_eq!(
            refusal(Lang::Es, "the promise is too far away"),
            "the promise is too far away"
        );
    }
}
