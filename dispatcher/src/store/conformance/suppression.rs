//! Suppression lists: exact, prefix, domain, per channel and for all.

use cobro_campaigns::ChannelKind;

use crate::store::{Store, Suppression};

use super::fixtures::*;

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
