//! The ledger as the export writes it, and the checks every fault case makes on it.

use std::path::Path;

use crate::*;

/// One row of `cobro export gestiones`.
#[derive(Debug, Clone)]
pub struct Gestion {
    pub contact_id: String,
    pub account: String,
    pub channel: String,
    pub state: String,
    pub at: String,
    pub timezones: String,
    pub rules: String,
    pub code: String,
    pub detail: String,
    pub provider_id: String,
}

/// A debtor's action in the export (an event row: no contact, the event
/// kind as its state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GestionEvent {
    pub account: String,
    pub kind: String,
    pub at: String,
    pub detail: String,
    pub source: String,
}

/// The event rows of the ledger CSV.
pub fn parse_gestion_events(csv_text: &str) -> Vec<GestionEvent> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header row").clone();
    let idx = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("export lacks column {name}: {headers:?}"))
    };
    reader
        .records()
        .map(|r| r.expect("csv row"))
        .filter(|r| r[idx("contact_id")].is_empty())
        .map(|r| {
            assert!(
                r[idx("step")].is_empty() && r[idx("channel")].is_empty(),
                "an event row names no step or channel: {r:?}"
            );
            GestionEvent {
                account: r[idx("account")].to_string(),
                kind: r[idx("state")].to_string(),
                at: r[idx("at")].to_string(),
                detail: r[idx("detail")].to_string(),
                source: r[idx("source")].to_string(),
            }
        })
        .collect()
}

/// Parses the ledger CSV, checking the documented header: the rows about
/// contacts (the debtors' event rows are [`parse_gestion_events`]).
pub fn parse_gestiones(csv_text: &str) -> Vec<Gestion> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header row").clone();
    for column in [
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
    ] {
        assert!(
            headers.iter().any(|h| h == column),
            "export lacks column {column}: {headers:?}"
        );
    }
    let idx = |name: &str| headers.iter().position(|h| h == name).expect("column");
    reader
        .records()
        .map(|r| r.expect("csv row"))
        .filter(|r| !r[idx("contact_id")].is_empty())
        .map(|r| Gestion {
            contact_id: r[idx("contact_id")].to_string(),
            account: r[idx("account")].to_string(),
            channel: r[idx("channel")].to_string(),
            state: r[idx("state")].to_string(),
            at: r[idx("at")].to_string(),
            timezones: r[idx("timezones")].to_string(),
            rules: r[idx("rules")].to_string(),
            code: r[idx("code")].to_string(),
            detail: r[idx("detail")].to_string(),
            provider_id: r[idx("provider_id")].to_string(),
        })
        .collect()
}

/// Every contact's last ledger row is terminal and no contact was sent
/// twice; returns the ids sent.
pub fn assert_ledger_consistent(rows: &[Gestion]) -> std::collections::BTreeSet<String> {
    const TERMINAL: [&str; 7] = [
        "sent",
        "delivered",
        "undelivered",
        "blocked",
        "cancelled",
        "failed",
        "unknown",
    ];
    let mut last = std::collections::BTreeMap::new();
    let mut sent = std::collections::BTreeSet::new();
    for row in rows {
        last.insert(row.contact_id.clone(), row.state.clone());
        if row.state == "sent" {
            assert!(
                sent.insert(row.contact_id.clone()),
                "{} was sent twice",
                row.contact_id
            );
        }
    }
    for (contact, state) in &last {
        assert!(
            TERMINAL.contains(&state.as_str()),
            "{contact} ends in non-terminal state {state}"
        );
    }
    sent
}

/// `cobro export gestiones --campaign ID`, parsed.
pub fn export_rows(dir: &Path, store: &str, campaign: &str) -> Vec<Gestion> {
    let export = cobro(
        dir,
        &[
            "export",
            "gestiones",
            "--campaign",
            campaign,
            "--store",
            store,
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    parse_gestiones(&stdout(&export))
}

/// Counts of a campaign's contacts by their final ledger state, plus the
/// number of `retry` rows and of contacts that were retried.
#[derive(Debug, Default, Clone)]
pub struct LedgerFigures {
    pub contacts: usize,
    pub by_state: std::collections::BTreeMap<String, usize>,
    pub retry_rows: usize,
    pub retried_contacts: usize,
    pub deferred_rows: usize,
}

impl LedgerFigures {
    pub fn of(rows: &[Gestion]) -> Self {
        let mut last = std::collections::BTreeMap::new();
        let mut retried = std::collections::BTreeSet::new();
        let mut figures = LedgerFigures::default();
        for row in rows {
            last.insert(row.contact_id.as_str(), row.state.as_str());
            if row.state == "retry" {
                figures.retry_rows += 1;
                retried.insert(row.contact_id.as_str());
            }
            if row.state == "deferred" {
                figures.deferred_rows += 1;
            }
        }
        figures.contacts = last.len();
        figures.retried_contacts = retried.len();
        for state in last.values() {
            *figures.by_state.entry(state.to_string()).or_default() += 1;
        }
        figures
    }

    pub fn count(&self, state: &str) -> usize {
        self.by_state.get(state).copied().unwrap_or(0)
    }
}

impl std::fmt::Display for LedgerFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "contacts={}", self.contacts)?;
        for (state, n) in &self.by_state {
            write!(f, " {state}={n}")?;
        }
        write!(
            f,
            " retry_rows={} retried_contacts={} deferred_rows={}",
            self.retry_rows, self.retried_contacts, self.deferred_rows
        )
    }
}

/// Re-asks `packs` about every `sent` row of the ledger (the accounts
/// read from `portfolio`): none may have gone out outside a window (codes
/// `outside_hours`, `closed_day`, `holiday`). Returns how many were checked.
pub fn assert_sent_inside_windows(
    rows: &[Gestion],
    portfolio: &Path,
    packs: Vec<cobro_compliance::RulePack>,
) -> usize {
    use cobro_compliance::{ComplianceGuard, ContactAttempt, DebtorProfile};
    let accounts = cobro_campaigns::import::import_path(portfolio)
        .expect("portfolio")
        .accounts;
    let by_id: std::collections::BTreeMap<&str, _> =
        accounts.iter().map(|a| (a.id.as_str(), a)).collect();
    let guard = ComplianceGuard::with_packs(packs);
    let mut checked = 0;
    for row in rows.iter().filter(|r| r.state == "sent") {
        let account = by_id[row.account.as_str()];
        let channel = row.channel.parse().expect("channel");
        let point = account
            .contact_point_for(channel)
            .expect("sent to an address");
        let at: chrono::DateTime<chrono::Utc> = row.at.parse().expect("rfc3339");
        let verdict = guard.decide(
            &ContactAttempt {
                channel,
                suppressed: false,
            },
            &DebtorProfile::from_account(account, point),
            &[],
            at,
        );
        let window_problem: Vec<_> = verdict
            .reasons
            .iter()
            .filter(|r| ["outside_hours", "closed_day", "holiday"].contains(&r.code.as_str()))
            .collect();
        assert!(
            window_problem.is_empty(),
            "{} sent at {} outside its window: {:?}",
            row.contact_id,
            row.at,
            verdict.reasons
        );
        checked += 1;
    }
    checked
}
