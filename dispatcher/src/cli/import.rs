//! `cobro import PORTFOLIO [--check] [--encoding LABEL] [--decimal ,|.]`:
//! bad rows are listed with their line and field and skipped; good rows
//! load. Exit 2 if any row was bad.

use std::path::PathBuf;
use std::process::ExitCode;

use cobro_campaigns::import::{DecimalSeparator, ImportOptions, TextEncoding, import_path_with};

use super::common::StoreArg;
use super::{BadInput, EXIT_BAD_INPUT};
use crate::store::prelude::*;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV, JSONL or workbook (.xlsx, .xls) portfolio file.
    pub portfolio: PathBuf,
    /// Validate and report only; load nothing.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub store: StoreArg,
}

/// What detection may get wrong about a spreadsheet export; shared by
/// `cobro import` and `cobro payments import`.
#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
    /// Text encoding of a CSV: auto (UTF-8, or Windows-1252 when the first
    /// accented text is not UTF-8), utf-8, windows-1252 (cp1252, latin1)
    /// or another WHATWG label.
    #[arg(long, value_name = "LABEL", default_value = "auto")]
    pub encoding: TextEncoding,
    /// Decimal separator of amounts written as text (`,` for 1.234,56,
    /// `.` for 1,234.56). Without it, amounts like 1.234 are read by the
    /// file's other amounts, or reported.
    #[arg(long, value_name = ",|.")]
    pub decimal: Option<DecimalSeparator>,
}

impl FileArgs {
    pub fn options(&self) -> ImportOptions {
        ImportOptions {
            encoding: self.encoding,
            decimal: self.decimal,
        }
    }
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let origin = args.portfolio.display().to_string();
    let report = import_path_with(&args.portfolio, &args.file.options())
        .map_err(|e| anyhow::Error::new(BadInput(e.to_string())))?;
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
