//! The behaviour every `Store` must have, as async checks any backend's
//! tests call (see `tests/store_*.rs`). Each check assumes an empty store
//! of its own, because the plan is global (a claim takes due contacts of
//! every campaign); `store_conformance_tests!` turns them into one test
//! each, and `run_all` runs them in sequence over fresh stores.
//!
//! The contract pinned here, beyond the trait docs:
//! - `put_accounts` on an existing id replaces the account but keeps its
//!   status (a re-import must not revive a paid account); a new account is
//!   `active`; `set_account_status` on an unknown id returns false.
//! - `claim_due(now, _)` takes contacts with `due_at <= now`, earliest first
//!   (ties by id), and records `now` as the claim time that
//!   `recover_stale` compares (strictly earlier than `queued_before`).
//! - `transition`: `Reschedule` only from `queued` or `sending`; `Finish`
//!   into `delivered`/`undelivered` from `sent`, `sending` or `unknown`;
//!   `Finish` into any other terminal state only from `queued` or
//!   `sending`. Otherwise it returns false and appends no ledger row.
//!   `Finish` into a non-terminal state is an error.
//! - `reserve` checks, in order: contact `queued` (else `NotQueued`),
//!   account status `active` or unknown account (else `AccountStopped`),
//!   history version (else `HistoryChanged`). Reserving appends a
//!   non-conversation history entry at `reservation.at` and bumps the
//!   version by one; so does `record_conversation` (with `conversation`).
//! - `cancel_account_contacts` cancels `pending` and `queued` contacts
//!   only (a `sending` one is already with the provider), returns their
//!   ids sorted, and appends one `cancelled` row each with the given code,
//!   detail and instant and the contact's attempt.
//! - `recover_stale`: `sending` contacts reserved strictly before
//!   `sending_before` become `unknown`, with an `unknown` ledger row dated
//!   at the reservation instant.
//! - `counts` may omit states with no contacts.
//! - Suppression entries are keyed by (channel, address); an exact entry
//!   matches the same address only; a prefix entry matches addresses that
//!   start with it, except that a prefix entry starting with `@` matches
//!   addresses that end with it (a whole email domain). An entry with no
//!   channel applies to every channel. Matching is byte-exact (callers
//!   normalise addresses).
//! - `ledger` returns rows sorted by `at`, rows with the same instant in
//!   append order; `since` is inclusive.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use rust_decimal::Decimal;

use super::{
    AccountStatus, CheckQuery, ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation,
    ReserveOutcome, Store, Suppression, Transition, TransitionItem,
};

/// The instant every check counts from (a fixed date keeps failures
/// reproducible).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("valid fixed instant")
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

/// A minimal valid account.
pub fn sample_account(id: &str) -> Account {
    Account {
        id: id.to_string(),
        creditor: "Banco Ejemplo".into(),
        debtor_name: format!("Deudor {id}"),
        tax_id: Some(format!("RFC-{id}")),
        amount_due: Decimal::new(123_456, 2),
        currency: "MXN".into(),
        due_date: NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date"),
        segment: None,
        language: "es-MX".into(),
        country: "MX".into(),
        subdivision: None,
        timezone: None,
        flags: BTreeSet::new(),
        contact_points: Vec::new(),
        attributes: BTreeMap::new(),
    }
}

/// A planned contact with the usual `campaign/account/step` id.
pub fn sample_contact(
    campaign: &str,
    account: &str,
    step: &str,
    channel: ChannelKind,
    due_at: DateTime<Utc>,
) -> PlannedContact {
    PlannedContact {
        id: PlannedContact::make_id(campaign, account, step),
        campaign: campaign.into(),
        account: account.into(),
        step: step.into(),
        channel,
        template: format!("{step}-template"),
        fallback: None,
        due_at,
    }
}

fn row(contact: &PlannedContact, state: LedgerState, at: DateTime<Utc>) -> LedgerEntry {
    LedgerEntry::for_contact(contact, state, at)
}

async fn state_of<S: Store>(store: &S, id: &str) -> ContactState {
    store
        .contact(id)
        .await
        .expect("contact() works")
        .unwrap_or_else(|| panic!("contact {id} exists"))
        .state
}

fn ids(records: &[super::ContactRecord]) -> Vec<String> {
    records.iter().map(|r| r.contact.id.clone()).collect()
}

fn count(counts: &BTreeMap<ContactState, u64>, state: ContactState) -> u64 {
    counts.get(&state).copied().unwrap_or(0)
}

/// Accounts: insert, read back, replace, count, status.
pub async fn accounts<S: Store>(store: &S) {
    assert_eq!(
        store.account_count().await.expect("count"),
        0,
        "store must start empty"
    );
    assert!(
        store.account("a1").await.expect("get").is_none(),
        "unknown account reads as None"
    );
    let a1 = sample_account("a1");
    let a2 = sample_account("a2");
    store
        .put_accounts(&[a1.clone(), a2.clone()])
        .await
        .expect("put");
    assert_eq!(store.account_count().await.expect("count"), 2);
    let (got, status) = store.account("a1").await.expect("get").expect("a1 stored");
    assert_eq!(got, a1, "account round-trips unchanged");
    assert_eq!(status, AccountStatus::Active, "new accounts are active");

    assert!(
        store
            .set_account_status("a1", AccountStatus::Paid)
            .await
            .expect("status")
    );
    assert!(
        !store
            .set_account_status("nobody", AccountStatus::Paid)
            .await
            .expect("status"),
        "status of an unknown account is refused"
    );
    let mut renamed = a1.clone();
    renamed.debtor_name = "Nuevo Nombre".into();
    store
        .put_accounts(&[renamed.clone()])
        .await
        .expect("replace");
    assert_eq!(
        store.account_count().await.expect("count"),
        2,
        "replacing does not add"
    );
    let (got, status) = store.account("a1").await.expect("get").expect("a1 stored");
    assert_eq!(got, renamed, "put replaces the account");
    assert_eq!(
        status,
        AccountStatus::Paid,
        "a re-import keeps the account status"
    );
    let (_, status) = store.account("a2").await.expect("get").expect("a2 stored");
    assert_eq!(status, AccountStatus::Active);
    store.put_accounts(&[]).await.expect("empty put is fine");
}

/// Adding the same plan twice adds nothing the second time.
pub async fn add_contacts_is_idempotent<S: Store>(store: &S) {
    let plan: Vec<_> = (0..3)
        .map(|i| sample_contact("camp", &format!("acc{i}"), "s1", ChannelKind::Email, at(i)))
        .collect();
    assert_eq!(store.add_contacts(&plan).await.expect("add"), 3);
    assert_eq!(
        store.add_contacts(&plan).await.expect("add again"),
        0,
        "second add returns 0"
    );
    let mut more = plan.clone();
    more.push(sample_contact(
        "camp",
        "acc9",
        "s1",
        ChannelKind::Sms,
        at(9),
    ));
    assert_eq!(
        store.add_contacts(&more).await.expect("add one more"),
        1,
        "only the new contact is added"
    );
    assert_eq!(store.add_contacts(&[]).await.expect("empty add"), 0);

    let rec = store
        .contact(&plan[1].id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(rec.contact, plan[1], "planned contact round-trips");
    assert_eq!(rec.state, ContactState::Pending);
    assert_eq!(rec.due_at, at(1));
    assert_eq!(rec.attempt, 0);
    assert!(store.contact("camp/none/s1").await.expect("get").is_none());
    assert_eq!(
        store.campaigns().await.expect("campaigns"),
        vec!["camp".to_string()]
    );
    let counts = store.counts(Some("camp")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Pending),
        4,
        "counts: {counts:?}"
    );
    assert_eq!(store.next_due().await.expect("next_due"), Some(at(0)));
}

/// Claims honour the due time, the limit and due-time order, and flip the
/// state to `queued` once.
pub async fn claim_due_respects_time_limit_and_order<S: Store>(store: &S) {
    assert_eq!(
        store.next_due().await.expect("next_due"),
        None,
        "empty plan has no next due"
    );
    assert!(
        store
            .claim_due(at(1000), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let plan = vec![
        sample_contact("c", "a3", "s", ChannelKind::Email, at(30)),
        sample_contact("c", "a1", "s", ChannelKind::Email, at(10)),
        sample_contact("c", "a0", "s", ChannelKind::Sms, at(0)),
        sample_contact("c", "a2", "s", ChannelKind::Voice, at(20)),
    ];
    store.add_contacts(&plan).await.expect("add");
    assert_eq!(store.next_due().await.expect("next_due"), Some(at(0)));

    let got = store.claim_due(at(5), 10).await.expect("claim");
    assert_eq!(ids(&got), vec!["c/a0/s"], "only contacts due by now");
    assert_eq!(
        got[0].state,
        ContactState::Queued,
        "claimed records say queued"
    );
    assert_eq!(got[0].contact, plan[2]);
    assert_eq!(state_of(store, "c/a0/s").await, ContactState::Queued);

    assert!(
        store.claim_due(at(5), 0).await.expect("claim 0").is_empty(),
        "limit 0 claims nothing"
    );
    let got = store.claim_due(at(25), 1).await.expect("claim");
    assert_eq!(ids(&got), vec!["c/a1/s"], "limit and due order");
    let got = store.claim_due(at(20), 10).await.expect("claim");
    assert_eq!(ids(&got), vec!["c/a2/s"], "due exactly now is due");
    assert!(
        store.claim_due(at(25), 10).await.expect("claim").is_empty(),
        "never the same contact twice"
    );
    assert_eq!(store.next_due().await.expect("next_due"), Some(at(30)));
    let counts = store.counts(Some("c")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Queued),
        3,
        "counts: {counts:?}"
    );
    assert_eq!(
        count(&counts, ContactState::Pending),
        1,
        "counts: {counts:?}"
    );
}

/// Several concurrent claimers never get the same contact, and together
/// get all of them.
pub async fn claim_due_concurrent_never_duplicates<S: Store>(store: &S) {
    const N: usize = 600;
    let plan: Vec<_> = (0..N)
        .map(|i| {
            sample_contact(
                "race",
                &format!("a{i:04}"),
                "s",
                ChannelKind::Sms,
                at((i % 7) as i64),
            )
        })
        .collect();
    for chunk in plan.chunks(250) {
        store.add_contacts(chunk).await.expect("add");
    }
    let claimer = |limit: usize| async move {
        let mut mine = Vec::new();
        loop {
            let got = store.claim_due(at(10), limit).await.expect("claim");
            if got.is_empty() {
                return mine;
            }
            mine.extend(ids(&got));
        }
    };
    let (a, b, c, d) = futures::join!(claimer(7), claimer(13), claimer(1), claimer(50));
    let mut seen = HashSet::new();
    for id in a.iter().chain(&b).chain(&c).chain(&d) {
        assert!(seen.insert(id.clone()), "contact {id} claimed twice");
    }
    assert_eq!(seen.len(), N, "every due contact claimed exactly once");
    let counts = store.counts(Some("race")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Queued),
        N as u64,
        "counts: {counts:?}"
    );
}

/// A rescheduled contact is pending again at its new due time.
pub async fn reschedule_returns_to_pending<S: Store>(store: &S) {
    let c = sample_contact("r", "a", "s", ChannelKind::Email, at(0));
    store
        .add_contacts(std::slice::from_ref(&c))
        .await
        .expect("add");
    assert!(
        !store
            .transition(
                &c.id,
                Transition::Reschedule {
                    due_at: at(50),
                    attempt: 0
                },
                &[]
            )
            .await
            .expect("transition"),
        "a pending contact was not claimed: nothing to reschedule"
    );
    store.claim_due(at(0), 10).await.expect("claim");
    let deferred = row(&c, LedgerState::Deferred, at(0));
    assert!(
        store
            .transition(
                &c.id,
                Transition::Reschedule {
                    due_at: at(100),
                    attempt: 1
                },
                std::slice::from_ref(&deferred)
            )
            .await
            .expect("transition")
    );
    let rec = store.contact(&c.id).await.expect("get").expect("stored");
    assert_eq!(rec.state, ContactState::Pending);
    assert_eq!(rec.due_at, at(100));
    assert_eq!(rec.attempt, 1);
    assert_eq!(rec.contact.due_at, at(0), "the planned due time is kept");
    assert!(
        store.claim_due(at(99), 10).await.expect("claim").is_empty(),
        "not due before its new time"
    );
    assert_eq!(store.next_due().await.expect("next_due"), Some(at(100)));
    let got = store.claim_due(at(100), 10).await.expect("claim");
    assert_eq!(ids(&got), vec![c.id.clone()]);
    assert_eq!(got[0].attempt, 1);
    assert_eq!(got[0].due_at, at(100));
    let rows = store
        .ledger(&LedgerFilter {
            contact_id: Some(c.id.clone()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows, vec![deferred], "the transition wrote its ledger row");
    let counts = store.counts(Some("r")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Queued),
        1,
        "counts: {counts:?}"
    );
}

/// A finished contact stays finished; a second transition changes nothing.
pub async fn finish_is_terminal<S: Store>(store: &S) {
    let c = sample_contact("f", "a", "s", ChannelKind::Sms, at(0));
    let other = sample_contact("f", "b", "s", ChannelKind::Sms, at(500));
    store
        .add_contacts(&[c.clone(), other.clone()])
        .await
        .expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let blocked = row(&c, LedgerState::Blocked, at(1));
    assert!(
        store
            .transition(
                &c.id,
                Transition::Finish(ContactState::Blocked),
                std::slice::from_ref(&blocked)
            )
            .await
            .expect("finish")
    );
    assert_eq!(state_of(store, &c.id).await, ContactState::Blocked);
    let late = row(&c, LedgerState::Failed, at(2));
    assert!(
        !store
            .transition(
                &c.id,
                Transition::Finish(ContactState::Failed),
                std::slice::from_ref(&late)
            )
            .await
            .expect("finish"),
        "a second finish returns false"
    );
    assert!(
        !store
            .transition(
                &c.id,
                Transition::Reschedule {
                    due_at: at(10),
                    attempt: 1
                },
                std::slice::from_ref(&late)
            )
            .await
            .expect("reschedule"),
        "a finished contact cannot be rescheduled"
    );
    assert!(
        !store
            .transition(&c.id, Transition::Finish(ContactState::Delivered), &[])
            .await
            .expect("finish"),
        "only a sent contact can be delivered"
    );
    assert_eq!(state_of(store, &c.id).await, ContactState::Blocked);
    let rows = store
        .ledger(&LedgerFilter {
            contact_id: Some(c.id.clone()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows, vec![blocked], "refused transitions append no rows");
    assert!(
        !store
            .transition(&other.id, Transition::Finish(ContactState::Cancelled), &[])
            .await
            .expect("finish"),
        "a pending (unclaimed) contact is not finished by transition"
    );
    assert!(
        !store
            .transition("f/nobody/s", Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("finish"),
        "unknown contact"
    );
    assert!(
        store
            .transition(&c.id, Transition::Finish(ContactState::Pending), &[])
            .await
            .is_err(),
        "finishing into a non-terminal state is an error"
    );
    assert!(
        store
            .claim_due(at(1000), 10)
            .await
            .expect("claim")
            .iter()
            .all(|r| r.contact.id != c.id)
    );
}

/// Delivery receipts move a sent contact to delivered or undelivered.
pub async fn delivery_status_after_sent<S: Store>(store: &S) {
    let c = sample_contact("d", "a", "s", ChannelKind::Sms, at(0));
    store
        .add_contacts(std::slice::from_ref(&c))
        .await
        .expect("add");
    store.claim_due(at(0), 1).await.expect("claim");
    let reservation = Reservation {
        contact_id: c.id.clone(),
        account: "a".into(),
        debtor_key: "debtor-a".into(),
        channel: ChannelKind::Sms,
        at: at(1),
        history_version: 0,
    };
    assert_eq!(
        store.reserve(&reservation).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    let mut sent = row(&c, LedgerState::Sent, at(2));
    sent.provider = Some("twilio".into());
    sent.provider_id = Some("SM123".into());
    assert!(
        store
            .transition(
                &c.id,
                Transition::Finish(ContactState::Sent),
                std::slice::from_ref(&sent)
            )
            .await
            .expect("sent")
    );
    let delivered = row(&c, LedgerState::Delivered, at(30));
    assert!(
        store
            .transition(
                &c.id,
                Transition::Finish(ContactState::Delivered),
                std::slice::from_ref(&delivered)
            )
            .await
            .expect("delivered")
    );
    assert_eq!(state_of(store, &c.id).await, ContactState::Delivered);
    let rows = store
        .ledger(&LedgerFilter {
            provider_id: Some("SM123".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows, vec![sent], "a provider id finds its row");
    let counts = store.counts(Some("d")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Delivered),
        1,
        "counts: {counts:?}"
    );
    assert_eq!(count(&counts, ContactState::Sent), 0, "counts: {counts:?}");
    assert_eq!(
        count(&counts, ContactState::Sending),
        0,
        "counts: {counts:?}"
    );
}

/// The reservation: once, only for queued contacts, only with fresh history,
/// only for active accounts.
pub async fn reserve_outcomes<S: Store>(store: &S) {
    store
        .put_accounts(&[sample_account("a"), sample_account("b")])
        .await
        .expect("accounts");
    let c1 = sample_contact("v", "a", "s1", ChannelKind::Sms, at(0));
    let c2 = sample_contact("v", "a", "s2", ChannelKind::Voice, at(0));
    let c3 = sample_contact("v", "b", "s1", ChannelKind::Email, at(0));
    let pending = sample_contact("v", "b", "s2", ChannelKind::Email, at(999));
    store
        .add_contacts(&[c1.clone(), c2.clone(), c3.clone(), pending.clone()])
        .await
        .expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let res = |c: &PlannedContact, version: u64, secs: i64| Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: format!("debtor-{}", c.account),
        channel: c.channel,
        at: at(secs),
        history_version: version,
    };

    assert_eq!(
        store.history("debtor-a").await.expect("history"),
        (Vec::new(), 0)
    );
    assert_eq!(
        store.reserve(&res(&c1, 0, 5)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(state_of(store, &c1.id).await, ContactState::Sending);
    assert_eq!(
        store.reserve(&res(&c1, 1, 6)).await.expect("reserve"),
        ReserveOutcome::NotQueued,
        "reserved once only"
    );
    let (history, version) = store.history("debtor-a").await.expect("history");
    assert_eq!(version, 1, "a reservation bumps the history version");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].at, at(5));
    assert_eq!(history[0].channel, ChannelKind::Sms);
    assert_eq!(history[0].account, "a");
    assert!(!history[0].conversation);

    assert_eq!(
        store.reserve(&res(&c2, 0, 7)).await.expect("reserve"),
        ReserveOutcome::HistoryChanged,
        "the guard read stale history"
    );
    assert_eq!(
        state_of(store, &c2.id).await,
        ContactState::Queued,
        "a refused reservation changes nothing"
    );
    assert_eq!(store.history("debtor-a").await.expect("history").1, 1);
    assert_eq!(
        store.reserve(&res(&c2, 1, 7)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(store.history("debtor-a").await.expect("history").1, 2);

    assert!(
        store
            .set_account_status("b", AccountStatus::Disputed)
            .await
            .expect("status")
    );
    assert_eq!(
        store.reserve(&res(&c3, 0, 8)).await.expect("reserve"),
        ReserveOutcome::AccountStopped(AccountStatus::Disputed)
    );
    assert_eq!(state_of(store, &c3.id).await, ContactState::Queued);
    assert_eq!(
        store.history("debtor-b").await.expect("history"),
        (Vec::new(), 0)
    );
    assert_eq!(
        store.reserve(&res(&pending, 0, 8)).await.expect("reserve"),
        ReserveOutcome::NotQueued,
        "a pending contact was never claimed"
    );
    assert!(
        store
            .set_account_status("b", AccountStatus::Active)
            .await
            .expect("status")
    );
    assert_eq!(
        store.reserve(&res(&c3, 0, 9)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );

    // Finishing from sending works; the counters follow.
    assert!(
        store
            .transition(&c1.id, Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("sent")
    );
    assert!(
        store
            .transition(
                &c2.id,
                Transition::Reschedule {
                    due_at: at(60),
                    attempt: 1
                },
                &[]
            )
            .await
            .expect("retry after a transient failure")
    );
    let counts = store.counts(Some("v")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Sent), 1, "counts: {counts:?}");
    assert_eq!(
        count(&counts, ContactState::Pending),
        2,
        "counts: {counts:?}"
    );
    assert_eq!(
        count(&counts, ContactState::Sending),
        1,
        "counts: {counts:?}"
    );
}

/// Cancelling an account's contacts stops only what has not gone out.
/// A strategy's `stop_on` is the campaign's: an account event cancels and
/// refuses to reserve the contacts of the campaigns that stop on it, and
/// leaves the others (a campaign never given a threshold stops on all).
pub async fn campaign_stop_from<S: Store>(store: &S) {
    store
        .put_accounts(&[sample_account("sa")])
        .await
        .expect("put");
    let a1 = sample_contact("SA", "sa", "s1", ChannelKind::Sms, at(0));
    let a2 = sample_contact("SA", "sa", "s2", ChannelKind::Email, at(0));
    let a3 = sample_contact("SA", "sa", "s3", ChannelKind::Voice, at(0));
    let b1 = sample_contact("SB", "sa", "s1", ChannelKind::Sms, at(0));
    store
        .set_campaign_stop_from("SA", AccountStatus::Paid)
        .await
        .expect("stop_from");
    store
        .add_contacts(&[a1.clone(), a2.clone(), a3.clone(), b1.clone()])
        .await
        .expect("add");
    store
        .set_account_status("sa", AccountStatus::PromiseToPay)
        .await
        .expect("status");
    let cancelled = store
        .cancel_account_contacts("sa", None, "promise_to_pay", "promised", at(1))
        .await
        .expect("cancel");
    assert_eq!(cancelled, vec![b1.id.clone()], "only SB stops on a promise");
    assert_eq!(
        store
            .cancel_account_contacts("sa", Some(ChannelKind::Voice), "opt_out", "STOP", at(1))
            .await
            .expect("cancel"),
        vec![a3.id.clone()],
        "a channel opt-out stops that channel in every campaign"
    );
    let claimed = store.claim_due(at(2), 10).await.expect("claim");
    assert_eq!(claimed.len(), 2, "SA's two contacts are still due");
    let reserve = |c: &PlannedContact, version| Reservation {
        contact_id: c.id.clone(),
        account: "sa".into(),
        debtor_key: "debtor-sa".into(),
        channel: c.channel,
        at: at(3),
        history_version: version,
    };
    assert_eq!(
        store.reserve(&reserve(&a1, 0)).await.expect("reserve"),
        ReserveOutcome::Reserved,
        "a promise does not stop a campaign that stops from paid"
    );
    store
        .set_account_status("sa", AccountStatus::Paid)
        .await
        .expect("status");
    assert_eq!(
        store
            .reserve_many(&[reserve(&a2, 1)])
            .await
            .expect("reserve"),
        vec![ReserveOutcome::AccountStopped(AccountStatus::Paid)]
    );
    assert_eq!(
        store
            .cancel_account_contacts("sa", None, "paid", "paid", at(4))
            .await
            .expect("cancel"),
        vec![a2.id.clone()],
        "the payment cancels what SA had left"
    );
    let counts = store.counts(Some("SA")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Cancelled), Some(&2));
    assert_eq!(counts.get(&ContactState::Sending), Some(&1));
}

pub async fn cancel_account_contacts<S: Store>(store: &S) {
    let email = sample_contact("x", "acc", "s1", ChannelKind::Email, at(100));
    let sms_pending = sample_contact("x", "acc", "s2", ChannelKind::Sms, at(100));
    let sms_queued = sample_contact("x", "acc", "s0", ChannelKind::Sms, at(0));
    let voice_sending = sample_contact("x", "acc", "s3", ChannelKind::Voice, at(0));
    let sent = sample_contact("x", "acc", "s4", ChannelKind::Sms, at(0));
    let other = sample_contact("x", "other", "s1", ChannelKind::Sms, at(100));
    store
        .add_contacts(&[
            email.clone(),
            sms_pending.clone(),
            sms_queued.clone(),
            voice_sending.clone(),
            sent.clone(),
            other.clone(),
        ])
        .await
        .expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let reserve = |c: &PlannedContact, version| Reservation {
        contact_id: c.id.clone(),
        account: "acc".into(),
        debtor_key: "debtor-acc".into(),
        channel: c.channel,
        at: at(1),
        history_version: version,
    };
    assert_eq!(
        store
            .reserve(&reserve(&voice_sending, 0))
            .await
            .expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(
        store.reserve(&reserve(&sent, 1)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert!(
        store
            .transition(&sent.id, Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("sent")
    );

    let cancelled = store
        .cancel_account_contacts(
            "acc",
            Some(ChannelKind::Sms),
            "opt_out",
            "STOP by SMS",
            at(50),
        )
        .await
        .expect("cancel sms");
    let mut expected = vec![sms_queued.id.clone(), sms_pending.id.clone()];
    expected.sort();
    assert_eq!(cancelled, expected, "only the not-yet-sent SMS contacts");
    assert_eq!(state_of(store, &email.id).await, ContactState::Pending);
    assert_eq!(
        state_of(store, &sms_pending.id).await,
        ContactState::Cancelled
    );
    assert_eq!(
        state_of(store, &sms_queued.id).await,
        ContactState::Cancelled
    );
    assert_eq!(state_of(store, &sent.id).await, ContactState::Sent);

    let cancelled = store
        .cancel_account_contacts("acc", None, "paid", "payment received", at(60))
        .await
        .expect("cancel");
    assert_eq!(
        cancelled,
        vec![email.id.clone()],
        "sending and finished contacts are left alone"
    );
    assert_eq!(
        state_of(store, &voice_sending.id).await,
        ContactState::Sending
    );
    assert_eq!(
        state_of(store, &other.id).await,
        ContactState::Pending,
        "other accounts untouched"
    );
    assert!(
        store
            .cancel_account_contacts("acc", None, "paid", "again", at(70))
            .await
            .expect("cancel")
            .is_empty()
    );
    assert!(
        store
            .cancel_account_contacts("nobody", None, "paid", "none", at(70))
            .await
            .expect("cancel")
            .is_empty()
    );

    let rows = store
        .ledger(&LedgerFilter {
            account: Some("acc".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 3, "one row per cancelled contact: {rows:?}");
    for r in &rows {
        assert_eq!(r.state, LedgerState::Cancelled);
        assert_eq!(r.campaign, "x");
        assert_eq!(r.account, "acc");
    }
    let sms_row = rows
        .iter()
        .find(|r| r.contact_id == sms_pending.id)
        .expect("row for the pending sms");
    assert_eq!(sms_row.code.as_deref(), Some("opt_out"));
    assert_eq!(sms_row.detail.as_deref(), Some("STOP by SMS"));
    assert_eq!(sms_row.at, at(50));
    assert_eq!(sms_row.step, "s2");
    assert_eq!(sms_row.channel, ChannelKind::Sms);
    let email_row = rows
        .iter()
        .find(|r| r.contact_id == email.id)
        .expect("row for the email");
    assert_eq!(email_row.code.as_deref(), Some("paid"));
    assert_eq!(email_row.at, at(60));
    assert!(
        store
            .claim_due(at(1000), 10)
            .await
            .expect("claim")
            .iter()
            .all(|r| r.contact.account != "acc")
    );
    let counts = store.counts(Some("x")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Cancelled),
        3,
        "counts: {counts:?}"
    );
}

/// Crash recovery: stale queued contacts return to the plan, stale sending
/// ones become unknown.
pub async fn recover_stale<S: Store>(store: &S) {
    let early = sample_contact("rs", "a", "s1", ChannelKind::Email, at(0));
    let late = sample_contact("rs", "b", "s1", ChannelKind::Email, at(60));
    let sending = sample_contact("rs", "c", "s1", ChannelKind::Sms, at(0));
    let fresh_sending = sample_contact("rs", "d", "s1", ChannelKind::Sms, at(60));
    store
        .add_contacts(&[
            early.clone(),
            late.clone(),
            sending.clone(),
            fresh_sending.clone(),
        ])
        .await
        .expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 2);
    let r = |c: &PlannedContact, secs| Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: c.account.clone(),
        channel: c.channel,
        at: at(secs),
        history_version: 0,
    };
    assert_eq!(
        store.reserve(&r(&sending, 5)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(store.claim_due(at(60), 10).await.expect("claim").len(), 2);
    assert_eq!(
        store
            .reserve(&r(&fresh_sending, 61))
            .await
            .expect("reserve"),
        ReserveOutcome::Reserved
    );

    assert_eq!(
        store.recover_stale(at(0), at(5)).await.expect("recover"),
        (0, 0),
        "bounds are exclusive"
    );
    assert_eq!(
        store.recover_stale(at(30), at(30)).await.expect("recover"),
        (1, 1)
    );
    let rec = store
        .contact(&early.id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(
        rec.state,
        ContactState::Pending,
        "stale queued contact is pending again"
    );
    assert_eq!(rec.due_at, at(0), "with its due time");
    assert_eq!(
        state_of(store, &late.id).await,
        ContactState::Queued,
        "a fresh claim is kept"
    );
    assert_eq!(state_of(store, &sending.id).await, ContactState::Unknown);
    assert_eq!(
        state_of(store, &fresh_sending.id).await,
        ContactState::Sending
    );
    assert_eq!(
        store.recover_stale(at(30), at(30)).await.expect("recover"),
        (0, 0),
        "recovery is idempotent"
    );
    assert_eq!(
        ids(&store.claim_due(at(100), 10).await.expect("claim")),
        vec![early.id.clone()]
    );
    assert!(
        !store
            .transition(&sending.id, Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("finish"),
        "an unknown contact is never sent again"
    );
    let rows = store
        .ledger(&LedgerFilter {
            contact_id: Some(sending.id.clone()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].state, LedgerState::Unknown);
    assert_eq!(rows[0].at, at(5), "dated at the reservation");
    assert_eq!(rows[0].channel, ChannelKind::Sms);
    let counts = store.counts(Some("rs")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Unknown),
        1,
        "counts: {counts:?}"
    );
    assert_eq!(
        count(&counts, ContactState::Queued),
        2,
        "counts: {counts:?}"
    );
    assert_eq!(
        count(&counts, ContactState::Sending),
        1,
        "counts: {counts:?}"
    );
}

/// Counters follow every move and sum to the plan size.
pub async fn counts_sum_to_plan<S: Store>(store: &S) {
    let plan: Vec<_> = (0..40)
        .map(|i| sample_contact("k", &format!("a{i:02}"), "s", ChannelKind::Email, at(i)))
        .collect();
    let other: Vec<_> = (0..5)
        .map(|i| {
            sample_contact(
                "k2",
                &format!("a{i:02}"),
                "s",
                ChannelKind::Sms,
                at(1000 + i),
            )
        })
        .collect();
    store.add_contacts(&plan).await.expect("add");
    store.add_contacts(&other).await.expect("add");
    let claimed = store.claim_due(at(19), 100).await.expect("claim");
    assert_eq!(claimed.len(), 20);
    for (i, rec) in claimed.iter().enumerate() {
        let to = match i % 4 {
            0 => Transition::Finish(ContactState::Blocked),
            1 => Transition::Finish(ContactState::Failed),
            2 => Transition::Reschedule {
                due_at: at(500),
                attempt: 1,
            },
            _ => continue,
        };
        assert!(
            store
                .transition(&rec.contact.id, to, &[])
                .await
                .expect("transition")
        );
    }
    store
        .cancel_account_contacts("a39", None, "paid", "paid", at(20))
        .await
        .expect("cancel");
    let counts = store.counts(Some("k")).await.expect("counts");
    assert_eq!(
        counts.values().sum::<u64>(),
        40,
        "per-state counts sum to the plan: {counts:?}"
    );
    assert_eq!(count(&counts, ContactState::Blocked), 5);
    assert_eq!(count(&counts, ContactState::Failed), 5);
    assert_eq!(count(&counts, ContactState::Queued), 5);
    assert_eq!(count(&counts, ContactState::Pending), 24);
    assert_eq!(count(&counts, ContactState::Cancelled), 1);
    let all = store.counts(None).await.expect("counts");
    assert_eq!(all.values().sum::<u64>(), 45, "all campaigns: {all:?}");
    assert_eq!(count(&all, ContactState::Pending), 29);
    assert!(
        store
            .counts(Some("nope"))
            .await
            .expect("counts")
            .values()
            .all(|n| *n == 0)
    );
    assert_eq!(
        store.campaigns().await.expect("campaigns"),
        vec!["k".to_string(), "k2".to_string()]
    );
}

/// Suppression lists: exact, prefix, domain, per channel and for all.
pub async fn suppression<S: Store>(store: &S) {
    let entry = |channel, address: &str, prefix| Suppression {
        channel,
        address: address.into(),
        prefix,
        source: "officer".into(),
        at: at(0),
    };
    assert!(store.suppressions().await.expect("list").is_empty());
    assert!(
        !store
            .is_suppressed(ChannelKind::Email, "ana@example.com")
            .await
            .expect("check")
    );
    store
        .suppress(&entry(Some(ChannelKind::Email), "ana@example.com", false))
        .await
        .expect("add");
    store
        .suppress(&entry(None, "+5215500000001", false))
        .await
        .expect("add");
    store
        .suppress(&entry(Some(ChannelKind::Sms), "+52155", true))
        .await
        .expect("add");
    store
        .suppress(&entry(Some(ChannelKind::Email), "@blocked.example", true))
        .await
        .expect("add");
    store
        .suppress(&entry(None, "+1900", true))
        .await
        .expect("add");

    let check = |channel, address: &'static str| async move {
        store.is_suppressed(channel, address).await.expect("check")
    };
    assert!(
        check(ChannelKind::Email, "ana@example.com").await,
        "exact, same channel"
    );
    assert!(
        !check(ChannelKind::Sms, "ana@example.com").await,
        "exact entry is per channel"
    );
    assert!(
        !check(ChannelKind::Email, "ana@example.co").await,
        "exact means exact"
    );
    assert!(
        !check(ChannelKind::Email, "ana@example.com.mx").await,
        "exact means exact"
    );
    assert!(
        check(ChannelKind::Sms, "+5215500000001").await,
        "all-channels entry"
    );
    assert!(
        check(ChannelKind::Voice, "+5215500000001").await,
        "all-channels entry"
    );
    assert!(
        check(ChannelKind::Sms, "+5215512345678").await,
        "prefix on its channel"
    );
    assert!(
        !check(ChannelKind::Voice, "+5215512345678").await,
        "prefix is per channel"
    );
    assert!(
        !check(ChannelKind::Sms, "+5215612345678").await,
        "other range"
    );
    assert!(
        check(ChannelKind::Email, "luis@blocked.example").await,
        "domain entry"
    );
    assert!(
        !check(ChannelKind::Email, "luis@blocked.example.org").await,
        "domain entry matches the end"
    );
    assert!(
        !check(ChannelKind::Email, "luis@notblocked.example").await,
        "domain entry includes the @"
    );
    assert!(
        check(ChannelKind::Voice, "+19005550100").await,
        "prefix for all channels"
    );
    assert!(
        check(ChannelKind::Sms, "+19005550100").await,
        "prefix for all channels"
    );

    let list = store.suppressions().await.expect("list");
    assert_eq!(list.len(), 5, "{list:?}");
    assert!(
        list.contains(&entry(Some(ChannelKind::Sms), "+52155", true)),
        "entries round-trip: {list:?}"
    );
    // Same (channel, address) replaces.
    store
        .suppress(&entry(Some(ChannelKind::Email), "ana@example.com", false))
        .await
        .expect("again");
    assert_eq!(store.suppressions().await.expect("list").len(), 5);

    assert!(
        store
            .unsuppress(Some(ChannelKind::Email), "ana@example.com")
            .await
            .expect("remove")
    );
    assert!(
        !store
            .unsuppress(Some(ChannelKind::Email), "ana@example.com")
            .await
            .expect("remove"),
        "already gone"
    );
    assert!(!check(ChannelKind::Email, "ana@example.com").await);
    assert!(
        !store
            .unsuppress(Some(ChannelKind::Sms), "+5215500000001")
            .await
            .expect("remove"),
        "keyed by channel"
    );
    assert!(
        store
            .unsuppress(None, "+5215500000001")
            .await
            .expect("remove")
    );
    assert!(!check(ChannelKind::Voice, "+5215500000001").await);
    assert!(
        store
            .unsuppress(Some(ChannelKind::Sms), "+52155")
            .await
            .expect("remove prefix")
    );
    assert!(
        !check(ChannelKind::Sms, "+5215512345678").await,
        "removed prefix no longer matches"
    );
    assert_eq!(store.suppressions().await.expect("list").len(), 2);
}

/// The ledger filters by campaign, account, contact, provider id and time.
/// Reports and dashboards read a campaign's ledger page by page: the pages
/// hold every row of that campaign once, in append order (not time order),
/// and nothing of other campaigns.
pub async fn campaign_ledger_pages<S: Store>(store: &S) {
    let (empty, next) = store
        .campaign_ledger_page("P1", 0, 3)
        .await
        .expect("empty ledger");
    assert!(empty.is_empty() && next.is_none());
    let rows: Vec<LedgerEntry> = (0..7)
        .map(|i| {
            let c = sample_contact("P1", &format!("a{i}"), "s1", ChannelKind::Email, at(0));
            row(&c, LedgerState::Allowed, at(100 - i))
        })
        .collect();
    let other = sample_contact("P2", "z", "s1", ChannelKind::Sms, at(0));
    store.append_ledger(&rows[..4]).await.expect("append");
    store
        .append_ledger(&[row(&other, LedgerState::Sent, at(1))])
        .await
        .expect("append");
    store.append_ledger(&rows[4..]).await.expect("append");
    let (mut seen, mut cursor, mut pages) = (Vec::new(), 0, 0);
    loop {
        let (page, next) = store
            .campaign_ledger_page("P1", cursor, 3)
            .await
            .expect("page");
        assert!(page.len() <= 3, "a page holds at most the limit");
        seen.extend(page);
        pages += 1;
        assert!(pages <= 4, "the cursor must move on");
        match next {
            Some(n) => cursor = n,
            None => break,
        }
    }
    assert_eq!(seen, rows);
    assert!(pages >= 3, "7 rows in pages of 3");
}

pub async fn ledger_filters<S: Store>(store: &S) {
    assert!(
        store
            .ledger(&LedgerFilter::default())
            .await
            .expect("ledger")
            .is_empty()
    );
    let c1 = sample_contact("L1", "a", "s1", ChannelKind::Email, at(0));
    let c2 = sample_contact("L1", "b", "s1", ChannelKind::Sms, at(0));
    let c3 = sample_contact("L2", "a", "s1", ChannelKind::Voice, at(0));
    let mut rows = [
        row(&c1, LedgerState::Allowed, at(10)),
        row(&c1, LedgerState::Sent, at(10)),
        row(&c2, LedgerState::Deferred, at(20)),
        row(&c3, LedgerState::Blocked, at(5)),
    ];
    rows[1].provider = Some("smtp".into());
    rows[1].provider_id = Some("msg-1".into());
    rows[1].attempt = 1;
    rows[3].code = Some("holiday".into());
    rows[3].detail = Some("Día de la Revolución".into());
    rows[3].timezones = vec!["America/Mexico_City".into(), "America/Tijuana".into()];
    rows[3].rules = vec!["mx-profeco".into()];
    store.append_ledger(&rows[..2]).await.expect("append");
    store.append_ledger(&rows[2..]).await.expect("append");
    store.append_ledger(&[]).await.expect("empty append");

    let get = |filter: LedgerFilter| async move { store.ledger(&filter).await.expect("ledger") };
    let all = get(LedgerFilter::default()).await;
    assert_eq!(
        all,
        vec![
            rows[3].clone(),
            rows[0].clone(),
            rows[1].clone(),
            rows[2].clone()
        ],
        "sorted by time, then append order"
    );
    assert_eq!(
        get(LedgerFilter {
            campaign: Some("L1".into()),
            ..Default::default()
        })
        .await,
        rows[..3].to_vec()
    );
    assert_eq!(
        get(LedgerFilter {
            account: Some("a".into()),
            ..Default::default()
        })
        .await,
        vec![rows[3].clone(), rows[0].clone(), rows[1].clone()]
    );
    assert_eq!(
        get(LedgerFilter {
            campaign: Some("L1".into()),
            account: Some("a".into()),
            ..Default::default()
        })
        .await,
        rows[..2].to_vec()
    );
    assert_eq!(
        get(LedgerFilter {
            since: Some(at(10)),
            ..Default::default()
        })
        .await,
        rows[..3].to_vec(),
        "since is inclusive"
    );
    assert_eq!(
        get(LedgerFilter {
            since: Some(at(11)),
            ..Default::default()
        })
        .await,
        vec![rows[2].clone()]
    );
    assert_eq!(
        get(LedgerFilter {
            contact_id: Some(c2.id.clone()),
            ..Default::default()
        })
        .await,
        vec![rows[2].clone()]
    );
    assert_eq!(
        get(LedgerFilter {
            provider_id: Some("msg-1".into()),
            ..Default::default()
        })
        .await,
        vec![rows[1].clone()]
    );
    assert!(
        get(LedgerFilter {
            provider_id: Some("nope".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert!(
        get(LedgerFilter {
            campaign: Some("L3".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

/// Debtor history: reservations and conversations, with the version.
pub async fn history_and_conversations<S: Store>(store: &S) {
    assert_eq!(
        store.history("RFC1").await.expect("history"),
        (Vec::new(), 0)
    );
    store
        .record_conversation("RFC1", "acc1", ChannelKind::Voice, at(100))
        .await
        .expect("conversation");
    let (history, version) = store.history("RFC1").await.expect("history");
    assert_eq!(version, 1);
    assert_eq!(history.len(), 1);
    assert!(history[0].conversation);
    assert_eq!(history[0].channel, ChannelKind::Voice);
    assert_eq!(history[0].account, "acc1");
    assert_eq!(history[0].at, at(100));

    let c = sample_contact("h", "acc2", "s", ChannelKind::Email, at(0));
    store
        .add_contacts(std::slice::from_ref(&c))
        .await
        .expect("add");
    store.claim_due(at(0), 1).await.expect("claim");
    let reservation = Reservation {
        contact_id: c.id.clone(),
        account: "acc2".into(),
        debtor_key: "RFC1".into(),
        channel: ChannelKind::Email,
        at: at(200),
        history_version: 1,
    };
    assert_eq!(
        store.reserve(&reservation).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    let (history, version) = store.history("RFC1").await.expect("history");
    assert_eq!(version, 2);
    assert_eq!(history.len(), 2, "history is per debtor, across accounts");
    assert_eq!(history[1].account, "acc2");
    assert!(!history[1].conversation);
    assert_eq!(
        store.history("RFC2").await.expect("history"),
        (Vec::new(), 0),
        "other debtors untouched"
    );
}

/// Inbound replies find accounts by address; unrelated addresses find none.
pub async fn accounts_by_address<S: Store>(store: &S) {
    use cobro_campaigns::{AddressKind, ContactPoint, ContactRole, Provenance};
    let point = |kind, address: &str| ContactPoint {
        kind,
        address: address.into(),
        role: ContactRole::Debtor,
        provenance: Provenance::CreditorFile,
        consent: Default::default(),
        flags: BTreeSet::new(),
    };
    let mut a = sample_account("A");
    a.contact_points = vec![
        point(AddressKind::Phone, "+525511112222"),
        point(AddressKind::Email, "ana@example.com"),
    ];
    let mut b = sample_account("B");
    b.contact_points = vec![point(AddressKind::Phone, "+525511112222")];
    let c = sample_account("C");
    store.put_accounts(&[a, b, c]).await.expect("put");
    assert_eq!(
        store
            .accounts_by_address("+525511112222")
            .await
            .expect("lookup"),
        vec!["A".to_string(), "B".to_string()]
    );
    assert_eq!(
        store
            .accounts_by_address("ana@example.com")
            .await
            .expect("lookup"),
        vec!["A".to_string()]
    );
    assert!(
        store
            .accounts_by_address("+10000000000")
            .await
            .expect("lookup")
            .is_empty()
    );
}

/// A paused campaign's contacts are not claimed until it resumes; other
/// campaigns are unaffected; cancelling a campaign cancels only its open
/// contacts, with ledger rows.
pub async fn campaign_pause_resume_cancel<S: Store>(store: &S) {
    let p1 = sample_contact("paused", "a1", "s1", ChannelKind::Sms, at(0));
    let p2 = sample_contact("paused", "a2", "s1", ChannelKind::Sms, at(10));
    let o1 = sample_contact("other", "a1", "s1", ChannelKind::Sms, at(5));
    store
        .add_contacts(&[p1.clone(), p2.clone(), o1.clone()])
        .await
        .expect("add");
    assert!(
        store
            .set_campaign_paused("paused", true)
            .await
            .expect("pause")
    );
    assert!(
        !store
            .set_campaign_paused("paused", true)
            .await
            .expect("pause again"),
        "already paused"
    );
    assert_eq!(
        store.paused_campaigns().await.expect("list"),
        vec!["paused".to_string()]
    );
    let claimed = store.claim_due(at(100), 10).await.expect("claim");
    assert_eq!(
        ids(&claimed),
        vec![o1.id.clone()],
        "only the running campaign is claimed"
    );
    assert_eq!(state_of(store, &p1.id).await, ContactState::Pending);
    assert_eq!(store.claim_due(at(100), 10).await.expect("claim").len(), 0);
    assert!(
        store
            .set_campaign_paused("paused", false)
            .await
            .expect("resume")
    );
    assert!(
        !store
            .set_campaign_paused("paused", false)
            .await
            .expect("resume again")
    );
    assert!(store.paused_campaigns().await.expect("list").is_empty());
    let claimed = store.claim_due(at(100), 1).await.expect("claim");
    assert_eq!(
        ids(&claimed),
        vec![p1.id.clone()],
        "resumed contacts keep their due order"
    );
    let cancelled = store
        .cancel_campaign_contacts(
            "paused",
            "campaign_cancelled",
            "stopped by operator",
            at(200),
        )
        .await
        .expect("cancel");
    assert_eq!(cancelled, vec![p1.id.clone(), p2.id.clone()]);
    assert_eq!(state_of(store, &p1.id).await, ContactState::Cancelled);
    assert_eq!(state_of(store, &p2.id).await, ContactState::Cancelled);
    assert_eq!(
        state_of(store, &o1.id).await,
        ContactState::Queued,
        "other campaign untouched"
    );
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("paused".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.state == LedgerState::Cancelled
            && r.code.as_deref() == Some("campaign_cancelled"))
    );
    let counts = store.counts(Some("paused")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Cancelled), 2);
    assert_eq!(count(&counts, ContactState::Pending), 0);
    assert!(
        store
            .cancel_campaign_contacts("paused", "campaign_cancelled", "again", at(300))
            .await
            .expect("cancel")
            .is_empty()
    );
}

/// Every check, each against a fresh empty store from `fresh`.
/// The batch forms (`accounts`, `contact_checks`, `transitions`,
/// `reserve_many`) answer exactly what the single calls answer, in order;
/// `transitions` and `reserve_many` apply their items in order, each with
/// the single call's rules.
pub async fn batch_forms_match_single_calls<S: Store>(store: &S) {
    // accounts: present, missing, stopped, repeated, none.
    store
        .put_accounts(&[sample_account("ba"), sample_account("bb")])
        .await
        .expect("put");
    store
        .set_account_status("bb", AccountStatus::Paid)
        .await
        .expect("status");
    let ids: Vec<String> = ["ba", "missing", "bb", "ba"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let batch = store.accounts(&ids).await.expect("accounts");
    let mut single = Vec::new();
    for id in &ids {
        single.push(store.account(id).await.expect("account"));
    }
    assert_eq!(batch, single);
    assert!(batch[1].is_none());
    assert!(store.accounts(&[]).await.expect("no ids").is_empty());

    // suppression (exact per channel, all channels, prefix, domain) and
    // history (two debtors, one without any).
    let supp = |channel: Option<ChannelKind>, address: &str, prefix: bool| Suppression {
        channel,
        address: address.to_string(),
        prefix,
        source: "officer".into(),
        at: at(0),
    };
    for entry in [
        supp(Some(ChannelKind::Sms), "+5215511111111", false),
        supp(None, "+5215522222222", false),
        supp(Some(ChannelKind::Sms), "+52199", true),
        supp(None, "@spam.example", true),
    ] {
        store.suppress(&entry).await.expect("suppress");
    }
    store
        .record_conversation("tax:MX:RFC-BA", "ba", ChannelKind::Voice, at(10))
        .await
        .expect("conversation");
    store
        .record_conversation("tax:MX:RFC-BA", "ba", ChannelKind::Sms, at(20))
        .await
        .expect("conversation");
    let query = |channel: ChannelKind, address: &str, debtor: &str| CheckQuery {
        channel,
        address: address.to_string(),
        debtor_key: debtor.to_string(),
    };
    let queries = [
        query(ChannelKind::Sms, "+5215511111111", "tax:MX:RFC-BA"),
        query(ChannelKind::Voice, "+5215511111111", "tax:MX:RFC-BA"),
        query(ChannelKind::Voice, "+5215522222222", "account:zz"),
        query(ChannelKind::Sms, "+5219912345678", "account:zz"),
        query(ChannelKind::Voice, "+5219912345678", "tax:MX:RFC-BA"),
        query(ChannelKind::Email, "ana@spam.example", "account:zz"),
        query(ChannelKind::Email, "ana@example.com", "tax:MX:RFC-BA"),
    ];
    let checks = store.contact_checks(&queries).await.expect("checks");
    assert_eq!(checks.len(), queries.len());
    for (q, c) in queries.iter().zip(&checks) {
        let suppressed = store
            .is_suppressed(q.channel, &q.address)
            .await
            .expect("is_suppressed");
        let (history, version) = store.history(&q.debtor_key).await.expect("history");
        assert_eq!(c.suppressed, suppressed, "{q:?}");
        assert_eq!((&c.history, c.version), (&history, version), "{q:?}");
    }
    assert_eq!(
        checks.iter().map(|c| c.suppressed).collect::<Vec<_>>(),
        [true, false, true, true, false, true, false]
    );
    assert_eq!(checks[0].history.len(), 2);
    assert!(store.contact_checks(&[]).await.expect("none").is_empty());

    // transitions, in order, each with `transition`'s rules.
    let c: Vec<PlannedContact> = ["c1", "c2", "c3"]
        .iter()
        .map(|step| sample_contact("bt", "ba", step, ChannelKind::Sms, at(0)))
        .collect();
    store.add_contacts(&c).await.expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let item = |contact: &PlannedContact, to: Transition, rows: Vec<LedgerEntry>| TransitionItem {
        id: contact.id.clone(),
        to,
        ledger: rows,
    };
    let items = [
        item(
            &c[0],
            Transition::Finish(ContactState::Sent),
            vec![
                row(&c[0], LedgerState::Allowed, at(1)),
                row(&c[0], LedgerState::Sent, at(1)),
            ],
        ),
        item(
            &c[1],
            Transition::Reschedule {
                due_at: at(100),
                attempt: 1,
            },
            vec![row(&c[1], LedgerState::Deferred, at(1))],
        ),
        item(
            &c[2],
            Transition::Finish(ContactState::Blocked),
            vec![row(&c[2], LedgerState::Blocked, at(1))],
        ),
        // Already sent by the first item: refused, no row.
        item(
            &c[0],
            Transition::Finish(ContactState::Failed),
            vec![row(&c[0], LedgerState::Failed, at(2))],
        ),
        // A finished contact cannot be rescheduled.
        item(
            &c[2],
            Transition::Reschedule {
                due_at: at(100),
                attempt: 1,
            },
            vec![],
        ),
    ];
    let moved = store.transitions(&items).await.expect("transitions");
    assert_eq!(moved, [true, true, true, false, false]);
    assert_eq!(state_of(store, &c[0].id).await, ContactState::Sent);
    assert_eq!(state_of(store, &c[1].id).await, ContactState::Pending);
    assert_eq!(state_of(store, &c[2].id).await, ContactState::Blocked);
    let rescheduled = store
        .contact(&c[1].id)
        .await
        .expect("contact")
        .expect("exists");
    assert_eq!((rescheduled.due_at, rescheduled.attempt), (at(100), 1));
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("bt".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 4, "rows of refused items are not appended");
    let counts = store.counts(Some("bt")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Sent), 1);
    assert_eq!(count(&counts, ContactState::Pending), 1);
    assert_eq!(count(&counts, ContactState::Blocked), 1);
    assert_eq!(count(&counts, ContactState::Queued), 0);
    assert!(store.transitions(&[]).await.expect("none").is_empty());
    assert!(
        store
            .transitions(&[item(
                &c[1],
                Transition::Finish(ContactState::Queued),
                vec![]
            )])
            .await
            .is_err(),
        "a finish into a non-terminal state is an error"
    );

    // plan_and_transitions: the contacts are added (once: adding is
    // idempotent), then the items apply as `transitions` applies them.
    // (`p2` is due later than the claims of this test look.)
    let p: Vec<PlannedContact> = [("p1", 0), ("p2", 200)]
        .iter()
        .map(|(step, due)| sample_contact("bp", "ba", step, ChannelKind::Sms, at(*due)))
        .collect();
    store.add_contacts(&p[..1]).await.expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let fallback = sample_contact("bp", "ba", "p1+email", ChannelKind::Email, at(5));
    let moved = store
        .plan_and_transitions(
            &[fallback.clone(), p[1].clone()],
            &[
                item(
                    &p[0],
                    Transition::Finish(ContactState::Blocked),
                    vec![row(&p[0], LedgerState::Blocked, at(5))],
                ),
                // Just added (pending): not a transition a batch may make.
                item(&p[1], Transition::Finish(ContactState::Sent), vec![]),
            ],
        )
        .await
        .expect("plan_and_transitions");
    assert_eq!(moved, [true, false]);
    assert_eq!(state_of(store, &p[0].id).await, ContactState::Blocked);
    assert_eq!(state_of(store, &fallback.id).await, ContactState::Pending);
    assert_eq!(state_of(store, &p[1].id).await, ContactState::Pending);
    let added = store
        .contact(&fallback.id)
        .await
        .expect("contact")
        .expect("exists");
    assert_eq!((added.contact, added.due_at), (fallback.clone(), at(5)));
    let moved = store
        .plan_and_transitions(std::slice::from_ref(&fallback), &[])
        .await
        .expect("plan only");
    assert!(moved.is_empty());
    let counts = store.counts(Some("bp")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Pending), 2);
    assert_eq!(count(&counts, ContactState::Blocked), 1);
    assert_eq!(count(&counts, ContactState::Queued), 0);
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("bp".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 1);

    // reserve_many: in order, each with `reserve`'s checks.
    let r: Vec<PlannedContact> = [("ba", "r1"), ("ba", "r2"), ("bb", "r3")]
        .iter()
        .map(|(account, step)| sample_contact("br", account, step, ChannelKind::Email, at(0)))
        .collect();
    store.add_contacts(&r).await.expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 3);
    let (before, version) = store.history("tax:MX:RFC-BA").await.expect("history");
    let reservation = |contact: &PlannedContact, debtor: &str, version: u64| Reservation {
        contact_id: contact.id.clone(),
        account: contact.account.clone(),
        debtor_key: debtor.to_string(),
        channel: contact.channel,
        at: at(30),
        history_version: version,
    };
    let outcomes = store
        .reserve_many(&[
            reservation(&r[0], "tax:MX:RFC-BA", version),
            // Same debtor, same version: the first one bumped it.
            reservation(&r[1], "tax:MX:RFC-BA", version),
            reservation(&r[2], "tax:MX:RFC-BB", 0),
            // Already sent above.
            reservation(&c[0], "tax:MX:RFC-BA", version + 1),
        ])
        .await
        .expect("reserve_many");
    assert_eq!(
        outcomes,
        [
            ReserveOutcome::Reserved,
            ReserveOutcome::HistoryChanged,
            ReserveOutcome::AccountStopped(AccountStatus::Paid),
            ReserveOutcome::NotQueued,
        ]
    );
    let (after, new_version) = store.history("tax:MX:RFC-BA").await.expect("history");
    assert_eq!(new_version, version + 1);
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(state_of(store, &r[0].id).await, ContactState::Sending);
    assert_eq!(state_of(store, &r[1].id).await, ContactState::Queued);
    assert_eq!(state_of(store, &r[2].id).await, ContactState::Queued);
    assert!(store.reserve_many(&[]).await.expect("none").is_empty());

    // Within one call, a reservation sees the version the earlier ones of
    // the same debtor left: two in a row with consecutive versions both
    // apply, and a third with a stale version does not.
    let more: Vec<PlannedContact> = ["r4", "r5"]
        .iter()
        .map(|step| sample_contact("br", "ba", step, ChannelKind::Email, at(0)))
        .collect();
    store.add_contacts(&more).await.expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 2);
    let outcomes = store
        .reserve_many(&[
            reservation(&r[1], "tax:MX:RFC-BA", version + 1),
            reservation(&more[0], "tax:MX:RFC-BA", version + 2),
            reservation(&more[1], "tax:MX:RFC-BA", version + 2),
        ])
        .await
        .expect("reserve_many");
    assert_eq!(
        outcomes,
        [
            ReserveOutcome::Reserved,
            ReserveOutcome::Reserved,
            ReserveOutcome::HistoryChanged,
        ]
    );
    let (last, last_version) = store.history("tax:MX:RFC-BA").await.expect("history");
    assert_eq!(last_version, version + 3);
    assert_eq!(last.len(), before.len() + 3);
    assert_eq!(state_of(store, &r[1].id).await, ContactState::Sending);
    assert_eq!(state_of(store, &more[0].id).await, ContactState::Sending);
    assert_eq!(state_of(store, &more[1].id).await, ContactState::Queued);
}

/// Calls over thousands of contacts (a batch reservation of 3,000, a mass
/// recovery, a whole campaign cancelled) leave the same states, counters,
/// indexes, histories and ledger rows as small ones (a backend may apply
/// such calls in slices).
pub async fn long_calls_stay_consistent<S: Store>(store: &S) {
    const ACCOUNTS: usize = 30;
    const PER_ACCOUNT: usize = 100;
    let accounts: Vec<Account> = (0..ACCOUNTS)
        .map(|a| sample_account(&format!("lc{a}")))
        .collect();
    store.put_accounts(&accounts).await.expect("put");
    let plan = |campaign: &str| -> Vec<PlannedContact> {
        (0..PER_ACCOUNT)
            .flat_map(|s| (0..ACCOUNTS).map(move |a| (a, s)))
            .map(|(a, s)| {
                sample_contact(
                    campaign,
                    &format!("lc{a}"),
                    &format!("s{s}"),
                    ChannelKind::Sms,
                    at(0),
                )
            })
            .collect()
    };
    let total = (ACCOUNTS * PER_ACCOUNT) as u64;

    // Every contact claimed and reserved in one call, each debtor's
    // reservations with consecutive versions.
    let first = plan("long1");
    assert_eq!(store.add_contacts(&first).await.expect("add"), total);
    assert_eq!(
        store.claim_due(at(0), 10_000).await.expect("claim").len() as u64,
        total
    );
    let mut versions = std::collections::BTreeMap::new();
    let reservations: Vec<Reservation> = first
        .iter()
        .map(|c| {
            let version = versions.entry(c.account.clone()).or_insert(0u64);
            let r = Reservation {
                contact_id: c.id.clone(),
                account: c.account.clone(),
                debtor_key: format!("debtor:{}", c.account),
                channel: c.channel,
                at: at(30),
                history_version: *version,
            };
            *version += 1;
            r
        })
        .collect();
    let outcomes = store
        .reserve_many(&reservations)
        .await
        .expect("reserve_many");
    assert!(outcomes.iter().all(|o| *o == ReserveOutcome::Reserved));
    let (rows, version) = store.history("debtor:lc7").await.expect("history");
    assert_eq!((rows.len(), version), (PER_ACCOUNT, PER_ACCOUNT as u64));
    let counts = store.counts(Some("long1")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Sending), total);
    assert_eq!(count(&counts, ContactState::Queued), 0);

    // A mass recovery marks every one of them unknown, with its row.
    assert_eq!(
        store.recover_stale(at(0), at(100)).await.expect("recover"),
        (0, total)
    );
    let counts = store.counts(Some("long1")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Unknown), total);
    assert_eq!(count(&counts, ContactState::Sending), 0);
    assert_eq!(
        store.recover_stale(at(0), at(100)).await.expect("again"),
        (0, 0),
        "nothing left in the sending index"
    );

    // A whole campaign cancelled, claimed and pending contacts alike.
    let second = plan("long2");
    store.add_contacts(&second).await.expect("add");
    assert_eq!(
        store.claim_due(at(0), 1_000).await.expect("claim").len(),
        1_000
    );
    let cancelled = store
        .cancel_campaign_contacts("long2", "test", "cancelled whole", at(40))
        .await
        .expect("cancel");
    assert_eq!(cancelled.len() as u64, total);
    let counts = store.counts(Some("long2")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Cancelled), total);
    assert_eq!(counts.values().sum::<u64>(), total);
    assert_eq!(store.next_due().await.expect("next due"), None);
    assert!(
        store
            .claim_due(at(1_000), 10)
            .await
            .expect("claim")
            .is_empty()
    );

    // Every row of both campaigns, in both views.
    for campaign in ["long1", "long2"] {
        let rows = store
            .ledger(&LedgerFilter {
                campaign: Some(campaign.into()),
                ..Default::default()
            })
            .await
            .expect("ledger");
        assert_eq!(rows.len() as u64, total, "{campaign}");
    }
    let rows = store
        .ledger(&LedgerFilter {
            account: Some("lc7".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 2 * PER_ACCOUNT);
    let all = store.counts(None).await.expect("counts");
    assert_eq!(all.values().sum::<u64>(), 2 * total);
}

pub async fn run_all<S, F, Fut>(mut fresh: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    accounts(&fresh().await).await;
    add_contacts_is_idempotent(&fresh().await).await;
    claim_due_respects_time_limit_and_order(&fresh().await).await;
    claim_due_concurrent_never_duplicates(&fresh().await).await;
    reschedule_returns_to_pending(&fresh().await).await;
    finish_is_terminal(&fresh().await).await;
    delivery_status_after_sent(&fresh().await).await;
    reserve_outcomes(&fresh().await).await;
    cancel_account_contacts(&fresh().await).await;
    campaign_stop_from(&fresh().await).await;
    recover_stale(&fresh().await).await;
    counts_sum_to_plan(&fresh().await).await;
    suppression(&fresh().await).await;
    ledger_filters(&fresh().await).await;
    campaign_ledger_pages(&fresh().await).await;
    history_and_conversations(&fresh().await).await;
    accounts_by_address(&fresh().await).await;
    campaign_pause_resume_cancel(&fresh().await).await;
    batch_forms_match_single_calls(&fresh().await).await;
    long_calls_stay_consistent(&fresh().await).await;
}

/// One `#[tokio::test]` per conformance check. `$make` is an async fn
/// returning `(guard, store)`: the guard (a server, a temp dir) lives as
/// long as the test, and every test gets a fresh empty store.
///
/// ```text
/// async fn fresh() -> (RedisServer, RedisStore) { ... }
/// cobro_dispatcher::store_conformance_tests!(fresh);
/// ```
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:path) => {
        $crate::store_conformance_tests!(@each $make;
            accounts,
            add_contacts_is_idempotent,
            claim_due_respects_time_limit_and_order,
            claim_due_concurrent_never_duplicates,
            reschedule_returns_to_pending,
            finish_is_terminal,
            delivery_status_after_sent,
            reserve_outcomes,
            cancel_account_contacts,
            campaign_stop_from,
            recover_stale,
            counts_sum_to_plan,
            suppression,
            ledger_filters,
            campaign_ledger_pages,
            history_and_conversations,
            accounts_by_address,
            campaign_pause_resume_cancel,
            batch_forms_match_single_calls,
            long_calls_stay_consistent
        );
    };
    (@each $make:path; $($check:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (_guard, store) = $make().await;
                $crate::store::conformance::$check(&store).await;
            }
        )*
    };
}
