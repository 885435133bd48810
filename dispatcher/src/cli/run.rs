//! `cobro run CAMPAIGN.toml [--clock simulated]`: launch, then work until
//! the campaign has no open contacts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::BadInput;
use super::common::{StoreArg, TransportChoice, load_campaign};
use super::launch::launch_with_progress;
use super::simulate::simulate_loaded;
use super::work::{WorkArgs, work};
use crate::transports::channel_set_from_settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Clock {
    /// Real time through the queue.
    Wall,
    /// Virtual time, jumping to each next due contact.
    Simulated,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    pub campaign: PathBuf,
    #[arg(long, value_enum, default_value_t = Clock::Wall)]
    pub clock: Clock,
    /// Contacts processed at once (wall clock).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Where the queue lives (wall clock; as `cobro work --queue`).
    #[arg(long)]
    pub queue: Option<String>,
    /// Folder the outbox transport writes to.
    #[arg(long, default_value = "outbox")]
    pub outbox: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let store = Arc::new(args.store.open().await?);
    launch_with_progress(store.as_ref(), &args.campaign).await?;
    let loaded = load_campaign(&args.campaign)?;
    match args.clock {
        Clock::Simulated => {
            let settings = args.store.settings()?;
            let default: Arc<dyn cobro_channels::Channel> =
                Arc::new(cobro_channels::outbox::OutboxChannel::new(&args.outbox)?);
            let channels = channel_set_from_settings(&settings, default, &args.store.url()?)
                .await
                .map_err(|e| BadInput(e.to_string()))?;
            let report = simulate_loaded(
                store,
                &loaded,
                TransportChoice::Set(channels),
                Vec::new(),
                None,
                settings.house.limits(),
                // A real store: no made-up outcomes in its books.
                0,
                None,
            )
            .await?;
            print!("{}", report.to_text());
            Ok(ExitCode::SUCCESS)
        }
        Clock::Wall => {
            let work_args = WorkArgs {
                campaigns: vec![args.campaign.clone()],
                concurrency: args.concurrency,
                queue: args.queue.clone(),
                outbox: args.outbox.clone(),
                metrics_bind: None,
                store: args.store.clone(),
            };
            let report = work(store, &work_args, true).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
