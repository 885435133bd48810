//! `cobro rules check|explain|calendar` (owned by the compliance work).

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate a rules file.
    Check {
        file: std::path::PathBuf,
    },
}

pub fn run(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Check { .. } => {
            eprintln!("cobro rules: not built yet");
            Ok(ExitCode::from(1))
        }
    }
}
