//! "Gestión telefónica / Collectors' calls": what the collectors did with
//! the campaign's agent steps, from the ledger: the tasks handed out (the
//! guard's `allowed` row of an agent contact), the outcomes recorded
//! (`call_*`), the contact rate, the promises and what they promised, and
//! the outcomes recorded when the guard would not have allowed the call
//! (`late_outcome`, for compliance review).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{LedgerCode, LedgerEntry, LedgerState};
use crate::work_queue::Outcome;

/// The collectors' figures of one campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallsSummary {
    /// Tasks handed to a collector (a task handed out again after its
    /// lease ended counts again).
    pub handed_out: u64,
    /// Outcomes recorded, by kind (`no_answer`, `promise`...).
    pub outcomes: BTreeMap<String, u64>,
    /// Outcomes where the collector spoke with the debtor.
    pub right_party: u64,
    /// Promises made on a call, and their amount per currency.
    pub promises: u64,
    pub promised: BTreeMap<String, Decimal>,
    /// Outcomes recorded outside what the guard allows (must be 0).
    pub late: u64,
}

impl CallsSummary {
    /// Counts one ledger row (any other channel's rows are ignored).
    pub fn add(&mut self, row: &LedgerEntry) {
        if !row.channel.is_agent() {
            return;
        }
        let code = row.code.as_deref().unwrap_or("");
        // The hand-out's row is the guard's `allowed` (its code, if any, a
        // guard note); a supervisor's reassignment is not a new task.
        if row.state == LedgerState::Allowed && code != LedgerCode::TaskReassigned.as_str() {
            self.handed_out += 1;
            return;
        }
        if code == LedgerCode::LateOutcome.as_str() {
            self.late += 1;
            return;
        }
        let Some(outcome) = Outcome::ALL.into_iter().find(|o| o.code() == code) else {
            return;
        };
        *self
            .outcomes
            .entry(outcome.as_str().to_string())
            .or_default() += 1;
        if outcome.is_right_party() {
            self.right_party += 1;
        }
        if outcome == Outcome::Promise {
            self.promises += 1;
            if let Some((amount, currency)) = row.detail.as_deref().and_then(promised) {
                *self.promised.entry(currency).or_default() += amount;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.handed_out == 0 && self.outcomes.is_empty() && self.late == 0
    }

    pub fn recorded(&self) -> u64 {
        self.outcomes.values().sum()
    }

    /// Right-party contacts over outcomes recorded, in percent.
    pub fn contact_rate(&self) -> Decimal {
        match self.recorded() {
            0 => Decimal::ZERO,
            n => (Decimal::from(self.right_party) * Decimal::ONE_HUNDRED / Decimal::from(n))
                .round_dp(1),
        }
    }

    fn promised_text(&self) -> String {
        if self.promised.is_empty() {
            return "-".into();
        }
        self.promised
            .iter()
            .map(|(c, a)| {
                let dp = cobro_campaigns::iso::currency_decimals(c).unwrap_or(2) as usize;
                format!("{a:.dp$} {c}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nGestión telefónica / Collectors' calls:");
        let _ = writeln!(out, "  {:<22} {:>8}", "tasks handed out", self.handed_out);
        let _ = writeln!(out, "  {:<22} {:>8}", "outcomes recorded", self.recorded());
        for (kind, n) in &self.outcomes {
            let _ = writeln!(out, "    {kind:<20} {n:>8}");
        }
        let _ = writeln!(out, "  {:<22} {:>7}%", "contact rate", self.contact_rate());
        let _ = writeln!(out, "  {:<22} {:>8}", "promises", self.promises);
        let _ = writeln!(out, "  {:<22} {}", "amount promised", self.promised_text());
        let _ = writeln!(out, "  {:<22} {:>8}", "late outcomes", self.late);
        out
    }

    pub fn to_html(&self, esc: impl Fn(&str) -> String) -> String {
        let mut html = String::from(
            "<h2>Gestión telefónica / Collectors' calls</h2><table id=\"calls\">\
             <tr><th class=\"l\">key</th><th>count</th></tr>",
        );
        let mut row = |k: &str, v: String| {
            let _ = write!(
                html,
                "<tr><td class=\"l\">{}</td><td>{}</td></tr>",
                esc(k),
                esc(&v)
            );
        };
        row("tasks handed out", self.handed_out.to_string());
        row("outcomes recorded", self.recorded().to_string());
        for (kind, n) in &self.outcomes {
            row(&format!("· {kind}"), n.to_string());
        }
        row("contact rate", format!("{}%", self.contact_rate()));
        row("promises", self.promises.to_string());
        row("amount promised", self.promised_text());
        row("late outcomes", self.late.to_string());
        html.push_str("</table>");
        html
    }
}

/// The amount and currency of a `call_promise` row's detail, written by
/// the outcome as "promise of {amount} {currency} for {date}".
fn promised(detail: &str) -> Option<(Decimal, String)> {
    let rest = detail.strip_prefix("promise of ")?;
    let mut words = rest.split_whitespace();
    let amount = words.next()?.parse::<Decimal>().ok()?;
    let currency = words.next()?.to_string();
    Some((amount, currency))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use cobro_campaigns::ChannelKind;

    use super::*;

    fn row(channel: ChannelKind, state: LedgerState, code: Option<&str>) -> LedgerEntry {
        let contact = cobro_campaigns::PlannedContact {
            id: "c/A1/d10".into(),
            campaign: "c".into(),
            account: "A1".into(),
            step: "d10".into(),
            channel,
            template: "llamada".into(),
            fallback: None,
            due_at: Utc::now(),
            team: Some("cobranza".into()),
        };
        let mut r = LedgerEntry::for_contact(&contact, state, Utc::now());
        r.code = code.map(str::to_string);
        r
    }

    #[test]
    fn counts_hand_outs_outcomes_promises_and_late_rows_of_agent_channels_only() {
        let mut s = CallsSummary::default();
        s.add(&row(ChannelKind::AgentCall, LedgerState::Allowed, None));
        s.add(&row(ChannelKind::AgentCall, LedgerState::Allowed, None));
        s.add(&row(ChannelKind::Voice, LedgerState::Allowed, None));
        let mut promise = row(
            ChannelKind::AgentCall,
            LedgerState::Delivered,
            Some("call_promise"),
        );
        promise.detail = Some("promise of 1500.50 MXN for 2026-12-20; paga el viernes".into());
        s.add(&promise);
        s.add(&row(
            ChannelKind::AgentCall,
            LedgerState::Undelivered,
            Some("call_no_answer"),
        ));
        s.add(&row(
            ChannelKind::AgentCall,
            LedgerState::Undelivered,
            Some("late_outcome"),
        ));
        assert_eq!(s.handed_out, 2);
        assert_eq!(s.recorded(), 2);
        assert_eq!(s.right_party, 1);
        assert_eq!(s.contact_rate(), Decimal::new(500, 1));
        assert_eq!(s.promised.get("MXN"), Some(&Decimal::new(150050, 2)));
        assert_eq!(s.late, 1);
        let text = s.to_text();
        assert!(
            text.contains("Gestión telefónica / Collectors' calls"),
            "{text}"
        );
        assert!(text.contains("1500.50 MXN"), "{text}");
        assert!(CallsSummary::default().is_empty());
    }
}
