//! `cobro serve [--bind ADDR] [--store URL] [--workers N --campaign FILE…]`:
//! the HTTP service (webhooks, unsubscribe, API, metrics, dashboard), and
//! optionally queue workers in the same process. Stops on SIGTERM/Ctrl-C:
//! the server stops accepting, finishes open requests; the workers finish
//! or release their in-flight contacts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::BadInput;
use super::common::StoreArg;
use super::work::{WorkArgs, queue_probe, queue_url, work_with};
use crate::dispatch_metrics::DispatchMetrics;
use crate::http::{AppState, HttpConfig, router};
use crate::queue::shutdown_signal;
use crate::rules_in_force::RulesInForce;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default: cobro.toml `http.bind`, 127.0.0.1:8080).
    #[arg(long, env = "COBRO_BIND")]
    pub bind: Option<String>,
    /// The URL providers and debtors reach this service at; Twilio
    /// signatures are checked against it (default: cobro.toml `http.public_url`).
    #[arg(long, env = "COBRO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Also run queue workers in this process, processing N contacts at once
    /// (needs --campaign).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Campaign files the in-process workers send (repeatable); the first
    /// one's `[sender]` names the collector on the debtors' pages; the
    /// console's campaigns page simulates and launches them.
    #[arg(long = "campaign")]
    pub campaigns: Vec<PathBuf>,
    /// Where the queue lives (as `cobro work --queue`). `/healthz`
    /// and `/metrics` check and read it (not the in-process one, which
    /// they report as unused); without workers only when given.
    #[arg(long)]
    pub queue: Option<String>,
    /// Folder for channels without a provider in cobro.toml (workers only).
    #[arg(long, default_value = "outbox")]
    pub outbox: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = args.store.settings()?;
    let bind = args
        .bind
        .clone()
        .unwrap_or_else(|| settings.http.bind.clone());
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| settings.http.public_url.clone());
    if args.workers == Some(0) {
        return Err(anyhow::Error::new(BadInput(
            "--workers must be at least 1".into(),
        )));
    }
    if args.workers.is_some() && args.campaigns.is_empty() {
        return Err(anyhow::Error::new(BadInput(
            "--workers needs at least one --campaign FILE (the workers send with its rules, templates and sender)".into(),
        )));
    }
    let store = Arc::new(args.store.open().await?);
    let config = HttpConfig::from_env(&public_url);
    if config.api_token.is_none() {
        eprintln!(
            "cobro serve: COBRO_API_TOKEN is not set; the /api endpoints refuse every request"
        );
    }
    if config.twilio_auth_token.is_none() {
        eprintln!("cobro serve: TWILIO_AUTH_TOKEN is not set; Twilio callbacks are refused (403)");
    }
    if config.webhook_secret.is_none() {
        eprintln!(
            "cobro serve: COBRO_WEBHOOK_SECRET is not set; Vonage and Infobip callbacks are refused (403)"
        );
    }
    if std::env::var("COBRO_LINK_SECRET").map_or(true, |s| s.is_empty()) {
        eprintln!("cobro serve: COBRO_LINK_SECRET is not set; no unsubscribe link can be verified");
    }
    // The in-process workers record provider calls and decisions here;
    // /metrics renders them.
    let dispatch = DispatchMetrics::new();
    let portal = super::common::portal_settings(&settings, &args.campaigns)?;
    match &portal.payments {
        Some(p) => eprintln!(
            "cobro serve: debtors pay at {} (notifications at {public_url}/webhooks/{})",
            p.name(),
            p.name()
        ),
        None => eprintln!(
            "cobro serve: no [payments] provider; the debtor's page offers each account's own payment_link"
        ),
    }
    // The console and /api/rules show the packs these campaigns apply
    // (the built-in ones without a campaign).
    let loaded = args
        .campaigns
        .iter()
        .map(|p| super::common::load_campaign(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rules = RulesInForce::from_campaigns(&loaded)
        .map_err(|e| anyhow::Error::new(BadInput(e.to_string())))?;
    let desk = super::common::work_desk(store.clone(), &loaded, &public_url)?;
    if !desk.is_empty() {
        let teams: Vec<&str> = desk.teams().iter().map(String::as_str).collect();
        eprintln!(
            "cobro serve: collectors' work queue for teams {} (GET /api/work/next, /console/work)",
            teams.join(", ")
        );
    }
    let mut state = AppState::new(store.clone(), config)
        .with_work(desk)
        .with_dispatch_metrics(dispatch.clone())
        .with_portal(portal)
        .with_campaign_files(args.campaigns.clone())
        .with_rules(rules);
    if args.workers.is_some() || args.queue.is_some() {
        let url = queue_url(args.queue.as_deref(), &args.store)?;
        if let Some(probe) = queue_probe(&url)? {
            state = state.with_queue(Arc::new(probe));
        }
    }
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|e| anyhow::Error::new(BadInput(format!("cannot listen on {bind}: {e}"))))?;
    let local = listener.local_addr().context("reading the bound address")?;
    println!("cobro serve: listening on http://{local} (public URL {public_url})");

    let mut server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
    });
    let Some(concurrency) = args.workers else {
        server
            .await
            .context("HTTP server task")?
            .context("HTTP server")?;
        return Ok(ExitCode::SUCCESS);
    };
    let work_args = WorkArgs {
        campaigns: args.campaigns.clone(),
        concurrency: Some(concurrency),
        queue: args.queue.clone(),
        outbox: args.outbox.clone(),
        metrics_bind: None,
        store: args.store.clone(),
    };
    let mut workers =
        tokio::spawn(async move { work_with(store, &work_args, false, dispatch).await });
    tokio::select! {
        done = &mut workers => {
            // Workers end on the shutdown signal, or on an error that the
            // server must not hide by running on without them.
            match done.context("worker task")? {
                Ok(report) => eprintln!("{}", serde_json::to_string(&report)?),
                Err(e) => {
                    server.abort();
                    return Err(e.context("in-process workers stopped"));
                }
            }
            server.await.context("HTTP server task")?.context("HTTP server")?;
        }
        done = &mut server => {
            done.context("HTTP server task")?.context("HTTP server")?;
            let report = workers.await.context("worker task")??;
            eprintln!("{}", serde_json::to_string(&report)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
