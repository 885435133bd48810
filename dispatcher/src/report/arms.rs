//! The arms' report (champion/challenger, ARCHITECTURE.md "Arms"): per
//! arm and for the holdout, the accounts, the contacts made by channel,
//! their cost, the contact rate, the promises and payments within the
//! attribution window, the recovery rate and the uplift over the holdout
//! with its 95 % interval (`uplift.rs`).
//!
//! Everything is derived, nothing is stored for it: the campaign's
//! accounts are its portfolio file's, each account's arm is
//! `cobro_campaigns::arms` of (campaign, account, arms), the contacts are
//! the campaign's ledger rows and the payments and promises the accounts'
//! books. Definitions (the export recomputes them, `tests/arms_recompute.py`):
//! - a contact made: a contact id with a `sent`, `delivered` or
//!   `undelivered` row (an automated send, or a collector's call that
//!   reached an outcome), counted once, under its row's channel;
//! - contact rate: accounts with a contact made ÷ accounts;
//! - cost: `[costs]` prices × SMS segments of the `sent` SMS rows
//!   (`segments=N` in their detail), emails and voice calls `sent`;
//! - promises: `promise` and `plan` events of the books in the window;
//! - payments: the books' payments dated in the window (count, amount per
//!   currency); recovery rate: accounts with such a payment ÷ accounts.
//!
//! The window is [start date 00:00 UTC, + `attribution_days`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use cobro_campaigns::Account;
use cobro_campaigns::arms::Assignment;
use cobro_config::{LoadedArms, LoadedCampaign};
use rust_decimal::Decimal;
use serde::Serialize;

use super::LEDGER_PAGE;
use super::cost::CostEstimate;
use super::uplift::{METHOD, Uplift};
use crate::engine::SEGMENTS_DETAIL;
use crate::store::{LedgerState, Store, StoreError};

/// Books read per store call.
const CHUNK: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ArmsReportError {
    /// The campaign has no `[[arms]]`.
    #[error("campaign '{0}' has no [[arms]]")]
    NoArms(String),
    #[error("portfolio: {0}")]
    Portfolio(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ArmsReportError {
    /// A file to fix or a campaign without arms, not a failure to retry.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ArmsReportError::Store(_))
    }
}

/// One arm's figures (or the holdout's: `arm = "holdout"`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArmFigures {
    pub arm: String,
    /// The arm's strategy id (none for the holdout).
    pub strategy: Option<String>,
    /// Its weight as written (none for the holdout).
    pub weight: Option<f64>,
    pub accounts: u64,
    /// Accounts per segment: the mix the assignment gave the arm.
    pub segments: BTreeMap<String, u64>,
    /// Contacts made per channel.
    pub contacts: BTreeMap<String, u64>,
    pub contacts_total: u64,
    pub contacted_accounts: u64,
    /// Contacted accounts ÷ accounts, in percent.
    pub contact_rate: f64,
    pub sms_segments: u64,
    /// At the campaign's `[costs]`, when it has them.
    pub cost: Option<CostEstimate>,
    pub promises: u64,
    pub payments: u64,
    /// Accounts with a payment in the window.
    pub payers: u64,
    /// Paid in the window, per currency.
    pub paid: BTreeMap<String, Decimal>,
    /// Owed at import, per currency (what `paid` recovers a part of).
    pub amount_due: BTreeMap<String, Decimal>,
    /// Payers ÷ accounts, in percent.
    pub recovery_rate: f64,
    /// Over the holdout (none for the holdout itself, or with no holdout
    /// account).
    pub uplift: Option<Uplift>,
}

/// The per-arm table of one campaign.
#[derive(Debug, Clone, Serialize)]
pub struct ArmsReport {
    pub campaign: String,
    pub holdout_percent: f64,
    /// The attribution window, RFC 3339 instants.
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
    /// How the uplift's interval is computed.
    pub method: &'static str,
    /// The arms in the campaign file's order, then the holdout.
    pub arms: Vec<ArmFigures>,
}

/// Reads the portfolio of `loaded` (its accounts are the campaign's,
/// holdout included).
async fn portfolio_accounts(loaded: &LoadedCampaign) -> Result<Vec<Account>, ArmsReportError> {
    let path = loaded.portfolio_path.clone();
    tokio::task::spawn_blocking(move || {
        let mut accounts = Vec::new();
        cobro_campaigns::import::import_path_each(&path, |a| accounts.push(a))
            .map(|_| accounts)
            .map_err(|e| ArmsReportError::Portfolio(e.to_string()))
    })
    .await
    .map_err(|e| ArmsReportError::Portfolio(format!("reader stopped: {e}")))?
}

impl ArmsReport {
    /// The report of `loaded` from `store`.
    pub async fn build<S: Store>(
        store: &S,
        loaded: &LoadedCampaign,
    ) -> Result<ArmsReport, ArmsReportError> {
        let arms = loaded
            .arms
            .as_ref()
            .ok_or_else(|| ArmsReportError::NoArms(loaded.campaign.id.clone()))?;
        let accounts = portfolio_accounts(loaded).await?;
        let n = arms.split.arms.len();
        // Index n is the holdout.
        let slot = |a: Assignment| match a {
            Assignment::Arm(i) => i,
            Assignment::Holdout => n,
        };
        let mut figures = empty_figures(arms);
        let mut arm_of: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &accounts {
            let i = slot(arms.split.assign(&a.id));
            arm_of.insert(a.id.as_str(), i);
            let f = &mut figures[i];
            f.accounts += 1;
            *f.segments
                .entry(a.segment.clone().unwrap_or_default())
                .or_default() += 1;
            *f.amount_due.entry(a.currency.clone()).or_default() += a.amount_due;
        }
        let start = loaded
            .campaign
            .start_date
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let end = start + Duration::days(i64::from(loaded.attribution_days()));

        // Contacts made, from the campaign's ledger.
        let mut made: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n + 1];
        let mut contacted: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n + 1];
        let mut sent: Vec<BTreeMap<cobro_campaigns::ChannelKind, u64>> =
            vec![BTreeMap::new(); n + 1];
        let mut cursor = 0;
        loop {
            let (rows, next) = store
                .campaign_ledger_page(&loaded.campaign.id, cursor, LEDGER_PAGE)
                .await?;
            for row in &rows {
                let Some(&i) = arm_of.get(row.account.as_str()) else {
                    continue;
                };
                if !matches!(
                    row.state,
                    LedgerState::Sent | LedgerState::Delivered | LedgerState::Undelivered
                ) {
                    continue;
                }
                if row.state == LedgerState::Sent {
                    *sent[i].entry(row.channel).or_default() += 1;
                    figures[i].sms_segments += row
                        .detail
                        .as_deref()
                        .and_then(|d| d.strip_prefix(SEGMENTS_DETAIL))
                        .and_then(|n| n.parse::<u64>().ok())
                        .unwrap_or(0);
                }
                if made[i].insert(row.contact_id.clone()) {
                    *figures[i]
                        .contacts
                        .entry(row.channel.as_str().to_string())
                        .or_default() += 1;
                    figures[i].contacts_total += 1;
                    contacted[i].insert(row.account.clone());
                }
            }
            match next {
                Some(c) => cursor = c,
                None => break,
            }
        }

        // Promises and payments, from the books.
        let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
        let currency: BTreeMap<&str, &str> = accounts
            .iter()
            .map(|a| (a.id.as_str(), a.currency.as_str()))
            .collect();
        for chunk in ids.chunks(CHUNK) {
            let books = store.books(chunk).await?;
            for (id, book) in chunk.iter().zip(books) {
                let Some(&i) = arm_of.get(id.as_str()) else {
                    continue;
                };
                let f = &mut figures[i];
                let in_window = |at: DateTime<Utc>| at >= start && at < end;
                let mut paid_any = false;
                for p in book.payments.iter().filter(|p| in_window(p.at)) {
                    paid_any = true;
                    f.payments += 1;
                    let cur = currency.get(id.as_str()).copied().unwrap_or("");
                    *f.paid.entry(cur.to_string()).or_default() += p.amount;
                }
                f.payers += u64::from(paid_any);
                f.promises += book
                    .events
                    .iter()
                    .filter(|e| (e.kind == "promise" || e.kind == "plan") && in_window(e.at))
                    .count() as u64;
            }
        }

        let costs = loaded.file.costs.as_ref();
        let (h_payers, h_accounts) = (figures[n].payers, figures[n].accounts);
        for (i, f) in figures.iter_mut().enumerate() {
            f.contacted_accounts = contacted[i].len() as u64;
            f.contact_rate = percent(f.contacted_accounts, f.accounts);
            f.recovery_rate = percent(f.payers, f.accounts);
            f.cost = costs.map(|c| {
                CostEstimate::new(c, f.sms_segments, |k| sent[i].get(&k).copied().unwrap_or(0))
            });
            if i < n {
                f.uplift = Uplift::over_holdout(&f.arm, f.payers, f.accounts, h_payers, h_accounts);
            }
        }
        Ok(ArmsReport {
            campaign: loaded.campaign.id.clone(),
            holdout_percent: arms.split.holdout,
            window_from: start,
            window_to: end,
            method: METHOD,
            arms: figures,
        })
    }

    /// The table for a terminal, with how to read it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nArms (champion/challenger) of '{}': holdout {}% of accounts, payments from {} to {}",
            self.campaign,
            self.holdout_percent,
            self.window_from.date_naive(),
            self.window_to.date_naive()
        );
        let _ = writeln!(
            out,
            "  {:<12} {:>8} {:>9} {:>8} {:>12} {:>9} {:>9} {:>8} {:>9}  uplift (95% CI)",
            "arm",
            "accounts",
            "contacts",
            "reached",
            "cost",
            "promises",
            "payments",
            "payers",
            "recovery"
        );
        for f in &self.arms {
            let cost = f
                .cost
                .as_ref()
                .map(|c| format!("{:.2} {}", c.total.round_dp(2), c.currency))
                .unwrap_or_else(|| "-".into());
            let uplift = f
                .uplift
                .as_ref()
                .map(|u| format!("{:+.1} pts ({:+.1} to {:+.1})", u.points, u.low, u.high))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "  {:<12} {:>8} {:>9} {:>7.1}% {:>12} {:>9} {:>9} {:>8} {:>8.1}%  {}",
                f.arm,
                f.accounts,
                f.contacts_total,
                f.contact_rate,
                cost,
                f.promises,
                f.payments,
                f.payers,
                f.recovery_rate,
                uplift
            );
        }
        for f in &self.arms {
            let channels: Vec<String> =
                f.contacts.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let paid: Vec<String> = f.paid.iter().map(|(c, a)| format!("{a} {c}")).collect();
            let _ = writeln!(
                out,
                "  {}: contacts {}; paid {}",
                f.arm,
                if channels.is_empty() {
                    "none".into()
                } else {
                    channels.join(", ")
                },
                if paid.is_empty() {
                    "nothing".into()
                } else {
                    paid.join(", ")
                }
            );
        }
        for f in self.arms.iter().filter_map(|f| f.uplift.as_ref()) {
            let _ = writeln!(out, "  {}\n    {}", f.verdict_en, f.verdict_es);
        }
        let _ = writeln!(
            out,
            "  How to read it: recovery = accounts that paid something in the window ÷ accounts; uplift = an arm's\n  recovery minus the holdout's (never contacted), in points, with a 95% interval (Newcombe's hybrid\n  score method). If the interval includes 0 the arm is not yet distinguishable from not contacting;\n  compare cost per extra payer before promoting: cobro campaign promote ARM campaign.toml"
        );
        out
    }

    /// The same table as an HTML section (escaped: arm ids are checked,
    /// but the verdicts carry them).
    pub fn to_html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut out = String::new();
        let _ = write!(
            out,
            "<h2>Arms</h2><p>Holdout {}% of accounts; payments from {} to {}; uplift interval: Newcombe hybrid score, 95%.</p><table id=\"arms\"><tr><th>arm</th><th>accounts</th><th>contacts</th><th>reached</th><th>cost</th><th>promises</th><th>payments</th><th>payers</th><th>recovery</th><th>uplift (95% CI)</th></tr>",
            self.holdout_percent,
            self.window_from.date_naive(),
            self.window_to.date_naive()
        );
        for f in &self.arms {
            let _ = write!(
                out,
                "<tr data-arm=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td></tr>",
                esc(&f.arm),
                esc(&f.arm),
                f.accounts,
                f.contacts_total,
                f.contact_rate,
                f.cost
                    .as_ref()
                    .map(|c| format!("{:.2} {}", c.total.round_dp(2), esc(&c.currency)))
                    .unwrap_or_else(|| "-".into()),
                f.promises,
                f.payments,
                f.payers,
                f.recovery_rate,
                f.uplift
                    .as_ref()
                    .map(|u| format!("{:+.1} ({:+.1} to {:+.1})", u.points, u.low, u.high))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        out.push_str("</table>");
        for u in self.arms.iter().filter_map(|f| f.uplift.as_ref()) {
            let _ = write!(
                out,
                "<p>{}<br>{}</p>",
                esc(&u.verdict_en),
                esc(&u.verdict_es)
            );
        }
        out
    }
}

fn percent(k: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 * 100.0 / n as f64
    }
}

fn empty_figures(arms: &LoadedArms) -> Vec<ArmFigures> {
    let mut figures: Vec<ArmFigures> = arms
        .split
        .arms
        .iter()
        .zip(&arms.strategies)
        .map(|(a, s)| ArmFigures {
            arm: a.id.clone(),
            strategy: Some(s.id.clone()),
            weight: Some(a.weight),
            ..Default::default()
        })
        .collect();
    figures.push(ArmFigures {
        arm: cobro_campaigns::arms::HOLDOUT.to_string(),
        ..Default::default()
    });
    figures
}
