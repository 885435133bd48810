//! `cobro demo`: the whole pipeline on the embedded default with no set-up.
//! Generates a sample portfolio, launches the example campaign under the
//! example rules, runs it on a virtual clock with the memory store and the
//! outbox transport, records the month in the SQLite store the console
//! serves, and prints the report (also written as HTML).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use cobro_campaigns::generator::{GeneratorOptions, write_portfolio_csv};

use super::common::{TransportChoice, load_campaign};
use super::demo_debtors::DemoDebtors;
use super::demo_users::{DEMO_PASSWORD, add_demo_users};
use super::launch::launch_with_progress;
use super::simulate::{SimulationLinks, simulate_loaded};
use crate::engine::simulation::{ScheduledEvent, SimulatedEvent};
use crate::store::any::AnyStore;
use crate::store::memory::MemoryStore;
use crate::store::sqlite::SqliteStore;
use crate::work_queue::simulated::DEMO_COLLECTORS;
use chrono::NaiveTime;
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::BookAction;
use rust_decimal::Decimal;

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

/// Where the printed `cobro serve` listens (its default bind).
const DEMO_URL: &str = "http://127.0.0.1:8080";

fn links_url(links: &SimulationLinks, account: &str) -> String {
    let token = crate::engine::portal_token::portal_token(
        &links.secret,
        account,
        chrono::Utc::now(),
        crate::engine::portal_token::DEFAULT_LINK_DAYS,
    );
    format!("{}/d/{token}", links.public_url)
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
        .replace("strategy = \"strategy.toml\"", DEMO_ARMS_HEAD)
        .replace(
            "templates = \"templates\"",
            &format!(
                "templates = {:?}",
                examples.join("templates").display().to_string()
            ),
        );
    let campaign_text = format!(
        "{campaign_text}{}",
        demo_arms_tables(
            &examples.join("strategy.toml"),
            &examples.join("strategy-sms.toml")
        )
    );
    std::fs::write(&campaign_path, campaign_text)?;

    // The month runs on the memory store (its cost follows the portfolio)
    // and is recorded in `cobro.db` once at the end, for the console and
    // the exports: on SQLite the same month paid a thread hand-off and a
    // commit per batch, 4× the wall time (BENCHMARKS.md §3e).
    let store = Arc::new(AnyStore::Memory(MemoryStore::new()));
    let launched = launch_with_progress(store.as_ref(), &campaign_path).await?;
    let loaded = load_campaign(&campaign_path)?;
    let accounts = cobro_campaigns::import::import_path(&portfolio)?.accounts;
    let events = demo_events(&accounts, &loaded);
    let debtors = DemoDebtors::new(&accounts);
    let outbox = TransportChoice::Outbox(dir.join("outbox"));
    // The messages' personal links must open in the `cobro serve` the
    // demo prints, so they are signed with a secret that command is given.
    let secret = std::env::var("COBRO_LINK_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            (0..16)
                .map(|_| format!("{:02x}", rand::random::<u8>()))
                .collect()
        });
    let links = SimulationLinks {
        public_url: DEMO_URL.to_string(),
        secret: secret.clone().into_bytes(),
    };
    let sample = events
        .iter()
        .find(|e| matches!(&e.event, SimulatedEvent::PayBalance { reference, .. } if reference.starts_with("demo-part-")))
        .or(events.first())
        .map(|e| e.account.clone());
    let report = simulate_loaded(
        store.clone(),
        &loaded,
        outbox,
        events,
        Some(&links),
        Default::default(),
        DEMO_COLLECTORS,
        Some(&debtors),
    )
    .await?;
    let url = format!("sqlite://{}", dir.join("cobro.db").display());
    let snapshot = match store.as_ref() {
        AnyStore::Memory(memory) => memory.snapshot()?,
        _ => anyhow::bail!("the demo's month runs on the memory store"),
    };
    let sqlite = SqliteStore::connect(&url).await?;
    sqlite.restore(snapshot).await.with_context(|| {
        format!(
            "recording the demo month in {}",
            dir.join("cobro.db").display()
        )
    })?;
    let users = add_demo_users(&sqlite).await?;
    print!("{}", report.to_text());
    std::fs::write(dir.join("report.html"), report.to_html())?;
    println!(
        "\n{} debtors, {} contacts planned; done in {:.1} s.\n  portfolio: {}\n  store:     {}\n  outbox:    {}\n  report:    {}\n  audit:     cobro export gestiones --store {url} --arms {}\n  arms:      cobro campaign arms {} --store {url}",
        args.debtors,
        launched.planned,
        started.elapsed().as_secs_f64(),
        portfolio.display(),
        dir.join("cobro.db").display(),
        dir.join("outbox").display(),
        dir.join("report.html").display(),
        campaign_path.display(),
        campaign_path.display(),
    );
    println!(
        "\nServe it (console, API with token 'demo', debtors' pages):\n  COBRO_LINK_SECRET={secret} COBRO_API_TOKEN=demo cobro serve --store {url} --campaign {}\nthen open {DEMO_URL}/",
        campaign_path.display()
    );
    println!("console: {DEMO_URL}/login, every user with the password '{DEMO_PASSWORD}':");
    for u in &users {
        println!(
            "  {:<26} {}{}{}",
            u.email,
            u.role,
            u.creditor
                .as_deref()
                .map(|c| format!(" (sees only '{c}')"))
                .unwrap_or_default(),
            if u.teams.is_empty() {
                String::new()
            } else {
                format!(" (team {})", u.teams.join(", "))
            }
        );
    }
    if users.iter().any(|u| !u.teams.is_empty()) {
        println!(
            "a collector works its queue at {DEMO_URL}/console/work (or GET /api/work/next); the simulated\ncollectors already made this month's calls, so the queue is empty until a campaign with calls is launched;\ntheir figures are at {DEMO_URL}/console/work/team (operaciones@)"
        );
    }
    if let Some(account) = sample {
        println!(
            "and a debtor's page (account {account}, who paid a third): {}",
            links_url(&links, &account)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What debtors do during the demo month, so the report shows sequences
/// cut short, paused and resumed, all through the same book actions the
/// debtor's page records:
/// - one in twelve pays in full on day 5 (later contacts cancelled);
/// - one in twelve pays a third on day 2 (the balance drops, reminders go on);
/// - one in thirty turns SMS off on day 4 (SMS to that number stops);
/// - one in twenty promises on day 6 to pay on day 11; a third of them
///   keep it, the rest break it and get the broken-promise step;
/// - one in thirty agrees a three-instalment plan on day 2 and misses the
///   first instalment;
/// - one in sixty disputes the debt on day 1 (every contact held until
///   it is resolved on day 8);
/// - one in thirty asks not to be contacted 09:00-12:00 from day 1.
fn demo_events(
    accounts: &[cobro_campaigns::Account],
    loaded: &cobro_config::LoadedCampaign,
) -> Vec<ScheduledEvent> {
    let start_date = loaded.campaign.start_date;
    let start = start_date
        .and_hms_opt(12, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let day = |n: i64| start + chrono::Duration::days(n);
    let date = |n: u64| start_date + chrono::Days::new(n);
    let mut events = Vec::new();
    let mut push = |at, account: &str, event: SimulatedEvent| {
        events.push(ScheduledEvent {
            at,
            account: account.to_string(),
            event,
        })
    };
    for (i, account) in accounts.iter().enumerate() {
        let id = account.id.as_str();
        match i % 60 {
            // Paying in full is paying what is owed then (a reply to a
            // message may have paid already).
            5 | 17 | 29 | 41 | 53 => push(
                day(5),
                id,
                SimulatedEvent::PayBalance {
                    reference: format!("demo-full-{id}"),
                    at_most: None,
                },
            ),
            3 | 13 | 23 | 33 | 43 => push(
                day(2),
                id,
                SimulatedEvent::PayBalance {
                    reference: format!("demo-part-{id}"),
                    at_most: Some(account.amount_due / Decimal::from(3)),
                },
            ),
            7 | 37 => push(
                day(4),
                id,
                BookAction::Preferences {
                    optout: Some(ChannelKind::Sms),
                    prefer: None,
                    avoid: None,
                }
                .into(),
            ),
            r @ (11 | 31 | 51) => {
                push(
                    day(6),
                    id,
                    BookAction::Promise {
                        date: date(11),
                        amount: account.amount_due,
                    }
                    .into(),
                );
                if r == 11 {
                    push(
                        day(10),
                        id,
                        SimulatedEvent::PayBalance {
                            reference: format!("demo-promise-{id}"),
                            at_most: None,
                        },
                    );
                }
            }
            19 | 49 => push(
                day(2),
                id,
                BookAction::Plan {
                    instalments: 3,
                    first_date: date(9),
                }
                .into(),
            ),
            27 => {
                push(
                    day(1),
                    id,
                    BookAction::Dispute {
                        reason: "amount_wrong".into(),
                        text: "El monto no corresponde a mi estado de cuenta.".into(),
                    }
                    .into(),
                );
                // Reviewed and answered a week later: the sequence resumes.
                push(day(8), id, BookAction::DisputeResolved.into());
            }
            4 | 34 => push(
                day(1) - chrono::Duration::hours(6),
                id,
                BookAction::Preferences {
                    optout: None,
                    prefer: None,
                    avoid: Some((
                        NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
                        NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default(),
                    )),
                }
                .into(),
            ),
            _ => {}
        }
    }
    events
}

/// What replaces the example campaign's `strategy = …` line in the demo:
/// a 10 % holdout and a 30-day attribution window (top-level keys).
const DEMO_ARMS_HEAD: &str = "# Champion/challenger: each account is in one arm, or in the holdout\n\
# that no arm contacts (cobro campaign arms, cobro campaign promote).\n\
holdout = 10\n\
attribution_days = 30";

/// The demo's two arms, appended to its campaign file: the example
/// strategy ("mensual", email first) and its challenger ("sms-primero",
/// SMS first, in the evening), half the contacted accounts each.
fn demo_arms_tables(champion: &Path, challenger: &Path) -> String {
    format!(
        "\n[[arms]]\nid = \"champion\"\nstrategy = {:?}\nweight = 1\n\n[[arms]]\nid = \"sms-first\"\nstrategy = {:?}\nweight = 1\n",
        champion.display().to_string(),
        challenger.display().to_string()
    )
}
