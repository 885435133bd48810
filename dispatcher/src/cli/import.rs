//! `cobro import PORTFOLIO [--check]`: bad rows are listed with their line
//! and field and skipped; good rows load. Exit 2 if any row was bad.

use std::path::PathBuf;
use std::process::ExitCode;

use cobro_campaigns::import::import_path;

use super::common::StoreArg;
use super::{BadInput, EXIT_BAD_INPUT};
use crate::store::prelude::*;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV or JSONL portfolio file.
    pub portfolio: PathBuf,
    /// Validate and report only; load nothing.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let origin = args.portfolio.display().to_string();
    let report =
        import_path(&args.portfolio).map_err(|e| anyhow::Error::new(BadInput(e.to_string())))?;
    print!("{}", report.render_text(&origin));
    if !args.check {
        let store = args.store.open().await?;
        for chunk in report.accounts.chunks(2_000) {
            store.put_accounts(chunk).await?;
        }
        println!(
            "loaded {} accounts into {}",
            report.accounts.len(),
            args.store.url()?
        );
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    })
}
