//! `GET /metrics` (Prometheus text format), for `cobro serve` and,
//! through [`worker_router`] (with `/healthz`), for `cobro work
//! --metrics-bind`.
//!
//! Three kinds of numbers, each from where it is true:
//!
//! - contact counts come from the store at scrape time (shared by every
//!   process); the ledger-wide decision totals (`cobro_decisions`) need a
//!   scan of every campaign's ledger, so they are a snapshot refreshed in
//!   the background at most every [`LEDGER_SNAPSHOT_TTL`], never on the
//!   scrape's clock (a scrape of a million-contact ledger would time out);
//! - provider latency and errors and the decisions this process recorded
//!   (`cobro_provider_*`, `cobro_decisions_total`) come from the in-process
//!   [`DispatchMetrics`] its workers share; webhook counters likewise;
//! - queue jobs come from the apalis backend itself ([`QueueProbe`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::metrics::{counter, gauge};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{AppState, HttpError};
use crate::dispatch_metrics::{DispatchMetrics, is_decision};
use crate::prometheus::{
    CAMPAIGN_PAUSED, CONTACTS, DECISIONS, DECISIONS_SNAPSHOT_AGE, Family, QUEUE_DEPTH, QUEUE_JOBS,
    QUEUE_UP, Registry, SUPPRESSIONS, WEBHOOKS,
};
use crate::queue_probe::QueueProbe;
use crate::store::any::AnyStore;
use crate::store::{ContactState, StoreError, prelude::*};

/// How old the ledger-wide `cobro_decisions` snapshot may get before a
/// scrape starts a refresh. For live rates use `cobro_decisions_total`.
pub const LEDGER_SNAPSHOT_TTL: Duration = Duration::from_secs(60);

/// `(campaign, state, code)` → rows.
type LedgerDecisions = BTreeMap<(String, String, String), u64>;

struct LedgerSnapshot {
    taken: Instant,
    decisions: LedgerDecisions,
}

/// Counters kept by the HTTP side of this process, and the ledger
/// snapshot.
pub struct Metrics {
    webhooks: Registry,
    ledger: Mutex<Option<LedgerSnapshot>>,
    /// A refresh is running; a second one would only double the scan.
    refreshing: AtomicBool,
    ledger_ttl: Duration,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::with_ledger_ttl(LEDGER_SNAPSHOT_TTL)
    }
}

impl Metrics {
    /// `ttl` zero recomputes the ledger totals on every scrape (tests).
    pub fn with_ledger_ttl(ttl: Duration) -> Self {
        Metrics {
            webhooks: Registry::new(&[WEBHOOKS]),
            ledger: Mutex::default(),
            refreshing: AtomicBool::new(false),
            ledger_ttl: ttl,
        }
    }

    /// Counts one webhook call by provider, kind and outcome.
    pub fn webhook(&self, provider: &str, kind: &str, outcome: &str) {
        self.webhooks.scope(|| {
            counter!(
                WEBHOOKS.name,
                "provider" => provider.to_string(),
                "kind" => kind.to_string(),
                "outcome" => outcome.to_string(),
            )
            .increment(1);
        });
    }

    fn snapshot(&self) -> Option<(Duration, LedgerDecisions)> {
        let ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        ledger
            .as_ref()
            .map(|s| (s.taken.elapsed(), s.decisions.clone()))
    }

    fn store_snapshot(&self, decisions: LedgerDecisions) {
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        *ledger = Some(LedgerSnapshot {
            taken: Instant::now(),
            decisions,
        });
    }

    /// The ledger totals and their age: computed here the first time (or
    /// with a zero TTL), else the last snapshot, with a background refresh
    /// started when it is older than the TTL.
    async fn ledger_decisions(
        self: &Arc<Self>,
        store: &Arc<AnyStore>,
    ) -> Result<(Duration, LedgerDecisions), StoreError> {
        match self.snapshot() {
            Some((age, decisions)) if age < self.ledger_ttl => Ok((age, decisions)),
            Some((age, decisions)) if !self.ledger_ttl.is_zero() => {
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let metrics = self.clone();
                    let store = store.clone();
                    tokio::spawn(async move {
                        match scan_ledger(&store).await {
                            Ok(fresh) => metrics.store_snapshot(fresh),
                            Err(e) => tracing::warn!(error = %e, "ledger totals not refreshed"),
                        }
                        metrics.refreshing.store(false, Ordering::Release);
                    });
                }
                Ok((age, decisions))
            }
            _ => {
                let fresh = scan_ledger(store).await?;
                self.store_snapshot(fresh.clone());
                Ok((Duration::ZERO, fresh))
            }
        }
    }
}

/// Every campaign's ledger, counted by state and code: a full read (a page
/// at a time, so memory stays flat), hence the snapshot. (A per-store
/// counter would make it free; the store trait has none yet.)
async fn scan_ledger(store: &AnyStore) -> Result<LedgerDecisions, StoreError> {
    let mut decisions = LedgerDecisions::new();
    for campaign in store.campaigns().await? {
        let mut cursor = 0;
        loop {
            let (rows, next) = store
                .campaign_ledger_page(&campaign, cursor, crate::report::LEDGER_PAGE)
                .await?;
            for row in rows {
                if is_decision(row.state) {
                    let key = (
                        campaign.clone(),
                        row.state.as_str().to_string(),
                        row.code.unwrap_or_default(),
                    );
                    *decisions.entry(key).or_default() += 1;
                }
            }
            match next {
                Some(n) => cursor = n,
                None => break,
            }
        }
    }
    Ok(decisions)
}

/// The queue's jobs by state and whether it answered, as exposition
/// text. A queue that does not answer leaves the scrape itself working:
/// `cobro_queue_up 0`.
async fn render_queue(queue: Option<&QueueProbe>) -> String {
    let Some(probe) = queue else {
        return String::new();
    };
    let jobs = probe.jobs().await;
    let families: &[Family] = match &jobs {
        Ok(_) => &[QUEUE_UP, QUEUE_JOBS],
        Err(e) => {
            tracing::warn!(error = %e, "queue not readable for /metrics");
            &[QUEUE_UP]
        }
    };
    let registry = Registry::new(families);
    registry.scope(|| {
        let name = probe.queue_name().to_string();
        gauge!(QUEUE_UP.name, "queue" => name.clone()).set(f64::from(u8::from(jobs.is_ok())));
        if let Ok(jobs) = &jobs {
            for (state, n) in jobs.by_state() {
                gauge!(QUEUE_JOBS.name, "queue" => name.clone(), "state" => state).set(n as f64);
            }
        }
    });
    registry.render()
}

/// The exposition text of `cobro serve`. The store-wide gauges go into a
/// registry of this scrape only, so that a campaign that is gone leaves
/// no stale series behind.
pub async fn render(state: &AppState) -> Result<String, HttpError> {
    let store = &state.store;
    let campaigns = store.campaigns().await?;
    let paused = store.paused_campaigns().await?;
    let mut counts = Vec::with_capacity(campaigns.len());
    for campaign in &campaigns {
        counts.push((campaign, store.counts(Some(campaign)).await?));
    }
    let (age, decisions) = state.metrics.ledger_decisions(store).await?;
    let suppressions = store.suppressions().await?.len();

    let gauges = Registry::new(&[
        CONTACTS,
        DECISIONS,
        DECISIONS_SNAPSHOT_AGE,
        QUEUE_DEPTH,
        CAMPAIGN_PAUSED,
        SUPPRESSIONS,
    ]);
    gauges.scope(|| {
        let mut queued_total = 0;
        for (campaign, counts) in &counts {
            for s in ContactState::ALL {
                let n = counts.get(&s).copied().unwrap_or(0);
                gauge!(CONTACTS.name, "campaign" => campaign.to_string(), "state" => s.as_str())
                    .set(n as f64);
            }
            queued_total += counts.get(&ContactState::Queued).copied().unwrap_or(0);
        }
        for ((campaign, state, code), n) in &decisions {
            gauge!(
                DECISIONS.name,
                "campaign" => campaign.clone(),
                "state" => state.clone(),
                "code" => code.clone(),
            )
            .set(*n as f64);
        }
        gauge!(DECISIONS_SNAPSHOT_AGE.name).set(age.as_secs_f64());
        gauge!(QUEUE_DEPTH.name).set(queued_total as f64);
        for campaign in &campaigns {
            gauge!(CAMPAIGN_PAUSED.name, "campaign" => campaign.clone())
                .set(f64::from(u8::from(paused.contains(campaign))));
        }
        gauge!(SUPPRESSIONS.name).set(suppressions as f64);
    });
    let mut out = gauges.render();
    out.push_str(&state.metrics.webhooks.render());
    state.dispatch.render(&mut out);
    out.push_str(&render_queue(state.queue.as_deref()).await);
    Ok(out)
}

fn text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Prometheus metrics.
///
/// Contacts by state, ledger decisions by code (snapshot), provider
/// latency histogram and errors by class, decisions by rule and code,
/// apalis queue jobs by state, webhook calls.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain"),
    (status = 503, description = "store unavailable", body = super::openapi::ApiError),
))]
pub async fn prometheus(State(state): State<AppState>) -> Result<Response, HttpError> {
    Ok(text(render(&state).await?))
}

/// What the metrics endpoint of a `cobro work` process needs.
#[derive(Clone)]
pub struct WorkerMetricsState {
    pub store: Arc<AnyStore>,
    pub dispatch: Arc<DispatchMetrics>,
    pub queue: Option<Arc<QueueProbe>>,
}

/// `/metrics` and `/healthz` of one worker process. Only what is this
/// process's own, plus the queue (cheap): the store-wide gauges are
/// `cobro serve`'s, so that scraping every worker does not multiply the
/// store reads.
pub fn worker_router(state: WorkerMetricsState) -> Router {
    Router::new()
        .route("/metrics", get(worker_prometheus))
        .route("/healthz", get(super::health::worker_healthz))
        .with_state(state)
}

async fn worker_prometheus(State(state): State<WorkerMetricsState>) -> Response {
    let mut out = String::new();
    state.dispatch.render(&mut out);
    out.push_str(&render_queue(state.queue.as_deref()).await);
    text(out)
}
