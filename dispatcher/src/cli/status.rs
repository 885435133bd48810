//! `cobro status [CAMPAIGN] [--json]`: contacts per state.

use std::process::ExitCode;

use super::common::StoreArg;
use crate::store::{ContactState, prelude::*};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    pub campaign: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let store = args.store.open().await?;
    let campaigns = match &args.campaign {
        Some(c) => vec![c.clone()],
        None => store.campaigns().await?,
    };
    let mut out = serde_json::Map::new();
    for campaign in &campaigns {
        let counts = store.counts(Some(campaign)).await?;
        let mut states = serde_json::Map::new();
        let mut total = 0;
        for state in ContactState::ALL {
            let n = counts.get(&state).copied().unwrap_or(0);
            total += n;
            states.insert(state.as_str().into(), n.into());
        }
        let open: u64 = [
            ContactState::Pending,
            ContactState::Queued,
            ContactState::Sending,
        ]
        .iter()
        .map(|s| counts.get(s).copied().unwrap_or(0))
        .sum();
        if args.json {
            out.insert(
                campaign.clone(),
                serde_json::json!({"total": total, "open": open, "states": states}),
            );
        } else {
            println!("campaign {campaign}: {total} contacts, {open} open");
            for state in ContactState::ALL {
                let n = counts.get(&state).copied().unwrap_or(0);
                if n > 0 {
                    println!("  {:<12} {n:>8}", state.as_str());
                }
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"campaigns": out}))?
        );
    } else if campaigns.is_empty() {
        println!("no campaigns in {}", args.store.url()?);
    }
    Ok(ExitCode::SUCCESS)
}
