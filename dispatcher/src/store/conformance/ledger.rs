//! The ledger: filters and pages.

use cobro_campaigns::ChannelKind;

use crate::store::{LedgerEntry, LedgerFilter, LedgerState, Store};

use super::fixtures::*;

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
