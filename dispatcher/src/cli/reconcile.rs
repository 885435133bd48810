//! `cobro reconcile [--campaign C] [--settle-secs N] [--json]`: asks the
//! providers that offer a lookup (Twilio's message and call lists, Infobip's
//! logs and reports) what became of every `unknown` contact, resolves what
//! they can tell (`engine::reconcile`), and prints what was resolved per
//! provider and what is left for the review queue. The transports are the
//! settings file's `[channels.*]` (with their secrets from the
//! environment); a channel without a section has no lookup.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cobro_campaigns::ChannelKind;
use cobro_channels::Channel;

use super::BadInput;
use super::common::StoreArg;
use crate::engine::reconcile::{ReconcileOptions, reconcile_unknown};

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// Only this campaign's contacts (default: every campaign).
    #[arg(long)]
    pub campaign: Option<String>,
    /// Leave contacts lost less than this many seconds ago for a later run:
    /// a request that timed out may still be reaching the provider.
    #[arg(long, default_value_t = 300)]
    pub settle_secs: u64,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: ReconcileArgs) -> anyhow::Result<ExitCode> {
    let settings = args.store.settings()?;
    let store = args.store.open().await?;
    let mut channels: BTreeMap<ChannelKind, Arc<dyn Channel>> = BTreeMap::new();
    for (kind, section) in &settings.channels {
        let transport = section
            .transport
            .build()
            .map_err(|e| anyhow::Error::new(BadInput(format!("key `channels.{kind}`: {e}"))))?;
        channels.insert(*kind, transport);
    }
    let options = ReconcileOptions {
        campaign: args.campaign.clone(),
        settle: Duration::from_secs(args.settle_secs),
    };
    let summary = reconcile_unknown(&store, &channels, &options, chrono::Utc::now())
        .await
        .context("reconciling unknown contacts")?;
    if args.json {
        let providers: serde_json::Map<String, serde_json::Value> = summary
            .providers
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    serde_json::json!({
                        "resolved": t.resolved,
                        "requeued": t.requeued,
                        "ambiguous": t.ambiguous,
                        "errors": t.errors,
                    }),
                )
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "examined": summary.examined,
                "resolved": summary.resolved(),
                "left": summary.left,
                "too_recent": summary.too_recent,
                "no_lookup": summary.no_lookup,
                "providers": providers,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} unknown contacts examined, {} resolved, {} left unknown",
        summary.examined,
        summary.resolved(),
        summary.left
    );
    for (name, t) in &summary.providers {
        println!(
            "  {name:<10} {:>6} found at the provider, {:>6} not there (back to the plan), {:>4} ambiguous, {:>4} lookup errors",
            t.resolved, t.requeued, t.ambiguous, t.errors
        );
    }
    if summary.no_lookup > 0 {
        println!(
            "  {} on channels whose provider offers no lookup",
            summary.no_lookup
        );
    }
    if summary.too_recent > 0 {
        println!(
            "  {} lost less than {} s ago: run again later",
            summary.too_recent, args.settle_secs
        );
    }
    Ok(ExitCode::SUCCESS)
}
