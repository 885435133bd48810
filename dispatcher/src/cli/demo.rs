//! `cobro demo`: the whole pipeline on the embedded default with no set-up.
//! Generates a sample portfolio, launches the example campaign under the
//! example rules, runs it on a virtual clock with the SQLite store and the
//! outbox transport, and prints the report (also written as HTML).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use cobro_campaigns::generator::{GeneratorOptions, write_portfolio_csv};

use super::common::{TransportChoice, load_campaign};
use super::launch::launch_with_progress;
use super::simulate::simulate_loaded;
use crate::engine::events::AccountEvent;
use crate::engine::simulation::ScheduledEvent;
use crate::store::any::AnyStore;
use cobro_campaigns::ChannelKind;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many debtors to generate.
    #[arg(long, default_value_t = 3000)]
    pub debtors: usize,
    /// Where to leave portfolio.csv, cobro.db, outbox/ and report.html.
    #[arg(long, default_value = "cobro-demo")]
    pub dir: PathBuf,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// The example files: `COBRO_EXAMPLES`, else `config/examples` under the
/// current folder, else the source tree this binary was built from.
pub fn examples_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("COBRO_EXAMPLES") {
        return PathBuf::from(dir);
    }
    let local = Path::new("config/examples");
    if local.join("campaign.toml").is_file() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples")
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let examples = examples_dir()
        .canonicalize()
        .context("finding config/examples (set COBRO_EXAMPLES)")?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dir = args.dir.canonicalize()?;
    for stale in ["cobro.db", "cobro.db-wal", "cobro.db-shm", "report.html"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let _ = std::fs::remove_dir_all(dir.join("outbox"));

    let portfolio = dir.join("portfolio.csv");
    let file = std::fs::File::create(&portfolio)?;
    let options = GeneratorOptions::default();
    write_portfolio_csv(
        std::io::BufWriter::new(file),
        args.debtors,
        args.seed,
        &options,
    )?;

    let template = std::fs::read_to_string(examples.join("campaign.toml"))?;
    let campaign_path = dir.join("campaign.toml");
    let campaign_text = template
        .replace(
            "portfolio = \"portfolio.csv\"",
            &format!("portfolio = {:?}", portfolio.display().to_string()),
        )
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
    std::fs::write(&campaign_path, campaign_text)?;

    let url = format!("sqlite://{}", dir.join("cobro.db").display());
    let store = Arc::new(AnyStore::connect(&url).await?);
    let launched = launch_with_progress(store.as_ref(), &campaign_path).await?;
    let loaded = load_campaign(&campaign_path)?;
    let events = demo_events(&portfolio, &loaded)?;
    let outbox = TransportChoice::Outbox(dir.join("outbox"));
    let report = simulate_loaded(store, &loaded, outbox, events).await?;
    print!("{}", report.to_text());
    std::fs::write(dir.join("report.html"), report.to_html())?;
    println!(
        "\n{} debtors, {} contacts planned; done in {:.1} s.\n  portfolio: {}\n  store:     {}\n  outbox:    {}\n  report:    {}\n  audit:     cobro export gestiones --store {url}\n  serve:     cobro serve --store {url}   (then open http://127.0.0.1:8080/)",
        args.debtors,
        launched.planned,
        started.elapsed().as_secs_f64(),
        portfolio.display(),
        dir.join("cobro.db").display(),
        dir.join("outbox").display(),
        dir.join("report.html").display(),
    );
    Ok(ExitCode::SUCCESS)
}

/// What debtors do during the demo month, so the report shows sequences
/// cut short: about one in twelve pays on day 5 (its later contacts are
/// cancelled), one in thirty answers an SMS with BAJA on day 4 (SMS to that
/// number stops), one in forty promises to pay on day 10.
fn demo_events(
    portfolio: &Path,
    loaded: &cobro_config::LoadedCampaign,
) -> anyhow::Result<Vec<ScheduledEvent>> {
    let start = loaded
        .campaign
        .start_date
        .and_hms_opt(12, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let report = cobro_campaigns::import::import_path(portfolio)?;
    let mut events = Vec::new();
    for (i, account) in report.accounts.iter().enumerate() {
        let (day, event) = match i {
            i if i % 12 == 5 => (5, AccountEvent::Payment),
            i if i % 30 == 7 => (4, AccountEvent::OptOut(Some(ChannelKind::Sms))),
            i if i % 40 == 11 => (10, AccountEvent::PromiseToPay),
            _ => continue,
        };
        events.push(ScheduledEvent {
            at: start + chrono::Duration::days(day),
            account: account.id.clone(),
            event,
        });
    }
    Ok(events)
}
