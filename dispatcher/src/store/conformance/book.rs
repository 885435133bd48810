//! Account books: empty by default, compare-and-set on the version, batch
//! reads in order; and an account's contacts across campaigns.

use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{AccountBook, BookEvent, EventSource, Payment};
use rust_decimal::Decimal;

use crate::store::{ContactState, Store};

use super::fixtures::*;

fn with_payment(book: &AccountBook, reference: &str) -> AccountBook {
    let mut book = book.clone();
    book.payments.push(Payment {
        at: t0(),
        amount: Decimal::new(1050, 2),
        reference: reference.into(),
        source: EventSource::Api,
    });
    book.events.push(BookEvent {
        at: t0(),
        kind: "payment".into(),
        source: EventSource::Api,
        detail: reference.into(),
        by: None,
    });
    book
}

/// A book round-trips; a write with a stale version is refused and
/// changes nothing; `books` answers in the order asked, empty for unknown.
pub async fn books_compare_and_set<S: Store>(store: &S) {
    let (empty, version) = store.book("a1").await.expect("book");
    assert!(
        empty.is_empty() && version == 0,
        "no book: empty, version 0"
    );
    let first = with_payment(&empty, "r1");
    assert!(
        store.put_book("a1", &first, 0).await.expect("put"),
        "first write"
    );
    assert!(
        !store.put_book("a1", &first, 0).await.expect("put"),
        "a second writer holding version 0 loses"
    );
    let (got, version) = store.book("a1").await.expect("book");
    assert_eq!((got.clone(), version), (first.clone(), 1));
    let second = with_payment(&got, "r2");
    assert!(store.put_book("a1", &second, 1).await.expect("put"));
    assert!(
        !store.put_book("a1", &first, 1).await.expect("put"),
        "stale version"
    );
    let (got, version) = store.book("a1").await.expect("book");
    assert_eq!(
        (got.payments.len(), version),
        (2, 2),
        "the stale write changed nothing"
    );
    let many = store
        .books(&["nobody".into(), "a1".into()])
        .await
        .expect("books");
    assert_eq!(many, vec![AccountBook::default(), second]);
    assert_eq!(
        store.book_accounts().await.expect("list"),
        vec!["a1".to_string()]
    );
}

/// `account_contacts` lists an account's contacts of every campaign, by id.
pub async fn account_contacts_list_every_campaign<S: Store>(store: &S) {
    let a = sample_contact("camp-a", "acct-1", "s1", ChannelKind::Sms, at(0));
    let b = sample_contact("camp-b", "acct-1", "s1", ChannelKind::Email, at(60));
    let other = sample_contact("camp-a", "acct-2", "s1", ChannelKind::Sms, at(0));
    store
        .add_contacts(&[b.clone(), a.clone(), other])
        .await
        .expect("add");
    let got = store.account_contacts("acct-1").await.expect("list");
    let ids: Vec<_> = got.iter().map(|r| r.contact.id.clone()).collect();
    let mut want = vec![a.id.clone(), b.id.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(got.iter().all(|r| r.state == ContactState::Pending));
    assert!(
        store
            .account_contacts("nobody")
            .await
            .expect("list")
            .is_empty()
    );
}
