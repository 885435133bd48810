//! `cobro simulate CAMPAIGN.toml`: plan and run on a virtual clock with the
//! `null` transport in a scratch in-memory store, then print the report. Nothing is
//! sent and the real store is not touched.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::common::{TransportChoice, channel_set, dispatcher, load_campaign, load_templates};
use super::launch::launch_with_progress;
use crate::engine::simulation::{DebtorResponses, ScheduledEvent};
use crate::report::CampaignReport;
use crate::simulate::{SCRATCH_STORE, run_and_report};
use crate::store::any::AnyStore;
use crate::work_queue::simulated::{DEMO_COLLECTORS, SimulatedCollectors};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    pub campaign: PathBuf,
    /// Also write the report as HTML here.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let store = Arc::new(AnyStore::connect(SCRATCH_STORE).await?);
    launch_with_progress(store.as_ref(), &args.campaign).await?;
    let loaded = load_campaign(&args.campaign)?;
    let report = simulate_loaded(
        store,
        &loaded,
        TransportChoice::Null,
        Vec::new(),
        None,
        Default::default(),
        DEMO_COLLECTORS,
        None,
    )
    .await?;
    print!("{}", report.to_text());
    if let Some(path) = args.html {
        std::fs::write(&path, report.to_html())?;
        println!("report written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the messages' links point and what signs them, so a simulated
/// run's messages can be opened in `cobro serve` (the demo).
pub struct SimulationLinks {
    pub public_url: String,
    pub secret: Vec<u8>,
}

/// Runs an already launched campaign on the virtual clock
/// (`simulate::run_and_report`, with a progress spinner) and builds its
/// report from the ledger. `collectors` simulated collectors work its
/// agent steps' tasks (recording made-up outcomes: 0 on a real store);
/// `responses` answer its messages as debtors (the demo's model).
#[allow(clippy::too_many_arguments)]
pub async fn simulate_loaded(
    store: Arc<AnyStore>,
    loaded: &cobro_config::LoadedCampaign,
    transport: TransportChoice,
    events: Vec<ScheduledEvent>,
    links: Option<&SimulationLinks>,
    limits: cobro_campaigns::book::BookLimits,
    collectors: usize,
    responses: Option<&dyn DebtorResponses>,
) -> anyhow::Result<CampaignReport> {
    let templates = load_templates(&loaded.templates_dir)?;
    let channels = channel_set(&transport)?;
    let mut dispatcher = dispatcher(
        store.clone(),
        loaded,
        templates,
        channels,
        links.map_or("https://cobro.example", |l| l.public_url.as_str()),
    );
    if let Some(links) = links {
        dispatcher.sender.link_secret = links.secret.clone();
    }
    dispatcher.book_limits = limits;
    let dispatcher = Arc::new(dispatcher);
    let mut collectors = match collectors {
        0 => None,
        n => SimulatedCollectors::for_campaign(dispatcher.clone(), loaded, n),
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} virtual clock {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let report = run_and_report(
        &dispatcher,
        loaded,
        events,
        collectors.as_mut(),
        responses,
        |stats, clock| {
            bar.set_message(format!(
                "{}: {} contacts processed, {} sent, {} calls",
                clock.format("%Y-%m-%d %H:%M UTC"),
                stats.passes,
                stats.sent,
                stats.tasks
            ));
            bar.tick();
        },
    )
    .await?;
    bar.finish_and_clear();
    Ok(report)
}
