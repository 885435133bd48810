//! `cobro config check [FILE]`: loads a settings file exactly as every
//! other command does, and nothing more, so an operator can validate a
//! change before deploying it (exit 0 with one OK line, exit 2 with the
//! file, line, key and reason).

use std::path::PathBuf;
use std::process::ExitCode;

use cobro_config::Settings;

use super::BadInput;

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Validate a settings file (cobro.toml) without running anything.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The file to check (default: --config, else COBRO_CONFIG, else cobro.toml).
    pub file: Option<PathBuf>,
    /// Settings file (cobro.toml).
    #[arg(long, env = "COBRO_CONFIG")]
    pub config: Option<PathBuf>,
}

pub fn run(cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .file
        .or(args.config)
        .unwrap_or_else(|| PathBuf::from("cobro.toml"));
    let settings = Settings::load(&path).map_err(|e| BadInput(e.to_string()))?;
    let channels: Vec<String> = settings
        .channels
        .iter()
        .map(|(kind, section)| format!("{kind} {}", section.provider))
        .collect();
    println!(
        "{}: OK (store {}; channels: {})",
        path.display(),
        settings.store,
        if channels.is_empty() {
            "outbox".to_string()
        } else {
            channels.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
