//! Scale benchmarks (issue 7 items 2 and 3), each timing the real `cobro`
//! binary under `/usr/bin/time -v`:
//!
//! 1. **launch**: 1,000,000 generated accounts × the example four-step
//!    strategy, imported, planned and stored by `cobro launch` into a
//!    private `redis-server`: wall time, peak RSS of the `cobro launch`
//!    process, and Redis memory per pending contact (`used_memory` after
//!    minus before, divided by the contacts planned);
//! 2. **simulate**: 100,000 generated accounts, the example monthly
//!    campaign (four steps over a month, the five built-in rule packs) run
//!    by `cobro simulate` on the virtual clock with the SQLite store and
//!    the `null` transport: wall time and contacts/s.
//!
//! Run: `cargo build --release -p cobro-dispatcher && cargo bench -p
//! cobro-dispatcher --bench launch`. `COBRO_BENCH_ONLY=launch|simulate`
//! runs one; `COBRO_LAUNCH_ACCOUNTS` and `COBRO_SIMULATE_ACCOUNTS` change
//! the sizes; `COBRO_BIN` overrides the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use cobro_testkit::RedisServer;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn cobro_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("COBRO_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    let candidates = [
        exe.parent().and_then(Path::parent).map(|d| d.join("cobro")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/cobro")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.exists() {
            return c;
        }
    }
    panic!("no target/release/cobro: run `cargo build --release -p cobro-dispatcher` first");
}

/// The example campaign (`config/examples`) pointed at a generated
/// portfolio of `accounts` rows.
fn write_campaign(dir: &Path, accounts: usize) -> PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples");
    let options = cobro_campaigns::generator::GeneratorOptions::default();
    let started = Instant::now();
    let portfolio = std::fs::File::create(dir.join("portfolio.csv")).expect("portfolio");
    cobro_campaigns::generator::write_portfolio_csv(
        std::io::BufWriter::new(portfolio),
        accounts,
        42,
        &options,
    )
    .expect("write portfolio");
    eprintln!(
        "  generated {accounts} accounts in {:.1} s ({} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(dir.join("portfolio.csv")).map_or(0, |m| m.len()) / 1_000_000
    );
    let text = std::fs::read_to_string(examples.join("campaign.toml")).expect("example campaign");
    let text = text
        .replace(
            "strategy = \"strategy.toml\"",
            &format!(
                "strategy = {:?}",
                examples.join("strategy.toml").display().to_string()
            ),
        )
        .replace(
            "templates = \"templates\"",
            &format!(
                "templates = {:?}",
                examples.join("templates").display().to_string()
            ),
        );
    let campaign = dir.join("campaign.toml");
    std::fs::write(&campaign, text).expect("campaign");
    campaign
}

struct Timed {
    wall_s: f64,
    max_rss_kb: u64,
    stdout: String,
}

/// Runs `cobro ARGS` under `/usr/bin/time -v`.
fn timed(dir: &Path, args: &[&str]) -> Timed {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(cobro_bin())
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run /usr/bin/time -v cobro");
    let wall_s = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cobro {args:?} failed: {}",
        stderr.lines().rev().take(30).collect::<Vec<_>>().join("\n")
    );
    let max_rss_kb = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Timed {
        wall_s,
        max_rss_kb,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn used_memory(port: u16) -> u64 {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "INFO", "memory"])
        .output()
        .expect("redis-cli INFO memory");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

fn launch_bench() {
    let accounts = env_usize("COBRO_LAUNCH_ACCOUNTS", 1_000_000);
    eprintln!("launch: {accounts} accounts × the example 4-step strategy into Redis");
    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = write_campaign(dir.path(), accounts);
    let server = RedisServer::start().expect("private redis-server");
    let before = used_memory(server.port());
    let url = server.url();
    let run = timed(
        dir.path(),
        &[
            "launch",
            campaign.to_str().expect("utf-8 path"),
            "--store",
            &url,
        ],
    );
    let after = used_memory(server.port());
    // From the launch's own summary ("… 1000000 accounts, 4948740
    // contacts planned, 4948740 new"): the store's key layout is its own
    // business (layout 2 has no one-key due index to count).
    let number_before = |word: &str| -> u64 {
        let words: Vec<&str> = run.stdout.split_whitespace().collect();
        words
            .windows(2)
            .find(|w| w[1].trim_end_matches(',') == word)
            .and_then(|w| w[0].parse().ok())
            .unwrap_or_else(|| panic!("no '{word}' count in the launch's output: {}", run.stdout))
    };
    let contacts = number_before("new");
    let stored_accounts = number_before("accounts");
    eprintln!("  {}", run.stdout.trim());
    let per = (after - before) as f64 / contacts.max(1) as f64;
    println!(
        "| launch {accounts} accounts → {contacts} pending contacts into Redis | {:.1} s wall ({:.0} contacts/s) | peak RSS of `cobro launch` {:.0} MB | Redis used_memory +{:.0} MB = {per:.0} bytes per pending contact (accounts included: {stored_accounts}) |",
        run.wall_s,
        contacts as f64 / run.wall_s,
        run.max_rss_kb as f64 / 1024.0,
        (after - before) as f64 / 1_048_576.0,
    );
}

fn simulate_bench() {
    let accounts = env_usize("COBRO_SIMULATE_ACCOUNTS", 100_000);
    eprintln!(
        "simulate: {accounts} accounts, the example monthly campaign, virtual clock, SQLite, null transport"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = write_campaign(dir.path(), accounts);
    let run = timed(
        dir.path(),
        &["simulate", campaign.to_str().expect("utf-8 path")],
    );
    // "Contacts by state:" lists every contact once, in its final state.
    let total: u64 = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Contacts by state:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum();
    eprintln!(
        "  report:\n    {}",
        run.stdout
            .lines()
            .take(25)
            .collect::<Vec<_>>()
            .join("\n    ")
    );
    println!(
        "| simulate {accounts} accounts, one month (launch + virtual-clock run) | {:.1} s wall | {} | peak RSS {:.0} MB |",
        run.wall_s,
        if total > 0 {
            format!(
                "{total} contacts, {:.0} contacts/s",
                total as f64 / run.wall_s
            )
        } else {
            "contacts: see the report above".to_string()
        },
        run.max_rss_kb as f64 / 1024.0,
    );
}

fn main() {
    let only = std::env::var("COBRO_BENCH_ONLY").unwrap_or_default();
    eprintln!("cobro binary: {}", cobro_bin().display());
    if only.is_empty() || only == "simulate" {
        simulate_bench();
    }
    if only.is_empty() || only == "launch" {
        launch_bench();
    }
}
