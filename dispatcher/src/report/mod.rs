//! The campaign report, computed from the ledger (the same rows a
//! regulator would read), as text for the terminal and as an HTML page;
//! with what the campaign collected, from the accounts' books.

pub mod arms;
pub mod calls;
pub mod collections;
pub mod cost;
pub mod daily;
pub mod monthly;
pub mod uplift;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use cobro_campaigns::ChannelKind;
use serde::Serialize;

use crate::store::{ContactState, LedgerEntry, LedgerState, Store, StoreError};
pub use calls::CallsSummary;
pub use collections::CollectionsSummary;

/// Ledger rows read per store call when a report pages through a campaign.
pub const LEDGER_PAGE: usize = 5_000;

/// Totals of one campaign run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignReport {
    pub campaign: String,
    /// Contacts per terminal (or current) state.
    pub states: BTreeMap<String, u64>,
    /// Messages sent per debtor-local day and channel.
    pub sent_per_day: BTreeMap<NaiveDate, BTreeMap<String, u64>>,
    /// Guard decisions: allowed / deferred / blocked, and by reason code.
    pub decisions: BTreeMap<String, u64>,
    pub deferred_by_reason: BTreeMap<String, u64>,
    pub blocked_by_reason: BTreeMap<String, u64>,
    pub cancelled_by_reason: BTreeMap<String, u64>,
    pub failed_by_reason: BTreeMap<String, u64>,
    pub sms_segments: u64,
    pub first_send: Option<DateTime<Utc>>,
    pub last_send: Option<DateTime<Utc>>,
    /// At the campaign's `[costs]`, when it has them
    /// (see [`CampaignReport::with_costs`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<cost::CostEstimate>,
    /// Payments, promises, plans and disputes of the campaign's accounts
    /// (see [`CampaignReport::with_collections`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collections: Option<CollectionsSummary>,
    /// What the collectors did with the agent steps' tasks (empty, and
    /// not shown, when the strategy has none).
    #[serde(skip_serializing_if = "CallsSummary::is_empty")]
    pub calls: CallsSummary,
    /// Per arm and holdout, when the campaign has `[[arms]]`
    /// (see [`CampaignReport::with_arms`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arms: Option<arms::ArmsReport>,
    /// The accounts the ledger rows named (what `with_collections` reads).
    #[serde(skip)]
    accounts: BTreeSet<String>,
}

/// The day of a row where its debtor lives (its first time zone), else UTC.
pub(crate) fn local_day(row: &LedgerEntry) -> NaiveDate {
    row.timezones
        .first()
        .and_then(|name| name.parse::<Tz>().ok())
        .map(|tz| row.at.with_timezone(&tz).date_naive())
        .unwrap_or_else(|| row.at.date_naive())
}

impl CampaignReport {
    pub fn build(
        campaign: &str,
        counts: &BTreeMap<ContactState, u64>,
        ledger: &[LedgerEntry],
        sms_segments: u64,
    ) -> Self {
        let mut report = CampaignReport::new(campaign, counts, sms_segments);
        for row in ledger {
            report.add(row);
        }
        report
    }

    /// The report of `campaign` read from the store a page at a time, so
    /// memory stays flat however long the ledger is.
    pub async fn from_store<S: Store>(
        store: &S,
        campaign: &str,
        sms_segments: u64,
    ) -> Result<Self, StoreError> {
        let counts = store.counts(Some(campaign)).await?;
        let mut report = CampaignReport::new(campaign, &counts, sms_segments);
        let mut cursor = 0;
        loop {
            let (rows, next) = store
                .campaign_ledger_page(campaign, cursor, LEDGER_PAGE)
                .await?;
            for row in &rows {
                report.add(row);
            }
            match next {
                Some(n) => cursor = n,
                None => return Ok(report),
            }
        }
    }

    /// An empty report to feed ledger rows to with [`CampaignReport::add`],
    /// so a campaign of millions of rows is reported without holding them.
    pub fn new(campaign: &str, counts: &BTreeMap<ContactState, u64>, sms_segments: u64) -> Self {
        let mut report = CampaignReport {
            campaign: campaign.to_string(),
            sms_segments,
            ..Default::default()
        };
        for (state, n) in counts {
            report.states.insert(state.as_str().to_string(), *n);
        }
        report
    }

    /// Adds what the campaign's accounts paid, promised and disputed, as
    /// of `as_of` (a simulation: its virtual end; a live store: now).
    pub async fn with_collections<S: Store>(
        mut self,
        store: &S,
        as_of: DateTime<Utc>,
        grace_days: u32,
    ) -> Result<Self, StoreError> {
        let accounts: Vec<String> = std::mem::take(&mut self.accounts).into_iter().collect();
        self.collections =
            Some(CollectionsSummary::from_store(store, &accounts, as_of, grace_days).await?);
        Ok(self)
    }

    /// Counts one ledger row.
    pub fn add(&mut self, row: &LedgerEntry) {
        if !self.accounts.contains(&row.account) {
            self.accounts.insert(row.account.clone());
        }
        self.calls.add(row);
        let code = || row.code.clone().unwrap_or_else(|| "unspecified".into());
        if matches!(
            row.state,
            LedgerState::Allowed | LedgerState::Deferred | LedgerState::Blocked
        ) {
            *self
                .decisions
                .entry(row.state.as_str().to_string())
                .or_default() += 1;
        }
        match row.state {
            LedgerState::Deferred => *self.deferred_by_reason.entry(code()).or_default() += 1,
            LedgerState::Blocked => *self.blocked_by_reason.entry(code()).or_default() += 1,
            LedgerState::Cancelled => *self.cancelled_by_reason.entry(code()).or_default() += 1,
            LedgerState::Failed => *self.failed_by_reason.entry(code()).or_default() += 1,
            LedgerState::Sent => {
                *self
                    .sent_per_day
                    .entry(local_day(row))
                    .or_default()
                    .entry(row.channel.as_str().to_string())
                    .or_default() += 1;
                self.first_send = Some(self.first_send.map_or(row.at, |t| t.min(row.at)));
                self.last_send = Some(self.last_send.map_or(row.at, |t| t.max(row.at)));
            }
            _ => {}
        }
    }

    /// Messages sent on `channel` over the whole run.
    pub fn sent_on(&self, channel: ChannelKind) -> u64 {
        self.sent_per_day
            .values()
            .filter_map(|m| m.get(channel.as_str()))
            .sum()
    }

    /// Prices the run at `costs` (nothing when the campaign has none).
    pub fn with_costs(mut self, costs: Option<&cobro_config::CostsSection>) -> Self {
        self.cost =
            costs.map(|c| cost::CostEstimate::new(c, self.sms_segments, |k| self.sent_on(k)));
        self
    }

    /// Adds the arms' table when `loaded` has `[[arms]]`.
    pub async fn with_arms<S: Store>(
        mut self,
        store: &S,
        loaded: &cobro_config::LoadedCampaign,
    ) -> Result<Self, arms::ArmsReportError> {
        if loaded.arms.is_some() {
            self.arms = Some(arms::ArmsReport::build(store, loaded).await?);
        }
        Ok(self)
    }

    pub fn total_sent(&self) -> u64 {
        self.sent_per_day.values().flat_map(|m| m.values()).sum()
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Campaign {}", self.campaign);
        let _ = writeln!(out, "\nContacts by state:");
        for (state, n) in &self.states {
            let _ = writeln!(out, "  {state:<12} {n:>8}");
        }
        let _ = writeln!(out, "\nGuard decisions:");
        for (decision, n) in &self.decisions {
            let _ = writeln!(out, "  {decision:<12} {n:>8}");
        }
        for (title, map) in [
            ("Deferred by reason", &self.deferred_by_reason),
            ("Blocked by reason", &self.blocked_by_reason),
            ("Cancelled by reason", &self.cancelled_by_reason),
            ("Failed by reason", &self.failed_by_reason),
        ] {
            if map.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}:");
            for (code, n) in map {
                let _ = writeln!(out, "  {code:<24} {n:>8}");
            }
        }
        let _ = writeln!(out, "\nSent per day (debtor-local date) and channel:");
        let _ = writeln!(
            out,
            "  {:<12} {:>8} {:>8} {:>8}",
            "day", "email", "sms", "voice"
        );
        for (day, per_channel) in &self.sent_per_day {
            let get = |k: ChannelKind| per_channel.get(k.as_str()).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "  {:<12} {:>8} {:>8} {:>8}",
                day.to_string(),
                get(ChannelKind::Email),
                get(ChannelKind::Sms),
                get(ChannelKind::Voice)
            );
        }
        let _ = writeln!(out, "\nSMS segments: {}", self.sms_segments);
        let _ = writeln!(out, "Messages sent: {}", self.total_sent());
        if let Some(cost) = &self.cost {
            let _ = writeln!(out, "Estimated cost: {}", cost.to_text());
        }
        if !self.calls.is_empty() {
            out.push_str(&self.calls.to_text());
        }
        if let Some(c) = &self.collections {
            out.push_str(&c.to_text());
        }
        if let Some(a) = &self.arms {
            out.push_str(&a.to_text());
        }
        out
    }

    /// A self-contained page (no external assets) with bar charts drawn in
    /// plain HTML/CSS.
    pub fn to_html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let max_day = self
            .sent_per_day
            .values()
            .map(|m| m.values().sum::<u64>())
            .max()
            .unwrap_or(1)
            .max(1);
        let mut html = String::new();
        let _ = write!(
            html,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cobro report: {c}</title>\
             <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
             td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}th{{background:#f4f4f4}}td.l,th.l{{text-align:left}}\
             .bar{{display:inline-block;height:12px}}.email{{background:#4e79a7}}.sms{{background:#f28e2b}}.voice{{background:#59a14f}}</style>\
             </head><body><h1>Campaign {c}</h1>",
            c = esc(&self.campaign)
        );
        let _ = write!(
            html,
            "<p>Messages sent: <b id=\"total-sent\">{}</b>; SMS segments: <b>{}</b></p>",
            self.total_sent(),
            self.sms_segments
        );
        if let Some(cost) = &self.cost {
            let _ = write!(
                html,
                "<p>Estimated cost: <b id=\"cost\">{}</b></p>",
                esc(&cost.to_text())
            );
        }
        let table = |title: &str, id: &str, map: &BTreeMap<String, u64>| {
            let mut t = format!(
                "<h2>{}</h2><table id=\"{}\"><tr><th class=\"l\">key</th><th>count</th></tr>",
                esc(title),
                id
            );
            for (k, n) in map {
                let _ = write!(t, "<tr><td class=\"l\">{}</td><td>{}</td></tr>", esc(k), n);
            }
            t.push_str("</table>");
            t
        };
        html.push_str(&table("Contacts by state", "states", &self.states));
        html.push_str(&table("Guard decisions", "decisions", &self.decisions));
        html.push_str(&table(
            "Deferred by reason",
            "deferred",
            &self.deferred_by_reason,
        ));
        html.push_str(&table(
            "Blocked by reason",
            "blocked",
            &self.blocked_by_reason,
        ));
        html.push_str(&table(
            "Cancelled by reason",
            "cancelled",
            &self.cancelled_by_reason,
        ));
        html.push_str(&table("Failed by reason", "failed", &self.failed_by_reason));
        html.push_str("<h2>Sent per day and channel</h2><table id=\"per-day\"><tr><th class=\"l\">day</th><th>email</th><th>sms</th><th>voice</th><th class=\"l\"></th></tr>");
        for (day, per_channel) in &self.sent_per_day {
            let get = |k: &str| per_channel.get(k).copied().unwrap_or(0);
            let _ = write!(
                html,
                "<tr><td class=\"l\">{day}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">",
                get("email"),
                get("sms"),
                get("voice")
            );
            for k in ["email", "sms", "voice"] {
                let width = get(k) * 400 / max_day;
                let _ = write!(
                    html,
                    "<span class=\"bar {k}\" style=\"width:{width}px\"></span>"
                );
            }
            html.push_str("</td></tr>");
        }
        html.push_str("</table>");
        if !self.calls.is_empty() {
            html.push_str(&self.calls.to_html(esc));
        }
        if let Some(c) = &self.collections {
            html.push_str(&c.to_html());
        }
        if let Some(a) = &self.arms {
            html.push_str(&a.to_html());
        }
        html.push_str("</body></html>\n");
        html
    }
}
