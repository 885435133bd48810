//! `cobro event KIND --account ID`: payments (money: `--amount`), promises
//! (`--date`, `--amount`), payment plans (`--instalments`, `--date` of the
//! first), disputes (`--reason`, `--text`) and their resolution, contact
//! preferences, opt-outs and conversations. The HTTP API and the debtor's
//! page record the same actions through `crate::engine::actions`.

use std::process::ExitCode;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{BookAction, EventSource};
use rust_decimal::Decimal;

use super::BadInput;
use super::common::StoreArg;
use crate::engine::actions::{ActionError, record_action};
use crate::engine::events::{AccountEvent, apply_event};
use crate::store::prelude::*;

#[derive(Debug, clap::Args)]
pub struct EventArgs {
    /// payment | promise_to_pay | plan | dispute | dispute_resolved |
    /// preferences | opt_out | conversation
    pub kind: String,
    #[arg(long)]
    pub account: String,
    /// For opt_out, conversation and preferences (`--prefer`): the channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Payment: the amount paid (default: the whole balance). Promise: the
    /// amount promised (default: the whole balance).
    #[arg(long)]
    pub amount: Option<String>,
    /// Payment: ISO 4217 code; must be the account's.
    #[arg(long)]
    pub currency: Option<String>,
    /// Payment: when it was made (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    /// Payment: its reference; the same reference is never counted twice
    /// (default: derived from account, amount and instant).
    #[arg(long)]
    pub reference: Option<String>,
    /// Promise: the date promised; plan: the first instalment's date
    /// (YYYY-MM-DD; default: the latest the house allows).
    #[arg(long)]
    pub date: Option<String>,
    /// Plan: number of instalments.
    #[arg(long)]
    pub instalments: Option<u32>,
    /// Dispute: why (not_mine, amount_wrong, already_paid, other).
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, default_value = "")]
    pub text: String,
    /// Preferences: inconvenient hours, local, `18:00-22:00`.
    #[arg(long)]
    pub avoid: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
}

fn bad(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.to_string()))
}

fn parse_amount(raw: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(raw.trim()).map_err(|e| bad(format!("--amount '{raw}': {e}")))
}

fn parse_date(raw: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|e| bad(format!("--date '{raw}': {e} (YYYY-MM-DD)")))
}

pub fn parse_hours(raw: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (from, to) = raw
        .split_once('-')
        .ok_or_else(|| format!("'{raw}': write the hours as HH:MM-HH:MM"))?;
    let t = |s: &str| {
        NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|e| format!("'{s}': {e} (HH:MM)"))
    };
    Ok((t(from)?, t(to)?))
}

pub async fn run(args: EventArgs) -> anyhow::Result<ExitCode> {
    let channel = args
        .channel
        .as_deref()
        .map(|c| ChannelKind::from_str(c).map_err(|e| BadInput(e.to_string())))
        .transpose()?;
    let now = Utc::now();
    let limits = args.store.settings()?.house.limits();
    let kind = args.kind.trim().to_ascii_lowercase().replace('-', "_");
    let store = args.store.open().await?;
    let balance = || async {
        let Some((account, _)) = store.account(&args.account).await? else {
            return Err(bad(format!("no account '{}' in the store", args.account)));
        };
        let (book, _) = store.book(&args.account).await?;
        anyhow::Ok((book.balance(account.amount_due), account.currency))
    };
    let default_date = now.date_naive() + chrono::Days::new(u64::from(limits.promise_max_days));
    let action = match kind.as_str() {
        "payment" | "paid" | "pago" => {
            let (balance, currency) = balance().await?;
            if let Some(given) = &args.currency
                && !given.eq_ignore_ascii_case(&currency)
            {
                return Err(bad(format!(
                    "--currency {given}: the account is in {currency}"
                )));
            }
            let amount = match &args.amount {
                Some(a) => parse_amount(a)?,
                None => balance,
            };
            let at = match &args.at {
                Some(s) => DateTime::parse_from_rfc3339(s)
                    .map_err(|e| bad(format!("--at '{s}': {e}")))?
                    .with_timezone(&Utc),
                None => now,
            };
            let reference = args
                .reference
                .clone()
                .unwrap_or_else(|| format!("cli-{}-{}-{}", args.account, amount, at.timestamp()));
            BookAction::Payment {
                amount,
                at,
                reference,
            }
        }
        "promise_to_pay" | "promise" | "promesa" => {
            let amount = match &args.amount {
                Some(a) => parse_amount(a)?,
                None => balance().await?.0,
            };
            let date = match &args.date {
                Some(d) => parse_date(d)?,
                None => default_date,
            };
            BookAction::Promise { date, amount }
        }
        "plan" | "payment_plan" => BookAction::Plan {
            instalments: args
                .instalments
                .ok_or_else(|| bad("plan needs --instalments N"))?,
            first_date: match &args.date {
                Some(d) => parse_date(d)?,
                None => now.date_naive(),
            },
        },
        "dispute" | "disputa" => BookAction::Dispute {
            reason: args.reason.clone().unwrap_or_else(|| "other".into()),
            text: args.text.clone(),
        },
        "dispute_resolved" => BookAction::DisputeResolved,
        "preferences" => BookAction::Preferences {
            optout: None,
            prefer: channel,
            avoid: args
                .avoid
                .as_deref()
                .map(parse_hours)
                .transpose()
                .map_err(bad)?,
        },
        _ => {
            // Opt-outs and conversations change suppressions and history.
            let event = AccountEvent::parse(&args.kind, channel).map_err(BadInput)?;
            let Some(cancelled) = apply_event(&store, &args.account, event, now).await? else {
                return Err(bad(format!("no account '{}' in the store", args.account)));
            };
            println!(
                "{}: {} pending contacts cancelled",
                args.kind,
                cancelled.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    match record_action(
        &store,
        &args.account,
        &action,
        EventSource::Cli,
        now,
        &limits,
    )
    .await
    {
        Ok(outcome) => {
            let balance = outcome.book.balance(outcome.account.amount_due);
            let what = if outcome.applied.changed {
                "recorded"
            } else {
                "already recorded"
            };
            println!(
                "{}: {what}; balance {} {}; {} pending contacts cancelled",
                action.kind(),
                balance,
                outcome.account.currency,
                outcome.cancelled.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ ActionError::Refused(_)) => {
            let field = match &e {
                ActionError::Refused(b) => b.field(),
                _ => "",
            };
            Err(bad(format!("{}: {field}: {e}", action.kind())))
        }
        Err(e) if e.is_bad_input() => Err(bad(e)),
        Err(e) => Err(e.into()),
    }
}
