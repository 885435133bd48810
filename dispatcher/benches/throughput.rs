//! Throughput on one private `redis-server`, in one run (BENCHMARKS.md §1,
//! issue 7 item 1):
//!
//! (a) bare apalis-redis 1.0 with a no-op job (one worker, cobro's poll
//!     interval and concurrency; jobs fed in chunks so that the backlog
//!     stays below the ~8,000 that kill an apalis-redis 1.0 worker);
//! (b) BullMQ with a no-op job (`benches/bullmq/noop.js`, `addBulk`, one
//!     Worker with cobro's concurrency);
//! (c) cobro's full pipeline (guard + reservation + ledger + render + the
//!     `null` transport) through the queue, with 1 and with 2 `cobro work`
//!     processes, from the moment the workers start until the last contact
//!     is in a terminal state.
//!
//! Run: `cargo build --release -p cobro-dispatcher && cargo bench -p
//! cobro-dispatcher --bench throughput`. The `cobro` binary is taken from
//! `target/release/cobro` (next to the bench executable's folder) or
//! `COBRO_BIN`. `COBRO_BENCH_N` sets the number of jobs/contacts (default
//! 30,000); `COBRO_BENCH_ONLY=cobro` skips (a) and (b);
//! `COBRO_BENCH_WORKERS=1,2` lists the worker-process counts of (c);
//! `COBRO_BENCH_WORKER="batch_size = 32; concurrency = 64"` adds `[worker]`
//! settings to (c) (experiments only: the published figures use the
//! defaults). Needs `redis-server`, `redis-cli` is not needed; BullMQ needs
//! `node` and `npm` (installed by `npm ci` into `benches/bullmq/node_modules` on first
//! run; skipped with a note when missing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use cobro_testkit::{ChildProcess, RedisServer};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

/// cobro's defaults (`cobro.toml` `[worker]`): concurrency 32 contacts,
/// poll every 100 ms.
const CONCURRENCY: usize = 32;
const POLL: Duration = Duration::from_millis(100);

fn n_jobs() -> usize {
    std::env::var("COBRO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Noop {
    i: u64,
}

struct Done {
    count: AtomicU64,
    target: u64,
    all: tokio::sync::Notify,
}

async fn noop(_job: Noop, done: Data<Arc<Done>>) -> Result<(), BoxDynError> {
    if done.count.fetch_add(1, Ordering::Relaxed) + 1 == done.target {
        done.all.notify_one();
    }
    Ok(())
}

async fn connect(url: &str) -> ConnectionManager {
    let client = redis::Client::open(url).expect("redis url");
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(30)));
    ConnectionManager::new_with_config(client, config)
        .await
        .expect("connect to the bench redis")
}

/// (a) Bare apalis-redis with a no-op job; returns jobs/s.
async fn bare_apalis(url: &str, n: usize) -> f64 {
    let conn = connect(url).await;
    let config = apalis_redis::Config::default()
        .queue("bench:noop")
        .batch_size(CONCURRENCY)
        .heartbeat_interval(Duration::from_secs(5))
        .missed_heartbeats(4)
        .emit_events(false);
    let storage: RedisStorage<Noop> = RedisStorage::new(conn.clone()).with_config(config);
    let active = storage.get_config().active_jobs_list();
    let scheduled = storage.get_config().scheduled_jobs_set();

    // Feeder: chunks of 2,000, backlog kept at most 6,000.
    const CHUNK: usize = 2_000;
    let backlog = {
        let conn = conn.clone();
        move || {
            let mut conn = conn.clone();
            let (active, scheduled) = (active.clone(), scheduled.clone());
            async move {
                let (a, s): (usize, usize) = redis::pipe()
                    .llen(active)
                    .zcard(scheduled)
                    .query_async(&mut conn)
                    .await
                    .expect("backlog");
                a + s
            }
        }
    };
    let mut pushed = 0usize;
    while pushed < n && pushed < 3 * CHUNK {
        let jobs: Vec<Noop> = (pushed..(pushed + CHUNK).min(n))
            .map(|i| Noop { i: i as u64 })
            .collect();
        pushed += jobs.len();
        storage.clone().push_bulk(jobs).await.expect("push");
    }
    let feeder = {
        let storage = storage.clone();
        tokio::spawn(async move {
            while pushed < n {
                if backlog().await > 2 * CHUNK {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                let jobs: Vec<Noop> = (pushed..(pushed + CHUNK).min(n))
                    .map(|i| Noop { i: i as u64 })
                    .collect();
                pushed += jobs.len();
                storage.clone().push_bulk(jobs).await.expect("push");
            }
        })
    };

    let done = Arc::new(Done {
        count: AtomicU64::new(0),
        target: n as u64,
        all: tokio::sync::Notify::new(),
    });
    let started = Instant::now();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let done = done.clone();
        let name = format!("bench-noop-{}", std::process::id());
        tokio::spawn(async move {
            let signal = async move {
                let _ = stop_rx.await;
                Ok::<(), WorkerError>(())
            };
            let fut: std::pin::Pin<Box<dyn Future<Output = Result<(), WorkerError>> + Send>> =
                Box::pin(
                    WorkerBuilder::new(name)
                        .backend(storage.poll_with_interval(POLL))
                        .data(done)
                        .concurrency(CONCURRENCY)
                        .parallelize(|job| tokio::spawn(job))
                        .build(noop)
                        .run_until(signal),
                );
            fut.await
        })
    };
    tokio::time::timeout(Duration::from_secs(600), done.all.notified())
        .await
        .expect("apalis no-op run finished within 10 minutes");
    let elapsed = started.elapsed();
    let _ = stop_tx.send(());
    let _ = feeder.await;
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
    n as f64 / elapsed.as_secs_f64()
}

/// (b) BullMQ no-op via Node; returns jobs/s, or None when Node/npm is
/// missing or the install fails.
fn bullmq(port: u16, n: usize) -> Option<(f64, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/bullmq");
    if !dir.join("node_modules/bullmq").exists() || !dir.join("node_modules/ioredis").exists() {
        // `npm ci` installs exactly the committed lock file and never
        // rewrites it: the bench leaves the tree as it found it.
        eprintln!("installing bullmq into {} (npm ci)", dir.display());
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("npm ci failed ({status:?}): BullMQ skipped");
            return None;
        }
    }
    let version = std::fs::read_to_string(dir.join("node_modules/bullmq/package.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    let out = Command::new("node")
        .arg("noop.js")
        .arg(port.to_string())
        .arg(n.to_string())
        .arg(CONCURRENCY.to_string())
        .current_dir(&dir)
        .stderr(Stdio::inherit())
        .output();
    let out = match out {
        Ok(out) if out.status.success() => out,
        other => {
            eprintln!("node noop.js failed ({other:?}): BullMQ skipped");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{'))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    eprintln!("bullmq: {line}");
    Some((v["jobs_per_s"].as_f64()?, version))
}

/// The `cobro` binary the workers run.
fn cobro_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("COBRO_BIN") {
        return PathBuf::from(bin);
    }
    // target/release/deps/throughput-HASH → target/release/cobro
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

/// A campaign due now, allowed around the clock (a custom pack with
/// 00:00-24:00 windows), three steps per account on three past days so that
/// one debtor's contacts do not race each other, and the `null` transport
/// for every channel. Returns (campaign file, settings file).
fn write_campaign(dir: &Path, accounts: usize, store: &str) -> (PathBuf, PathBuf) {
    let start = (chrono::Utc::now() - chrono::Duration::days(4)).date_naive();
    let campaign = cobro_dispatcher::testing::write_open_campaign(
        dir,
        &cobro_dispatcher::testing::OpenCampaign {
            id: "bench",
            accounts,
            seed: 7,
            start,
            step_days: [0, 1, 2],
        },
    );
    let settings = dir.join("cobro.toml");
    // `COBRO_BENCH_WORKER` (e.g. "batch_size = 32"): extra `[worker]`
    // settings, for experiments; the figures in BENCHMARKS.md use the
    // defaults.
    let worker = std::env::var("COBRO_BENCH_WORKER")
        .map(|w| format!("\n[worker]\n{}\n", w.replace(';', "\n")))
        .unwrap_or_default();
    std::fs::write(
        &settings,
        format!(
            "store = {store:?}\n\n[channels.email]\nprovider = \"null\"\n\n[channels.sms]\nprovider = \"null\"\n\n[channels.voice]\nprovider = \"null\"\n{worker}"
        ),
    )
    .expect("settings");
    (campaign, settings)
}

/// Redis' own CPU seconds (user + sys) from `INFO cpu`.
async fn redis_cpu(conn: &mut ConnectionManager) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(conn)
        .await
        .expect("info cpu");
    info.lines()
        .filter_map(|l| {
            l.strip_prefix("used_cpu_sys:")
                .or_else(|| l.strip_prefix("used_cpu_user:"))
        })
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .sum()
}

/// CPU seconds (user + sys) a live process has used so far.
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at
    // "state"; utime and stime are fields 14 and 15 of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Per command: (calls, microseconds inside Redis).
async fn commandstats(conn: &mut ConnectionManager) -> BTreeMap<String, (u64, u64)> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .expect("info");
    let mut out = BTreeMap::new();
    for line in info.lines() {
        let Some(rest) = line.strip_prefix("cmdstat_") else {
            continue;
        };
        let Some((name, fields)) = rest.split_once(':') else {
            continue;
        };
        let field = |key: &str| {
            fields
                .split(',')
                .find_map(|f| f.strip_prefix(key))
                .and_then(|c| c.parse::<u64>().ok())
        };
        if let (Some(calls), Some(usec)) = (field("calls="), field("usec=")) {
            out.insert(name.to_string(), (calls, usec));
        }
    }
    out
}

struct CobroRun {
    contacts: u64,
    from_spawn: Duration,
    from_first_claim: Duration,
    commands_per_contact: BTreeMap<String, f64>,
    usec_per_contact: BTreeMap<String, f64>,
    terminal: BTreeMap<String, u64>,
    redis_cpu_s: f64,
    worker_cpu_s: f64,
}

/// (c) `cobro launch`, then `workers` × `cobro work` until every contact
/// is terminal.
async fn cobro_pipeline(url: &str, accounts: usize, workers: usize) -> CobroRun {
    let bin = cobro_bin();
    let mut conn = connect(url).await;
    let _: () = redis::cmd("FLUSHALL")
        .query_async(&mut conn)
        .await
        .expect("flushall");
    let dir = tempfile::tempdir().expect("tempdir");
    let (campaign, settings) = write_campaign(dir.path(), accounts, url);
    let launch = Command::new(&bin)
        .arg("launch")
        .arg(&campaign)
        .arg("--store")
        .arg(url)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .expect("run cobro launch");
    assert!(launch.status.success(), "cobro launch failed");
    eprintln!(
        "  {}",
        String::from_utf8_lossy(&launch.stdout)
            .trim()
            .replace('\n', "\n  ")
    );
    let counts = |conn: ConnectionManager| async move {
        let mut conn = conn;
        let raw: BTreeMap<String, i64> = redis::cmd("HGETALL")
            .arg("cobro:n")
            .query_async(&mut conn)
            .await
            .expect("counts");
        raw
    };
    let planned: i64 = counts(conn.clone()).await.values().sum();
    let before = commandstats(&mut conn).await;
    let redis_cpu_before = redis_cpu(&mut conn).await;

    let started = Instant::now();
    let mut children: Vec<ChildProcess> = (0..workers)
        .map(|_| {
            Command::new(&bin)
                .arg("work")
                .arg("--campaign")
                .arg(&campaign)
                .arg("--config")
                .arg(&settings)
                .arg("--store")
                .arg(url)
                .current_dir(dir.path())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .map(|child| ChildProcess::new(child, "cobro work"))
                .expect("spawn cobro work")
        })
        .collect();
    let mut first_claim = None;
    let mut polls = 0u64;
    let deadline = Instant::now() + Duration::from_secs(900);
    let terminal = loop {
        let c = counts(conn.clone()).await;
        polls += 1;
        let pending = c.get("pending").copied().unwrap_or(0);
        let open = pending
            + c.get("queued").copied().unwrap_or(0)
            + c.get("sending").copied().unwrap_or(0);
        if first_claim.is_none() && pending < planned {
            first_claim = Some(started.elapsed());
        }
        if open == 0 {
            break c;
        }
        assert!(Instant::now() < deadline, "cobro run did not finish: {c:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let from_spawn = started.elapsed();
    let after = commandstats(&mut conn).await;
    let redis_cpu_s = redis_cpu(&mut conn).await - redis_cpu_before;
    let worker_cpu_s: f64 = children.iter().map(|c| process_cpu(c.id())).sum();
    for child in &children {
        child.terminate();
    }
    for child in &mut children {
        let _ = child.wait();
    }
    let contacts: i64 = terminal.values().sum();
    let contacts = contacts.max(0) as u64;
    let mut per = BTreeMap::new();
    let mut usec = BTreeMap::new();
    for (cmd, (calls, us)) in &after {
        let (calls0, us0) = before.get(cmd).copied().unwrap_or((0, 0));
        if us > &us0 {
            usec.insert(cmd.clone(), (us - us0) as f64 / contacts as f64);
        }
        let mut delta = calls - calls0;
        if cmd == "hgetall" {
            delta = delta.saturating_sub(polls);
        }
        if cmd == "info" {
            continue;
        }
        if delta > 0 {
            per.insert(cmd.clone(), delta as f64 / contacts as f64);
        }
    }
    let first = first_claim.unwrap_or_default();
    CobroRun {
        contacts,
        from_spawn,
        from_first_claim: from_spawn.saturating_sub(first),
        commands_per_contact: per,
        usec_per_contact: usec,
        redis_cpu_s,
        worker_cpu_s,
        terminal: terminal
            .into_iter()
            .filter(|(_, v)| *v > 0)
            .map(|(k, v)| (k, v as u64))
            .collect(),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{} × {cpu}; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let n = n_jobs();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = RedisServer::start().expect("private redis-server");
    let url = server.url();
    eprintln!("machine: {}", machine());
    eprintln!(
        "private redis-server on port {} ({}); N = {n}; concurrency {CONCURRENCY}, poll {POLL:?}",
        server.port(),
        String::from_utf8_lossy(
            &Command::new("redis-server")
                .arg("--version")
                .output()
                .map(|o| o.stdout)
                .unwrap_or_default()
        )
        .trim()
    );
    eprintln!("cobro binary: {}", cobro_bin().display());

    // `COBRO_BENCH_ONLY=cobro` skips (a) and (b) (for profiling runs).
    let only_cobro = std::env::var("COBRO_BENCH_ONLY").is_ok_and(|v| v == "cobro");
    let apalis = if only_cobro {
        f64::NAN
    } else {
        eprintln!("(a) bare apalis-redis 1.0, no-op job …");
        let apalis = runtime.block_on(bare_apalis(&url, n));
        eprintln!("    {apalis:.0} jobs/s");
        apalis
    };

    let bull = if only_cobro {
        None
    } else {
        eprintln!("(b) BullMQ, no-op job …");
        bullmq(server.port(), n)
    };
    if let Some((b, v)) = &bull {
        eprintln!("    {b:.0} jobs/s (bullmq {v})");
    }

    // Three steps per account.
    let accounts = n.div_ceil(3);
    let mut rows = Vec::new();
    let worker_counts: Vec<usize> = std::env::var("COBRO_BENCH_WORKERS")
        .ok()
        .map(|v| v.split(',').filter_map(|w| w.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    for workers in worker_counts {
        eprintln!("(c) cobro full pipeline, {workers} worker process(es) …");
        let run = runtime.block_on(cobro_pipeline(&url, accounts, workers));
        let rate = run.contacts as f64 / run.from_first_claim.as_secs_f64();
        let rate_spawn = run.contacts as f64 / run.from_spawn.as_secs_f64();
        eprintln!(
            "    {} contacts in {:.2} s from first claim ({:.2} s from spawn): {rate:.0} contacts/s ({rate_spawn:.0} from spawn)",
            run.contacts,
            run.from_first_claim.as_secs_f64(),
            run.from_spawn.as_secs_f64()
        );
        eprintln!("    terminal states: {:?}", run.terminal);
        eprintln!(
            "    CPU: redis-server {:.2} s ({:.1} µs/contact), cobro work {:.2} s ({:.1} µs/contact)",
            run.redis_cpu_s,
            run.redis_cpu_s * 1e6 / run.contacts as f64,
            run.worker_cpu_s,
            run.worker_cpu_s * 1e6 / run.contacts as f64
        );
        let total: f64 = run.commands_per_contact.values().sum();
        let top: Vec<String> = {
            let mut v: Vec<_> = run.commands_per_contact.iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(a.1));
            v.iter()
                .take(10)
                .map(|(k, v)| format!("{k} {v:.2}"))
                .collect()
        };
        eprintln!(
            "    Redis commands per contact (all clients, queue included): {total:.2} — {}",
            top.join(", ")
        );
        let mut by_time: Vec<_> = run.usec_per_contact.iter().collect();
        by_time.sort_by(|a, b| b.1.total_cmp(a.1));
        eprintln!(
            "    Redis µs per contact by command (commandstats; a script's inner commands count in both): {}",
            by_time
                .iter()
                .take(8)
                .map(|(k, v)| format!("{k} {v:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        rows.push((workers, rate, rate_spawn, total));
    }

    println!();
    println!("| what | rate/s | ratio to (a) apalis no-op | ratio to (b) BullMQ no-op |");
    println!("|---|---|---|---|");
    println!("| (a) apalis-redis 1.0 no-op jobs | {apalis:.0} | 1.00 | – |");
    if let Some((b, v)) = &bull {
        println!(
            "| (b) BullMQ {v} no-op jobs | {b:.0} | {:.2} | 1.00 |",
            b / apalis
        );
    }
    for (workers, rate, rate_spawn, total) in rows {
        let vs_bull = bull
            .as_ref()
            .map_or("–".to_string(), |(b, _)| format!("{:.2}", rate / b));
        println!(
            "| (c) cobro pipeline, {workers} worker process(es), contacts ({total:.1} Redis commands/contact) | {rate:.0} ({rate_spawn:.0} incl. start-up) | {:.2} | {vs_bull} |",
            rate / apalis
        );
    }
    drop(server);
}
