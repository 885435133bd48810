//! The plan: adding, claiming, moving, counting and recovering contacts.

use std::collections::HashSet;

use cobro_campaigns::{ChannelKind, PlannedContact};

use crate::store::{
    ContactState, LedgerFilter, LedgerState, Reservation, ReserveOutcome, Store, Transition,
};

use super::fixtures::*;

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
    assert_eq!(
        store
            .reserve(&reservation_of(&sending, 5))
            .await
            .expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(store.claim_due(at(60), 10).await.expect("claim").len(), 2);
    assert_eq!(
        store
            .reserve(&reservation_of(&fresh_sending, 61))
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

/// The review queue: `unknown` contacts of every campaign, paged by id;
/// an operator's `Finish(Delivered)` or `Requeue` takes a contact off it,
/// and `Requeue` puts it back in the plan at the given time with its
/// attempt count, where the next claim finds it.
pub async fn review_queue<S: Store>(store: &S) {
    let plan: Vec<PlannedContact> = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, acc)| {
            let campaign = if i % 2 == 0 { "rq1" } else { "rq2" };
            sample_contact(campaign, acc, "s1", ChannelKind::Sms, at(0))
        })
        .collect();
    store.add_contacts(&plan).await.expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 4);
    reserve_all(store, &plan[..3], 5).await;
    assert_eq!(
        store.recover_stale(at(-1), at(30)).await.expect("recover"),
        (0, 3)
    );
    // An attempt's outcome may be `unknown` too (Finish from queued).
    assert!(
        store
            .transition(&plan[3].id, Transition::Finish(ContactState::Unknown), &[])
            .await
            .expect("finish unknown")
    );
    let mut ids: Vec<String> = plan.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    let all = store.unknown_contacts(None, 10).await.expect("queue");
    assert_eq!(
        all.iter().map(|r| r.contact.id.clone()).collect::<Vec<_>>(),
        ids,
        "every unknown contact of every campaign, by id"
    );
    assert!(all.iter().all(|r| r.state == ContactState::Unknown));
    let first = store.unknown_contacts(None, 2).await.expect("page 1");
    let rest = store
        .unknown_contacts(Some(&first[1].contact.id), 10)
        .await
        .expect("page 2");
    assert_eq!(first.len(), 2);
    assert_eq!(
        first
            .iter()
            .chain(&rest)
            .map(|r| r.contact.id.clone())
            .collect::<Vec<_>>(),
        ids,
        "pages follow each other"
    );

    let delivered = &ids[0];
    let not_sent = &ids[1];
    assert!(
        store
            .transition(delivered, Transition::Finish(ContactState::Delivered), &[])
            .await
            .expect("delivered")
    );
    let before = store.contact(not_sent).await.expect("get").expect("stored");
    assert!(
        store
            .transition(not_sent, Transition::Requeue { due_at: at(100) }, &[])
            .await
            .expect("requeue")
    );
    assert!(
        !store
            .transition(not_sent, Transition::Requeue { due_at: at(200) }, &[])
            .await
            .expect("requeue twice"),
        "only an unknown contact is requeued"
    );
    let after = store.contact(not_sent).await.expect("get").expect("stored");
    assert_eq!(after.state, ContactState::Pending);
    assert_eq!(after.due_at, at(100));
    assert_eq!(after.attempt, before.attempt, "the attempt count is kept");
    let left = store.unknown_contacts(None, 10).await.expect("queue");
    assert_eq!(
        left.iter()
            .map(|r| r.contact.id.clone())
            .collect::<Vec<_>>(),
        ids[2..].to_vec(),
        "resolved contacts leave the queue"
    );
    assert_eq!(store.next_due().await.expect("next_due"), Some(at(100)));
    let claimed = store.claim_due(at(100), 10).await.expect("claim again");
    assert_eq!(
        claimed
            .iter()
            .map(|r| r.contact.id.clone())
            .collect::<Vec<_>>(),
        vec![not_sent.clone()],
        "the feeder claims it again"
    );
    assert!(
        store
            .unknown_contacts(Some("~"), 10)
            .await
            .expect("end")
            .is_empty()
    );
}
