//! What a collector records when a task is done, and what follows.

use chrono::{DateTime, NaiveDate, Utc};
use cobro_campaigns::book::{BookAction, EventSource};
use cobro_campaigns::{AccountFlag, ContactFlag, PlannedContact, debtor_key};
use cobro_compliance::{ContactAttempt, DebtorProfile, Decision};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::hand_out::call_channel;
use super::{WorkDesk, WorkError};
use crate::engine::actions::{ActionError, record_action_by};
use crate::engine::past_contacts;
use crate::store::{
    ContactState, LedgerCode, LedgerEntry, LedgerState, Store, Suppression, Transition,
};

/// What came of a task (`POST /api/work/{task}/outcome`'s `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    NoAnswer,
    LeftMessage,
    /// The number is someone else's: never called (or texted) again.
    WrongNumber,
    Promise,
    Plan,
    Refused,
    Dispute,
    /// Call back at `callback_at`: a new task, guarded when it is due.
    Callback,
    /// The debtor paid on the call (`amount`, `reference`).
    Paid,
    /// The debtor asked not to be called again.
    OptOut,
    /// The debtor died: the account is flagged and nobody is contacted.
    Deceased,
    /// The debtor is a minor: flagged, nobody is contacted.
    Minor,
}

impl Outcome {
    pub const ALL: [Outcome; 12] = [
        Outcome::NoAnswer,
        Outcome::LeftMessage,
        Outcome::WrongNumber,
        Outcome::Promise,
        Outcome::Plan,
        Outcome::Refused,
        Outcome::Dispute,
        Outcome::Callback,
        Outcome::Paid,
        Outcome::OptOut,
        Outcome::Deceased,
        Outcome::Minor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::LeftMessage => "left_message",
            Outcome::WrongNumber => "wrong_number",
            Outcome::Promise => "promise",
            Outcome::Plan => "plan",
            Outcome::Refused => "refused",
            Outcome::Dispute => "dispute",
            Outcome::Callback => "callback",
            Outcome::Paid => "paid",
            Outcome::OptOut => "opt_out",
            Outcome::Deceased => "deceased",
            Outcome::Minor => "minor",
        }
    }

    /// The ledger code (`call_<outcome>`).
    pub fn code(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "call_no_answer",
            Outcome::LeftMessage => "call_left_message",
            Outcome::WrongNumber => "call_wrong_number",
            Outcome::Promise => "call_promise",
            Outcome::Plan => "call_plan",
            Outcome::Refused => "call_refused",
            Outcome::Dispute => "call_dispute",
            Outcome::Callback => "call_callback",
            Outcome::Paid => "call_paid",
            Outcome::OptOut => "call_opt_out",
            Outcome::Deceased => "call_deceased",
            Outcome::Minor => "call_minor",
        }
    }

    pub fn parse(raw: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == raw.trim())
    }

    /// Whether the collector spoke with the debtor (the contact rate's
    /// numerator; it starts the packs' cooldowns).
    pub fn is_right_party(self) -> bool {
        matches!(
            self,
            Outcome::Promise
                | Outcome::Plan
                | Outcome::Refused
                | Outcome::Dispute
                | Outcome::Callback
                | Outcome::Paid
                | Outcome::OptOut
        )
    }

    /// The contact's final state: reached someone, or not.
    fn state(self) -> ContactState {
        match self {
            Outcome::NoAnswer | Outcome::WrongNumber => ContactState::Undelivered,
            _ => ContactState::Delivered,
        }
    }
}

/// The outcome and what it needs (the form's and the API's fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct OutcomeForm {
    /// no_answer, left_message, wrong_number, promise, plan, refused,
    /// dispute, callback, paid, opt_out, deceased, minor.
    pub outcome: String,
    /// promise, paid: a decimal amount ("1500.00").
    #[serde(default)]
    pub amount: Option<String>,
    /// promise: the date promised (YYYY-MM-DD).
    #[serde(default)]
    pub date: Option<String>,
    /// plan: number of instalments and the first one's date.
    #[serde(default)]
    pub instalments: Option<u32>,
    #[serde(default)]
    pub first_date: Option<String>,
    /// callback: when to call again (RFC 3339).
    #[serde(default)]
    pub callback_at: Option<String>,
    /// paid: the payment's reference (counted once).
    #[serde(default)]
    pub reference: Option<String>,
    /// dispute: the debtor's reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Free text for the gestión.
    #[serde(default)]
    pub note: Option<String>,
}

/// What recording did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutcomeRecorded {
    pub task: String,
    pub outcome: String,
    /// The contact's state now: delivered or undelivered.
    pub state: String,
    /// The guard would not have allowed the call at the instant it was
    /// recorded: kept, and flagged for compliance review.
    pub late: bool,
    /// The callback task planned, if any.
    pub callback: Option<String>,
}

fn bad(msg: impl Into<String>) -> WorkError {
    WorkError::BadOutcome(msg.into())
}

fn date_field(raw: Option<&str>, field: &str) -> Result<NaiveDate, WorkError> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty());
    let raw = raw.ok_or_else(|| bad(format!("{field}: a date (YYYY-MM-DD) is required")))?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| bad(format!("{field}: '{raw}' is not a date (YYYY-MM-DD)")))
}

fn amount_field(raw: Option<&str>) -> Result<Decimal, WorkError> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty());
    let raw = raw.ok_or_else(|| bad("amount: an amount is required"))?;
    raw.parse::<Decimal>()
        .ok()
        .filter(|d| *d > Decimal::ZERO)
        .ok_or_else(|| bad(format!("amount: '{raw}' is not a positive amount")))
}

/// Records `form` for the task `contact_id` leased to `collector`.
pub async fn record_outcome<S: Store>(
    desk: &WorkDesk<S>,
    store: &S,
    collector: &str,
    contact_id: &str,
    form: &OutcomeForm,
    now: DateTime<Utc>,
) -> Result<OutcomeRecorded, WorkError> {
    let outcome = Outcome::parse(&form.outcome).ok_or_else(|| {
        bad(format!(
            "outcome: '{}' is not one of {}",
            form.outcome,
            Outcome::ALL.map(Outcome::as_str).join(", ")
        ))
    })?;
    let record = store
        .contact(contact_id)
        .await?
        .ok_or_else(|| WorkError::NotFound(contact_id.to_string()))?;
    let lease = store
        .lease(contact_id)
        .await?
        .filter(|l| l.collector == collector)
        .ok_or_else(|| WorkError::NotYours(contact_id.to_string()))?;
    if record.state != ContactState::Sending {
        return Err(WorkError::NotYours(contact_id.to_string()));
    }
    let contact = &record.contact;
    let Some((mut account, _)) = store.account(&contact.account).await? else {
        return Err(WorkError::NotFound(contact_id.to_string()));
    };
    let phone = account
        .contact_point_for(contact.channel)
        .map(|p| p.address.clone())
        .unwrap_or_default();

    // What the outcome asks of the book, checked before anything is written.
    let (action, summary) = match outcome {
        Outcome::Promise => {
            let amount = amount_field(form.amount.as_deref())?;
            let date = date_field(form.date.as_deref(), "date")?;
            (
                Some(BookAction::Promise { date, amount }),
                format!("promise of {amount} {} for {date}", account.currency),
            )
        }
        Outcome::Plan => {
            let instalments = form
                .instalments
                .filter(|n| *n >= 2)
                .ok_or_else(|| bad("instalments: at least 2"))?;
            let first_date = date_field(form.first_date.as_deref(), "first_date")?;
            (
                Some(BookAction::Plan {
                    instalments,
                    first_date,
                }),
                format!("plan of {instalments} instalments from {first_date}"),
            )
        }
        Outcome::Dispute => {
            let reason = form.reason.clone().unwrap_or_default();
            (
                Some(BookAction::Dispute {
                    reason: if reason.trim().is_empty() {
                        "other".into()
                    } else {
                        reason.trim().to_string()
                    },
                    text: form.note.clone().unwrap_or_default(),
                }),
                "dispute".to_string(),
            )
        }
        Outcome::Paid => {
            let amount = amount_field(form.amount.as_deref())?;
            let reference = form
                .reference
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad("reference: the payment's reference is required"))?;
            (
                Some(BookAction::Payment {
                    amount,
                    at: now,
                    reference: reference.to_string(),
                }),
                format!("paid {amount} {} (ref {reference})", account.currency),
            )
        }
        Outcome::OptOut => (
            Some(BookAction::Preferences {
                optout: Some(call_channel(contact.channel)),
                prefer: None,
                avoid: None,
            }),
            "asked not to be called again".to_string(),
        ),
        other => (None, other.as_str().replace('_', " ")),
    };
    let callback_at = match outcome {
        Outcome::Callback => {
            let raw = form
                .callback_at
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad("callback_at: when to call again is required"))?;
            let at = DateTime::parse_from_rfc3339(raw)
                .map(|d| d.with_timezone(&Utc))
                .or_else(|_| {
                    // A browser's datetime-local field: read as UTC.
                    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                        .map(|d| d.and_utc())
                })
                .map_err(|_| bad(format!("callback_at: '{raw}' is not a date and time")))?;
            if at <= now {
                return Err(bad("callback_at: must be in the future"));
            }
            Some(at)
        }
        _ => None,
    };
    if let Some(action) = &action {
        let limits = desk
            .dispatcher(&contact.campaign)
            .map(|d| d.book_limits)
            .unwrap_or_default();
        match record_action_by(
            store,
            &account.id,
            action,
            EventSource::Agent,
            Some(collector),
            now,
            &limits,
        )
        .await
        {
            Ok(_) => {}
            Err(ActionError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(bad(e.to_string())),
        }
    }

    // The guard, asked again at this instant, history without this call.
    let late_verdict = match (
        desk.dispatcher(&contact.campaign),
        account.contact_point_for(contact.channel),
    ) {
        (Some(d), Some(point)) => {
            let key = debtor_key(&account);
            let (entries, _) = store.history(&key).await?;
            let others: Vec<_> = entries
                .into_iter()
                .filter(|e| !(e.at == lease.leased_at && e.account == account.id))
                .collect();
            let mut profile = DebtorProfile::from_account(&account, point);
            profile.avoid = crate::engine::avoided_hours(&store.book(&account.id).await?.0);
            let verdict = d.guard.decide(
                &ContactAttempt {
                    channel: contact.channel.guarded_as(),
                    suppressed: false,
                },
                &profile,
                &past_contacts(&others, &account.id),
                now,
            );
            (!matches!(verdict.decision, Decision::Allow)).then_some(verdict)
        }
        _ => None,
    };

    let state = outcome.state();
    let ledger_state = if state == ContactState::Delivered {
        LedgerState::Delivered
    } else {
        LedgerState::Undelivered
    };
    let mut row = LedgerEntry::for_contact(contact, ledger_state, now);
    row.code = Some(LedgerCode::Call(outcome).into());
    row.detail = Some(match form.note.as_deref().map(str::trim) {
        Some(note) if !note.is_empty() => format!("{summary}; {note}"),
        _ => summary,
    });
    row.provider = Some(collector.to_string());
    row.attempt = record.attempt;
    let mut rows = vec![row];
    if let Some(verdict) = &late_verdict {
        let mut late = LedgerEntry::for_contact(contact, ledger_state, now);
        late.code = Some(LedgerCode::LateOutcome.into());
        late.rules = verdict.rules.clone();
        late.timezones = verdict.timezones.iter().map(|z| z.to_string()).collect();
        late.detail = Some(format!(
            "recorded when the guard would not allow the call ({}); kept for compliance review",
            verdict
                .reasons
                .first()
                .map(|r| r.code.as_str())
                .unwrap_or("closed")
        ));
        late.provider = Some(collector.to_string());
        late.attempt = record.attempt;
        rows.push(late);
    }
    if !store
        .transition(contact_id, Transition::Finish(state), &rows)
        .await?
    {
        return Err(WorkError::NotYours(contact_id.to_string()));
    }
    store.end_lease(contact_id, collector).await?;

    if outcome.is_right_party() {
        store
            .record_conversation(
                &debtor_key(&account),
                &account.id,
                call_channel(contact.channel),
                now,
            )
            .await?;
    }
    match outcome {
        Outcome::WrongNumber if !phone.is_empty() => {
            // Reassigned: the guard blocks the number, and the list keeps
            // it blocked even if a later import forgets the flag.
            for point in account.contact_points.iter_mut() {
                if point.address == phone {
                    point.flags.insert(ContactFlag::Reassigned);
                }
            }
            store.put_accounts(std::slice::from_ref(&account)).await?;
            store
                .suppress(&Suppression {
                    channel: None,
                    address: phone.clone(),
                    prefix: false,
                    source: "wrong_number".into(),
                    at: now,
                })
                .await?;
        }
        Outcome::Deceased | Outcome::Minor => {
            account.flags.insert(if outcome == Outcome::Deceased {
                AccountFlag::Deceased
            } else {
                AccountFlag::Minor
            });
            store.put_accounts(std::slice::from_ref(&account)).await?;
        }
        _ => {}
    }
    let callback = match callback_at {
        Some(at) => {
            let planned = PlannedContact {
                id: format!("{}+callback-{}", contact.id, now.timestamp()),
                campaign: contact.campaign.clone(),
                account: contact.account.clone(),
                step: format!("{}+callback", contact.step),
                channel: contact.channel,
                template: contact.template.clone(),
                fallback: None,
                due_at: at,
                team: contact.team.clone(),
            };
            store.add_contacts(std::slice::from_ref(&planned)).await?;
            Some(planned.id)
        }
        None => None,
    };
    Ok(OutcomeRecorded {
        task: contact_id.to_string(),
        outcome: outcome.as_str().to_string(),
        state: state.as_str().to_string(),
        late: late_verdict.is_some(),
        callback,
    })
}
