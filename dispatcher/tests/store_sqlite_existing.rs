//! A `cobro.db` written by the SQLite store before it moved from sqlx to
//! its own connection thread (rusqlite) opens and works: the fixture is a
//! copy of what `cobro demo --debtors 30` left with the build of commit
//! 289668f (accounts, the month's plan and ledger, debtor histories,
//! books, users, a collector's contact). The figures asserted here were
//! read from the file with Python's own sqlite3 module, not with cobro.

use std::collections::BTreeMap;

use chrono::Utc;
use cobro_campaigns::ChannelKind;
use cobro_dispatcher::store::conformance::sample_contact;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{AccountStatus, ContactState, LedgerFilter, LedgerState, Transition};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sqlite_demo_289668f.db"
);
const CAMPAIGN: &str = "2026-12-mensual";

/// A private copy of the fixture (the store writes to it).
fn copy_fixture(dir: &std::path::Path) -> String {
    let path = dir.join("cobro.db");
    std::fs::copy(FIXTURE, &path).expect("copy the fixture");
    format!("sqlite://{}", path.display())
}

#[tokio::test]
async fn a_database_written_before_the_connection_thread_reads_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::connect(&copy_fixture(dir.path()))
        .await
        .expect("the existing database opens");

    assert_eq!(store.account_count().await.expect("count"), 30);
    let (account, status) = store
        .account("EXP-0000001")
        .await
        .expect("account")
        .expect("EXP-0000001 is there");
    assert_eq!(account.id, "EXP-0000001");
    assert_eq!(status, AccountStatus::Active);
    assert_eq!(
        store
            .accounts_by_address("veronica.lopez44@outlook.com")
            .await
            .expect("by address"),
        vec!["EXP-0000001".to_string()]
    );

    let counts = store.counts(Some(CAMPAIGN)).await.expect("counts");
    let expected: BTreeMap<ContactState, u64> = [
        (ContactState::Blocked, 42),
        (ContactState::Cancelled, 38),
        (ContactState::Sent, 89),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);
    assert_eq!(
        store.campaigns().await.expect("campaigns"),
        vec![CAMPAIGN.to_string()]
    );
    assert_eq!(
        store
            .account_contacts("EXP-0000001")
            .await
            .expect("contacts")
            .len(),
        5
    );

    let ledger = store
        .ledger(&LedgerFilter {
            campaign: Some(CAMPAIGN.into()),
            ..LedgerFilter::default()
        })
        .await
        .expect("ledger");
    assert_eq!(ledger.len(), 278);
    let sent = ledger
        .iter()
        .filter(|e| e.state == LedgerState::Sent)
        .count();
    assert_eq!(sent, 89);
    // Paging walks the same rows.
    let mut paged = 0;
    let mut cursor = 0;
    loop {
        let (rows, next) = store
            .campaign_ledger_page(CAMPAIGN, cursor, 100)
            .await
            .expect("page");
        paged += rows.len();
        match next {
            Some(n) => cursor = n,
            None => break,
        }
    }
    assert_eq!(paged, 278);

    let (history, version) = store.history("tax:CL:19.019.915-0").await.expect("history");
    assert_eq!((history.len(), version), (4, 4));
    let (_, book_version) = store.book("EXP-0000004").await.expect("book");
    assert_eq!(book_version, 1);
    assert_eq!(store.book_accounts().await.expect("books").len(), 11);
    assert_eq!(store.users().await.expect("users").len(), 11);
    assert!(
        store
            .user("admin@cobro.demo")
            .await
            .expect("user")
            .is_some()
    );
}

#[tokio::test]
async fn a_database_written_before_the_connection_thread_takes_new_work() {
    let dir = tempfile::tempdir().expect("dir");
    let url = copy_fixture(dir.path());
    let store = SqliteStore::connect(&url).await.expect("opens");
    // The month is over: nothing of it is due.
    assert!(
        store
            .claim_due(Utc::now(), 100)
            .await
            .expect("claim")
            .is_empty()
    );
    let due = Utc::now() - chrono::Duration::minutes(1);
    let contact = sample_contact("siguiente", "EXP-0000001", "e", ChannelKind::Email, due);
    assert_eq!(
        store
            .add_contacts(std::slice::from_ref(&contact))
            .await
            .expect("add"),
        1
    );
    let claimed = store.claim_due(Utc::now(), 100).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].contact.id, contact.id);
    assert!(
        store
            .transition(
                &contact.id,
                Transition::Reschedule {
                    due_at: due + chrono::Duration::hours(1),
                    attempt: 1,
                },
                &[],
            )
            .await
            .expect("reschedule")
    );
    assert!(
        store
            .set_account_status("EXP-0000002", AccountStatus::Disputed)
            .await
            .expect("status")
    );
    drop(store);

    // Opened again, the old rows and the new ones are there.
    let again = SqliteStore::connect(&url).await.expect("opens twice");
    let counts = again.counts(None).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Pending), Some(&1));
    assert_eq!(counts.get(&ContactState::Sent), Some(&89));
    let (_, status) = again
        .account("EXP-0000002")
        .await
        .expect("account")
        .expect("there");
    assert_eq!(status, AccountStatus::Disputed);
}
