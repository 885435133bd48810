//! `GET /metrics` (Prometheus text format) and `GET /healthz`.
//!
//! Contact counts come from the store at scrape time (they are the truth,
//! shared by every process); webhook counters are this process's own.
//! Decisions by code are read from the ledger per campaign, which costs a
//! ledger scan per scrape: fine at the SQLite store's scale, worth a
//! counter in the store if scrapes of a very large ledger get slow.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, HttpError};
use crate::store::{ContactState, LedgerFilter, LedgerState, Store};

/// Counters kept by this process.
#[derive(Default)]
pub struct Metrics {
    webhooks: Mutex<BTreeMap<(String, String, String), u64>>,
}

impl Metrics {
    /// Counts one webhook call by provider, kind and outcome.
    pub fn webhook(&self, provider: &str, kind: &str, outcome: &str) {
        if let Ok(mut map) = self.webhooks.lock() {
            *map.entry((provider.to_string(), kind.to_string(), outcome.to_string()))
                .or_default() += 1;
        }
    }

    pub fn webhook_counts(&self) -> BTreeMap<(String, String, String), u64> {
        self.webhooks.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Escapes a label value.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text.
pub async fn render(state: &AppState) -> Result<String, HttpError> {
    let store = &state.store;
    let mut out = String::new();
    let campaigns = store.campaigns().await?;
    let paused = store.paused_campaigns().await?;
    out.push_str("# HELP cobro_contacts Planned contacts by campaign and state.\n# TYPE cobro_contacts gauge\n");
    let mut queued_total = 0;
    let mut decisions: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for campaign in &campaigns {
        let counts = store.counts(Some(campaign)).await?;
        for s in ContactState::ALL {
            let n = counts.get(&s).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "cobro_contacts{{campaign=\"{}\",state=\"{}\"}} {n}",
                label(campaign),
                s.as_str()
            );
        }
        queued_total += counts.get(&ContactState::Queued).copied().unwrap_or(0);
        for row in store
            .ledger(&LedgerFilter {
                campaign: Some(campaign.clone()),
                ..Default::default()
            })
            .await?
        {
            if matches!(
                row.state,
                LedgerState::Allowed
                    | LedgerState::Deferred
                    | LedgerState::Blocked
                    | LedgerState::Failed
                    | LedgerState::Cancelled
            ) {
                let key = (
                    campaign.clone(),
                    row.state.as_str().to_string(),
                    row.code.unwrap_or_default(),
                );
                *decisions.entry(key).or_default() += 1;
            }
        }
    }
    out.push_str("# HELP cobro_decisions Ledger decisions and outcomes by campaign, state and reason code.\n# TYPE cobro_decisions gauge\n");
    for ((campaign, state, code), n) in &decisions {
        let _ = writeln!(
            out,
            "cobro_decisions{{campaign=\"{}\",state=\"{state}\",code=\"{}\"}} {n}",
            label(campaign),
            label(code)
        );
    }
    out.push_str("# HELP cobro_queue_depth Contacts claimed and waiting for a worker.\n# TYPE cobro_queue_depth gauge\n");
    let _ = writeln!(out, "cobro_queue_depth {queued_total}");
    out.push_str("# HELP cobro_campaign_paused 1 while a campaign is paused.\n# TYPE cobro_campaign_paused gauge\n");
    for campaign in &campaigns {
        let _ = writeln!(
            out,
            "cobro_campaign_paused{{campaign=\"{}\"}} {}",
            label(campaign),
            u8::from(paused.contains(campaign))
        );
    }
    out.push_str("# HELP cobro_suppressions Entries on suppression lists.\n# TYPE cobro_suppressions gauge\n");
    let _ = writeln!(
        out,
        "cobro_suppressions {}",
        store.suppressions().await?.len()
    );
    out.push_str("# HELP cobro_webhooks_total Webhook calls handled by this process.\n# TYPE cobro_webhooks_total counter\n");
    for ((provider, kind, outcome), n) in state.metrics.webhook_counts() {
        let _ = writeln!(
            out,
            "cobro_webhooks_total{{provider=\"{}\",kind=\"{}\",outcome=\"{}\"}} {n}",
            label(&provider),
            label(&kind),
            label(&outcome)
        );
    }
    Ok(out)
}

/// `GET /metrics`.
pub async fn prometheus(State(state): State<AppState>) -> Result<Response, HttpError> {
    let text = render(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `GET /healthz`: 200 when the store answers, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.account_count().await {
        Ok(_) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "store": "ok"})),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unavailable", "store": e.to_string()})),
        )
            .into_response(),
    }
}
