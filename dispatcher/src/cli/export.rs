//! `cobro export gestiones`: the ledger as CSV (the export columns in the
//! README), with the debtors' own actions (payments, promises, plans,
//! disputes, preferences) as event rows in their place in time: an event
//! row has an empty `contact_id`, `step` and `channel`, the event kind as
//! its `state`, its detail, and who recorded it in `source`. The merge is
//! `account_timeline::merge_gestiones`, shared with the expediente's
//! timeline (API and console), so the two never disagree.

use std::process::ExitCode;

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use cobro_campaigns::book::BookEvent;

use cobro_campaigns::arms::arm_of_step;

use super::BadInput;
use super::common::StoreArg;
use crate::account_timeline::{Gestion, merge_gestiones};
use crate::store::any::AnyStore;
use crate::store::{LedgerEntry, LedgerFilter, prelude::*};

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Every decision and outcome, one row each.
    Gestiones(GestionesArgs),
}

#[derive(Debug, clap::Args)]
pub struct GestionesArgs {
    #[arg(long)]
    pub campaign: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    /// RFC 3339 instant.
    #[arg(long)]
    pub since: Option<String>,
    /// A campaign file with `[[arms]]`: export that campaign (as
    /// `--campaign` its id), with the book events of every account of its
    /// portfolio (the holdout's too), and fill the `arm` column of every
    /// row from the account's assignment. Without it a contact row's arm
    /// is read from its step id (`arm.step`) and an event row's is empty.
    #[arg(long, value_name = "CAMPAIGN.toml")]
    pub arms: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
}

pub const HEADER: [&str; 17] = [
    "contact_id",
    "campaign",
    "account",
    "step",
    "channel",
    "state",
    "at",
    "timezones",
    "rules",
    "code",
    "detail",
    "provider",
    "provider_id",
    "attempt",
    "seq",
    "source",
    "arm",
];

pub async fn run(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::Gestiones(args) = cmd;
    let since = match &args.since {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| BadInput(format!("--since '{s}': {e}")))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let arms = match &args.arms {
        Some(path) => Some(ExportArms::load(path)?),
        None => None,
    };
    let campaign = match &arms {
        Some(a) => {
            if args.campaign.as_ref().is_some_and(|c| *c != a.campaign) {
                return Err(BadInput(format!(
                    "--campaign '{}' is not the campaign of --arms ('{}')",
                    args.campaign.as_deref().unwrap_or(""),
                    a.campaign
                ))
                .into());
            }
            Some(a.campaign.clone())
        }
        None => args.campaign.clone(),
    };
    let store = args.store.open().await?;
    let rows = store
        .ledger(&LedgerFilter {
            campaign: campaign.clone(),
            account: args.account.clone(),
            since,
            ..Default::default()
        })
        .await?;
    let events = match &arms {
        Some(a) if args.account.is_none() => {
            events_of(&store, a.accounts.keys().cloned().collect(), since).await?
        }
        _ => book_events(&store, &args, &rows, since).await?,
    };
    let arm_of_account = |account: &str| -> String {
        arms.as_ref()
            .and_then(|a| a.accounts.get(account).cloned())
            .unwrap_or_default()
    };
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(HEADER)?;
    for (i, gestion) in merge_gestiones(&rows, &events).into_iter().enumerate() {
        let seq = (i + 1).to_string();
        match gestion {
            Gestion::Event { account, event } => {
                write_event(&mut out, account, event, &seq, &arm_of_account(account))?
            }
            Gestion::Row(r) => out.write_record([
                r.contact_id.as_str(),
                &r.campaign,
                &r.account,
                &r.step,
                r.channel.as_str(),
                r.state.as_str(),
                &r.at.to_rfc3339_opts(SecondsFormat::Secs, true),
                &r.timezones.join(";"),
                &r.rules.join(";"),
                r.code.as_deref().unwrap_or(""),
                r.detail.as_deref().unwrap_or(""),
                r.provider.as_deref().unwrap_or(""),
                r.provider_id.as_deref().unwrap_or(""),
                &r.attempt.to_string(),
                &seq,
                "",
                &match &arms {
                    Some(_) => arm_of_account(&r.account),
                    None => arm_of_step(&r.step).unwrap_or("").to_string(),
                },
            ])?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The book events of the exported accounts, oldest first: the account of
/// `--account`, the accounts of the exported rows with `--campaign`, every
/// account with a book otherwise.
async fn book_events(
    store: &AnyStore,
    args: &GestionesArgs,
    rows: &[LedgerEntry],
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<(String, BookEvent)>> {
    let accounts: Vec<String> = match (&args.account, &args.campaign) {
        (Some(a), _) => vec![a.clone()],
        (None, Some(_)) => rows
            .iter()
            .map(|r| r.account.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        (None, None) => store.book_accounts().await?,
    };
    events_of(store, accounts, since).await
}

/// The book events of `accounts` since `since`, oldest first.
async fn events_of(
    store: &AnyStore,
    accounts: Vec<String>,
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<(String, BookEvent)>> {
    let mut events = Vec::new();
    for chunk in accounts.chunks(500) {
        let books = store.books(chunk).await?;
        for (account, book) in chunk.iter().zip(books) {
            events.extend(
                book.events
                    .into_iter()
                    .filter(|e| since.is_none_or(|s| e.at >= s))
                    .map(|e| (account.clone(), e)),
            );
        }
    }
    events.sort_by(|a, b| (a.1.at, &a.0).cmp(&(b.1.at, &b.0)));
    Ok(events)
}

fn write_event<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    account: &str,
    e: &BookEvent,
    seq: &str,
    arm: &str,
) -> csv::Result<()> {
    out.write_record([
        "",
        "",
        account,
        "",
        "",
        e.kind.as_str(),
        &e.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "",
        "",
        "",
        &e.detail,
        "",
        "",
        "",
        seq,
        e.source.as_str(),
        arm,
    ])
}

/// `--arms`: the campaign's id and the arm of every account of its
/// portfolio (`holdout` for the holdout's).
struct ExportArms {
    campaign: String,
    accounts: std::collections::BTreeMap<String, String>,
}

impl ExportArms {
    fn load(path: &std::path::Path) -> anyhow::Result<ExportArms> {
        let loaded =
            cobro_config::LoadedCampaign::load(path).map_err(|e| BadInput(e.to_string()))?;
        let Some(arms) = &loaded.arms else {
            return Err(
                BadInput(format!("{}: the campaign has no [[arms]]", path.display())).into(),
            );
        };
        let mut accounts = std::collections::BTreeMap::new();
        cobro_campaigns::import::import_path_each(&loaded.portfolio_path, |a| {
            let name = arms.split.name(arms.split.assign(&a.id)).to_string();
            accounts.insert(a.id, name);
        })
        .map_err(|e| BadInput(format!("{}: {e}", loaded.portfolio_path.display())))?;
        Ok(ExportArms {
            campaign: loaded.campaign.id,
            accounts,
        })
    }
}
