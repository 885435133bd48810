//! `cobro launch CAMPAIGN.toml`: import, check templates against the
//! rules, plan and store every contact. Idempotent.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use super::BadInput;
use super::common::{StoreArg, load_campaign, load_templates};
use crate::launch::{LaunchReport, launch};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct LaunchArgs {
    pub campaign: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: LaunchArgs) -> anyhow::Result<ExitCode> {
    let store = args.store.open().await?;
    launch_with_progress(&store, &args.campaign).await?;
    Ok(ExitCode::SUCCESS)
}

/// Launch and print what happened; shared by `launch` and `run`.
pub async fn launch_with_progress<S: Store>(
    store: &S,
    campaign: &std::path::Path,
) -> anyhow::Result<LaunchReport> {
    let loaded = load_campaign(campaign)?;
    let templates = load_templates(&loaded.templates_dir)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("planning {bar:40} {pos}/{len} accounts ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = launch(store, &loaded, &templates, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await
    .map_err(|e| {
        if e.is_bad_input() {
            anyhow::Error::new(BadInput(e.to_string()))
        } else {
            anyhow::Error::new(e)
        }
    })?;
    bar.finish_and_clear();
    for bad in &report.import.bad_rows {
        eprintln!("{}: {bad}", loaded.portfolio_path.display());
    }
    println!(
        "campaign {}: {} rows read, {} bad rows skipped, {} accounts, {} contacts planned, {} new",
        loaded.campaign.id,
        report.import.rows_read,
        report.import.bad_rows.len(),
        report.accounts,
        report.planned,
        report.added
    );
    Ok(report)
}
