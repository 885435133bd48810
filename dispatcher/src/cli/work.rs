//! `cobro work --campaign FILE… [--metrics-bind ADDR]`: queue workers on
//! the wall clock until SIGTERM/Ctrl-C. Several processes (on several
//! machines) can share one Redis store; claims, caps and the send
//! reservation hold across them. With `--metrics-bind` the process serves
//! its own `/metrics` and `/healthz`, so Prometheus can scrape every worker.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cobro_channels::Channel;
use cobro_channels::outbox::OutboxChannel;

use super::BadInput;
use super::common::{StoreArg, dispatcher, load_campaign, load_templates};
use crate::dispatch_metrics::DispatchMetrics;
use crate::engine::router::CampaignRouter;
use crate::http::metrics::{WorkerMetricsState, worker_router};
use crate::queue::{QueueBackend, WorkerOptions, run_workers, shutdown_signal};
use crate::queue_probe::QueueProbe;
use crate::store::any::AnyStore;
use crate::transports::channel_set_from_settings;

#[derive(Debug, clap::Args)]
pub struct WorkArgs {
    /// Campaign files whose contacts this worker sends (repeatable).
    #[arg(long = "campaign", required = true)]
    pub campaigns: Vec<PathBuf>,
    /// Contacts processed at once in this process (default: cobro.toml's worker.concurrency).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Where the queue lives: `inprocess:` (the default with a SQLite
    /// store; a killed process' claimed contacts wait for their lease),
    /// `redis://…` (the default with a Redis store: the store itself) or
    /// `sqlite://PATH` (apalis' SQLite queue).
    #[arg(long)]
    pub queue: Option<String>,
    /// Folder for channels without a provider in cobro.toml.
    #[arg(long, default_value = "outbox")]
    pub outbox: PathBuf,
    /// Serve this worker's `/metrics` (provider latency and errors,
    /// decisions, queue jobs) and `/healthz` (store and queue) on ADDR,
    /// e.g. `0.0.0.0:9464`. Off by default: a worker listens on nothing.
    #[arg(long, env = "COBRO_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
}

/// The queue a store gets without `--queue`: Redis is its own queue,
/// shared by every worker; a SQLite store, whose workers run on one
/// machine, gets the in-process queue (2.2× the contacts/s of apalis'
/// SQLite queue, BENCHMARKS.md §3d). `--queue sqlite://PATH` still gives
/// the apalis one, for a killed worker's batches to move on in seconds
/// rather than after their lease.
pub fn default_queue_url(store_url: &str) -> String {
    if store_url.starts_with("sqlite:") {
        "inprocess:".to_string()
    } else {
        store_url.to_string()
    }
}

/// The queue URL the workers use: `--queue`, else the default next to
/// the store.
pub fn queue_url(queue: Option<&str>, store: &StoreArg) -> anyhow::Result<String> {
    Ok(match queue {
        Some(url) => url.to_string(),
        None => default_queue_url(&store.url()?),
    })
}

/// A read-only probe of the queue at `url` (`/metrics`, `/healthz`); none
/// for the in-process queue, which no other process can see (health then
/// says `"queue":"unused"`).
pub fn queue_probe(url: &str) -> anyhow::Result<Option<QueueProbe>> {
    let backend = QueueBackend::from_url(url).map_err(|e| BadInput(e.to_string()))?;
    if backend == QueueBackend::InProcess {
        return Ok(None);
    }
    QueueProbe::new(&backend, &WorkerOptions::default().queue_name)
        .map(Some)
        .map_err(|e| anyhow::Error::new(BadInput(e.to_string())))
}

pub async fn run(args: WorkArgs) -> anyhow::Result<ExitCode> {
    let store = Arc::new(args.store.open().await?);
    let metrics = DispatchMetrics::new();
    let server = match &args.metrics_bind {
        Some(bind) => {
            let probe = queue_probe(&queue_url(args.queue.as_deref(), &args.store)?)?;
            let app = worker_router(WorkerMetricsState {
                store: store.clone(),
                dispatch: metrics.clone(),
                queue: probe.map(Arc::new),
            });
            let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
                anyhow::Error::new(BadInput(format!("cannot listen on {bind}: {e}")))
            })?;
            let local = listener.local_addr().context("reading the bound address")?;
            println!(
                "cobro work: metrics on http://{local}/metrics, health on http://{local}/healthz"
            );
            Some(tokio::spawn(
                async move { axum::serve(listener, app).await },
            ))
        }
        None => None,
    };
    let result = work_with(store, &args, false, metrics).await;
    // Scrapes end with the workers: nothing is left to report.
    if let Some(server) = server {
        server.abort();
    }
    let report = result?;
    eprintln!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}

/// Runs workers for the given campaigns; shared by `work` and `run`.
pub async fn work(
    store: Arc<AnyStore>,
    args: &WorkArgs,
    stop_when_idle: bool,
) -> anyhow::Result<crate::queue::WorkerReport> {
    work_with(store, args, stop_when_idle, DispatchMetrics::new()).await
}

/// `work`, recording provider calls and decisions into `metrics` (shared
/// with the `/metrics` of `serve --workers` or `work --metrics-bind`).
pub async fn work_with(
    store: Arc<AnyStore>,
    args: &WorkArgs,
    stop_when_idle: bool,
    metrics: Arc<DispatchMetrics>,
) -> anyhow::Result<crate::queue::WorkerReport> {
    let settings = args.store.settings()?;
    let default: Arc<dyn Channel> = Arc::new(OutboxChannel::new(&args.outbox)?);
    let channels = channel_set_from_settings(&settings, default, &args.store.url()?)
        .await
        .map_err(|e| BadInput(e.to_string()))?
        .metered(&metrics);
    let journal_dir = crate::engine::journal::OutcomeJournal::dir_for(
        &settings
            .worker
            .journal_dir
            .clone()
            .unwrap_or_else(default_journal_base),
        &args.store.url()?,
    );
    let journal = Arc::new(crate::engine::journal::OutcomeJournal::open(&journal_dir)?);
    let mut router = CampaignRouter::new();
    for path in &args.campaigns {
        let loaded = load_campaign(path)?;
        let templates = load_templates(&loaded.templates_dir)?;
        let mut d = dispatcher(
            store.clone(),
            &loaded,
            templates,
            channels.clone(),
            &settings.http.public_url,
        );
        d.retry = crate::engine::RetryPolicy {
            max_attempts: settings.worker.max_attempts,
            base_backoff: Duration::from_secs(settings.worker.retry_base_backoff_secs),
        };
        d.metrics = Some(metrics.clone());
        d.journal = Some(journal.clone());
        d.book_limits = settings.house.limits();
        router.add(&loaded.campaign.id, Arc::new(d));
    }
    let queue_url = queue_url(args.queue.as_deref(), &args.store)?;
    let queue = QueueBackend::from_url(&queue_url).map_err(|e| BadInput(e.to_string()))?;
    let opts = WorkerOptions {
        concurrency: args.concurrency.unwrap_or(settings.worker.concurrency),
        batch_size: settings.worker.batch_size,
        poll_interval: Duration::from_millis(settings.worker.poll_interval_ms),
        stop_when_idle,
        queued_lease: Duration::from_secs(settings.worker.queued_lease_secs),
        sending_lease: Duration::from_secs(settings.worker.sending_lease_secs),
        maintenance_interval: Duration::from_secs(settings.worker.queued_lease_secs.clamp(1, 15)),
        journal: Some(journal),
        ..WorkerOptions::default()
    };
    Ok(run_workers(store, Arc::new(router), &queue, opts, shutdown_signal()).await?)
}

/// `$XDG_STATE_HOME/cobro/journal`, else `~/.local/state/cobro/journal`,
/// else `.cobro/journal` (no home at all).
fn default_journal_base() -> std::path::PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".local/state"))
        });
    match state {
        Some(dir) => dir.join("cobro/journal"),
        None => std::path::PathBuf::from(".cobro/journal"),
    }
}
