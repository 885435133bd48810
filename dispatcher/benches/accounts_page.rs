//! The expedientes page from 1,000,000 accounts (BENCHMARKS.md, issue 12):
//! one page of `list_accounts` per representative query, timed on a temp
//! SQLite store and on a private `redis-server` loaded with the same
//! accounts, in one run, so the two stores are compared under the same
//! machine load.
//!
//! The accounts come from the portfolio generator (seed 42: five
//! countries, their creditors, three segments by days past due, amounts
//! over each country's range), imported as `cobro launch` imports them.
//! Every 20th account gets a book with a partial payment (so balance
//! filters see balances that differ from the amount due), every 100th is
//! `promise_to_pay`, every 1,000th `disputed`; every 10th account has a
//! contact in campaign `bench-a` and every 5,000th one in `bench-rare`.
//!
//! Run: `cargo bench -p cobro-dispatcher --bench accounts_page`.
//! `COBRO_BENCH_ACCOUNTS` sets the number of accounts (default
//! 1,000,000), `COBRO_BENCH_REPS` the repetitions per query (default 21),
//! `COBRO_BENCH_STORES=sqlite` or `=redis` runs one store only. Needs
//! `redis-server` (never the machine's own on 6379: a private one on a
//! free port).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use cobro_campaigns::book::{AccountBook, EventSource, Payment};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use cobro_dispatcher::account_list::{AccountQuery, list_accounts};
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{AccountStatus, Store};
use cobro_testkit::RedisServer;
use rust_decimal::Decimal;

/// Accounts stored per `put_accounts` call (what `cobro launch` uses).
const BATCH: usize = 5_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The date the generator counts days past due from, and "today" for
/// every query.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// What the queries are built from, picked from the generated data.
#[derive(Default, Clone)]
struct Samples {
    creditor: String,
    name_word: String,
    deep_cursor: String,
    exact_id: String,
}

/// Streams the portfolio at `csv` into `store` in batches, with the
/// books, statuses and campaign contacts described at the top; returns
/// the samples and the accounts stored.
async fn load<S: Store>(store: &S, csv: &Path, n: usize) -> (Samples, usize) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Account>>(4);
    let path = csv.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let summary = cobro_campaigns::import::import_path_each(&path, |account| {
            batch.push(account);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                let _ = tx.blocking_send(full);
            }
        });
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        summary
    });
    let at = Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("valid instant");
    let mut samples = Samples::default();
    let mut stored = 0usize;
    while let Some(chunk) = rx.recv().await {
        store.put_accounts(&chunk).await.expect("put_accounts");
        let mut contacts = Vec::new();
        for (offset, account) in chunk.iter().enumerate() {
            let i = stored + offset;
            if i == 0 {
                samples.creditor = account.creditor.clone();
            }
            if i == n / 2 {
                samples.name_word = account
                    .debtor_name
                    .split_whitespace()
                    .last()
                    .unwrap_or("a")
                    .to_string();
            }
            if i == n * 4 / 5 {
                samples.deep_cursor = account.id.clone();
            }
            if i == n * 7 / 9 {
                samples.exact_id = account.id.clone();
            }
            for (every, campaign) in [(10, "bench-a"), (5_000, "bench-rare")] {
                if i.is_multiple_of(every) {
                    contacts.push(PlannedContact {
                        id: PlannedContact::make_id(campaign, &account.id, "s1"),
                        campaign: campaign.into(),
                        account: account.id.clone(),
                        step: "s1".into(),
                        channel: ChannelKind::Email,
                        template: "t".into(),
                        fallback: None,
                        due_at: at,
                        team: None,
                    });
                }
            }
            if i.is_multiple_of(20) {
                let book = AccountBook {
                    payments: vec![Payment {
                        at,
                        amount: (account.amount_due / Decimal::from(3)).round_dp(2),
                        reference: format!("bench-{i}"),
                        source: EventSource::Import,
                    }],
                    ..AccountBook::default()
                };
                assert!(
                    store
                        .put_book(&account.id, &book, 0)
                        .await
                        .expect("put_book")
                );
            }
            let status = if i.is_multiple_of(1_000) {
                Some(AccountStatus::Disputed)
            } else if i.is_multiple_of(100) {
                Some(AccountStatus::PromiseToPay)
            } else {
                None
            };
            if let Some(status) = status {
                store
                    .set_account_status(&account.id, status)
                    .await
                    .expect("status");
            }
        }
        store.add_contacts(&contacts).await.expect("add_contacts");
        stored += chunk.len();
    }
    reader
        .await
        .expect("reader thread")
        .expect("import the generated portfolio");
    (samples, stored)
}

/// The queries timed on each store: (name, query).
fn queries(s: &Samples) -> Vec<(&'static str, AccountQuery)> {
    let base = AccountQuery {
        limit: 50,
        ..AccountQuery::default()
    };
    vec![
        ("first page, no filter", base.clone()),
        (
            "deep page (cursor at 80%)",
            AccountQuery {
                cursor: Some(s.deep_cursor.clone()),
                ..base.clone()
            },
        ),
        (
            "creditor",
            AccountQuery {
                creditor: Some(s.creditor.clone()),
                ..base.clone()
            },
        ),
        (
            "campaign (1 account in 10)",
            AccountQuery {
                campaign: Some("bench-a".into()),
                ..base.clone()
            },
        ),
        (
            "country CL + status active",
            AccountQuery {
                country: Some("CL".into()),
                status: Some(AccountStatus::Active),
                ..base.clone()
            },
        ),
        (
            "segment media",
            AccountQuery {
                segment: Some("media".into()),
                ..base.clone()
            },
        ),
        (
            "dpd 30–45",
            AccountQuery {
                dpd_min: Some(30),
                dpd_max: Some(45),
                ..base.clone()
            },
        ),
        (
            "balance 1,000–2,000",
            AccountQuery {
                amount_min: Some(Decimal::from(1_000)),
                amount_max: Some(Decimal::from(2_000)),
                ..base.clone()
            },
        ),
        (
            "search a surname",
            AccountQuery {
                q: Some(s.name_word.clone()),
                ..base.clone()
            },
        ),
        (
            "search an exact id",
            AccountQuery {
                q: Some(s.exact_id.clone()),
                ..base.clone()
            },
        ),
        (
            "rare: disputed in PE, dpd ≥ 100",
            AccountQuery {
                status: Some(AccountStatus::Disputed),
                country: Some("PE".into()),
                dpd_min: Some(100),
                ..base.clone()
            },
        ),
        (
            "rare: campaign of 1 account in 5,000",
            AccountQuery {
                campaign: Some("bench-rare".into()),
                ..base.clone()
            },
        ),
        (
            "rare: search matching nothing",
            AccountQuery {
                q: Some("zzqx-nadie".into()),
                ..base.clone()
            },
        ),
    ]
}

struct Timing {
    median: Duration,
    p95: Duration,
    items: usize,
    next: bool,
}

async fn time_query<S: Store>(store: &S, query: &AccountQuery, reps: usize) -> Timing {
    let mut times = Vec::with_capacity(reps);
    let mut items = 0;
    let mut next = false;
    for _ in 0..reps {
        let started = Instant::now();
        let page = list_accounts(store, query, today())
            .await
            .expect("list_accounts");
        times.push(started.elapsed());
        items = page.items.len();
        next = page.next.is_some();
    }
    times.sort();
    let p95 = times[((times.len() * 95).div_ceil(100)).saturating_sub(1)];
    Timing {
        median: times[times.len() / 2],
        p95,
        items,
        next,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1_000.0)
}

async fn run_store<S: Store>(
    name: &str,
    store: &S,
    csv: &Path,
    n: usize,
    reps: usize,
) -> (Samples, Vec<Timing>) {
    let started = Instant::now();
    let (samples, stored) = load(store, csv, n).await;
    eprintln!(
        "{name}: loaded {stored} accounts in {:.1} s (load average {})",
        started.elapsed().as_secs_f64(),
        load_average()
    );
    let mut out = Vec::new();
    for (label, query) in queries(&samples) {
        let t = time_query(store, &query, reps).await;
        eprintln!(
            "  {name:6} {label:34} median {:>7} ms  p95 {:>7} ms  ({} items{})",
            ms(t.median),
            ms(t.p95),
            t.items,
            if t.next { ", next" } else { "" }
        );
        out.push(t);
    }
    (samples, out)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env_usize("COBRO_BENCH_ACCOUNTS", 1_000_000);
    let reps = env_usize("COBRO_BENCH_REPS", 21).max(1);
    let only = std::env::var("COBRO_BENCH_STORES").unwrap_or_default();
    eprintln!(
        "expedientes page: {n} accounts, {reps} repetitions per query, load average {}",
        load_average()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("portfolio.csv");
    let file = std::fs::File::create(&csv).expect("portfolio file");
    cobro_campaigns::generator::write_portfolio_csv(
        std::io::BufWriter::new(file),
        n,
        42,
        &cobro_campaigns::generator::GeneratorOptions::default(),
    )
    .expect("generate the portfolio");

    let mut sqlite = None;
    if only.is_empty() || only == "sqlite" {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = SqliteStore::connect(&url).await.expect("sqlite store");
        sqlite = Some(run_store("sqlite", &store, &csv, n, reps).await);
    }
    let mut redis = None;
    let mut _server = None;
    if only.is_empty() || only == "redis" {
        let server = RedisServer::start().expect("private redis-server");
        let store = RedisStore::connect(&server.url())
            .await
            .expect("redis store");
        redis = Some(run_store("redis", &store, &csv, n, reps).await);
        _server = Some(server);
    }

    let samples = sqlite
        .as_ref()
        .or(redis.as_ref())
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    println!(
        "\n| query | SQLite median | SQLite p95 | Redis median | Redis p95 | SQLite / Redis (median) | items (next?) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, (label, _)) in queries(&samples).iter().enumerate() {
        let s = sqlite.as_ref().map(|(_, t)| &t[i]);
        let r = redis.as_ref().map(|(_, t)| &t[i]);
        let cell = |t: Option<&Timing>, f: fn(&Timing) -> Duration| {
            t.map_or_else(|| "–".to_string(), |t| format!("{} ms", ms(f(t))))
        };
        let ratio = match (s, r) {
            (Some(s), Some(r)) => format!(
                "{:.2}",
                s.median.as_secs_f64() / r.median.as_secs_f64().max(1e-9)
            ),
            _ => "–".into(),
        };
        let items = s.or(r).map_or_else(String::new, |t| {
            format!("{}{}", t.items, if t.next { " (next)" } else { "" })
        });
        println!(
            "| {label} | {} | {} | {} | {} | {ratio} | {items} |",
            cell(s, |t| t.median),
            cell(s, |t| t.p95),
            cell(r, |t| t.median),
            cell(r, |t| t.p95),
        );
    }
    println!("\nload average at the end: {}", load_average());
}
