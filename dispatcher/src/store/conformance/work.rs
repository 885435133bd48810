//! The collectors' work queue (`WorkStore`): agent contacts claimed by
//! team, never by the feeder, and the leases of the tasks handed out.

use cobro_campaigns::{ChannelKind, PlannedContact};

use crate::store::{ContactState, Reservation, ReserveOutcome, Store, TaskLease, Transition};

use super::fixtures::*;

fn teams(names: &[&str]) -> Vec<String> {
    names.iter().map(|t| t.to_string()).collect()
}

fn general() -> Vec<String> {
    teams(&["general"])
}

/// An agent contact of another team than the fixtures' "general".
fn team_contact(
    campaign: &str,
    account: &str,
    team: &str,
    due_at: chrono::DateTime<chrono::Utc>,
) -> PlannedContact {
    let mut c = sample_contact(campaign, account, "s", ChannelKind::AgentTask, due_at);
    c.team = Some(team.to_string());
    c
}

/// The feeder never sees an agent contact; `claim_work` claims them by
/// team, earliest first (ties by id), up to the limit, once.
pub async fn claim_work_by_team<S: Store>(store: &S) {
    let w2 = sample_contact("w", "a2", "s", ChannelKind::AgentCall, at(10));
    let w1 = sample_contact("w", "a1", "s", ChannelKind::AgentTask, at(0));
    let w0 = sample_contact("w", "a0", "s", ChannelKind::AgentCall, at(0));
    let later = sample_contact("w", "a3", "s", ChannelKind::AgentCall, at(100));
    let vip = team_contact("w", "a4", "vip", at(5));
    let email = sample_contact("w", "b", "s", ChannelKind::Email, at(5));
    assert_eq!(w0.team.as_deref(), Some("general"), "fixture sets the team");
    store
        .add_contacts(&[
            w2.clone(),
            w1.clone(),
            w0.clone(),
            later.clone(),
            vip.clone(),
            email.clone(),
        ])
        .await
        .expect("add");
    let rec = store.contact(&w0.id).await.expect("get").expect("stored");
    assert_eq!(rec.contact, w0, "the team round-trips");

    assert_eq!(
        store.next_due().await.expect("next_due"),
        Some(at(5)),
        "next_due ignores agent contacts"
    );
    let got = store.claim_due(at(1000), 10).await.expect("claim_due");
    assert_eq!(
        ids(&got),
        vec![email.id.clone()],
        "claim_due never takes an agent contact"
    );
    assert_eq!(
        store.next_due().await.expect("next_due"),
        None,
        "only agent contacts are left pending"
    );

    assert!(
        store
            .claim_work(&teams(&["other"]), at(1000), 10)
            .await
            .expect("claim_work")
            .is_empty(),
        "another team's queue is empty"
    );
    assert!(
        store
            .claim_work(&[], at(1000), 10)
            .await
            .expect("claim_work")
            .is_empty(),
        "no teams, no work"
    );
    assert!(
        store
            .claim_work(&general(), at(1000), 0)
            .await
            .expect("claim_work")
            .is_empty(),
        "limit 0 claims nothing"
    );
    assert_eq!(state_of(store, &w0.id).await, ContactState::Pending);

    let got = store
        .claim_work(&general(), at(50), 2)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![w0.id.clone(), w1.id.clone()],
        "earliest first, ties by id, up to the limit"
    );
    assert!(got.iter().all(|r| r.state == ContactState::Queued));
    assert_eq!(got[0].contact, w0);
    assert_eq!(got[0].due_at, at(0));
    assert_eq!(state_of(store, &w0.id).await, ContactState::Queued);
    assert_eq!(state_of(store, &w1.id).await, ContactState::Queued);

    let got = store
        .claim_work(&general(), at(50), 10)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![w2.id.clone()],
        "only what is due by now and not claimed yet"
    );
    assert!(
        store
            .claim_work(&general(), at(50), 10)
            .await
            .expect("claim_work")
            .is_empty(),
        "a claimed (queued) contact is not claimed again"
    );
    assert_eq!(state_of(store, &later.id).await, ContactState::Pending);
    assert_eq!(
        state_of(store, &vip.id).await,
        ContactState::Pending,
        "another team's contact is left"
    );

    let got = store
        .claim_work(&teams(&["vip", "general"]), at(100), 10)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![vip.id.clone(), later.id.clone()],
        "several teams at once, earliest first across them"
    );
    assert!(
        store
            .claim_work(&teams(&["vip", "general"]), at(1000), 10)
            .await
            .expect("claim_work")
            .is_empty(),
        "everything claimed once"
    );
    assert!(
        store
            .claim_due(at(1000), 10)
            .await
            .expect("claim_due")
            .is_empty()
    );
    let counts = store.counts(Some("w")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Queued),
        6,
        "counts: {counts:?}"
    );
    assert_eq!(
        count(&counts, ContactState::Pending),
        0,
        "counts: {counts:?}"
    );
}

/// `next_work_due` is the earliest pending agent contact of the teams;
/// `work_depth` counts the pending ones due at `now`.
pub async fn work_due_and_depth<S: Store>(store: &S) {
    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        None,
        "an empty queue has no next due"
    );
    let d0 = sample_contact("d", "a0", "s", ChannelKind::AgentCall, at(0));
    let d1 = sample_contact("d", "a1", "s", ChannelKind::AgentTask, at(10));
    let d2 = sample_contact("d", "a2", "s", ChannelKind::AgentCall, at(20));
    let future = sample_contact("d", "a3", "s", ChannelKind::AgentCall, at(500));
    let vip = team_contact("d", "a4", "vip", at(-50));
    let email = sample_contact("d", "b", "s", ChannelKind::Email, at(-100));
    store
        .add_contacts(&[
            future.clone(),
            d2.clone(),
            d1.clone(),
            d0.clone(),
            vip.clone(),
            email.clone(),
        ])
        .await
        .expect("add");

    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        Some(at(0)),
        "the team's earliest, not another team's nor the feeder's"
    );
    assert_eq!(
        store
            .next_work_due(&teams(&["general", "vip"]))
            .await
            .expect("next_work_due"),
        Some(at(-50)),
        "the earliest across the teams"
    );
    assert_eq!(
        store
            .next_work_due(&teams(&["nobody"]))
            .await
            .expect("next_work_due"),
        None,
        "an unknown team has no work"
    );
    assert_eq!(store.next_work_due(&[]).await.expect("next_work_due"), None);

    assert_eq!(
        store.work_depth("general", at(10)).await.expect("depth"),
        2,
        "due at or before now only"
    );
    assert_eq!(store.work_depth("general", at(-1)).await.expect("depth"), 0);
    assert_eq!(
        store.work_depth("general", at(1000)).await.expect("depth"),
        4
    );
    assert_eq!(store.work_depth("vip", at(1000)).await.expect("depth"), 1);
    assert_eq!(
        store.work_depth("nobody", at(1000)).await.expect("depth"),
        0
    );

    let got = store
        .claim_work(&general(), at(10), 1)
        .await
        .expect("claim_work");
    assert_eq!(ids(&got), vec![d0.id.clone()]);
    assert_eq!(
        store.work_depth("general", at(20)).await.expect("depth"),
        2,
        "a claimed contact leaves the queue"
    );
    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        Some(at(10)),
        "the next pending one"
    );
    assert_eq!(
        store
            .claim_work(&general(), at(20), 10)
            .await
            .expect("claim")
            .len(),
        2
    );
    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        Some(at(500))
    );
    assert_eq!(
        store.work_depth("general", at(499)).await.expect("depth"),
        0,
        "a future contact is not in the depth"
    );
    assert_eq!(
        store.work_depth("general", at(500)).await.expect("depth"),
        1
    );
}

/// A rescheduled agent contact goes back to its team's queue, never to
/// the feeder's plan.
pub async fn reschedule_returns_to_work_queue<S: Store>(store: &S) {
    let c = sample_contact("rw", "a", "s", ChannelKind::AgentCall, at(0));
    store
        .add_contacts(std::slice::from_ref(&c))
        .await
        .expect("add");
    let got = store
        .claim_work(&general(), at(0), 10)
        .await
        .expect("claim_work");
    assert_eq!(ids(&got), vec![c.id.clone()]);
    assert!(
        store
            .transition(
                &c.id,
                Transition::Reschedule {
                    due_at: at(200),
                    attempt: 1
                },
                &[]
            )
            .await
            .expect("reschedule")
    );
    let rec = store.contact(&c.id).await.expect("get").expect("stored");
    assert_eq!(rec.state, ContactState::Pending);
    assert_eq!(rec.due_at, at(200));
    assert_eq!(rec.contact.team.as_deref(), Some("general"));
    assert!(
        store
            .claim_due(at(1000), 10)
            .await
            .expect("claim_due")
            .is_empty(),
        "the feeder still does not claim it"
    );
    assert_eq!(store.next_due().await.expect("next_due"), None);
    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        Some(at(200)),
        "back in its team's queue at its new due time"
    );
    assert_eq!(
        store.work_depth("general", at(200)).await.expect("depth"),
        1
    );
    assert!(
        store
            .claim_work(&general(), at(199), 10)
            .await
            .expect("claim_work")
            .is_empty(),
        "not due before its new time"
    );
    let got = store
        .claim_work(&general(), at(200), 10)
        .await
        .expect("claim_work");
    assert_eq!(ids(&got), vec![c.id.clone()], "claimed again");
    assert_eq!(got[0].attempt, 1);
    assert_eq!(got[0].due_at, at(200));
    assert_eq!(state_of(store, &c.id).await, ContactState::Queued);
}

/// A paused campaign's agent contacts are passed over until it resumes;
/// its ordinary contacts go back to the feeder, its agent ones to their
/// team.
pub async fn claim_work_skips_paused_campaigns<S: Store>(store: &S) {
    let p1 = sample_contact("wp", "a1", "s", ChannelKind::AgentCall, at(0));
    let p2 = sample_contact("wp", "a2", "s", ChannelKind::AgentTask, at(10));
    let p_sms = sample_contact("wp", "a3", "s", ChannelKind::Sms, at(0));
    let o1 = sample_contact("wo", "a1", "s", ChannelKind::AgentCall, at(5));
    store
        .add_contacts(&[p1.clone(), p2.clone(), p_sms.clone(), o1.clone()])
        .await
        .expect("add");
    assert!(store.set_campaign_paused("wp", true).await.expect("pause"));
    let got = store
        .claim_work(&general(), at(100), 10)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![o1.id.clone()],
        "only the running campaign's agent contact"
    );
    assert_eq!(state_of(store, &p1.id).await, ContactState::Pending);
    assert_eq!(state_of(store, &p2.id).await, ContactState::Pending);
    assert!(
        store
            .claim_work(&general(), at(100), 10)
            .await
            .expect("claim_work")
            .is_empty(),
        "still paused"
    );
    assert!(
        store
            .claim_due(at(100), 10)
            .await
            .expect("claim_due")
            .is_empty()
    );
    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        None,
        "a paused campaign's contacts are not waited for"
    );

    assert!(
        store
            .set_campaign_paused("wp", false)
            .await
            .expect("resume")
    );
    assert_eq!(
        store
            .next_work_due(&general())
            .await
            .expect("next_work_due"),
        Some(at(0))
    );
    let got = store
        .claim_work(&general(), at(100), 1)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![p1.id.clone()],
        "resumed agent contacts keep their due order"
    );
    let got = store
        .claim_work(&general(), at(100), 10)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![p2.id.clone()],
        "only agent contacts go to the team"
    );
    let got = store.claim_due(at(100), 10).await.expect("claim_due");
    assert_eq!(
        ids(&got),
        vec![p_sms.id.clone()],
        "the ordinary contact goes back to the feeder"
    );
    assert_eq!(state_of(store, &p1.id).await, ContactState::Queued);
    assert_eq!(state_of(store, &p2.id).await, ContactState::Queued);
}

/// Cancelling a campaign cancels its pending and queued agent contacts;
/// they leave the team's queue. Other campaigns keep theirs.
pub async fn cancel_campaign_cancels_work<S: Store>(store: &S) {
    let queued = sample_contact("wc", "a0", "s", ChannelKind::AgentCall, at(0));
    let due = sample_contact("wc", "a1", "s", ChannelKind::AgentCall, at(10));
    let future = sample_contact("wc", "a2", "s", ChannelKind::AgentTask, at(500));
    let vip = team_contact("wc", "a3", "vip", at(10));
    let sms = sample_contact("wc", "a4", "s", ChannelKind::Sms, at(10));
    let other = sample_contact("wk", "a0", "s", ChannelKind::AgentCall, at(20));
    store
        .add_contacts(&[
            queued.clone(),
            due.clone(),
            future.clone(),
            vip.clone(),
            sms.clone(),
            other.clone(),
        ])
        .await
        .expect("add");
    assert_eq!(
        ids(&store
            .claim_work(&general(), at(0), 10)
            .await
            .expect("claim_work")),
        vec![queued.id.clone()]
    );
    let cancelled = store
        .cancel_campaign_contacts("wc", "campaign_cancelled", "stopped", at(30))
        .await
        .expect("cancel");
    let mut expected = vec![
        queued.id.clone(),
        due.id.clone(),
        future.id.clone(),
        vip.id.clone(),
        sms.id.clone(),
    ];
    expected.sort();
    assert_eq!(cancelled, expected, "every open contact, agent ones too");
    for c in [&queued, &due, &future, &vip] {
        assert_eq!(state_of(store, &c.id).await, ContactState::Cancelled);
    }
    let got = store
        .claim_work(&teams(&["general", "vip"]), at(1000), 10)
        .await
        .expect("claim_work");
    assert_eq!(
        ids(&got),
        vec![other.id.clone()],
        "cancelled contacts are not claimable; the other campaign's is"
    );
    assert_eq!(
        store.work_depth("general", at(1000)).await.expect("depth"),
        0
    );
    assert_eq!(store.work_depth("vip", at(1000)).await.expect("depth"), 0);
    assert_eq!(
        store
            .next_work_due(&teams(&["general", "vip"]))
            .await
            .expect("next_work_due"),
        None
    );
    let counts = store.counts(Some("wc")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Cancelled),
        5,
        "counts: {counts:?}"
    );
}

/// A collector's task is `sending` while leased: `recover_stale` leaves
/// it (the lease governs), while an ordinary stale `sending` contact
/// becomes unknown in the same call; a stale queued agent contact goes
/// back to its team's queue.
pub async fn recover_stale_leaves_work<S: Store>(store: &S) {
    store
        .put_accounts(&[sample_account("a"), sample_account("b")])
        .await
        .expect("accounts");
    let task = sample_contact("wr", "a", "s1", ChannelKind::AgentCall, at(0));
    let stale_queued = sample_contact("wr", "a", "s2", ChannelKind::AgentTask, at(0));
    let sms = sample_contact("wr", "b", "s1", ChannelKind::Sms, at(0));
    store
        .add_contacts(&[task.clone(), stale_queued.clone(), sms.clone()])
        .await
        .expect("add");
    assert_eq!(
        store
            .claim_work(&general(), at(0), 10)
            .await
            .expect("claim_work")
            .len(),
        2
    );
    assert_eq!(
        ids(&store.claim_due(at(0), 10).await.expect("claim_due")),
        vec![sms.id.clone()]
    );
    let reserve = |c: &PlannedContact, version| Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: format!("debtor-{}", c.account),
        channel: c.channel,
        at: at(5),
        history_version: version,
    };
    assert_eq!(
        store.reserve(&reserve(&task, 0)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(
        store.reserve(&reserve(&sms, 0)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(state_of(store, &task.id).await, ContactState::Sending);

    assert_eq!(
        store.recover_stale(at(30), at(30)).await.expect("recover"),
        (1, 1),
        "the stale queued agent contact and the ordinary sending one"
    );
    assert_eq!(
        state_of(store, &task.id).await,
        ContactState::Sending,
        "a leased task is not made unknown"
    );
    assert_eq!(state_of(store, &sms.id).await, ContactState::Unknown);
    assert_eq!(
        state_of(store, &stale_queued.id).await,
        ContactState::Pending
    );
    let review = store.unknown_contacts(None, 10).await.expect("review");
    assert_eq!(ids(&review), vec![sms.id.clone()], "only the ordinary one");
    assert_eq!(
        store.recover_stale(at(60), at(60)).await.expect("recover"),
        (0, 0),
        "the task is left on later recoveries too"
    );
    assert_eq!(state_of(store, &task.id).await, ContactState::Sending);
    assert!(
        store
            .claim_due(at(100), 10)
            .await
            .expect("claim_due")
            .is_empty(),
        "a requeued agent contact does not go to the feeder"
    );
    assert_eq!(
        ids(&store
            .claim_work(&general(), at(100), 10)
            .await
            .expect("claim_work")),
        vec![stale_queued.id.clone()],
        "it goes back to its team's queue"
    );
    assert!(
        store
            .transition(&task.id, Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("finish"),
        "the task is still the collector's to record"
    );
    let counts = store.counts(Some("wr")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Sent), 1, "counts: {counts:?}");
    assert_eq!(
        count(&counts, ContactState::Unknown),
        1,
        "counts: {counts:?}"
    );
    assert_eq!(
        count(&counts, ContactState::Queued),
        1,
        "counts: {counts:?}"
    );
}

/// Leases: round-trip, per collector and all sorted by contact id,
/// expiry strictly before `now`, replacement, and compare-and-delete.
pub async fn task_leases<S: Store>(store: &S) {
    let lease = |id: &str, collector: &str, leased: i64, until: i64| TaskLease {
        contact_id: id.to_string(),
        collector: collector.to_string(),
        team: "general".to_string(),
        leased_at: at(leased),
        until: at(until),
    };
    let la = lease("l/a/s", "ana@example.com", 0, 100);
    let lb = lease("l/b/s", "beto@example.com", 10, 50);
    let lc = lease("l/c/s", "ana@example.com", 20, 200);
    assert!(store.leases(None).await.expect("leases").is_empty());
    assert_eq!(store.lease(&la.contact_id).await.expect("lease"), None);
    for l in [&lc, &la, &lb] {
        store.put_lease(l).await.expect("put_lease");
    }
    assert_eq!(
        store.lease(&la.contact_id).await.expect("lease"),
        Some(la.clone()),
        "a lease round-trips"
    );
    assert_eq!(store.lease("l/none/s").await.expect("lease"), None);
    assert_eq!(
        store.leases(Some("ana@example.com")).await.expect("leases"),
        vec![la.clone(), lc.clone()],
        "one collector's, by contact id"
    );
    assert_eq!(
        store
            .leases(Some("beto@example.com"))
            .await
            .expect("leases"),
        vec![lb.clone()]
    );
    assert!(
        store
            .leases(Some("nadie@example.com"))
            .await
            .expect("leases")
            .is_empty()
    );
    assert_eq!(
        store.leases(None).await.expect("leases"),
        vec![la.clone(), lb.clone(), lc.clone()],
        "every lease, by contact id"
    );

    assert!(
        store
            .expired_leases(at(50))
            .await
            .expect("expired")
            .is_empty(),
        "until == now is not expired yet"
    );
    assert_eq!(
        store.expired_leases(at(51)).await.expect("expired"),
        vec![lb.clone()]
    );
    assert_eq!(
        store.expired_leases(at(101)).await.expect("expired"),
        vec![la.clone(), lb.clone()],
        "by contact id"
    );
    assert_eq!(
        store.expired_leases(at(1000)).await.expect("expired"),
        vec![la.clone(), lb.clone(), lc.clone()]
    );

    // A reassigned task: the lease is replaced.
    let lb2 = lease("l/b/s", "ana@example.com", 60, 300);
    store.put_lease(&lb2).await.expect("put_lease");
    assert_eq!(
        store.lease(&lb.contact_id).await.expect("lease"),
        Some(lb2.clone()),
        "put_lease replaces"
    );
    assert_eq!(
        store.expired_leases(at(101)).await.expect("expired"),
        vec![la.clone()],
        "the replacement's until counts"
    );
    assert!(
        store
            .leases(Some("beto@example.com"))
            .await
            .expect("leases")
            .is_empty()
    );
    assert_eq!(store.leases(None).await.expect("leases").len(), 3);

    assert!(
        !store
            .end_lease(&lb.contact_id, "beto@example.com")
            .await
            .expect("end_lease"),
        "a former holder does not end the reassigned lease"
    );
    assert_eq!(
        store.lease(&lb.contact_id).await.expect("lease"),
        Some(lb2.clone()),
        "kept"
    );
    assert!(
        !store
            .end_lease("l/none/s", "ana@example.com")
            .await
            .expect("end_lease"),
        "no lease, nothing ended"
    );
    assert!(
        store
            .end_lease(&lb.contact_id, "ana@example.com")
            .await
            .expect("end_lease")
    );
    assert_eq!(store.lease(&lb.contact_id).await.expect("lease"), None);
    assert!(
        !store
            .end_lease(&lb.contact_id, "ana@example.com")
            .await
            .expect("end_lease"),
        "ended once"
    );
    assert!(
        store
            .end_lease(&la.contact_id, "ana@example.com")
            .await
            .expect("end_lease")
    );
    assert_eq!(
        store.leases(None).await.expect("leases"),
        vec![lc.clone()],
        "ended leases are gone"
    );
    assert_eq!(
        store.leases(Some("ana@example.com")).await.expect("leases"),
        vec![lc.clone()]
    );
    assert_eq!(
        store.expired_leases(at(1000)).await.expect("expired"),
        vec![lc.clone()],
        "ended leases never expire"
    );
}
