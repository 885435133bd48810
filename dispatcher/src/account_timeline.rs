//! The gestiones of an account: everything cobro planned, decided and
//! sent, what the providers reported, what the debtor answered, and what
//! the debtor (or the API, a file, a payment provider) recorded in the
//! book — one list, oldest first, each entry naming who or what caused it.
//!
//! This is the one home of "the gestiones of an account":
//! [`merge_gestiones`] is the merge `cobro export gestiones` writes (ledger
//! rows in their order, the book events in their place in time), and
//! [`account_timeline`] is the same merge plus the planned contacts, as
//! `GET /api/accounts/{id}/gestiones` and the console's expediente page
//! show it. The export and the page therefore cannot disagree about which
//! gestiones an account has.

use chrono::{DateTime, NaiveDate, Utc};
use cobro_campaigns::book::{AccountBook, BookEvent};
use cobro_campaigns::{Account, ChannelKind};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{ContactRecord, LedgerEntry, LedgerFilter, LedgerState, Store, StoreError};

/// One gestión of the export: a ledger row, or a book event of `account`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gestion<'a> {
    Row(&'a LedgerEntry),
    Event {
        account: &'a str,
        event: &'a BookEvent,
    },
}

/// The ledger rows in their order, each preceded by the book events up to
/// its instant (an event and a row at the same instant: the event first);
/// the events after the last row close the list. `events` are oldest
/// first, each with its account.
pub fn merge_gestiones<'a>(
    rows: &'a [LedgerEntry],
    events: &'a [(String, BookEvent)],
) -> Vec<Gestion<'a>> {
    let mut out = Vec::with_capacity(rows.len() + events.len());
    let mut events = events.iter().peekable();
    let event = |(account, event): &'a (String, BookEvent)| Gestion::Event {
        account: account.as_str(),
        event,
    };
    for r in rows {
        while let Some(e) = events.next_if(|(_, e)| e.at <= r.at) {
            out.push(event(e));
        }
        out.push(Gestion::Row(r));
    }
    out.extend(events.map(event));
    out
}

/// The actor of everything the engine and the guard do.
pub const ENGINE: &str = "cobro";
/// The actor of an inbound reply: the debtor wrote it.
pub const DEBTOR: &str = "debtor";

/// Every `kind` a [`TimelineEntry`] can have (pages translate each).
pub const KINDS: [&str; 18] = [
    "planned",
    "decision",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "retry",
    "unknown",
    "cancelled",
    "opt_out",
    "inbound",
    "payment",
    "promise",
    "plan",
    "dispute",
    "dispute_resolved",
    "preferences",
    "event",
];

/// One line of an account's gestiones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    /// When it happened; for a planned contact, when it was planned for.
    pub at: DateTime<Utc>,
    /// One of [`KINDS`]: `planned`; `decision` (the guard's, see `state`);
    /// the ledger's outcomes (`sent`, `delivered`, `undelivered`,
    /// `failed`, `retry`, `unknown`, `cancelled`, `opt_out` — a
    /// cancellation because the debtor opted out —, `inbound` — a reply);
    /// the book's events (`payment`, `promise`, `plan`, `dispute`,
    /// `dispute_resolved`, `preferences`; `event` for any other).
    pub kind: &'static str,
    /// A contact's: the contact's state now; a ledger row's: its state as
    /// exported (`allowed`, `deferred`, `blocked`, `sent`…); a book
    /// event's: its kind, as the export writes it.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// Who or what caused it: `cobro` (the plan, the guard, the engine),
    /// the provider's name (delivery reports, refusals), `debtor` (an
    /// inbound reply), and for a book event the signed-in user who
    /// recorded it (an email) or else its `source`.
    pub actor: String,
    /// A book event's source, as the export's `source` column writes it:
    /// `portal`, `api`, `cli`, `webhook`, `agent`, `import`, `simulation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
    /// The rule packs the guard applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The ledger's reason code (`outside_hours`, `promise_hold`, a
    /// provider's own code…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The explanation as recorded: the guard's words for a decision, the
    /// provider's for a failure, the reply's text, the event's detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The zones the guard read the debtor's clock in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timezones: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// A planned contact still to go: when it is due now (deferrals and
    /// retries move it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Money of a payment, a promise or a plan, in `currency`.
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// A promise's date (the first instalment's for a plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promised_for: Option<NaiveDate>,
    /// A payment's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl TimelineEntry {
    fn new(at: DateTime<Utc>, kind: &'static str, state: String, actor: String) -> Self {
        TimelineEntry {
            at,
            kind,
            state,
            channel: None,
            campaign: None,
            step: None,
            contact_id: None,
            actor,
            source: None,
            rules: Vec::new(),
            code: None,
            detail: None,
            timezones: Vec::new(),
            provider: None,
            provider_id: None,
            attempt: None,
            due_at: None,
            amount: None,
            currency: None,
            promised_for: None,
            reference: None,
        }
    }

    /// The entry of a planned contact (its state as it stands now).
    pub fn planned(c: &ContactRecord) -> Self {
        let mut e = TimelineEntry::new(
            c.contact.due_at,
            "planned",
            c.state.as_str().to_string(),
            ENGINE.to_string(),
        );
        e.channel = Some(c.contact.channel);
        e.campaign = Some(c.contact.campaign.clone());
        e.step = Some(c.contact.step.clone());
        e.contact_id = Some(c.contact.id.clone());
        e.attempt = (c.attempt > 0).then_some(c.attempt);
        e.due_at = (!c.state.is_terminal()).then_some(c.due_at);
        e
    }

    /// The entry of a ledger row.
    pub fn row(r: &LedgerEntry) -> Self {
        let opt_out = matches!(r.code.as_deref(), Some("opt_out" | "opt_out_all"));
        let kind = match r.state {
            LedgerState::Allowed | LedgerState::Deferred | LedgerState::Blocked => "decision",
            LedgerState::Sent => "sent",
            LedgerState::Delivered => "delivered",
            LedgerState::Undelivered => "undelivered",
            LedgerState::Failed => "failed",
            LedgerState::Retry => "retry",
            LedgerState::Unknown => "unknown",
            LedgerState::Cancelled if opt_out => "opt_out",
            LedgerState::Cancelled => "cancelled",
            LedgerState::Inbound => "inbound",
        };
        let reported = matches!(
            r.state,
            LedgerState::Delivered | LedgerState::Undelivered | LedgerState::Failed
        );
        let actor = match (&r.provider, r.state) {
            (_, LedgerState::Inbound) => DEBTOR,
            (Some(provider), _) if reported && !provider.is_empty() => provider.as_str(),
            _ => ENGINE,
        };
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let mut e = TimelineEntry::new(r.at, kind, r.state.as_str().to_string(), actor.into());
        e.channel = Some(r.channel);
        e.campaign = some(&r.campaign);
        e.step = some(&r.step);
        e.contact_id = some(&r.contact_id);
        e.rules = r.rules.clone();
        e.code = r.code.clone().filter(|c| !c.is_empty());
        e.detail = r.detail.clone().filter(|d| !d.is_empty());
        e.timezones = r.timezones.clone();
        e.provider = r.provider.clone().filter(|p| !p.is_empty());
        e.provider_id = r.provider_id.clone().filter(|p| !p.is_empty());
        e.attempt = (r.attempt > 0).then_some(r.attempt);
        e
    }
}

/// The book's money and dates behind each event, matched in order: the
/// book appends an event with each payment, promise and plan it records,
/// so the n-th payment event is the n-th payment (checked on the instant;
/// an entry whose record does not match carries the detail alone).
struct BookCursor<'a> {
    book: &'a AccountBook,
    payments: usize,
    promises: usize,
    plans: usize,
}

impl<'a> BookCursor<'a> {
    fn new(book: &'a AccountBook) -> Self {
        BookCursor {
            book,
            payments: 0,
            promises: 0,
            plans: 0,
        }
    }

    /// Fills `amount`, `promised_for` and `reference` of the entry of `e`.
    fn fill(&mut self, e: &BookEvent, entry: &mut TimelineEntry) {
        match e.kind.as_str() {
            "payment" => {
                if let Some(p) = self.book.payments.get(self.payments) {
                    self.payments += 1;
                    if p.at == e.at {
                        entry.amount = Some(p.amount);
                        entry.reference = Some(p.reference.clone());
                    }
                }
            }
            "promise" => {
                let alone: Vec<_> = self
                    .book
                    .promises
                    .iter()
                    .filter(|p| p.plan.is_none())
                    .collect();
                if let Some(p) = alone.get(self.promises) {
                    self.promises += 1;
                    if p.made_at == e.at {
                        entry.amount = Some(p.amount);
                        entry.promised_for = Some(p.date);
                    }
                }
            }
            "plan" => {
                let index = self.plans;
                if let Some(plan) = self.book.plans.get(index) {
                    self.plans += 1;
                    let instalments = self
                        .book
                        .promises
                        .iter()
                        .filter(|p| p.plan.is_some_and(|(i, _)| i == index));
                    if plan.made_at == e.at {
                        entry.amount = Some(instalments.clone().map(|p| p.amount).sum());
                        entry.promised_for = instalments.map(|p| p.date).min();
                    }
                }
            }
            _ => {}
        }
    }
}

/// The entry of each book event of `account`, oldest first, with the
/// money and dates of the records behind them.
pub fn event_entries(account: &Account, book: &AccountBook) -> Vec<TimelineEntry> {
    let mut cursor = BookCursor::new(book);
    book.events
        .iter()
        .map(|e| {
            let kind = match e.kind.as_str() {
                "payment" => "payment",
                "promise" => "promise",
                "plan" => "plan",
                "dispute" => "dispute",
                "dispute_resolved" => "dispute_resolved",
                "preferences" => "preferences",
                _ => "event",
            };
            let actor =
                e.by.clone()
                    .unwrap_or_else(|| e.source.as_str().to_string());
            let mut entry = TimelineEntry::new(e.at, kind, e.kind.clone(), actor);
            entry.source = Some(e.source.as_str());
            entry.detail = (!e.detail.is_empty()).then(|| e.detail.clone());
            cursor.fill(e, &mut entry);
            if entry.amount.is_some() {
                entry.currency = Some(account.currency.clone());
            }
            entry
        })
        .collect()
}

/// The timeline of `account`: its planned contacts, its ledger rows and
/// its book events, oldest first. Rows and events keep the export's order
/// ([`merge_gestiones`]); at one instant a planned contact comes before
/// the rows about it.
pub fn build_timeline(
    account: &Account,
    contacts: &[ContactRecord],
    rows: &[LedgerEntry],
    book: &AccountBook,
) -> Vec<TimelineEntry> {
    // Sorted by instant as the export sorts them (a payment carries the
    // instant it was made, which may be before it was recorded).
    let mut pairs: Vec<((String, BookEvent), TimelineEntry)> = book
        .events
        .iter()
        .map(|e| (account.id.clone(), e.clone()))
        .zip(event_entries(account, book))
        .collect();
    pairs.sort_by_key(|((_, e), _)| e.at);
    let (keyed, entries): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
    let mut events = entries.into_iter();
    let mut planned: Vec<TimelineEntry> = contacts.iter().map(TimelineEntry::planned).collect();
    planned.sort_by(|a, b| (a.at, &a.contact_id).cmp(&(b.at, &b.contact_id)));
    let mut out = planned;
    for g in merge_gestiones(rows, &keyed) {
        match g {
            Gestion::Row(r) => out.push(TimelineEntry::row(r)),
            // The book's events are merged in their own order, so the
            // next prepared entry is this event's.
            Gestion::Event { .. } => out.extend(events.next()),
        }
    }
    // Stable: ties keep planned-before-rows and the export's order.
    out.sort_by_key(|e| e.at);
    out
}

/// [`build_timeline`] read from the store.
pub async fn account_timeline<S: Store>(
    store: &S,
    account: &Account,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let contacts = store.account_contacts(&account.id).await?;
    let rows = store
        .ledger(&LedgerFilter {
            account: Some(account.id.clone()),
            ..Default::default()
        })
        .await?;
    let (book, _) = store.book(&account.id).await?;
    Ok(build_timeline(account, &contacts, &rows, &book))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use cobro_campaigns::book::{BookAction, BookLimits, EventSource};

    use super::*;
    use crate::store::ContactState;
    use crate::store::conformance::{sample_account, sample_contact};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0)
            .single()
            .expect("instant")
    }

    fn event(h: u32, kind: &str) -> BookEvent {
        BookEvent {
            at: at(h),
            kind: kind.into(),
            source: EventSource::Cli,
            detail: String::new(),
            by: None,
        }
    }

    /// The export's order: each row after the events up to its instant
    /// (ties: the event first), the later events at the end.
    #[test]
    fn the_merge_puts_each_event_before_the_first_row_not_before_it() {
        let c = sample_contact("c", "A1", "s1", ChannelKind::Sms, at(1));
        let rows = [
            LedgerEntry::for_contact(&c, LedgerState::Deferred, at(1)),
            LedgerEntry::for_contact(&c, LedgerState::Sent, at(3)),
        ];
        let events = [
            ("A1".to_string(), event(0, "dispute")),
            ("A1".to_string(), event(3, "payment")),
            ("A1".to_string(), event(5, "promise")),
        ];
        let order: Vec<String> = merge_gestiones(&rows, &events)
            .into_iter()
            .map(|g| match g {
                Gestion::Row(r) => r.state.as_str().to_string(),
                Gestion::Event { event, .. } => event.kind.clone(),
            })
            .collect();
        assert_eq!(order, ["dispute", "deferred", "payment", "sent", "promise"]);
    }

    #[test]
    fn the_timeline_orders_by_time_and_carries_money_and_actors() {
        let mut account = sample_account("A1");
        account.amount_due = Decimal::new(100_000, 2);
        let mut book = AccountBook::default();
        let limits = BookLimits::default();
        // Recorded at 12:00, paid at 02:00: the entry sits at 02:00.
        book.apply(
            &BookAction::Payment {
                amount: Decimal::new(25_000, 2),
                at: at(2),
                reference: "r1".into(),
            },
            EventSource::Import,
            account.amount_due,
            2,
            at(12),
            &limits,
        )
        .expect("payment");
        book.apply(
            &BookAction::Plan {
                instalments: 3,
                first_date: at(12).date_naive() + chrono::Days::new(3),
            },
            EventSource::Portal,
            account.amount_due,
            2,
            at(12),
            &limits,
        )
        .expect("plan");
        let c = sample_contact("c", "A1", "s1", ChannelKind::Voice, at(1));
        let record = ContactRecord {
            contact: c.clone(),
            state: ContactState::Pending,
            due_at: at(20),
            attempt: 0,
        };
        let mut blocked = LedgerEntry::for_contact(&c, LedgerState::Blocked, at(1));
        blocked.rules = vec!["co-1266".into()];
        blocked.code = Some("no_consent".into());
        let mut failed = LedgerEntry::for_contact(&c, LedgerState::Failed, at(3));
        failed.provider = Some("vonage".into());
        let rows = [blocked, failed];
        let timeline = build_timeline(&account, &[record], &rows, &book);
        let seen: Vec<(&str, &str)> = timeline
            .iter()
            .map(|e| (e.kind, e.actor.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("planned", "cobro"),
                ("decision", "cobro"),
                ("payment", "import"),
                ("failed", "vonage"),
                ("plan", "portal"),
            ]
        );
        assert_eq!(timeline[0].due_at, Some(at(20)));
        assert_eq!(timeline[1].rules, ["co-1266"]);
        assert_eq!(timeline[2].amount, Some(Decimal::new(25_000, 2)));
        assert_eq!(timeline[2].reference.as_deref(), Some("r1"));
        assert_eq!(timeline[4].amount, Some(Decimal::new(75_000, 2)));
        assert_eq!(
            timeline[4].promised_for,
            Some(at(12).date_naive() + chrono::Days::new(3))
        );
        assert_eq!(timeline[4].currency.as_deref(), Some("MXN"));
        assert!(timeline.iter().all(|e| KINDS.contains(&e.kind)));
    }
}
