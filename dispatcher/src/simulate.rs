//! A campaign run on the virtual clock, for a report before anything is
//! sent: the same launch (import, template check, plan) and the same
//! engine as the real run, with the `null` transport, in a scratch store
//! that is thrown away ([`SCRATCH_STORE`], in memory), so the live store is
//! never written. `cobro
//! simulate`, `cobro demo`/`run` and the console's "simulate" all end in
//! [`run_and_report`]; [`simulate_file`] is the whole dry run of a file.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use cobro_campaigns::book::BookLimits;
use cobro_channels::null::NullChannel;
use cobro_channels::templates::TemplateSet;
use cobro_config::LoadedCampaign;

use crate::channel_set::ChannelSet;
use crate::engine::sender::SenderProfile;
use crate::engine::simulation::{
    DebtorResponses, HORIZON_DAYS, ScheduledEvent, SimulationStats, run_virtual_clock_answered,
};
use crate::engine::{Dispatcher, PipelineError};
use crate::launch::{LaunchError, LaunchReport, launch};
use crate::report::CampaignReport;
use crate::store::any::AnyStore;
use crate::store::{Store, StoreError};
use crate::work_queue::simulated::{DEMO_COLLECTORS, SimulatedCollectors};

/// Where a dry run keeps its plan, ledger and histories: a new empty
/// in-memory store (every call the same as SQLite's or Redis', by the
/// conformance suite), thrown away with the run. It never touches the
/// disk, so 100,000 accounts run in seconds rather than minutes.
pub const SCRATCH_STORE: &str = "memory://simulation";

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The campaign file, its strategy, portfolio or templates.
    #[error("{0}")]
    Campaign(String),
    #[error(transparent)]
    Launch(LaunchError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SimulateError {
    /// The operator must fix a file; nothing to retry.
    pub fn is_bad_input(&self) -> bool {
        match self {
            SimulateError::Campaign(_) => true,
            SimulateError::Launch(e) => e.is_bad_input(),
            _ => false,
        }
    }
}

/// What a dry run of a campaign file produced.
#[derive(Debug)]
pub struct Simulation {
    pub loaded: LoadedCampaign,
    pub launch: LaunchReport,
    pub report: CampaignReport,
}

/// Runs an already launched campaign on the virtual clock from its start
/// date (applying `events` when the clock reaches them, `collectors`
/// working its agent steps' tasks, `responses` answering its messages,
/// telling `on_progress` the totals after each claim) and builds its
/// report from the ledger, with what its accounts paid and promised and,
/// with `[[arms]]`, the arms' table.
pub async fn run_and_report<S: Store>(
    dispatcher: &Dispatcher<S>,
    loaded: &LoadedCampaign,
    events: Vec<ScheduledEvent>,
    collectors: Option<&mut SimulatedCollectors<S>>,
    responses: Option<&dyn DebtorResponses>,
    on_progress: impl FnMut(&SimulationStats, DateTime<Utc>),
) -> Result<CampaignReport, PipelineError> {
    let start = Utc.from_utc_datetime(
        &loaded
            .campaign
            .start_date
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    // Promises are judged where the virtual clock stopped: its last
    // contact or the last debtor action it applied.
    let horizon = start + chrono::Duration::days(HORIZON_DAYS);
    let last_event = events.iter().map(|e| e.at).filter(|&t| t <= horizon).max();
    let stats = run_virtual_clock_answered(
        dispatcher,
        start,
        events,
        collectors,
        responses,
        on_progress,
    )
    .await?;
    let as_of = stats.last_instant.max(last_event).unwrap_or(start);
    let report = CampaignReport::from_store(
        dispatcher.store.as_ref(),
        &loaded.campaign.id,
        stats.sms_segments,
    )
    .await?
    .with_collections(
        dispatcher.store.as_ref(),
        as_of,
        dispatcher.book_limits.grace_days,
    )
    .await?
    .with_costs(loaded.file.costs.as_ref())
    .with_arms(dispatcher.store.as_ref(), loaded)
    .await
    .map_err(|e| match e {
        crate::report::arms::ArmsReportError::Store(e) => PipelineError::Store(e),
        other => PipelineError::Setup(other.to_string()),
    })?;
    Ok(report)
}

/// The dry run of the campaign file at `path`: launched into a scratch
/// in-memory store, run with the `null` transport (its links signed with a
/// throw-away key), reported, and the store dropped.
pub async fn simulate_file(path: &Path, limits: BookLimits) -> Result<Simulation, SimulateError> {
    let loaded = LoadedCampaign::load(path).map_err(|e| SimulateError::Campaign(e.to_string()))?;
    let templates = TemplateSet::load(&loaded.templates_dir)
        .map_err(|e| SimulateError::Campaign(format!("{}: {e}", loaded.templates_dir.display())))?;
    let store = Arc::new(AnyStore::connect(SCRATCH_STORE).await?);
    let launched = launch(store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .map_err(SimulateError::Launch)?;
    let secret: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let mut dispatcher = Dispatcher::for_campaign(
        store.clone(),
        &loaded,
        templates,
        ChannelSet::uniform(Arc::new(NullChannel::new())),
        SenderProfile::for_campaign(&loaded, "https://cobro.example", secret),
    );
    dispatcher.book_limits = limits;
    let dispatcher = Arc::new(dispatcher);
    // The scratch store's agent tasks are worked by simulated collectors.
    let mut collectors =
        SimulatedCollectors::for_campaign(dispatcher.clone(), &loaded, DEMO_COLLECTORS);
    let report = run_and_report(
        &dispatcher,
        &loaded,
        Vec::new(),
        collectors.as_mut(),
        None,
        |_, _| {},
    )
    .await?;
    drop(collectors);
    drop(dispatcher);
    drop(store);
    Ok(Simulation {
        loaded,
        launch: launched,
        report,
    })
}
