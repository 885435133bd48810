//! The outcome journal on a real store (the in-memory one): what a worker
//! appended while the store was away reaches it on replay, once; a torn
//! last line (a crash inside `append`) is left out; a dead worker's file is
//! taken over by the next worker, a live one's is not; an outcome whose
//! contact recovery marked `unknown` meanwhile reconciles it.

use cobro_campaigns::{ChannelKind, ContactState, PlannedContact};
use cobro_dispatcher::engine::journal::OutcomeJournal;
use cobro_dispatcher::store::conformance::{at, sample_account, sample_contact};
use cobro_dispatcher::store::memory::MemoryStore;
use cobro_dispatcher::store::{
    AccountStore, LedgerEntry, LedgerFilter, LedgerState, LedgerStore, PlanStore, Reservation,
    ReservationStore, ReserveOutcome, Transition, TransitionItem,
};

/// `c`'s reservation at `at(1)`, its account as the debtor `debtor-…`,
/// no history read before it.
fn reservation(c: &PlannedContact) -> Reservation {
    Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: format!("debtor-{}", c.account),
        channel: c.channel,
        at: at(1),
        history_version: 0,
    }
}

/// A store with one contact per account `accounts`, each reserved
/// (`sending`): the moment a provider has the message.
async fn sending(accounts: &[&str]) -> (MemoryStore, Vec<PlannedContact>) {
    let store = MemoryStore::new();
    let all: Vec<_> = accounts.iter().map(|a| sample_account(a)).collect();
    store.put_accounts(&all).await.expect("accounts");
    let contacts: Vec<PlannedContact> = accounts
        .iter()
        .map(|a| sample_contact("j", a, "s1", ChannelKind::Sms, at(0)))
        .collect();
    store.add_contacts(&contacts).await.expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    for c in &contacts {
        let outcome = store.reserve(&reservation(c)).await.expect("reserve");
        assert_eq!(outcome, ReserveOutcome::Reserved);
    }
    (store, contacts)
}

fn sent(contact: &PlannedContact) -> TransitionItem {
    TransitionItem {
        id: contact.id.clone(),
        to: Transition::Finish(ContactState::Sent),
        ledger: vec![LedgerEntry::for_contact(contact, LedgerState::Sent, at(2))],
    }
}

async fn state(store: &MemoryStore, id: &str) -> ContactState {
    store
        .contact(id)
        .await
        .expect("read")
        .expect("exists")
        .state
}

async fn sent_rows(store: &MemoryStore) -> usize {
    store
        .ledger(&LedgerFilter {
            campaign: Some("j".into()),
            ..LedgerFilter::default()
        })
        .await
        .expect("ledger")
        .iter()
        .filter(|r| r.state == LedgerState::Sent)
        .count()
}

#[tokio::test]
async fn appended_outcomes_reach_the_store_once() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, contacts) = sending(&["a", "b"]).await;
    let journal = OutcomeJournal::open(dir.path()).expect("journal");
    assert!(!journal.is_dirty());
    journal.append(&[], &[sent(&contacts[0])]).expect("append");
    journal.append(&[], &[sent(&contacts[1])]).expect("append");
    assert!(journal.is_dirty());
    assert_eq!(state(&store, &contacts[0].id).await, ContactState::Sending);

    let done = journal.replay(&store).await.expect("replay");
    assert_eq!((done.entries, done.applied), (2, 2));
    for c in &contacts {
        assert_eq!(state(&store, &c.id).await, ContactState::Sent);
    }
    assert_eq!(sent_rows(&store).await, 2);
    assert!(!journal.is_dirty());
    assert_eq!(std::fs::metadata(journal.path()).expect("file").len(), 0);

    // The same entries again (a crash before the file was emptied): the
    // contacts have moved on, nothing is written twice.
    journal.append(&[], &[sent(&contacts[0])]).expect("append");
    let again = journal.replay(&store).await.expect("replay");
    assert_eq!((again.entries, again.applied), (1, 0));
    assert_eq!(sent_rows(&store).await, 2);
}

#[tokio::test]
async fn a_dead_workers_file_is_taken_over_and_a_torn_line_left_out() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, contacts) = sending(&["a", "b"]).await;
    // What a killed worker left: one whole entry, then a torn one (it
    // died inside `append`, so it never moved on from that contact).
    {
        let dead = OutcomeJournal::open(dir.path()).expect("journal");
        dead.append(&[], &[sent(&contacts[0])]).expect("append");
        let path = dead.path().to_path_buf();
        drop(dead);
        let orphan = dir.path().join("outcomes-999999999.jsonl");
        std::fs::rename(&path, &orphan).expect("rename");
        let mut text = std::fs::read_to_string(&orphan).expect("read");
        text.push_str("{\"items\":[{\"id\":\"j/b/s1\",\"to\"");
        std::fs::write(&orphan, text).expect("write");
    }
    let journal = OutcomeJournal::open(dir.path()).expect("journal");
    let done = journal.replay(&store).await.expect("replay");
    assert_eq!((done.entries, done.applied, done.adopted_files), (1, 1, 1));
    assert_eq!(state(&store, &contacts[0].id).await, ContactState::Sent);
    assert_eq!(state(&store, &contacts[1].id).await, ContactState::Sending);
    assert!(!dir.path().join("outcomes-999999999.jsonl").exists());
}

#[tokio::test]
async fn a_live_workers_file_is_left_to_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, contacts) = sending(&["a"]).await;
    // Another live worker: its file is locked by an open handle. Locks are
    // per open file description, so a second handle in this process stands
    // for another process.
    let other = dir.path().join("outcomes-1.jsonl");
    std::fs::write(
        &other,
        format!("{}\n", serde_json::json!({ "items": [sent(&contacts[0])] })),
    )
    .expect("write");
    let held = std::fs::File::open(&other).expect("open");
    held.lock().expect("lock");
    let journal = OutcomeJournal::open(dir.path()).expect("journal");
    let done = journal.replay(&store).await.expect("replay");
    assert_eq!(done.adopted_files, 0);
    assert_eq!(state(&store, &contacts[0].id).await, ContactState::Sending);
    drop(held);
    let done = journal.replay(&store).await.expect("replay");
    assert_eq!((done.adopted_files, done.applied), (1, 1));
    assert_eq!(state(&store, &contacts[0].id).await, ContactState::Sent);
}

#[test]
fn each_store_has_its_own_folder_without_its_password() {
    let base = std::path::Path::new("/state");
    let a = OutcomeJournal::dir_for(base, "redis://:one@10.0.0.5:6379/0");
    let b = OutcomeJournal::dir_for(base, "redis://:two@10.0.0.5:6379/0");
    let c = OutcomeJournal::dir_for(base, "redis://:one@10.0.0.5:6379/1");
    assert_eq!(a, b, "the password is not part of the store's identity");
    assert_ne!(a, c);
    assert!(!a.to_string_lossy().contains("one"));
}

/// The known limit before reconciliation: another worker's recovery
/// marked a journaled contact `unknown` (its `sending` lease ran out
/// during the outage). The replay now reconciles it from the journal:
/// `unknown` -> `sent` with the provider id the worker was given, or
/// `failed` with the provider's refusal, each row coded `reconciled`.
#[tokio::test]
async fn a_contact_recovered_to_unknown_meanwhile_is_reconciled_by_the_replay() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, contacts) = sending(&["a", "b", "c"]).await;
    let journal = OutcomeJournal::open(dir.path()).expect("journal");
    let mut went_out = sent(&contacts[0]);
    went_out.ledger[0].provider = Some("twilio".into());
    went_out.ledger[0].provider_id = Some("SMjournaled0001".into());
    let mut refused = TransitionItem {
        id: contacts[1].id.clone(),
        to: Transition::Finish(ContactState::Failed),
        ledger: vec![LedgerEntry::for_contact(
            &contacts[1],
            LedgerState::Failed,
            at(2),
        )],
    };
    refused.ledger[0].code = Some("twilio_21211".into());
    refused.ledger[0].detail = Some("invalid 'To' phone number".into());
    // An outcome that is itself unknown changes nothing on replay.
    let maybe = TransitionItem {
        id: contacts[2].id.clone(),
        to: Transition::Finish(ContactState::Unknown),
        ledger: vec![LedgerEntry::for_contact(
            &contacts[2],
            LedgerState::Unknown,
            at(2),
        )],
    };
    journal
        .append(&[], &[went_out, refused, maybe])
        .expect("append");
    // Recovery elsewhere, before the store came back to this worker.
    assert_eq!(
        store
            .recover_stale(at(-100), at(100))
            .await
            .expect("recover"),
        (0, 3)
    );

    let done = journal.replay(&store).await.expect("replay");
    assert_eq!((done.entries, done.applied), (1, 2));
    assert_eq!(state(&store, &contacts[0].id).await, ContactState::Sent);
    assert_eq!(state(&store, &contacts[1].id).await, ContactState::Failed);
    assert_eq!(state(&store, &contacts[2].id).await, ContactState::Unknown);
    let rows = store
        .ledger(&LedgerFilter {
            provider_id: Some("SMjournaled0001".into()),
            ..LedgerFilter::default()
        })
        .await
        .expect("ledger by provider id");
    assert_eq!(rows.len(), 1, "found again by its provider id: {rows:?}");
    assert_eq!(rows[0].state, LedgerState::Sent);
    assert_eq!(rows[0].code.as_deref(), Some("reconciled"));
    assert!(
        rows[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("outcome journal")),
        "{rows:?}"
    );
    let failed = store
        .ledger(&LedgerFilter {
            contact_id: Some(contacts[1].id.clone()),
            account: Some(contacts[1].account.clone()),
            ..LedgerFilter::default()
        })
        .await
        .expect("ledger");
    let last = failed.last().expect("rows");
    assert_eq!(last.state, LedgerState::Failed);
    assert_eq!(last.code.as_deref(), Some("reconciled"));
    assert!(
        last.detail
            .as_deref()
            .is_some_and(|d| d.contains("twilio_21211") && d.contains("invalid 'To'")),
        "the provider's refusal is kept: {last:?}"
    );
    // Replaying the same entry again moves nothing and writes nothing.
    let mut again = sent(&contacts[0]);
    again.ledger[0].provider_id = Some("SMjournaled0001".into());
    journal.append(&[], &[again]).expect("append");
    let twice = journal.replay(&store).await.expect("replay");
    assert_eq!((twice.entries, twice.applied), (1, 0));
    assert_eq!(sent_rows(&store).await, 1);
}

/// A reservation whose answer was lost: the journal's replay releases the
/// contact the store did reserve (back to pending, its history row gone,
/// a `reservation_unanswered` row) and leaves alone one it never did.
#[tokio::test]
async fn a_reservation_without_an_answer_is_released_by_the_replay() {
    use cobro_dispatcher::store::{HistoryStore, ReservationRelease};

    let dir = tempfile::tempdir().expect("dir");
    let (store, contacts) = sending(&["a"]).await;
    let never = sample_contact("j", "b", "s1", ChannelKind::Sms, at(0));
    store
        .put_accounts(&[sample_account("b")])
        .await
        .expect("account");
    store
        .add_contacts(std::slice::from_ref(&never))
        .await
        .expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let release = |c: &PlannedContact| {
        let mut row = LedgerEntry::for_contact(c, LedgerState::Deferred, at(1));
        row.code = Some("reservation_unanswered".into());
        ReservationRelease {
            reservation: reservation(c),
            ledger: row,
        }
    };
    let journal = OutcomeJournal::open(dir.path()).expect("journal");
    journal
        .append_releases(&[release(&contacts[0]), release(&never)])
        .expect("append");
    assert!(journal.is_dirty());

    let done = journal.replay(&store).await.expect("replay");
    assert_eq!(done.entries, 1);
    assert_eq!(done.applied, 1, "only the reservation the store took");
    assert!(!journal.is_dirty());
    assert_eq!(state(&store, &contacts[0].id).await, ContactState::Pending);
    assert_eq!(state(&store, &never.id).await, ContactState::Queued);
    assert_eq!(
        store.history("debtor-a").await.expect("history"),
        (Vec::new(), 2),
        "the reservation's row removed, the version moved on"
    );
    let rows = store
        .ledger(&LedgerFilter::default())
        .await
        .expect("ledger");
    let released: Vec<_> = rows
        .iter()
        .filter(|r| r.code.as_deref() == Some("reservation_unanswered"))
        .map(|r| r.contact_id.as_str())
        .collect();
    assert_eq!(released, vec![contacts[0].id.as_str()]);
}
