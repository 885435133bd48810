//! `cobro suppress add|remove|list|import`: addresses nobody may contact.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use cobro_campaigns::ChannelKind;
use cobro_channels::mask_address;

use super::BadInput;
use super::common::StoreArg;
use crate::store::{Suppression, prelude::*};
use crate::suppression_list::{normalise_address, parse_import};

#[derive(Debug, clap::Subcommand)]
pub enum SuppressCommand {
    /// Add an address (E.164 number or email); `--prefix` for ranges and `@domain`.
    Add(EntryArgs),
    Remove(EntryArgs),
    List {
        /// Show addresses unmasked (they are masked by default).
        #[arg(long)]
        unmasked: bool,
        #[command(flatten)]
        store: StoreArg,
    },
    /// One address per line, optionally `address,channel` (E.164 numbers
    /// or emails; the first bad line stops the import, naming it).
    Import {
        file: PathBuf,
        #[arg(long, default_value = "import")]
        source: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Debug, clap::Args)]
pub struct EntryArgs {
    pub address: String,
    /// email, sms or voice; all channels when absent.
    #[arg(long)]
    pub channel: Option<String>,
    #[arg(long)]
    pub prefix: bool,
    #[arg(long, default_value = "officer")]
    pub source: String,
    #[command(flatten)]
    pub store: StoreArg,
}

fn parse_channel(value: Option<&str>) -> Result<Option<ChannelKind>, BadInput> {
    crate::suppression_list::parse_channel(value).map_err(BadInput)
}

/// The list's spelling of an address (`suppression_list::normalise_address`).
fn normalise(address: &str, prefix: bool) -> Result<String, BadInput> {
    normalise_address(address, prefix).map_err(BadInput)
}

pub async fn run(cmd: SuppressCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SuppressCommand::Add(args) => {
            let channel = parse_channel(args.channel.as_deref())?;
            let store = args.store.open().await?;
            let address = normalise(&args.address, args.prefix)?;
            store
                .suppress(&Suppression {
                    channel,
                    address: address.clone(),
                    prefix: args.prefix,
                    source: args.source,
                    at: Utc::now(),
                })
                .await?;
            println!(
                "suppressed {} ({})",
                mask_address(&address),
                channel.map_or("all channels", |c| c.as_str())
            );
        }
        SuppressCommand::Remove(args) => {
            let channel = parse_channel(args.channel.as_deref())?;
            let store = args.store.open().await?;
            let removed = store
                .unsuppress(channel, &normalise(&args.address, true)?)
                .await?;
            println!("{}", if removed { "removed" } else { "no such entry" });
            if !removed {
                return Ok(ExitCode::from(1));
            }
        }
        SuppressCommand::List { unmasked, store } => {
            let store = store.open().await?;
            for s in store.suppressions().await? {
                let address = if unmasked {
                    s.address.clone()
                } else {
                    mask_address(&s.address)
                };
                println!(
                    "{address}\t{}\t{}\t{}\t{}",
                    s.channel.map_or("all", |c| c.as_str()),
                    if s.prefix { "prefix" } else { "exact" },
                    s.source,
                    s.at.to_rfc3339()
                );
            }
        }
        SuppressCommand::Import {
            file,
            source,
            store,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| BadInput(format!("{}: {e}", file.display())))?;
            let entries = parse_import(&text, &file.display().to_string(), &source, Utc::now())
                .map_err(|e| BadInput(e.to_string()))?;
            let store = store.open().await?;
            for entry in &entries {
                store.suppress(entry).await?;
            }
            println!("imported {} suppressions", entries.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
