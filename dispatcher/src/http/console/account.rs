//! `GET /console/accounts/{id}`: one expediente — the account as
//! `AccountView` sums it up (balance, payments, promises, next contact)
//! and its gestiones timeline (`account_timeline`, the very list
//! `GET /api/accounts/{id}/gestiones` answers and `cobro export
//! gestiones` writes), grouped by day, newest first, in the reader's
//! language. Another creditor's account answers the 404 page of an
//! unknown id.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::BookLimits;
use minijinja::context;
use serde::Serialize;

use super::session::ConsoleSession;
use super::texts::{Lang, status_label};
use crate::account_list::days_past_due;
use crate::account_timeline::{DEBTOR, ENGINE, TimelineEntry, account_timeline};
use crate::account_view::AccountView;
use crate::http::{AppState, HttpError};
use crate::store::prelude::*;

/// The page's own words.
#[derive(Serialize)]
pub struct PageTexts {
    pub back: &'static str,
    pub creditor: &'static str,
    pub status: &'static str,
    pub amount_due: &'static str,
    pub paid: &'static str,
    pub balance: &'static str,
    pub due_date: &'static str,
    pub dpd: &'static str,
    pub country: &'static str,
    pub language: &'static str,
    pub next_contact: &'static str,
    pub no_next_contact: &'static str,
    pub pending_contacts: &'static str,
    pub payments: &'static str,
    pub no_payments: &'static str,
    pub promises: &'static str,
    pub no_promises: &'static str,
    pub date: &'static str,
    pub amount: &'static str,
    pub reference: &'static str,
    pub source: &'static str,
    pub promise_state: &'static str,
    pub deadline: &'static str,
    pub instalment: &'static str,
    pub gestiones: &'static str,
    pub gestiones_note: &'static str,
    pub no_gestiones: &'static str,
    pub time: &'static str,
    pub kind: &'static str,
    pub channel: &'static str,
    pub what: &'static str,
    pub why: &'static str,
    pub actor: &'static str,
    pub rules: &'static str,
    pub due_now: &'static str,
    pub promised_for: &'static str,
    pub attempt: &'static str,
}

const ES: PageTexts = PageTexts {
    back: "Volver a expedientes",
    creditor: "Acreedor",
    status: "Estado",
    amount_due: "Importe adeudado",
    paid: "Pagado",
    balance: "Saldo",
    due_date: "Vencimiento",
    dpd: "Días de atraso",
    country: "País",
    language: "Idioma",
    next_contact: "Próximo contacto",
    no_next_contact: "Ninguno",
    pending_contacts: "Contactos pendientes",
    payments: "Pagos",
    no_payments: "Sin pagos registrados.",
    promises: "Promesas de pago",
    no_promises: "Sin promesas de pago.",
    date: "Fecha",
    amount: "Importe",
    reference: "Referencia",
    source: "Registrado por",
    promise_state: "Estado",
    deadline: "Se incumple después de",
    instalment: "Cuota",
    gestiones: "Gestiones",
    gestiones_note: "Lo más reciente primero; horas en UTC.",
    no_gestiones: "Este expediente aún no tiene gestiones.",
    time: "Hora",
    kind: "Tipo",
    channel: "Canal",
    what: "Qué pasó",
    why: "Regla y explicación",
    actor: "Quién",
    rules: "Reglas",
    due_now: "programado para",
    promised_for: "para el",
    attempt: "intento",
};

const EN: PageTexts = PageTexts {
    back: "Back to accounts",
    creditor: "Creditor",
    status: "Status",
    amount_due: "Amount due",
    paid: "Paid",
    balance: "Balance",
    due_date: "Due date",
    dpd: "Days past due",
    country: "Country",
    language: "Language",
    next_contact: "Next contact",
    no_next_contact: "None",
    pending_contacts: "Pending contacts",
    payments: "Payments",
    no_payments: "No payments recorded.",
    promises: "Promises to pay",
    no_promises: "No promises to pay.",
    date: "Date",
    amount: "Amount",
    reference: "Reference",
    source: "Recorded by",
    promise_state: "State",
    deadline: "Broken after",
    instalment: "Instalment",
    gestiones: "Activity",
    gestiones_note: "Newest first; times in UTC.",
    no_gestiones: "Nothing has happened on this account yet.",
    time: "Time",
    kind: "Kind",
    channel: "Channel",
    what: "What happened",
    why: "Rule and explanation",
    actor: "Who",
    rules: "Rules",
    due_now: "due",
    promised_for: "for",
    attempt: "attempt",
};

fn page_texts(lang: Lang) -> &'static PageTexts {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

/// A timeline entry's kind as people read it (`account_timeline::KINDS`).
pub fn kind_label(lang: Lang, kind: &str) -> &'static str {
    let (es, en) = match kind {
        "planned" => ("Programado", "Planned"),
        "decision" => ("Decisión de cumplimiento", "Compliance decision"),
        "sent" => ("Enviado", "Sent"),
        "delivered" => ("Entregado", "Delivered"),
        "undelivered" => ("No entregado", "Undelivered"),
        "failed" => ("Fallido", "Failed"),
        "retry" => ("Reintento", "Retry"),
        "unknown" => ("Resultado desconocido", "Unknown outcome"),
        "cancelled" => ("Cancelado", "Cancelled"),
        "opt_out" => ("Baja", "Opt-out"),
        "inbound" => ("Respuesta", "Reply"),
        "payment" => ("Pago", "Payment"),
        "promise" => ("Promesa de pago", "Promise to pay"),
        "plan" => ("Plan de pagos", "Payment plan"),
        "dispute" => ("Disputa", "Dispute"),
        "dispute_resolved" => ("Disputa resuelta", "Dispute resolved"),
        "preferences" => ("Preferencias", "Preferences"),
        _ => ("Evento", "Event"),
    };
    pick(lang, es, en)
}

/// A ledger row's or a contact's state as people read it.
pub fn state_label(lang: Lang, state: &str) -> &'static str {
    let (es, en) = match state {
        "allowed" => ("Permitido", "Allowed"),
        "deferred" => ("Aplazado", "Deferred"),
        "blocked" => ("Bloqueado", "Blocked"),
        "pending" => ("Pendiente", "Pending"),
        "queued" => ("En cola", "Queued"),
        "sending" => ("Enviándose", "Sending"),
        "sent" => ("Enviado", "Sent"),
        "delivered" => ("Entregado", "Delivered"),
        "undelivered" => ("No entregado", "Undelivered"),
        "failed" => ("Fallido", "Failed"),
        "retry" => ("Se reintentará", "Will retry"),
        "cancelled" => ("Cancelado", "Cancelled"),
        "unknown" => ("Desconocido", "Unknown"),
        "inbound" => ("Recibido", "Received"),
        _ => ("", ""),
    };
    pick(lang, es, en)
}

/// A ledger code (the guard's reasons and cobro's own, `LedgerCode`) as
/// people read it; `None` for a provider's own code, shown as given.
pub fn code_label(lang: Lang, code: &str) -> Option<&'static str> {
    let (es, en) = match code {
        "outside_hours" => ("Fuera del horario permitido", "Outside the allowed hours"),
        "closed_day" => ("Día sin horario de contacto", "No contact hours that day"),
        "holiday" => ("Día festivo", "Holiday"),
        "frequency_cap" => ("Límite de contactos alcanzado", "Frequency cap reached"),
        "cooldown" => (
            "Pausa tras una conversación",
            "Cooldown after a conversation",
        ),
        "suppressed" => (
            "Dirección en lista de exclusión",
            "Address on a suppression list",
        ),
        "no_consent" => (
            "Sin consentimiento para el canal",
            "No consent for the channel",
        ),
        "target_not_allowed" => ("Destinatario no permitido", "Contact point not allowed"),
        "flagged" => ("Expediente marcado", "Account flagged"),
        "unknown_timezone" => ("Zona horaria desconocida", "Unknown time zone"),
        "debtor_preference" => (
            "Horario que el deudor pidió evitar",
            "Hours the debtor asked to avoid",
        ),
        "unknown_account" => ("Expediente desconocido", "Unknown account"),
        "no_address" => ("Sin dirección para el canal", "No address for the channel"),
        "paid" => ("Pagado", "Paid"),
        "promise_to_pay" => ("Promesa de pago", "Promise to pay"),
        "disputed" | "dispute" => ("Deuda en disputa", "Debt disputed"),
        "opted_out" => ("El deudor se dio de baja", "The debtor opted out"),
        "template_error" => ("Error en la plantilla", "Template error"),
        "opt_out" => ("El deudor pidió la baja", "The debtor opted out"),
        "opt_out_all" => ("Baja de todos los canales", "Opted out of every channel"),
        "opt_in" => ("El deudor volvió a aceptar", "The debtor opted back in"),
        "message" => ("Mensaje del deudor", "Message from the debtor"),
        "campaign_cancelled" => ("Campaña cancelada", "Campaign cancelled"),
        "interrupted" => ("Envío interrumpido", "Send interrupted"),
        "internal_error" => ("Error interno", "Internal error"),
        "promise_hold" => (
            "En espera: promesa de pago vigente",
            "On hold: open promise to pay",
        ),
        "dispute_hold" => ("En espera: disputa abierta", "On hold: open dispute"),
        "no_broken_promise" => ("Ninguna promesa incumplida", "No broken promise"),
        "operator_review" => ("Revisado por un operador", "Reviewed by an operator"),
        "reconciled" => (
            "Conciliado con el proveedor",
            "Reconciled with the provider",
        ),
        "reservation_unanswered" => (
            "Reintento: el almacén no confirmó la reserva; no se envió nada",
            "Retried: the store never confirmed the reservation; nothing was sent",
        ),
        "no_campaign_rules" => (
            "En espera: el servidor no tiene las reglas de la campaña",
            "On hold: the server lacks the campaign's rules",
        ),
        "lease_expired" => (
            "Tarea devuelta a la cola (sin resultado a tiempo)",
            "Task returned to the queue (no outcome in time)",
        ),
        "task_released" => (
            "Tarea liberada por el supervisor",
            "Task released by the supervisor",
        ),
        "task_reassigned" => ("Tarea reasignada", "Task reassigned"),
        "late_outcome" => (
            "Registrada fuera del horario permitido: revisión de cumplimiento",
            "Recorded outside the allowed hours: compliance review",
        ),
        "call_no_answer" => ("Llamada: sin respuesta", "Call: no answer"),
        "call_left_message" => ("Llamada: dejó mensaje", "Call: left a message"),
        "call_wrong_number" => ("Llamada: número equivocado", "Call: wrong number"),
        "call_promise" => ("Llamada: promesa de pago", "Call: promise to pay"),
        "call_plan" => ("Llamada: plan de pagos", "Call: payment plan"),
        "call_refused" => ("Llamada: se negó a pagar", "Call: refused to pay"),
        "call_dispute" => ("Llamada: disputa la deuda", "Call: disputes the debt"),
        "call_callback" => ("Llamada: volver a llamar", "Call: call back"),
        "call_paid" => ("Llamada: pagó", "Call: paid"),
        "call_opt_out" => (
            "Llamada: no quiere más llamadas",
            "Call: asked not to be called",
        ),
        "call_deceased" => ("Llamada: deudor fallecido", "Call: debtor deceased"),
        "call_minor" => ("Llamada: deudor menor de edad", "Call: debtor is a minor"),
        _ => return None,
    };
    Some(pick(lang, es, en))
}

/// Who or what caused an entry: cobro, the debtor, a book event's
/// source, or a provider's name (shown as given).
pub fn actor_label(lang: Lang, actor: &str) -> String {
    let (es, en) = match actor {
        ENGINE => ("cobro", "cobro"),
        DEBTOR => ("Deudor", "Debtor"),
        "portal" => ("Deudor (portal)", "Debtor (portal)"),
        "api" => ("API", "API"),
        "cli" => ("Línea de comandos", "Command line"),
        "webhook" => ("Aviso del proveedor de pagos", "Payment provider notice"),
        "agent" => ("Agente", "Agent"),
        "import" => ("Importación de archivo", "File import"),
        "simulation" => ("Simulación", "Simulation"),
        other => return other.to_string(),
    };
    pick(lang, es, en).to_string()
}

pub(super) fn channel_label(lang: Lang, channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::Email => pick(lang, "Correo", "Email"),
        ChannelKind::Sms => "SMS",
        ChannelKind::Voice => pick(lang, "Llamada", "Voice call"),
        ChannelKind::AgentCall => pick(lang, "Llamada de gestor", "Collector's call"),
        ChannelKind::AgentTask => pick(lang, "Tarea de gestor", "Collector's task"),
    }
}

pub(super) fn promise_state_label(lang: Lang, state: &str) -> &'static str {
    match state {
        "open" => pick(lang, "Vigente", "Open"),
        "kept" => pick(lang, "Cumplida", "Kept"),
        "broken" => pick(lang, "Incumplida", "Broken"),
        _ => "—",
    }
}

fn pick(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Es => es,
        Lang::En => en,
    }
}

fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

#[derive(Serialize)]
struct Header {
    id: String,
    debtor_name: String,
    creditor: String,
    status_label: &'static str,
    currency: String,
    amount_due: String,
    paid: String,
    balance: String,
    due_date: String,
    days_past_due: i64,
    country: String,
    language: String,
    next_contact: Option<String>,
    pending_contacts: usize,
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
    deadline: String,
    instalment: Option<String>,
    source: String,
}

#[derive(Serialize)]
struct EntryRow {
    time: String,
    kind: &'static str,
    kind_label: &'static str,
    channel: Option<&'static str>,
    /// State, step and campaign, money, provider id: what happened.
    what: String,
    amount: Option<String>,
    currency: Option<String>,
    code: Option<String>,
    code_label: Option<&'static str>,
    rules: String,
    detail: Option<String>,
    actor: String,
}

#[derive(Serialize)]
struct Day {
    date: String,
    entries: Vec<EntryRow>,
}

fn entry_row(lang: Lang, p: &PageTexts, e: &TimelineEntry) -> EntryRow {
    let mut what: Vec<String> = Vec::new();
    let state = state_label(lang, &e.state);
    if !state.is_empty() && e.kind != e.state {
        what.push(state.to_string());
    }
    // A reply's step is the ledger's placeholder `inbound`: not a step.
    match (&e.step, &e.campaign) {
        _ if e.kind == "inbound" => {}
        (Some(step), Some(campaign)) => what.push(format!("{step} · {campaign}")),
        (Some(step), None) => what.push(step.clone()),
        _ => {}
    }
    if let Some(due) = e.due_at {
        what.push(format!("{} {} UTC", p.due_now, minute(due)));
    }
    if let Some(date) = e.promised_for {
        what.push(format!("{} {date}", p.promised_for));
    }
    if let Some(reference) = &e.reference {
        what.push(format!("{} {reference}", p.reference.to_lowercase()));
    }
    if let Some(attempt) = e.attempt {
        what.push(format!("{} {attempt}", p.attempt));
    }
    if let Some(id) = &e.provider_id {
        what.push(match &e.provider {
            Some(provider) => format!("{provider} {id}"),
            None => id.clone(),
        });
    }
    EntryRow {
        time: e.at.format("%H:%M").to_string(),
        kind: e.kind,
        kind_label: kind_label(lang, e.kind),
        channel: e.channel.map(|c| channel_label(lang, c)),
        what: what.join(" · "),
        amount: e.amount.map(|a| a.to_string()),
        currency: e.currency.clone(),
        code_label: e.code.as_deref().and_then(|c| code_label(lang, c)),
        code: e.code.clone(),
        rules: e.rules.join(", "),
        // A payment's, promise's or plan's detail repeats the money and
        // dates shown beside it (in English): only the others' is shown.
        detail: e.detail.clone().filter(|_| e.amount.is_none()),
        // A signed-in user's email, with the way they came in.
        actor: match e.source {
            Some(source) if source != e.actor => {
                format!("{} ({})", e.actor, actor_label(lang, source))
            }
            _ => actor_label(lang, &e.actor),
        },
    }
}

/// The timeline grouped by day (UTC), newest day and entry first.
fn days(lang: Lang, p: &PageTexts, entries: &[TimelineEntry]) -> Vec<Day> {
    let mut out: Vec<Day> = Vec::new();
    for e in entries.iter().rev() {
        let date = e.at.date_naive().to_string();
        let row = entry_row(lang, p, e);
        match out.last_mut() {
            Some(day) if day.date == date => day.entries.push(row),
            _ => out.push(Day {
                date,
                entries: vec![row],
            }),
        }
    }
    out
}

/// One expediente: header, payments, promises and the gestiones.
#[utoipa::path(get, path = "/console/accounts/{id}", tag = "console", params(("id" = String, Path, description = "account id")), responses(
    (status = 200, description = "the expediente", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 404, description = "unknown account (or another creditor's)", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let account = match state.store.account(&id).await? {
        Some((account, _)) if me.principal.sees(&account.creditor) => account,
        _ => return Ok(me.not_found()),
    };
    let now = Utc::now();
    let limits = BookLimits::default();
    let Some(view) = AccountView::load(state.store.as_ref(), &id, now, &limits).await? else {
        return Ok(me.not_found());
    };
    let entries = account_timeline(state.store.as_ref(), &account).await?;
    let lang = me.lang;
    let p = page_texts(lang);
    let header = Header {
        id: view.id.clone(),
        debtor_name: view.debtor_name.clone(),
        creditor: view.creditor.clone(),
        status_label: status_label(lang, view.status),
        currency: view.currency.clone(),
        amount_due: view.amount_due.to_string(),
        paid: view.paid.to_string(),
        balance: view.balance.to_string(),
        due_date: view.due_date.to_string(),
        days_past_due: days_past_due(account.due_date, now.date_naive()),
        country: view.country.clone(),
        language: view.language.clone(),
        next_contact: view.next_contact_at.map(|at| format!("{} UTC", minute(at))),
        pending_contacts: view.pending_contacts,
    };
    let payments: Vec<PaymentRow> = view
        .payments
        .iter()
        .rev()
        .map(|pay| PaymentRow {
            at: format!("{} UTC", minute(pay.at)),
            amount: pay.amount.to_string(),
            reference: pay.reference.clone(),
            source: actor_label(lang, pay.source),
        })
        .collect();
    let promises: Vec<PromiseRow> = view
        .promises
        .iter()
        .map(|pr| PromiseRow {
            date: pr.date.to_string(),
            amount: pr.amount.to_string(),
            state: promise_state_label(lang, pr.state),
            deadline: format!("{} UTC", minute(pr.deadline)),
            instalment: pr.instalment.map(|(n, of)| format!("{n}/{of}")),
            source: actor_label(lang, pr.source),
        })
        .collect();
    let days = days(lang, p, &entries);
    Ok(me.page(
        "account.html",
        &format!("{} · {}", view.id, view.debtor_name),
        context! { p, a => header, payments, promises, days },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account_timeline::KINDS;
    use crate::engine::LedgerCode;
    use crate::store::{AccountStatus, LedgerState};
    use cobro_compliance::guard::ALL_CODES;

    #[test]
    fn every_kind_state_and_code_has_words_in_both_languages() {
        for lang in [Lang::Es, Lang::En] {
            for kind in KINDS {
                let label = kind_label(lang, kind);
                assert!(kind == "event" || label != kind_label(lang, "no such kind"));
            }
            for s in LedgerState::ALL {
                assert!(!state_label(lang, s.as_str()).is_empty(), "{s:?}");
            }
            for s in crate::store::ContactState::ALL {
                assert!(!state_label(lang, s.as_str()).is_empty(), "{s:?}");
            }
            for code in ALL_CODES {
                assert!(code_label(lang, code.as_str()).is_some(), "{code:?}");
            }
            for code in [
                LedgerCode::UnknownAccount,
                LedgerCode::NoAddress,
                LedgerCode::AccountStopped(AccountStatus::Paid),
                LedgerCode::AccountStopped(AccountStatus::PromiseToPay),
                LedgerCode::AccountStopped(AccountStatus::Disputed),
                LedgerCode::AccountStopped(AccountStatus::OptedOut),
                LedgerCode::TemplateError,
                LedgerCode::ProviderOptedOut,
                LedgerCode::Paid,
                LedgerCode::PromiseToPay,
                LedgerCode::Dispute,
                LedgerCode::OptOut,
                LedgerCode::OptOutAll,
                LedgerCode::OptIn,
                LedgerCode::InboundMessage,
                LedgerCode::CampaignCancelled,
                LedgerCode::Interrupted,
                LedgerCode::InternalError,
                LedgerCode::PromiseHold,
                LedgerCode::DisputeHold,
                LedgerCode::NoBrokenPromise,
                LedgerCode::OperatorReview,
                LedgerCode::NoCampaignRules,
                LedgerCode::LeaseExpired,
                LedgerCode::TaskReleased,
                LedgerCode::TaskReassigned,
                LedgerCode::LateOutcome,
                LedgerCode::Reconciled,
                LedgerCode::ReservationUnanswered,
            ] {
                assert!(code_label(lang, code.as_str()).is_some(), "{code:?}");
            }
            for outcome in crate::work_queue::Outcome::ALL {
                let code = LedgerCode::Call(outcome);
                assert!(code_label(lang, code.as_str()).is_some(), "{code:?}");
            }
        }
        assert_eq!(code_label(Lang::Es, "twilio_21610"), None);
        assert_eq!(
            code_label(Lang::Es, "outside_hours"),
            Some("Fuera del horario permitido")
        );
    }
}
