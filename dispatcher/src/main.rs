//! The `cobro` binary: parses the command line and hands off to
//! `cobro_dispatcher::cli`. Errors become exit codes here and nowhere else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cobro_dispatcher::cli::Cli::parse();
    cobro_dispatcher::cli::init_tracing();
    match cobro_dispatcher::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            cobro_dispatcher::cli::exit_code_for(&err)
        }
    }
}
