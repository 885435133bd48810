//! `cobro payments import FILE`: the creditor's daily payments file. Bad
//! rows are reported (`line N: field: reason`) and skipped, good rows are
//! recorded; a payment's reference is never counted twice, so importing
//! the same file again (or after a crash half-way) adds nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use cobro_campaigns::book::{BookAction, EventSource};
use cobro_campaigns::payments_import::import_payments_path_with;

use super::BadInput;
use super::common::StoreArg;
use super::import::FileArgs;
use crate::engine::actions::{ActionError, record_action};

#[derive(Debug, clap::Subcommand)]
pub enum PaymentsCommand {
    /// Record the payments of a CSV or workbook file (account, amount,
    /// date, reference).
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Validate only: report bad rows, record nothing.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub read: FileArgs,
    #[command(flatten)]
    pub store: StoreArg,
}

pub async fn run(cmd: PaymentsCommand) -> anyhow::Result<ExitCode> {
    let PaymentsCommand::Import(args) = cmd;
    let origin = args.file.display().to_string();
    let report = import_payments_path_with(&args.file, &args.read.options())
        .map_err(|e| BadInput(e.to_string()))?;
    for error in &report.errors {
        eprintln!("{origin}: {error}");
    }
    if args.check {
        println!(
            "{origin}: {} rows read, {} good, {} bad",
            report.rows_read,
            report.rows.len(),
            report.errors.len()
        );
        return Ok(exit(report.errors.is_empty()));
    }
    let store = args.store.open().await?;
    let limits = args.store.settings()?.house.limits();
    let now = Utc::now();
    let (mut recorded, mut repeated, mut refused) = (0usize, 0usize, 0usize);
    for row in &report.rows {
        let action = BookAction::Payment {
            amount: row.amount,
            at: row.at,
            reference: row.reference.clone(),
        };
        match record_action(
            &store,
            &row.account,
            &action,
            EventSource::Import,
            now,
            &limits,
        )
        .await
        {
            Ok(outcome) if outcome.applied.changed => recorded += 1,
            Ok(_) => repeated += 1,
            Err(e @ (ActionError::UnknownAccount(_) | ActionError::Refused(_))) => {
                refused += 1;
                eprintln!("{origin}: line {}: account: {e}", row.line);
            }
            Err(e) => return Err(e.into()),
        }
    }
    println!(
        "{origin}: {} rows read, {recorded} payments recorded, {repeated} already recorded, {} bad rows",
        report.rows_read,
        report.errors.len() + refused
    );
    Ok(exit(report.errors.is_empty() && refused == 0))
}

fn exit(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_BAD_INPUT)
    }
}
