//! One person owes two creditors and both have the same phone number. A
//! reply answers one creditor's message: its words stay with that
//! creditor's account; the other creditor's account gets the row (a STOP
//! applies to every account with the number) without the text, so a
//! creditor never reads what was written to another.

use chrono::{Duration, Utc};
use cobro_campaigns::{AddressKind, ChannelKind, ContactPoint, ContactRole, Provenance};
use cobro_channels::InboundMessage;
use cobro_dispatcher::http::inbound::handle;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::sample_account;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{LedgerEntry, LedgerFilter, LedgerState};

const NUMBER: &str = "+5215512345678";
const TEXT: &str = "Ya le pagué a Financiera Luna, no me escriban";

fn phone() -> ContactPoint {
    ContactPoint {
        kind: AddressKind::Phone,
        address: NUMBER.into(),
        role: ContactRole::Debtor,
        provenance: Provenance::CreditorFile,
        consent: Default::default(),
        flags: Default::default(),
    }
}

fn sent(account: &str, at: chrono::DateTime<Utc>) -> LedgerEntry {
    LedgerEntry {
        contact_id: format!("c/{account}/sms"),
        campaign: "c".into(),
        account: account.into(),
        step: "sms".into(),
        channel: ChannelKind::Sms,
        state: LedgerState::Sent,
        at,
        timezones: Vec::new(),
        rules: Vec::new(),
        code: None,
        detail: None,
        provider: Some("twilio".into()),
        provider_id: Some(format!("SM-{account}")),
        attempt: 1,
    }
}

async fn inbound_details(store: &AnyStore, account: &str) -> Vec<Option<String>> {
    store
        .ledger(&LedgerFilter {
            account: Some(account.into()),
            ..Default::default()
        })
        .await
        .expect("ledger")
        .into_iter()
        .filter(|r| r.state == LedgerState::Inbound)
        .map(|r| r.detail)
        .collect()
}

#[tokio::test]
async fn a_reply_stays_with_the_creditor_whose_message_it_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store = AnyStore::Sqlite(SqliteStore::connect(&url).await.expect("sqlite"));
    let mut sol = sample_account("S-1");
    sol.creditor = "Banco del Sol".into();
    sol.contact_points = vec![phone()];
    let mut luna = sample_account("L-1");
    luna.creditor = "Financiera Luna".into();
    luna.contact_points = vec![phone()];
    store.put_accounts(&[sol, luna]).await.expect("accounts");
    let now = Utc::now();
    // Sol wrote yesterday, Luna an hour ago: the reply answers Luna.
    store
        .append_ledger(&[
            sent("S-1", now - Duration::days(1)),
            sent("L-1", now - Duration::hours(1)),
        ])
        .await
        .expect("sends");

    let outcome = handle(
        &store,
        &InboundMessage {
            provider: "twilio",
            message_id: Some("SM-reply-1".into()),
            from: NUMBER.into(),
            text: TEXT.into(),
        },
        now,
    )
    .await
    .expect("inbound");
    assert_eq!(outcome.accounts.len(), 2, "both accounts have the number");

    assert_eq!(
        inbound_details(&store, "L-1").await,
        vec![Some(TEXT.into())]
    );
    assert_eq!(
        inbound_details(&store, "S-1").await,
        vec![None],
        "Sol's account records the reply without its words"
    );
}

#[tokio::test]
async fn when_no_message_tells_whose_reply_it_is_only_staff_read_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store = AnyStore::Sqlite(SqliteStore::connect(&url).await.expect("sqlite"));
    let mut sol = sample_account("S-1");
    sol.creditor = "Banco del Sol".into();
    sol.contact_points = vec![phone()];
    let mut luna = sample_account("L-1");
    luna.creditor = "Financiera Luna".into();
    luna.contact_points = vec![phone()];
    store.put_accounts(&[sol, luna]).await.expect("accounts");
    handle(
        &store,
        &InboundMessage {
            provider: "twilio",
            message_id: Some("SM-reply-2".into()),
            from: NUMBER.into(),
            text: TEXT.into(),
        },
        Utc::now(),
    )
    .await
    .expect("inbound");
    assert_eq!(inbound_details(&store, "S-1").await, vec![None]);
    assert_eq!(inbound_details(&store, "L-1").await, vec![None]);
    assert_eq!(
        inbound_details(&store, "").await,
        vec![Some(TEXT.into())],
        "kept on a row of no account"
    );
}
