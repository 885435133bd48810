//! Import and plan 1,000,000 generated accounts × 4 steps, streaming, and
//! report throughput and peak memory. Not a timed test: run it with
//! `cargo bench -p cobro-campaigns --bench import_plan` (optionally
//! `-- N` for another row count). Results go in `campaigns/BENCH_RESULTS.md`.

use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use chrono::NaiveDate;
use chrono_tz::Tz;
use cobro_campaigns::generator::{GeneratorOptions, write_portfolio_csv};
use cobro_campaigns::import::{import_path_each, normalize_phone};
use cobro_campaigns::planning::plan_account_into;
use cobro_campaigns::strategy::Strategy;
use cobro_campaigns::{Account, Campaign};

/// A stand-in for the compliance crate's resolver (explicit zone >
/// subdivision > all zones of the country), enough for the generated data.
fn zones_of(a: &Account) -> Vec<Tz> {
    if let Some(tz) = a.timezone.as_deref().and_then(|z| Tz::from_str(z).ok()) {
        return vec![tz];
    }
    let by_sub = match a.subdivision.as_deref() {
        Some("MX-BCN") => Some(Tz::America__Tijuana),
        Some("MX-ROO") => Some(Tz::America__Cancun),
        Some("MX-SON") => Some(Tz::America__Hermosillo),
        Some("MX-NLE") => Some(Tz::America__Monterrey),
        Some("MX-CMX" | "MX-JAL" | "MX-PUE") => Some(Tz::America__Mexico_City),
        Some("CL-MA") => Some(Tz::America__Punta_Arenas),
        Some(s) if s.starts_with("CL-") => Some(Tz::America__Santiago),
        Some("US-NY" | "US-FL") => Some(Tz::America__New_York),
        Some("US-CA") => Some(Tz::America__Los_Angeles),
        Some("US-TX" | "US-IL") => Some(Tz::America__Chicago),
        Some("US-AZ") => Some(Tz::America__Phoenix),
        Some("US-HI") => Some(Tz::Pacific__Honolulu),
        _ => None,
    };
    if let Some(tz) = by_sub {
        return vec![tz];
    }
    match a.country.as_str() {
        "MX" => vec![
            Tz::America__Mexico_City,
            Tz::America__Cancun,
            Tz::America__Hermosillo,
            Tz::America__Tijuana,
            Tz::America__Mazatlan,
        ],
        "US" => vec![
            Tz::America__New_York,
            Tz::America__Chicago,
            Tz::America__Denver,
            Tz::America__Phoenix,
            Tz::America__Los_Angeles,
            Tz::America__Anchorage,
            Tz::Pacific__Honolulu,
        ],
        "CL" => vec![
            Tz::America__Santiago,
            Tz::America__Punta_Arenas,
            Tz::Pacific__Easter,
        ],
        "CO" => vec![Tz::America__Bogota],
        "PE" => vec![Tz::America__Lima],
        _ => vec![],
    }
}

/// User + system CPU seconds of this process (all threads) so far: the
/// machine is shared, so wall time alone can mislead.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    match (tick(11), tick(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("portfolio.csv");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let strategy =
        Strategy::load(&root.join("config/examples/strategy.toml")).expect("example strategy");
    let campaign = Campaign {
        id: "2026-12-mensual".into(),
        start_date: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
    };

    // 1. Generate.
    let t = Instant::now();
    let file = std::fs::File::create(&path).expect("create");
    write_portfolio_csv(file, n, 42, &GeneratorOptions::default()).expect("write");
    let gen_s = t.elapsed().as_secs_f64();
    let size_mib = std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64;
    println!("generate   {n} rows, {size_mib:.0} MiB CSV: {gen_s:.2} s");

    // 2. Import + plan, streaming: accounts are planned and dropped in
    // batches, as the dispatcher stores them.
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let mut batch: Vec<Account> = Vec::with_capacity(10_000);
    let mut contacts = Vec::with_capacity(40_000);
    let mut planned = 0usize;
    let mut plan_s = 0.0;
    let mut flush = |batch: &mut Vec<Account>, planned: &mut usize, plan_s: &mut f64| {
        let tp = Instant::now();
        for a in batch.iter() {
            plan_account_into(&campaign, &strategy, a, &zones_of(a), &mut contacts);
        }
        *planned += contacts.len();
        contacts.clear();
        batch.clear();
        *plan_s += tp.elapsed().as_secs_f64();
    };
    let summary = import_path_each(&path, |a| {
        batch.push(a);
        if batch.len() == 10_000 {
            flush(&mut batch, &mut planned, &mut plan_s);
        }
    })
    .expect("import");
    flush(&mut batch, &mut planned, &mut plan_s);
    let total_s = t.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu0;
    let import_s = total_s - plan_s;
    println!(
        "import     {} rows, {} accepted, {} rejected: {import_s:.2} s ({:.0} rows/s)",
        summary.rows_read,
        summary.accepted,
        summary.bad_rows(),
        summary.rows_read as f64 / import_s
    );
    println!(
        "plan       {planned} contacts ({} steps): {plan_s:.2} s ({:.0} contacts/s)",
        strategy.steps.len(),
        planned as f64 / plan_s
    );
    println!(
        "import+plan total: {total_s:.2} s wall, {cpu_s:.2} s CPU ({:.0} accounts/s); with generation: {:.2} s wall",
        summary.rows_read as f64 / total_s,
        total_s + gen_s
    );

    // 3. The suspected hot spot on its own: phone parsing + validation.
    let sample = [
        "55 1234 5678",
        "+5215512345678",
        "(212) 734-5678",
        "987 654 321",
    ];
    let regions = ["MX", "MX", "US", "PE"];
    let reps = if std::env::var_os("BENCH_SKIP_PHONE").is_some() {
        0
    } else {
        100_000
    };
    let t = Instant::now();
    let mut ok = 0usize;
    for i in 0..reps {
        ok += usize::from(normalize_phone(sample[i % 4], Some(regions[i % 4])).is_ok());
    }
    let per = t.elapsed().as_secs_f64() / reps.max(1) as f64;
    println!(
        "phone      normalize_phone, 4 numbers repeated: {:.2} µs per number ({ok} valid)",
        per * 1e6
    );
    let phones: Vec<(String, String)> =
        cobro_campaigns::generator::generate_portfolio(reps, 9, &GeneratorOptions::default())
            .filter_map(|r| {
                let p = r.get("phone")?.to_string();
                (!p.is_empty()).then(|| (p, r.get("country").unwrap_or("MX").to_string()))
            })
            .collect();
    for pass in 1..=2 {
        let t = Instant::now();
        let ok = phones
            .iter()
            .filter(|(p, c)| normalize_phone(p, Some(c)).is_ok())
            .count();
        let per = t.elapsed().as_secs_f64() / phones.len().max(1) as f64;
        println!(
            "phone      normalize_phone, {} generated numbers, pass {pass}: {:.2} µs per number ({ok} valid)",
            phones.len(),
            per * 1e6
        );
    }
    println!("peak RSS (VmHWM): {:.0} MiB", peak_rss_mib());
}
