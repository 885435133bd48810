//! `GET /console/campaigns/{id}/arms`: the champion/challenger table in
//! the browser, the same report as `GET /api/campaigns/{id}/arms`
//! (`report::arms`), with each arm's verdict in the user's language and
//! how to read the numbers. Linked from the campaign's page when the
//! server was given its file and the file has `[[arms]]`.

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::session::ConsoleSession;
use super::texts::Lang;
use crate::http::{AppState, HttpError};

/// The page's own words.
#[derive(Serialize)]
pub struct PageTexts {
    pub title: &'static str,
    pub arm: &'static str,
    pub strategy: &'static str,
    pub accounts: &'static str,
    pub contacts: &'static str,
    pub by_channel: &'static str,
    pub reached: &'static str,
    pub cost: &'static str,
    pub promises: &'static str,
    pub payments: &'static str,
    pub payers: &'static str,
    pub paid: &'static str,
    pub recovery: &'static str,
    pub uplift: &'static str,
    pub holdout: &'static str,
    pub window: &'static str,
    pub how_to_read: &'static str,
    pub promote: &'static str,
    pub back: &'static str,
}

const ES: PageTexts = PageTexts {
    title: "Brazos de la campaña",
    arm: "Brazo",
    strategy: "Estrategia",
    accounts: "Cuentas",
    contacts: "Contactos",
    by_channel: "Por canal",
    reached: "Tasa de contacto",
    cost: "Costo",
    promises: "Promesas",
    payments: "Pagos",
    payers: "Cuentas que pagaron",
    paid: "Cobrado",
    recovery: "Tasa de recuperación",
    uplift: "Mejora sobre el grupo de control (IC 95 %)",
    holdout: "Grupo de control (sin contacto)",
    window: "Pagos y promesas contados del {from} al {to}; grupo de control: {h} % de las cuentas.",
    how_to_read: "Tasa de recuperación = cuentas que pagaron algo en la ventana ÷ cuentas. La mejora es la tasa del brazo menos la del grupo de control, en puntos, con un intervalo de confianza del 95 % (método híbrido de Newcombe). Si el intervalo incluye el cero, aún no se distingue el brazo de no contactar.",
    promote: "Para adoptar un brazo en el próximo lanzamiento:",
    back: "Volver a la campaña",
};

const EN: PageTexts = PageTexts {
    title: "Campaign arms",
    arm: "Arm",
    strategy: "Strategy",
    accounts: "Accounts",
    contacts: "Contacts",
    by_channel: "By channel",
    reached: "Contact rate",
    cost: "Cost",
    promises: "Promises",
    payments: "Payments",
    payers: "Accounts that paid",
    paid: "Collected",
    recovery: "Recovery rate",
    uplift: "Uplift over the holdout (95% CI)",
    holdout: "Holdout (never contacted)",
    window: "Payments and promises counted from {from} to {to}; holdout: {h}% of the accounts.",
    how_to_read: "Recovery rate = accounts that paid something in the window ÷ accounts. The uplift is the arm's rate minus the holdout's, in points, with a 95% confidence interval (Newcombe's hybrid score method). If the interval includes zero, the arm cannot yet be told from not contacting.",
    promote: "To adopt an arm at the next launch:",
    back: "Back to the campaign",
};

fn words(lang: Lang) -> &'static PageTexts {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

#[derive(Serialize)]
struct Row {
    arm: String,
    holdout: bool,
    strategy: String,
    accounts: u64,
    contacts: u64,
    by_channel: String,
    reached: String,
    cost: String,
    promises: u64,
    payments: u64,
    payers: u64,
    paid: String,
    recovery: String,
    uplift: String,
    verdict: String,
    verdict_kind: String,
}

/// One campaign's arms.
#[utoipa::path(get, path = "/console/campaigns/{id}/arms", tag = "console", params(("id" = String, Path, description = "campaign id")), responses(
    (status = 200, description = "the arms' table", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "not staff", content_type = "text/html"),
    (status = 404, description = "no campaign file with arms for that id on this server", content_type = "text/html"),
))]
pub async fn page(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let p = words(me.lang);
    let report = match crate::http::arms::arms_report(&state, &id).await {
        Ok(r) => r,
        Err(HttpError::NotFound(_)) => return Ok(me.not_found()),
        Err(e) => return Err(e),
    };
    let rows: Vec<Row> = report
        .arms
        .iter()
        .map(|f| {
            let holdout = f.arm == cobro_campaigns::arms::HOLDOUT;
            Row {
                arm: f.arm.clone(),
                holdout,
                strategy: f.strategy.clone().unwrap_or_default(),
                accounts: f.accounts,
                contacts: f.contacts_total,
                by_channel: f
                    .contacts
                    .iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                reached: format!("{:.1} %", f.contact_rate),
                cost: f
                    .cost
                    .as_ref()
                    .map(|c| format!("{:.2} {}", c.total.round_dp(2), c.currency))
                    .unwrap_or_else(|| "—".into()),
                promises: f.promises,
                payments: f.payments,
                payers: f.payers,
                paid: f
                    .paid
                    .iter()
                    .map(|(c, a)| format!("{a} {c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                recovery: format!("{:.1} %", f.recovery_rate),
                uplift: f
                    .uplift
                    .as_ref()
                    .map(|u| format!("{:+.1} ({:+.1} … {:+.1})", u.points, u.low, u.high))
                    .unwrap_or_else(|| "—".into()),
                verdict: f
                    .uplift
                    .as_ref()
                    .map(|u| match me.lang {
                        Lang::Es => u.verdict_es.clone(),
                        Lang::En => u.verdict_en.clone(),
                    })
                    .unwrap_or_default(),
                verdict_kind: f
                    .uplift
                    .as_ref()
                    .map(|u| u.verdict.to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let window = p
        .window
        .replace("{from}", &report.window_from.date_naive().to_string())
        .replace("{to}", &report.window_to.date_naive().to_string())
        .replace("{h}", &report.holdout_percent.to_string());
    Ok(me.page(
        "arms.html",
        &format!("{} {}", p.title, id),
        context! {
            p,
            id,
            rows,
            window,
            method => report.method,
        },
    ))
}
