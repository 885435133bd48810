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
    #[command(flatten)]
    pub store: StoreArg,
}

pub const HEADER: [&str; 16] = [
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
    let store = args.store.open().await?;
    let rows = store
        .ledger(&LedgerFilter {
            campaign: args.campaign.clone(),
            account: args.account.clone(),
            since,
            ..Default::default()
        })
        .await?;
    let events = book_events(&store, &args, &rows, since).await?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(HEADER)?;
    for (i, gestion) in merge_gestiones(&rows, &events).into_iter().enumerate() {
        let seq = (i + 1).to_string();
        match gestion {
            Gestion::Event { account, event } => write_event(&mut out, account, event, &seq)?,
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
    ])
}
