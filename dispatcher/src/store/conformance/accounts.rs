//! Accounts: insert, replace, status, and the address index.

use std::collections::BTreeSet;

use crate::store::{AccountStatus, Store};

use super::fixtures::*;

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
