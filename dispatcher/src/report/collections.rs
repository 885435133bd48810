//! What a campaign collected: payments and amounts per currency, promises
//! and plans kept and broken, disputes. Read from the accounts' books (the
//! ledger holds contacts, the books hold what the debtors did), as of an
//! instant, so a simulation's report judges promises at its virtual end.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use cobro_campaigns::book::{AccountBook, PromiseState};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{Store, StoreError};

/// Books read per store call.
const CHUNK: usize = 500;

/// Money of one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Money {
    pub accounts: u64,
    pub amount_due: Decimal,
    pub payments: u64,
    pub paid: Decimal,
    /// Accounts whose balance reached zero.
    pub paid_in_full: u64,
    /// Accounts that paid something but still owe.
    pub paid_in_part: u64,
}

impl Money {
    /// Paid over due, in percent (two decimals); zero when nothing is due.
    pub fn recovery_percent(&self) -> Decimal {
        if self.amount_due.is_zero() {
            return Decimal::ZERO;
        }
        (self.paid * Decimal::ONE_HUNDRED / self.amount_due).round_dp(2)
    }
}

/// Open / kept / broken counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    pub made: u64,
    pub open: u64,
    pub kept: u64,
    pub broken: u64,
}

impl Outcomes {
    fn count(&mut self, state: PromiseState) {
        self.made += 1;
        match state {
            PromiseState::Open => self.open += 1,
            PromiseState::Kept => self.kept += 1,
            PromiseState::Broken => self.broken += 1,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CollectionsSummary {
    pub as_of: Option<DateTime<Utc>>,
    /// Per ISO 4217 currency.
    pub money: BTreeMap<String, Money>,
    /// Promises made alone (not a plan's instalments).
    pub promises: Outcomes,
    /// Plans: kept when every instalment was, broken when one was.
    pub plans: Outcomes,
    pub disputes_opened: u64,
    pub disputes_resolved: u64,
    /// Accounts that set a preference (a channel off, a preferred one,
    /// inconvenient hours).
    pub accounts_with_preferences: u64,
}

impl CollectionsSummary {
    /// The summary of `accounts` (ids) as of `as_of`.
    pub async fn from_store<S: Store>(
        store: &S,
        accounts: &[String],
        as_of: DateTime<Utc>,
        grace_days: u32,
    ) -> Result<Self, StoreError> {
        let mut summary = CollectionsSummary {
            as_of: Some(as_of),
            ..Default::default()
        };
        for chunk in accounts.chunks(CHUNK) {
            let found = store.accounts(chunk).await?;
            let books = store.books(chunk).await?;
            for (account, book) in found.into_iter().zip(books) {
                if let Some((account, _)) = account {
                    summary.add(
                        &account.currency,
                        account.amount_due,
                        &book,
                        as_of,
                        grace_days,
                    );
                }
            }
        }
        Ok(summary)
    }

    pub fn add(
        &mut self,
        currency: &str,
        amount_due: Decimal,
        book: &AccountBook,
        as_of: DateTime<Utc>,
        grace_days: u32,
    ) {
        let money = self.money.entry(currency.to_string()).or_default();
        money.accounts += 1;
        money.amount_due += amount_due;
        money.payments += book.payments.len() as u64;
        let paid = book.paid();
        money.paid += paid;
        if !book.payments.is_empty() {
            if book.balance(amount_due).is_zero() {
                money.paid_in_full += 1;
            } else if paid > Decimal::ZERO {
                money.paid_in_part += 1;
            }
        }
        let mut plans: BTreeMap<usize, Vec<PromiseState>> = BTreeMap::new();
        for (i, promise) in book.promises.iter().enumerate() {
            let state = book.promise_state(i, as_of, grace_days);
            match promise.plan {
                None => self.promises.count(state),
                Some((plan, _)) => plans.entry(plan).or_default().push(state),
            }
        }
        for states in plans.values() {
            self.plans.count(if states.contains(&PromiseState::Broken) {
                PromiseState::Broken
            } else if states.iter().all(|s| *s == PromiseState::Kept) {
                PromiseState::Kept
            } else {
                PromiseState::Open
            });
        }
        self.disputes_opened += book.disputes.len() as u64;
        self.disputes_resolved += book
            .disputes
            .iter()
            .filter(|d| d.resolved_at.is_some())
            .count() as u64;
        let p = &book.preferences;
        if !p.optout.is_empty() || p.prefer.is_some() || !p.avoid.is_empty() {
            self.accounts_with_preferences += 1;
        }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nCollected (payments as of the end of the run):");
        let _ = writeln!(
            out,
            "  {:<8} {:>8} {:>18} {:>9} {:>18} {:>9} {:>9} {:>9}",
            "currency", "accounts", "due", "payments", "paid", "recovery", "in full", "in part"
        );
        for (currency, m) in &self.money {
            let _ = writeln!(
                out,
                "  {:<8} {:>8} {:>18} {:>9} {:>18} {:>8}% {:>9} {:>9}",
                currency,
                m.accounts,
                format!("{:.2}", m.amount_due),
                m.payments,
                format!("{:.2}", m.paid),
                format!("{:.2}", m.recovery_percent()),
                m.paid_in_full,
                m.paid_in_part
            );
        }
        let _ = writeln!(
            out,
            "\n  {:<10} {:>6} {:>6} {:>6} {:>6}",
            "", "made", "kept", "broken", "open"
        );
        for (name, o) in [("promises", &self.promises), ("plans", &self.plans)] {
            let _ = writeln!(
                out,
                "  {:<10} {:>6} {:>6} {:>6} {:>6}",
                name, o.made, o.kept, o.broken, o.open
            );
        }
        let _ = writeln!(
            out,
            "\n  disputes: {} opened, {} resolved; {} debtors set contact preferences",
            self.disputes_opened, self.disputes_resolved, self.accounts_with_preferences
        );
        out
    }

    pub fn to_html(&self) -> String {
        let mut html = String::from(
            "<h2>Collected</h2><table id=\"collected\"><tr><th class=\"l\">currency</th><th>accounts</th><th>due</th>\
             <th>payments</th><th>paid</th><th>recovery</th><th>paid in full</th><th>paid in part</th></tr>",
        );
        for (currency, m) in &self.money {
            let _ = write!(
                html,
                "<tr><td class=\"l\">{currency}</td><td>{}</td><td>{:.2}</td><td>{}</td><td>{:.2}</td><td>{:.2}%</td><td>{}</td><td>{}</td></tr>",
                m.accounts,
                m.amount_due,
                m.payments,
                m.paid,
                m.recovery_percent(),
                m.paid_in_full,
                m.paid_in_part
            );
        }
        html.push_str(
            "</table><table id=\"promises\"><tr><th class=\"l\"></th><th>made</th><th>kept</th><th>broken</th><th>open</th></tr>",
        );
        for (name, o) in [("promises", &self.promises), ("plans", &self.plans)] {
            let _ = write!(
                html,
                "<tr><td class=\"l\">{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                o.made, o.kept, o.broken, o.open
            );
        }
        let _ = write!(
            html,
            "</table><p>Disputes: {} opened, {} resolved; {} debtors set contact preferences.</p>",
            self.disputes_opened, self.disputes_resolved, self.accounts_with_preferences
        );
        html
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone};
    use cobro_campaigns::book::{BookAction, BookLimits, EventSource};

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0)
            .single()
            .expect("instant")
    }

    fn apply(book: &mut AccountBook, action: BookAction, now: DateTime<Utc>) {
        book.apply(
            &action,
            EventSource::Simulation,
            Decimal::new(100000, 2),
            2,
            now,
            &BookLimits::default(),
        )
        .expect("allowed");
    }

    #[test]
    fn counts_money_promises_and_plans_as_of_an_instant() {
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).expect("date");
        let due = Decimal::new(100000, 2);
        // A: pays 400 of a 400 promise (kept), then the rest.
        let mut a = AccountBook::default();
        apply(
            &mut a,
            BookAction::Promise {
                date: date(5),
                amount: Decimal::new(40000, 2),
            },
            at(1),
        );
        apply(
            &mut a,
            BookAction::Payment {
                amount: Decimal::new(40000, 2),
                at: at(4),
                reference: "r1".into(),
            },
            at(4),
        );
        // B: promises and pays nothing (broken by day 20); a 3-instalment
        // plan still running.
        let mut b = AccountBook::default();
        apply(
            &mut b,
            BookAction::Promise {
                date: date(3),
                amount: Decimal::new(10000, 2),
            },
            at(1),
        );
        apply(
            &mut b,
            BookAction::Plan {
                instalments: 3,
                first_date: date(10),
            },
            at(8),
        );
        let mut s = CollectionsSummary::default();
        s.add("MXN", due, &a, at(20), 3);
        s.add("MXN", due, &b, at(20), 3);
        let m = &s.money["MXN"];
        assert_eq!(
            (m.accounts, m.payments, m.paid_in_part, m.paid_in_full),
            (2, 1, 1, 0)
        );
        assert_eq!(m.paid, Decimal::new(40000, 2));
        assert_eq!(m.recovery_percent(), Decimal::new(2000, 2));
        assert_eq!(
            s.promises,
            Outcomes {
                made: 2,
                open: 0,
                kept: 1,
                broken: 1
            }
        );
        // The plan's first instalment (day 10 + 3 grace) went unpaid.
        assert_eq!(s.plans.broken, 1);
        // Judged the day the plan was agreed, it is still open.
        let mut early = CollectionsSummary::default();
        early.add("MXN", due, &b, at(8) + Duration::hours(1), 3);
        assert_eq!(early.plans.open, 1);
        assert!(s.to_text().contains("20.00%"), "{}", s.to_text());
    }
}
