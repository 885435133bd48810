//! The `cobro` binary: parses the command line and hands off to
//! `cobro_dispatcher::cli`. Errors become exit codes here and nowhere else.

use std::process::ExitCode;

use clap::Parser;

/// glibc's allocator was ~22% of a worker's CPU in the throughput bench
/// (many small short-lived allocations per contact: JSON, templates,
/// ledger rows); mimalloc serves those from per-thread pages.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cobro_dispatcher::cli::Cli::parse();
    cobro_dispatcher::cli::init_tracing();
    match cobro_dispatcher::cli::run(cli) {
        Ok(code) => code,
        // `cobro export gestiones | head` closes the pipe early: not an error.
        Err(err)
            if err.chain().any(|e| {
                let io = e.downcast_ref::<std::io::Error>().or_else(|| {
                    e.downcast_ref::<csv::Error>().and_then(|c| match c.kind() {
                        csv::ErrorKind::Io(io) => Some(io),
                        _ => None,
                    })
                });
                io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            cobro_dispatcher::cli::exit_code_for(&err)
        }
    }
}
