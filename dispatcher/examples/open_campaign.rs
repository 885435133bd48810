//! Writes the wall-clock campaign the SQLite work bench runs
//! (`scripts/bench-sqlite-work.sh`, BENCHMARKS.md §3d): a generated
//! portfolio, the `anytime` pack, an email, an SMS and a voice step all due
//! at 00:00 of a campaign started yesterday.
//!
//! `cargo run -p cobro-dispatcher --example open_campaign -- DIR [ACCOUNTS] [SEED]`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: open_campaign DIR [ACCOUNTS (20000)] [SEED (2026)]");
        return ExitCode::from(2);
    };
    let number = |value: Option<String>, default: u64| -> Result<u64, String> {
        value.map_or(Ok(default), |v| {
            v.parse().map_err(|e| format!("'{v}' is not a number: {e}"))
        })
    };
    let (accounts, seed) = match (number(args.next(), 20_000), number(args.next(), 2026)) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let campaign = cobro_dispatcher::testing::write_wall_clock_campaign(
        &dir,
        usize::try_from(accounts).unwrap_or(usize::MAX),
        seed,
    );
    println!("{}", campaign.display());
    ExitCode::SUCCESS
}
