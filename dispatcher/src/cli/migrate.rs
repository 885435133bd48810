//! `cobro migrate --store URL`: moves a store written by an older cobro to
//! the layout this one reads, with every worker stopped. A Redis store of
//! the previous key layout (`store::redis::LAYOUT`) is rewritten in place;
//! a SQLite file migrates itself when opened, so this only opens it.

use std::process::ExitCode;

use anyhow::Context as _;

use super::common::StoreArg;
use crate::store::redis::{DEFAULT_PREFIX, RedisStore};

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let url = args.store.url()?;
    if url.starts_with("redis://")
        || url.starts_with("rediss://")
        || url.starts_with("redis+unix://")
    {
        let report = RedisStore::migrate(&url, DEFAULT_PREFIX)
            .await
            .context("migrating the Redis store")?;
        if report.from == report.to {
            println!("store already in key layout {}: nothing to do", report.to);
        } else {
            println!(
                "store moved from key layout {} to {}: {} contacts into their accounts' hashes, {} old keys removed",
                report.from, report.to, report.contacts, report.removed
            );
        }
    } else {
        // SQLite (and the in-memory store) bring their schema up to date
        // when opened.
        args.store.open().await?;
        println!("store {url} is up to date");
    }
    Ok(ExitCode::SUCCESS)
}
