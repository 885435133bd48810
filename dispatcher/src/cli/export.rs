//! `cobro export gestiones`: the ledger as CSV (the export columns in the README).

use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};

use super::BadInput;
use super::common::StoreArg;
use crate::store::{LedgerFilter, prelude::*};

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Every decision and outcome, one row each.
    Gestiones(GestionesArgs),
}

#[derive(Debug, clap::Args)]
pub struct GestionesArgs {
    #[arg(long)]
    pub campaign: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    /// RFC 3339 instant.
    #[arg(long)]
    pub since: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
}

pub const HEADER: [&str; 15] = [
    "contact_id",
    "campaign",
    "account",
    "step",
    "channel",
    "state",
    "at",
    "timezones",
    "rules",
    "code",
    "detail",
    "provider",
    "provider_id",
    "attempt",
    "seq",
];

pub async fn run(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::Gestiones(args) = cmd;
    let since = match &args.since {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| BadInput(format!("--since '{s}': {e}")))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let store = args.store.open().await?;
    let rows = store
        .ledger(&LedgerFilter {
            campaign: args.campaign.clone(),
            account: args.account.clone(),
            since,
            ..Default::default()
        })
        .await?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(HEADER)?;
    for (seq, r) in rows.iter().enumerate() {
        out.write_record([
            r.contact_id.as_str(),
            &r.campaign,
            &r.account,
            &r.step,
            r.channel.as_str(),
            r.state.as_str(),
            &r.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            &r.timezones.join(";"),
            &r.rules.join(";"),
            r.code.as_deref().unwrap_or(""),
            r.detail.as_deref().unwrap_or(""),
            r.provider.as_deref().unwrap_or(""),
            r.provider_id.as_deref().unwrap_or(""),
            &r.attempt.to_string(),
            &(seq + 1).to_string(),
        ])?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
