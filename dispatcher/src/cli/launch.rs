//! `cobro launch CAMPAIGN.toml`: import, check templates against the
//! rules, plan and store every contact. Idempotent.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use super::BadInput;
use super::common::{StoreArg, load_campaign, load_templates};
use crate::launch::{LaunchReport, launch};
use crate::store::{AccountStatus, Store};
use cobro_campaigns::strategy::StopEvent;

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

/// A strategy stops on the events its `stop_on` lists, on every stronger
/// one (promise_to_pay < dispute < paid) and always on opt_out. When that
/// covers events the file does not list, the launch says which, so nobody
/// learns it from the ledger.
fn implied_stop_events_note(strategy: &cobro_campaigns::strategy::Strategy) -> Option<String> {
    let from = AccountStatus::stop_from(&strategy.stop_on);
    let implied: Vec<&str> = StopEvent::ALL
        .into_iter()
        .filter(|e| !strategy.stop_on.contains(e) && AccountStatus::from(*e).stops(from))
        .map(|e| e.as_str())
        .collect();
    (!implied.is_empty()).then(|| {
        format!(
            "note: strategy '{}' also stops on {} (opt_out always stops; an event stronger than one stop_on lists stops too: promise_to_pay < dispute < paid)",
            strategy.id,
            implied.join(", ")
        )
    })
}

/// Launch and print what happened; shared by `launch` and `run`.
pub async fn launch_with_progress<S: Store>(
    store: &S,
    campaign: &std::path::Path,
) -> anyhow::Result<LaunchReport> {
    let loaded = load_campaign(campaign)?;
    if let Some(note) = implied_stop_events_note(&loaded.strategy) {
        eprintln!("{note}");
    }
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
    if let Some(arms) = &loaded.arms {
        println!(
            "arms {}: {} accounts in the {}% holdout (stored, never contacted)",
            arms.split
                .arms
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            report.holdout,
            arms.split.holdout
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobro_campaigns::strategy::Strategy;

    fn strategy(stop_on: &str) -> Strategy {
        Strategy::from_toml_str(
            &format!(
                "id = \"s\"\nstop_on = {stop_on}\n\n[[steps]]\nid = \"a\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"09:00\"\n"
            ),
            "strategy.toml",
        )
        .expect("valid strategy")
    }

    #[test]
    fn a_launch_names_the_stop_events_a_strategy_covers_without_listing() {
        let note = implied_stop_events_note(&strategy("[\"promise_to_pay\"]"))
            .expect("paid, dispute and opt_out implied");
        assert!(
            note.contains("'s' also stops on paid, dispute, opt_out"),
            "{note}"
        );
        let note = implied_stop_events_note(&strategy("[\"paid\"]")).expect("opt_out");
        assert!(note.contains("also stops on opt_out ("), "{note}");
        assert!(implied_stop_events_note(&strategy("[\"paid\", \"opt_out\"]")).is_none());
    }
}
