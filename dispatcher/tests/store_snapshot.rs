//! A memory store's snapshot restored into SQLite reads back the same
//! through every store call the console, the reports and the workers use:
//! what the demo relies on when it runs its month in memory and records it
//! in `cobro.db`.

use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{AccountBook, BookAction, BookLimits, EventSource};
use cobro_dispatcher::store::conformance::{at, sample_account, sample_contact};
use cobro_dispatcher::store::memory::MemoryStore;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{
    AccountStatus, ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation, Suppression,
    TaskLease, Transition,
};
use cobro_dispatcher::users::{Role, Session, User};

/// A memory store with something in every table.
async fn filled() -> MemoryStore {
    let store = MemoryStore::new();
    let accounts: Vec<_> = ["a1", "a2", "a3", "a4"]
        .iter()
        .map(|id| sample_account(id))
        .collect();
    store.put_accounts(&accounts).await.expect("accounts");
    store
        .set_account_status("a4", AccountStatus::Disputed)
        .await
        .expect("status");
    store
        .set_campaign_stop_from("c1", AccountStatus::Paid)
        .await
        .expect("stop_from");
    let contacts: Vec<_> = ["a1", "a2", "a3", "a4"]
        .iter()
        .flat_map(|a| {
            [
                sample_contact("c1", a, "s1", ChannelKind::Sms, at(0)),
                sample_contact("c1", a, "s2", ChannelKind::Email, at(3_600)),
            ]
        })
        .chain([sample_contact("c2", "a1", "s1", ChannelKind::Email, at(0))])
        .collect();
    store.add_contacts(&contacts).await.expect("add");
    store.set_campaign_paused("c2", true).await.expect("pause");
    // a1: sent; a2: sending then recovered unknown; a3: deferred; a4: queued.
    let claimed = store.claim_due(at(0), 10).await.expect("claim");
    assert_eq!(claimed.len(), 4);
    for c in [&contacts[0], &contacts[2]] {
        let r = Reservation {
            contact_id: c.id.clone(),
            account: c.account.clone(),
            debtor_key: c.account.clone(),
            channel: c.channel,
            at: at(5),
            history_version: 0,
        };
        store.reserve(&r).await.expect("reserve");
    }
    let mut sent = LedgerEntry::for_contact(&contacts[0], LedgerState::Sent, at(6));
    sent.provider = Some("twilio".into());
    sent.provider_id = Some("SM1".into());
    assert!(
        store
            .transition(
                &contacts[0].id,
                Transition::Finish(ContactState::Sent),
                &[sent]
            )
            .await
            .expect("sent")
    );
    let deferred = LedgerEntry::for_contact(&contacts[4], LedgerState::Deferred, at(7));
    assert!(
        store
            .transition(
                &contacts[4].id,
                Transition::Reschedule {
                    due_at: at(86_400),
                    attempt: 0
                },
                &[deferred]
            )
            .await
            .expect("defer")
    );
    // a2's reservation lapses (unknown); a4's claim is younger: queued.
    assert_eq!(
        store.recover_stale(at(-1), at(10)).await.expect("recover"),
        (0, 1)
    );
    store
        .record_conversation("a1", "a1", ChannelKind::Voice, at(8))
        .await
        .expect("conversation");
    store
        .suppress(&Suppression {
            channel: Some(ChannelKind::Sms),
            address: "+525512345678".into(),
            prefix: false,
            source: "stop".into(),
            at: at(9),
        })
        .await
        .expect("suppress");
    let mut book = AccountBook::default();
    book.apply(
        &BookAction::Payment {
            amount: rust_decimal::Decimal::new(10_000, 2),
            at: at(10),
            reference: "pay-1".into(),
        },
        EventSource::Cli,
        rust_decimal::Decimal::new(123_456, 2),
        2,
        at(10),
        &BookLimits::default(),
    )
    .expect("payment");
    assert!(store.put_book("a1", &book, 0).await.expect("book"));
    let user = User::new(
        "ops@example.com",
        Role::Operations,
        None,
        "long enough",
        at(0),
    )
    .expect("user");
    store.put_user(&user).await.expect("user");
    store
        .put_token("token-hash", "ops@example.com")
        .await
        .expect("token");
    store
        .put_session(&Session {
            id_hash: "session-hash".into(),
            email: "ops@example.com".into(),
            created_at: at(0),
            expires_at: at(43_200),
        })
        .await
        .expect("session");
    store
        .put_lease(&TaskLease {
            contact_id: contacts[6].id.clone(),
            collector: "agente@example.com".into(),
            team: "cobranza".into(),
            leased_at: at(11),
            until: at(911),
        })
        .await
        .expect("lease");
    store
}

/// Every read the store offers, as text, for one comparison.
async fn readings<S: Store>(store: &S) -> Vec<String> {
    let mut out = Vec::new();
    for id in ["a1", "a2", "a3", "a4", "missing"] {
        out.push(format!("{:?}", store.account(id).await.expect("account")));
        out.push(format!(
            "{:?}",
            store.account_contacts(id).await.expect("contacts")
        ));
        out.push(format!("{:?}", store.book(id).await.expect("book").0));
        out.push(format!("{:?}", store.history(id).await.expect("history")));
    }
    out.push(format!("{:?}", store.counts(None).await.expect("counts")));
    out.push(format!("{:?}", store.campaigns().await.expect("campaigns")));
    out.push(format!(
        "{:?}",
        store
            .ledger(&LedgerFilter::default())
            .await
            .expect("ledger")
    ));
    out.push(format!(
        "{:?}",
        store
            .campaign_ledger_page("c1", 0, 100)
            .await
            .expect("page")
    ));
    out.push(format!("{:?}", store.suppressions().await.expect("supp")));
    out.push(format!(
        "{:?}",
        store
            .is_suppressed(ChannelKind::Sms, "+525512345678")
            .await
            .expect("supp")
    ));
    out.push(format!(
        "{:?}",
        store.paused_campaigns().await.expect("paused")
    ));
    out.push(format!(
        "{:?}",
        store
            .accounts_by_address("+525512345678")
            .await
            .expect("by address")
    ));
    out.push(format!(
        "{:?}",
        store.unknown_contacts(None, 10).await.expect("unknown")
    ));
    out.push(format!(
        "{:?}",
        store.user("ops@example.com").await.expect("user")
    ));
    out.push(format!(
        "{:?}",
        store.token_email("token-hash").await.expect("token")
    ));
    out.push(format!(
        "{:?}",
        store.session("session-hash").await.expect("session")
    ));
    out.push(format!("{:?}", store.leases(None).await.expect("leases")));
    out.push(format!("{:?}", store.next_due().await.expect("next_due")));
    // Last: it moves contacts. Stop-from and pause are read through it.
    out.push(format!(
        "{:?}",
        store.claim_due(at(100_000), 100).await.expect("claim")
    ));
    out
}

#[tokio::test]
async fn a_restored_snapshot_reads_back_the_same() {
    let memory = filled().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let sqlite = SqliteStore::connect(&url).await.expect("sqlite");
    sqlite
        .restore(memory.snapshot().expect("snapshot"))
        .await
        .expect("restore");
    let (from_memory, from_sqlite) = (readings(&memory).await, readings(&sqlite).await);
    assert_eq!(from_memory.len(), from_sqlite.len());
    for (m, s) in from_memory.iter().zip(&from_sqlite) {
        assert_eq!(m, s, "memory vs restored SQLite");
    }
    // What lease recovery reads: the recovered contact keeps its instant.
    assert!(from_sqlite.iter().any(|r| r.contains("Unknown")));

    // A restore never merges into a store that holds something.
    let again = sqlite
        .restore(memory.snapshot().expect("snapshot"))
        .await
        .expect_err("a second restore is refused");
    assert!(again.to_string().contains("empty store"), "{again}");
}
