//! What a debtor (or the API, a file, a provider, an agent) can do to an
//! account, validated against the house limits and applied to the book.
//! Every action is idempotent: applying it twice changes nothing the
//! second time, so a double-submitted form or a redelivered webhook is
//! harmless.

use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::{AccountBook, BookEvent, Dispute, EventSource, Payment, Plan, Promise, PromiseState};
use crate::ChannelKind;

/// The house limits on what a debtor may agree to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookLimits {
    /// A promise's date is at most this many days ahead.
    pub promise_max_days: u32,
    /// Days after a promise's date before it counts as broken.
    pub grace_days: u32,
    pub plan_min_instalments: u32,
    pub plan_max_instalments: u32,
    /// A balance at or below this counts as paid (rounding left-overs).
    pub paid_tolerance: Decimal,
}

impl Default for BookLimits {
    fn default() -> Self {
        BookLimits {
            promise_max_days: 30,
            grace_days: 3,
            plan_min_instalments: 2,
            plan_max_instalments: 12,
            paid_tolerance: Decimal::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookAction {
    Payment {
        amount: Decimal,
        at: DateTime<Utc>,
        reference: String,
    },
    Promise {
        date: NaiveDate,
        amount: Decimal,
    },
    Plan {
        instalments: u32,
        first_date: NaiveDate,
    },
    Dispute {
        reason: String,
        text: String,
    },
    DisputeResolved,
    Preferences {
        optout: Option<ChannelKind>,
        prefer: Option<ChannelKind>,
        avoid: Option<(NaiveTime, NaiveTime)>,
    },
}

impl BookAction {
    pub fn kind(&self) -> &'static str {
        match self {
            BookAction::Payment { .. } => "payment",
            BookAction::Promise { .. } => "promise",
            BookAction::Plan { .. } => "plan",
            BookAction::Dispute { .. } => "dispute",
            BookAction::DisputeResolved => "dispute_resolved",
            BookAction::Preferences { .. } => "preferences",
        }
    }
}

/// Why an action was refused; `field()` names the form field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("the amount must be greater than zero")]
    AmountNotPositive,
    #[error("the amount {amount} is more than the balance {balance}")]
    AmountAboveBalance { amount: Decimal, balance: Decimal },
    #[error("the date {date} is before today ({today})")]
    DateInPast { date: NaiveDate, today: NaiveDate },
    #[error("the date {date} is after {max}, the latest a promise may give")]
    DateTooFar { date: NaiveDate, max: NaiveDate },
    #[error("a plan has between {min} and {max} instalments, not {given}")]
    InstalmentsOutOfRange { given: u32, min: u32, max: u32 },
    #[error("the account is already paid")]
    AlreadyPaid,
    #[error("a dispute needs a reason")]
    ReasonMissing,
    #[error("the account has no open dispute")]
    NoOpenDispute,
    #[error("the avoided hours start and end at the same time")]
    EmptyHours,
    #[error("a payment reference is required")]
    ReferenceMissing,
}

impl BookError {
    /// The form field (or CLI flag) the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            BookError::AmountNotPositive | BookError::AmountAboveBalance { .. } => "amount",
            BookError::DateInPast { .. } | BookError::DateTooFar { .. } => "date",
            BookError::InstalmentsOutOfRange { .. } => "instalments",
            BookError::AlreadyPaid => "account",
            BookError::ReasonMissing => "reason",
            BookError::NoOpenDispute => "dispute",
            BookError::EmptyHours => "avoid",
            BookError::ReferenceMissing => "reference",
        }
    }
}

/// What applying an action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// False when the action was already in the book (a repeat).
    pub changed: bool,
    /// The balance reached zero (within tolerance) with this action.
    pub became_paid: bool,
}

impl AccountBook {
    /// Validates `action` against `limits` at `now` and records it, with
    /// an event-log entry naming `source`.
    pub fn apply(
        &mut self,
        action: &BookAction,
        source: EventSource,
        amount_due: Decimal,
        currency_decimals: u32,
        now: DateTime<Utc>,
        limits: &BookLimits,
    ) -> Result<Applied, BookError> {
        let balance = self.balance(amount_due);
        let was_paid = self.is_paid(amount_due, limits.paid_tolerance);
        let today = now.date_naive();
        let detail = match action {
            BookAction::Payment {
                amount,
                at,
                reference,
            } => {
                if *amount <= Decimal::ZERO {
                    return Err(BookError::AmountNotPositive);
                }
                if reference.trim().is_empty() {
                    return Err(BookError::ReferenceMissing);
                }
                if self.has_payment(reference) {
                    return Ok(Applied::default());
                }
                self.payments.push(Payment {
                    at: *at,
                    amount: *amount,
                    reference: reference.clone(),
                    source,
                });
                format!("{amount} ref {reference}")
            }
            BookAction::Promise { date, amount } => {
                if was_paid {
                    return Err(BookError::AlreadyPaid);
                }
                check_amount(*amount, balance)?;
                check_date(*date, today, limits)?;
                let repeat = self.promises.iter().enumerate().any(|(i, p)| {
                    p.plan.is_none()
                        && p.date == *date
                        && p.amount == *amount
                        && self.promise_state(i, now, limits.grace_days) == PromiseState::Open
                });
                if repeat {
                    return Ok(Applied::default());
                }
                self.promises.push(Promise {
                    made_at: now,
                    date: *date,
                    amount: *amount,
                    source,
                    plan: None,
                });
                format!("{amount} by {date}")
            }
            BookAction::Plan {
                instalments,
                first_date,
            } => {
                if was_paid {
                    return Err(BookError::AlreadyPaid);
                }
                let (min, max) = (limits.plan_min_instalments, limits.plan_max_instalments);
                if !(min..=max).contains(instalments) {
                    return Err(BookError::InstalmentsOutOfRange {
                        given: *instalments,
                        min,
                        max,
                    });
                }
                check_date(*first_date, today, limits)?;
                let open_plan = self.promises.iter().enumerate().any(|(i, p)| {
                    p.plan.is_some()
                        && self.promise_state(i, now, limits.grace_days) == PromiseState::Open
                });
                if open_plan {
                    return Ok(Applied::default());
                }
                let plan = self.plans.len();
                self.plans.push(Plan {
                    made_at: now,
                    instalments: *instalments,
                    source,
                });
                for (n, amount) in split(balance, *instalments, currency_decimals)
                    .into_iter()
                    .enumerate()
                {
                    let n = n as u32;
                    self.promises.push(Promise {
                        made_at: now,
                        date: *first_date + Months::new(n),
                        amount,
                        source,
                        plan: Some((plan, n + 1)),
                    });
                }
                format!("{instalments} instalments from {first_date}, {balance} in all")
            }
            BookAction::Dispute { reason, text } => {
                if reason.trim().is_empty() {
                    return Err(BookError::ReasonMissing);
                }
                if self.open_dispute().is_some() {
                    return Ok(Applied::default());
                }
                self.disputes.push(Dispute {
                    opened_at: now,
                    reason: reason.trim().to_string(),
                    text: text.trim().to_string(),
                    source,
                    resolved_at: None,
                });
                reason.trim().to_string()
            }
            BookAction::DisputeResolved => {
                let Some(open) = self
                    .disputes
                    .iter_mut()
                    .rev()
                    .find(|d| d.resolved_at.is_none())
                else {
                    return Err(BookError::NoOpenDispute);
                };
                open.resolved_at = Some(now);
                "the dispute was resolved".to_string()
            }
            BookAction::Preferences {
                optout,
                prefer,
                avoid,
            } => {
                let before = self.preferences.clone();
                if let Some(channel) = optout {
                    self.preferences.optout.insert(*channel);
                }
                if let Some(channel) = prefer {
                    self.preferences.prefer = Some(*channel);
                }
                if let Some((from, to)) = avoid {
                    if from == to {
                        return Err(BookError::EmptyHours);
                    }
                    if !self.preferences.avoid.contains(&(*from, *to)) {
                        self.preferences.avoid.push((*from, *to));
                    }
                }
                if self.preferences == before {
                    return Ok(Applied::default());
                }
                describe_preferences(*optout, *prefer, *avoid)
            }
        };
        self.events.push(BookEvent {
            at: match action {
                BookAction::Payment { at, .. } => *at,
                _ => now,
            },
            kind: action.kind().to_string(),
            source,
            detail,
            by: None,
        });
        Ok(Applied {
            changed: true,
            became_paid: !was_paid && self.is_paid(amount_due, limits.paid_tolerance),
        })
    }
}

fn check_amount(amount: Decimal, balance: Decimal) -> Result<(), BookError> {
    if amount <= Decimal::ZERO {
        return Err(BookError::AmountNotPositive);
    }
    if amount > balance {
        return Err(BookError::AmountAboveBalance { amount, balance });
    }
    Ok(())
}

fn check_date(date: NaiveDate, today: NaiveDate, limits: &BookLimits) -> Result<(), BookError> {
    if date < today {
        return Err(BookError::DateInPast { date, today });
    }
    let max = today + chrono::Days::new(u64::from(limits.promise_max_days));
    if date > max {
        return Err(BookError::DateTooFar { date, max });
    }
    Ok(())
}

/// `total` in `n` equal instalments at the currency's precision; the last
/// one takes the rounding remainder so the plan adds up exactly.
pub(super) fn split(total: Decimal, n: u32, decimals: u32) -> Vec<Decimal> {
    let each =
        (total / Decimal::from(n)).round_dp_with_strategy(decimals, RoundingStrategy::ToZero);
    let mut parts = vec![each; n as usize];
    if let Some(last) = parts.last_mut() {
        *last = total - each * Decimal::from(n - 1);
    }
    parts
}

fn describe_preferences(
    optout: Option<ChannelKind>,
    prefer: Option<ChannelKind>,
    avoid: Option<(NaiveTime, NaiveTime)>,
) -> String {
    let mut parts = Vec::new();
    if let Some(c) = optout {
        parts.push(format!("opt out of {c}"));
    }
    if let Some(c) = prefer {
        parts.push(format!("prefers {c}"));
    }
    if let Some((from, to)) = avoid {
        parts.push(format!(
            "avoid {}–{}",
            from.format("%H:%M"),
            to.format("%H:%M")
        ));
    }
    parts.join("; ")
}
