//! The reservation and the debtor history it writes.

use cobro_campaigns::{ChannelKind, PlannedContact};

use crate::store::{AccountStatus, ContactState, Reservation, ReserveOutcome, Store, Transition};

use super::fixtures::*;

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

/// The release of a reservation whose answer was lost: only the contact
/// still `sending` since that exact instant goes back, with its history
/// row gone, its attempt kept and the release's ledger row; it is claimed
/// and reserved again as any pending contact; a second release, or one
/// naming an older instant after a new reservation, changes nothing; a
/// contact lease recovery made `unknown` meanwhile is released too.
pub async fn release_lost_reservations<S: Store>(store: &S) {
    use crate::store::{LedgerEntry, LedgerFilter, LedgerState, ReservationRelease};

    store
        .put_accounts(&[sample_account("a")])
        .await
        .expect("accounts");
    let c = sample_contact("rl", "a", "s1", ChannelKind::Sms, at(0));
    let other = sample_contact("rl", "a", "s2", ChannelKind::Email, at(0));
    store
        .add_contacts(&[c.clone(), other.clone()])
        .await
        .expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 2);
    let res = |c: &PlannedContact, version: u64, secs: i64| Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: "debtor-a".into(),
        channel: c.channel,
        at: at(secs),
        history_version: version,
    };
    // Releases `c`'s reservation made with `version` at `at(secs)`.
    let release = async |version: u64, secs: i64| {
        let r = res(&c, version, secs);
        let mut row = LedgerEntry::for_contact(&c, LedgerState::Deferred, r.at);
        row.code = Some("reservation_unanswered".into());
        store
            .release(&[ReservationRelease {
                reservation: r,
                ledger: row,
            }])
            .await
            .expect("release")
    };
    assert_eq!(
        store.reserve(&res(&c, 0, 5)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(
        store.reserve(&res(&other, 1, 6)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    let rows_before = store
        .ledger(&LedgerFilter::default())
        .await
        .expect("ledger")
        .len();

    // Another instant is another reservation: left alone.
    assert_eq!(release(0, 4).await, vec![false]);
    assert_eq!(state_of(store, &c.id).await, ContactState::Sending);
    assert_eq!(store.history("debtor-a").await.expect("history").1, 2);

    assert_eq!(release(0, 5).await, vec![true]);
    let record = store.contact(&c.id).await.expect("contact").expect("kept");
    assert_eq!(record.state, ContactState::Pending);
    assert_eq!(record.attempt, 0, "a release is not an attempt");
    assert_eq!(record.due_at, at(5), "due at the reservation's instant");
    let (history, version) = store.history("debtor-a").await.expect("history");
    assert_eq!(version, 3, "the release bumps the history version");
    assert_eq!(
        history.len(),
        1,
        "only the other contact's row: {history:?}"
    );
    assert_eq!(history[0].at, at(6));
    assert_eq!(history[0].channel, ChannelKind::Email);
    let rows = store
        .ledger(&LedgerFilter::default())
        .await
        .expect("ledger");
    assert_eq!(rows.len(), rows_before + 1);
    assert!(rows.iter().any(|r| r.contact_id == c.id
        && r.state == LedgerState::Deferred
        && r.code.as_deref() == Some("reservation_unanswered")));
    let counts = store.counts(Some("rl")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Pending), 1, "{counts:?}");
    assert_eq!(count(&counts, ContactState::Sending), 1, "{counts:?}");

    // Applied twice (a journal replayed again): nothing more.
    assert_eq!(release(0, 5).await, vec![false]);
    assert_eq!(store.history("debtor-a").await.expect("history").1, 3);

    // Back in the plan: claimed and reserved again; the old release no
    // longer matches.
    let claimed = store.claim_due(at(10), 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].contact.id, c.id);
    assert_eq!(
        store.reserve(&res(&c, 3, 11)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(release(0, 5).await, vec![false]);
    assert_eq!(state_of(store, &c.id).await, ContactState::Sending);
    assert_eq!(store.history("debtor-a").await.expect("history").0.len(), 2);

    // Lease recovery got there first: the contact is `unknown`, in the
    // review queue; the release still matches its instant and takes it
    // back to the plan (and off the queue).
    assert_eq!(
        store.recover_stale(at(0), at(12)).await.expect("recover"),
        (0, 2),
        "both reservations lapsed"
    );
    assert_eq!(state_of(store, &c.id).await, ContactState::Unknown);
    assert_eq!(release(3, 11).await, vec![true]);
    assert_eq!(state_of(store, &c.id).await, ContactState::Pending);
    let queue = store
        .unknown_contacts(None, 10)
        .await
        .expect("review queue");
    assert_eq!(
        queue
            .iter()
            .map(|r| r.contact.id.as_str())
            .collect::<Vec<_>>(),
        vec![other.id.as_str()],
        "only the contact not released stays for review"
    );
}
