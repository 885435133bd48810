//! `cobro event KIND --account ID`: payment, promise to pay, dispute,
//! opt-out and conversation change the plan at once (the HTTP API does the
//! same through `crate::engine::events`).

use std::process::ExitCode;
use std::str::FromStr;

use cobro_campaigns::ChannelKind;

use super::BadInput;
use super::common::StoreArg;
use crate::engine::events::{AccountEvent, apply_event};

#[derive(Debug, clap::Args)]
pub struct EventArgs {
    /// payment | promise_to_pay | dispute | opt_out | conversation
    pub kind: String,
    #[arg(long)]
    pub account: String,
    /// For opt_out and conversation: the channel it happened on.
    #[arg(long)]
    pub channel: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: EventArgs) -> anyhow::Result<ExitCode> {
    let channel = args
        .channel
        .as_deref()
        .map(|c| ChannelKind::from_str(c).map_err(|e| BadInput(e.to_string())))
        .transpose()?;
    let event = AccountEvent::parse(&args.kind, channel).map_err(BadInput)?;
    let store = args.store.open().await?;
    let outcome = apply_event(&store, &args.account, event, chrono::Utc::now()).await?;
    match outcome {
        None => Err(anyhow::Error::new(BadInput(format!(
            "no account '{}' in the store",
            args.account
        )))),
        Some(cancelled) => {
            println!(
                "{}: {} pending contacts cancelled",
                args.kind,
                cancelled.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
