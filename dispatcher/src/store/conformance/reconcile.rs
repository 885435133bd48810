//! Reconciliation (`ReconcileStore::reconcile`): a `sending` or `unknown`
//! contact takes the outcome a provider or the outcome journal told, with
//! its ledger row; anything else is refused without a write.

use cobro_campaigns::{ChannelKind, PlannedContact};

use super::fixtures::{at, reserve_all, row, sample_contact, state_of};
use crate::store::{ContactState, LedgerFilter, LedgerState, Store, Transition};

pub async fn reconcile_lost_outcomes<S: Store>(store: &S) {
    let plan: Vec<PlannedContact> = ["ra", "rb", "rc", "rd"]
        .iter()
        .map(|acc| sample_contact("rec", acc, "s1", ChannelKind::Sms, at(0)))
        .collect();
    store.add_contacts(&plan).await.expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 4);
    reserve_all(store, &plan[..3], 5).await;
    // a and b recovered to unknown, c still sending, d queued.
    let (a, b, c, d) = (&plan[0], &plan[1], &plan[2], &plan[3]);
    assert!(
        store
            .transition(&a.id, Transition::Finish(ContactState::Unknown), &[])
            .await
            .expect("unknown")
    );
    assert!(
        store
            .transition(&b.id, Transition::Finish(ContactState::Unknown), &[])
            .await
            .expect("unknown")
    );

    let mut sent = row(a, LedgerState::Sent, at(60));
    sent.code = Some("reconciled".into());
    sent.provider = Some("twilio".into());
    sent.provider_id = Some("SMreconciled0001".into());
    assert!(
        store
            .reconcile(&a.id, ContactState::Sent, std::slice::from_ref(&sent))
            .await
            .expect("reconcile a")
    );
    assert_eq!(state_of(store, &a.id).await, ContactState::Sent);
    let by_id = store
        .ledger(&LedgerFilter {
            provider_id: Some("SMreconciled0001".into()),
            ..Default::default()
        })
        .await
        .expect("ledger by provider id");
    assert_eq!(
        by_id,
        vec![sent.clone()],
        "the row is found by its provider id"
    );
    // Once reconciled, a second report changes nothing and writes nothing.
    assert!(
        !store
            .reconcile(&a.id, ContactState::Failed, std::slice::from_ref(&sent))
            .await
            .expect("reconcile a again")
    );
    assert_eq!(state_of(store, &a.id).await, ContactState::Sent);
    // …but its delivery receipt still applies (sent -> delivered).
    assert!(
        store
            .transition(&a.id, Transition::Finish(ContactState::Delivered), &[])
            .await
            .expect("receipt")
    );

    assert!(
        store
            .reconcile(&b.id, ContactState::Failed, &[])
            .await
            .expect("reconcile b")
    );
    assert!(
        store
            .reconcile(&c.id, ContactState::Undelivered, &[])
            .await
            .expect("reconcile c (sending)")
    );
    assert!(
        !store
            .reconcile(&d.id, ContactState::Sent, &[])
            .await
            .expect("reconcile d (queued)"),
        "a queued contact never went out: nothing to reconcile"
    );
    assert_eq!(state_of(store, &d.id).await, ContactState::Queued);
    assert!(
        store
            .reconcile(&d.id, ContactState::Pending, &[])
            .await
            .is_err(),
        "only sent, delivered, undelivered or failed"
    );
    assert!(
        store
            .unknown_contacts(None, 10)
            .await
            .expect("review queue")
            .is_empty(),
        "reconciled contacts leave the review queue"
    );
    let counts = store.counts(Some("rec")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Delivered), Some(&1));
    assert_eq!(counts.get(&ContactState::Failed), Some(&1));
    assert_eq!(counts.get(&ContactState::Undelivered), Some(&1));
    assert_eq!(counts.get(&ContactState::Queued), Some(&1));
    assert_eq!(counts.get(&ContactState::Unknown).copied().unwrap_or(0), 0);
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("rec".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows, vec![sent], "only the moves that applied wrote rows");
}
