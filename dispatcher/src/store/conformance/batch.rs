//! The batch forms against the single calls, and calls over thousands of
//! contacts.

use cobro_campaigns::{Account, ChannelKind, PlannedContact};

use crate::store::{
    AccountStatus, CheckQuery, ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation,
    ReserveOutcome, Store, Suppression, Transition, TransitionItem,
};

use super::fixtures::*;

/// The batch forms (`accounts`, `contact_checks`, `transitions`,
/// `reserve_many`) answer exactly what the single calls answer, in order;
/// `transitions` and `reserve_many` apply their items in order, each with
/// the single call's rules.
pub async fn batch_forms_match_single_calls<S: Store>(store: &S) {
    // accounts: present, missing, stopped, repeated, none.
    store
        .put_accounts(&[sample_account("ba"), sample_account("bb")])
        .await
        .expect("put");
    store
        .set_account_status("bb", AccountStatus::Paid)
        .await
        .expect("status");
    let ids: Vec<String> = ["ba", "missing", "bb", "ba"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let batch = store.accounts(&ids).await.expect("accounts");
    let mut single = Vec::new();
    for id in &ids {
        single.push(store.account(id).await.expect("account"));
    }
    assert_eq!(batch, single);
    assert!(batch[1].is_none());
    assert!(store.accounts(&[]).await.expect("no ids").is_empty());

    // suppression (exact per channel, all channels, prefix, domain) and
    // history (two debtors, one without any).
    let supp = |channel: Option<ChannelKind>, address: &str, prefix: bool| Suppression {
        channel,
        address: address.to_string(),
        prefix,
        source: "officer".into(),
        at: at(0),
    };
    for entry in [
        supp(Some(ChannelKind::Sms), "+5215511111111", false),
        supp(None, "+5215522222222", false),
        supp(Some(ChannelKind::Sms), "+52199", true),
        supp(None, "@spam.example", true),
    ] {
        store.suppress(&entry).await.expect("suppress");
    }
    store
        .record_conversation("tax:MX:RFC-BA", "ba", ChannelKind::Voice, at(10))
        .await
        .expect("conversation");
    store
        .record_conversation("tax:MX:RFC-BA", "ba", ChannelKind::Sms, at(20))
        .await
        .expect("conversation");
    let query = |channel: ChannelKind, address: &str, debtor: &str| CheckQuery {
        channel,
        address: address.to_string(),
        debtor_key: debtor.to_string(),
    };
    let queries = [
        query(ChannelKind::Sms, "+5215511111111", "tax:MX:RFC-BA"),
        query(ChannelKind::Voice, "+5215511111111", "tax:MX:RFC-BA"),
        query(ChannelKind::Voice, "+5215522222222", "account:zz"),
        query(ChannelKind::Sms, "+5219912345678", "account:zz"),
        query(ChannelKind::Voice, "+5219912345678", "tax:MX:RFC-BA"),
        query(ChannelKind::Email, "ana@spam.example", "account:zz"),
        query(ChannelKind::Email, "ana@example.com", "tax:MX:RFC-BA"),
    ];
    let checks = store.contact_checks(&queries).await.expect("checks");
    assert_eq!(checks.len(), queries.len());
    for (q, c) in queries.iter().zip(&checks) {
        let suppressed = store
            .is_suppressed(q.channel, &q.address)
            .await
            .expect("is_suppressed");
        let (history, version) = store.history(&q.debtor_key).await.expect("history");
        assert_eq!(c.suppressed, suppressed, "{q:?}");
        assert_eq!((&c.history, c.version), (&history, version), "{q:?}");
    }
    assert_eq!(
        checks.iter().map(|c| c.suppressed).collect::<Vec<_>>(),
        [true, false, true, true, false, true, false]
    );
    assert_eq!(checks[0].history.len(), 2);
    assert!(store.contact_checks(&[]).await.expect("none").is_empty());

    // transitions, in order, each with `transition`'s rules.
    let c: Vec<PlannedContact> = ["c1", "c2", "c3"]
        .iter()
        .map(|step| sample_contact("bt", "ba", step, ChannelKind::Sms, at(0)))
        .collect();
    store.add_contacts(&c).await.expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let item = |contact: &PlannedContact, to: Transition, rows: Vec<LedgerEntry>| TransitionItem {
        id: contact.id.clone(),
        to,
        ledger: rows,
    };
    let items = [
        item(
            &c[0],
            Transition::Finish(ContactState::Sent),
            vec![
                row(&c[0], LedgerState::Allowed, at(1)),
                row(&c[0], LedgerState::Sent, at(1)),
            ],
        ),
        item(
            &c[1],
            Transition::Reschedule {
                due_at: at(100),
                attempt: 1,
            },
            vec![row(&c[1], LedgerState::Deferred, at(1))],
        ),
        item(
            &c[2],
            Transition::Finish(ContactState::Blocked),
            vec![row(&c[2], LedgerState::Blocked, at(1))],
        ),
        // Already sent by the first item: refused, no row.
        item(
            &c[0],
            Transition::Finish(ContactState::Failed),
            vec![row(&c[0], LedgerState::Failed, at(2))],
        ),
        // A finished contact cannot be rescheduled.
        item(
            &c[2],
            Transition::Reschedule {
                due_at: at(100),
                attempt: 1,
            },
            vec![],
        ),
    ];
    let moved = store.transitions(&items).await.expect("transitions");
    assert_eq!(moved, [true, true, true, false, false]);
    assert_eq!(state_of(store, &c[0].id).await, ContactState::Sent);
    assert_eq!(state_of(store, &c[1].id).await, ContactState::Pending);
    assert_eq!(state_of(store, &c[2].id).await, ContactState::Blocked);
    let rescheduled = store
        .contact(&c[1].id)
        .await
        .expect("contact")
        .expect("exists");
    assert_eq!((rescheduled.due_at, rescheduled.attempt), (at(100), 1));
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("bt".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 4, "rows of refused items are not appended");
    let counts = store.counts(Some("bt")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Sent), 1);
    assert_eq!(count(&counts, ContactState::Pending), 1);
    assert_eq!(count(&counts, ContactState::Blocked), 1);
    assert_eq!(count(&counts, ContactState::Queued), 0);
    assert!(store.transitions(&[]).await.expect("none").is_empty());
    assert!(
        store
            .transitions(&[item(
                &c[1],
                Transition::Finish(ContactState::Queued),
                vec![]
            )])
            .await
            .is_err(),
        "a finish into a non-terminal state is an error"
    );

    // plan_and_transitions: the contacts are added (once: adding is
    // idempotent), then the items apply as `transitions` applies them.
    // (`p2` is due later than the claims of this test look.)
    let p: Vec<PlannedContact> = [("p1", 0), ("p2", 200)]
        .iter()
        .map(|(step, due)| sample_contact("bp", "ba", step, ChannelKind::Sms, at(*due)))
        .collect();
    store.add_contacts(&p[..1]).await.expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let fallback = sample_contact("bp", "ba", "p1+email", ChannelKind::Email, at(5));
    let moved = store
        .plan_and_transitions(
            &[fallback.clone(), p[1].clone()],
            &[
                item(
                    &p[0],
                    Transition::Finish(ContactState::Blocked),
                    vec![row(&p[0], LedgerState::Blocked, at(5))],
                ),
                // Just added (pending): not a transition a batch may make.
                item(&p[1], Transition::Finish(ContactState::Sent), vec![]),
            ],
        )
        .await
        .expect("plan_and_transitions");
    assert_eq!(moved, [true, false]);
    assert_eq!(state_of(store, &p[0].id).await, ContactState::Blocked);
    assert_eq!(state_of(store, &fallback.id).await, ContactState::Pending);
    assert_eq!(state_of(store, &p[1].id).await, ContactState::Pending);
    let added = store
        .contact(&fallback.id)
        .await
        .expect("contact")
        .expect("exists");
    assert_eq!((added.contact, added.due_at), (fallback.clone(), at(5)));
    let moved = store
        .plan_and_transitions(std::slice::from_ref(&fallback), &[])
        .await
        .expect("plan only");
    assert!(moved.is_empty());
    let counts = store.counts(Some("bp")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Pending), 2);
    assert_eq!(count(&counts, ContactState::Blocked), 1);
    assert_eq!(count(&counts, ContactState::Queued), 0);
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("bp".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 1);

    // reserve_many: in order, each with `reserve`'s checks.
    let r: Vec<PlannedContact> = [("ba", "r1"), ("ba", "r2"), ("bb", "r3")]
        .iter()
        .map(|(account, step)| sample_contact("br", account, step, ChannelKind::Email, at(0)))
        .collect();
    store.add_contacts(&r).await.expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 3);
    let (before, version) = store.history("tax:MX:RFC-BA").await.expect("history");
    let reservation = |contact: &PlannedContact, debtor: &str, version: u64| Reservation {
        contact_id: contact.id.clone(),
        account: contact.account.clone(),
        debtor_key: debtor.to_string(),
        channel: contact.channel,
        at: at(30),
        history_version: version,
    };
    let outcomes = store
        .reserve_many(&[
            reservation(&r[0], "tax:MX:RFC-BA", version),
            // Same debtor, same version: the first one bumped it.
            reservation(&r[1], "tax:MX:RFC-BA", version),
            reservation(&r[2], "tax:MX:RFC-BB", 0),
            // Already sent above.
            reservation(&c[0], "tax:MX:RFC-BA", version + 1),
        ])
        .await
        .expect("reserve_many");
    assert_eq!(
        outcomes,
        [
            ReserveOutcome::Reserved,
            ReserveOutcome::HistoryChanged,
            ReserveOutcome::AccountStopped(AccountStatus::Paid),
            ReserveOutcome::NotQueued,
        ]
    );
    let (after, new_version) = store.history("tax:MX:RFC-BA").await.expect("history");
    assert_eq!(new_version, version + 1);
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(state_of(store, &r[0].id).await, ContactState::Sending);
    assert_eq!(state_of(store, &r[1].id).await, ContactState::Queued);
    assert_eq!(state_of(store, &r[2].id).await, ContactState::Queued);
    assert!(store.reserve_many(&[]).await.expect("none").is_empty());

    // Within one call, a reservation sees the version the earlier ones of
    // the same debtor left: two in a row with consecutive versions both
    // apply, and a third with a stale version does not.
    let more: Vec<PlannedContact> = ["r4", "r5"]
        .iter()
        .map(|step| sample_contact("br", "ba", step, ChannelKind::Email, at(0)))
        .collect();
    store.add_contacts(&more).await.expect("add");
    assert_eq!(store.claim_due(at(0), 10).await.expect("claim").len(), 2);
    let outcomes = store
        .reserve_many(&[
            reservation(&r[1], "tax:MX:RFC-BA", version + 1),
            reservation(&more[0], "tax:MX:RFC-BA", version + 2),
            reservation(&more[1], "tax:MX:RFC-BA", version + 2),
        ])
        .await
        .expect("reserve_many");
    assert_eq!(
        outcomes,
        [
            ReserveOutcome::Reserved,
            ReserveOutcome::Reserved,
            ReserveOutcome::HistoryChanged,
        ]
    );
    let (last, last_version) = store.history("tax:MX:RFC-BA").await.expect("history");
    assert_eq!(last_version, version + 3);
    assert_eq!(last.len(), before.len() + 3);
    assert_eq!(state_of(store, &r[1].id).await, ContactState::Sending);
    assert_eq!(state_of(store, &more[0].id).await, ContactState::Sending);
    assert_eq!(state_of(store, &more[1].id).await, ContactState::Queued);
}

/// Calls over thousands of contacts (a batch reservation of 3,000, a mass
/// recovery, a whole campaign cancelled) leave the same states, counters,
/// indexes, histories and ledger rows as small ones (a backend may apply
/// such calls in slices).
pub async fn long_calls_stay_consistent<S: Store>(store: &S) {
    const ACCOUNTS: usize = 30;
    const PER_ACCOUNT: usize = 100;
    let accounts: Vec<Account> = (0..ACCOUNTS)
        .map(|a| sample_account(&format!("lc{a}")))
        .collect();
    store.put_accounts(&accounts).await.expect("put");
    let plan = |campaign: &str| -> Vec<PlannedContact> {
        (0..PER_ACCOUNT)
            .flat_map(|s| (0..ACCOUNTS).map(move |a| (a, s)))
            .map(|(a, s)| {
                sample_contact(
                    campaign,
                    &format!("lc{a}"),
                    &format!("s{s}"),
                    ChannelKind::Sms,
                    at(0),
                )
            })
            .collect()
    };
    let total = (ACCOUNTS * PER_ACCOUNT) as u64;

    // Every contact claimed and reserved in one call, each debtor's
    // reservations with consecutive versions.
    let first = plan("long1");
    assert_eq!(store.add_contacts(&first).await.expect("add"), total);
    assert_eq!(
        store.claim_due(at(0), 10_000).await.expect("claim").len() as u64,
        total
    );
    let mut versions = std::collections::BTreeMap::new();
    let reservations: Vec<Reservation> = first
        .iter()
        .map(|c| {
            let version = versions.entry(c.account.clone()).or_insert(0u64);
            let r = Reservation {
                contact_id: c.id.clone(),
                account: c.account.clone(),
                debtor_key: format!("debtor:{}", c.account),
                channel: c.channel,
                at: at(30),
                history_version: *version,
            };
            *version += 1;
            r
        })
        .collect();
    let outcomes = store
        .reserve_many(&reservations)
        .await
        .expect("reserve_many");
    assert!(outcomes.iter().all(|o| *o == ReserveOutcome::Reserved));
    let (rows, version) = store.history("debtor:lc7").await.expect("history");
    assert_eq!((rows.len(), version), (PER_ACCOUNT, PER_ACCOUNT as u64));
    let counts = store.counts(Some("long1")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Sending), total);
    assert_eq!(count(&counts, ContactState::Queued), 0);

    // A mass recovery marks every one of them unknown, with its row.
    assert_eq!(
        store.recover_stale(at(0), at(100)).await.expect("recover"),
        (0, total)
    );
    let counts = store.counts(Some("long1")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Unknown), total);
    assert_eq!(count(&counts, ContactState::Sending), 0);
    assert_eq!(
        store.recover_stale(at(0), at(100)).await.expect("again"),
        (0, 0),
        "nothing left in the sending index"
    );

    // A whole campaign cancelled, claimed and pending contacts alike.
    let second = plan("long2");
    store.add_contacts(&second).await.expect("add");
    assert_eq!(
        store.claim_due(at(0), 1_000).await.expect("claim").len(),
        1_000
    );
    let cancelled = store
        .cancel_campaign_contacts("long2", "test", "cancelled whole", at(40))
        .await
        .expect("cancel");
    assert_eq!(cancelled.len() as u64, total);
    let counts = store.counts(Some("long2")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Cancelled), total);
    assert_eq!(counts.values().sum::<u64>(), total);
    assert_eq!(store.next_due().await.expect("next due"), None);
    assert!(
        store
            .claim_due(at(1_000), 10)
            .await
            .expect("claim")
            .is_empty()
    );

    // Every row of both campaigns, in both views.
    for campaign in ["long1", "long2"] {
        let rows = store
            .ledger(&LedgerFilter {
                campaign: Some(campaign.into()),
                ..Default::default()
            })
            .await
            .expect("ledger");
        assert_eq!(rows.len() as u64, total, "{campaign}");
    }
    let rows = store
        .ledger(&LedgerFilter {
            account: Some("lc7".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 2 * PER_ACCOUNT);
    let all = store.counts(None).await.expect("counts");
    assert_eq!(all.values().sum::<u64>(), 2 * total);
}
