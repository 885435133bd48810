//! Command-line contract of DESIGN.md §9. Each command lives in its own
//! file; this one only routes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod rules;

/// Exit code for bad input or configuration (DESIGN.md §9).
pub const EXIT_BAD_INPUT: u8 = 2;

/// An error caused by what the user handed us (a file, a flag), as opposed
/// to a runtime failure. Maps to exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

#[derive(Debug, Parser)]
#[command(
    name = "cobro",
    version,
    about = "Outbound omnichannel campaign dispatcher for debt collection",
    long_about = "cobro schedules every contact of a collection campaign (email, SMS, voice), \
                  checks each one against the compliance rules at the moment of sending, \
                  sends it through real providers and records every decision in a ledger."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline on the embedded default, no set-up needed.
    Demo(NotYet),
    /// Load a portfolio of accounts (CSV or JSONL); bad rows are listed.
    Import(NotYet),
    /// Import, validate templates against the rules, plan and enqueue a campaign.
    Launch(NotYet),
    /// Run queue workers until stopped.
    Work(NotYet),
    /// Launch and work until the campaign has no pending contacts.
    Run(NotYet),
    /// Plan and run a campaign on a virtual clock with the null transport.
    Simulate(NotYet),
    /// Counts of contacts per state.
    Status(NotYet),
    /// HTTP service: webhooks, operations API, metrics, dashboard.
    Serve(NotYet),
    /// Check, explain and print compliance rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Record an event (payment, promise, dispute, opt-out, conversation).
    Event(NotYet),
    /// Manage suppression lists.
    Suppress(NotYet),
    /// Export the ledger (gestiones).
    Export(NotYet),
}

/// Arguments of a command that is not built yet.
#[derive(Debug, clap::Args)]
pub struct NotYet {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Rules(cmd) => rules::run(cmd),
        other => {
            let name = format!("{other:?}");
            let name = name.split('(').next().unwrap_or("command").to_lowercase();
            eprintln!("cobro {name}: not built yet");
            Ok(ExitCode::from(1))
        }
    }
}

pub fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|e| e.is::<BadInput>()) {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::from(1)
    }
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
