//! The command-line contract (the README lists it; other tools drive cobro
//! through it, so names, flags and exit codes do not change). Each command
//! lives in its own file; this one only routes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod campaign;
pub mod common;
pub mod config;
pub mod demo;
pub mod demo_debtors;
pub mod demo_users;
pub mod event;
pub mod export;
pub mod import;
pub mod launch;
pub mod migrate;
pub mod payments;
pub mod reconcile;
pub mod rules;
pub mod run;
pub mod serve;
pub mod simulate;
pub mod status;
pub mod suppress;
pub mod users;
pub mod work;

/// Exit code for bad input or configuration (part of the CLI contract).
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
    Demo(demo::DemoArgs),
    /// Load a portfolio of accounts (CSV, JSONL or XLSX); bad rows are listed.
    Import(import::ImportArgs),
    /// Import, validate templates against the rules, plan and enqueue a campaign.
    Launch(launch::LaunchArgs),
    /// Run queue workers until stopped.
    Work(work::WorkArgs),
    /// Launch and work until the campaign has no pending contacts.
    Run(run::RunArgs),
    /// Plan and run a campaign on a virtual clock with the null transport.
    Simulate(simulate::SimulateArgs),
    /// Counts of contacts per state.
    Status(status::StatusArgs),
    /// Asks the providers (Twilio, Infobip) what became of the `unknown`
    /// contacts; prints what they resolved and what is left for review.
    Reconcile(reconcile::ReconcileArgs),
    /// HTTP service: webhooks, operations API, metrics, dashboard.
    Serve(serve::ServeArgs),
    /// Check, explain and print compliance rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Record an event (payment, promise_to_pay, plan, dispute, dispute_resolved, preferences, opt_out, conversation).
    Event(event::EventArgs),
    /// Record payments from the creditor's file.
    #[command(subcommand)]
    Payments(payments::PaymentsCommand),
    /// Manage suppression lists.
    #[command(subcommand)]
    Suppress(suppress::SuppressCommand),
    /// Console and API users (roles, creditor, tokens).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Export the ledger (gestiones) as CSV.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Check a settings file (cobro.toml).
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Move a store written by an older cobro to this version's layout (workers stopped).
    Migrate(migrate::MigrateArgs),
    /// Champion/challenger: the arms' report, promote a winner.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
}

/// Arguments of a command that is not built yet.
#[derive(Debug, clap::Args)]
pub struct NotYet {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = match cli.command {
        Command::Rules(cmd) => return rules::run(cmd),
        Command::Config(cmd) => return config::run(cmd),
        other => other,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match command {
            Command::Demo(args) => demo::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Launch(args) => launch::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Simulate(args) => simulate::run(args).await,
            Command::Status(args) => status::run(args).await,
            Command::Reconcile(args) => reconcile::run(args).await,
            Command::Event(args) => event::run(args).await,
            Command::Payments(cmd) => payments::run(cmd).await,
            Command::Suppress(cmd) => suppress::run(cmd).await,
            Command::Export(cmd) => export::run(cmd).await,
            Command::Users(cmd) => users::run(cmd).await,
            Command::Rules(_) | Command::Config(_) => unreachable!("handled above"),
            Command::Work(args) => work::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Migrate(args) => migrate::run(args).await,
            Command::Campaign(cmd) => campaign::run(cmd).await,
        }
    })
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
