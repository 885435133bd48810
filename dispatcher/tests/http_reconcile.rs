//! Delivery reports that name their contact by its signed reference
//! (issue 15): a report for a contact whose send has no recorded answer
//! (`unknown`, or `sending` with a final status) reconciles it, with a
//! `reconciled` ledger row carrying the provider's id; a reference that is
//! not signed with our link secret is never believed.

mod http_common;

use axum::http::StatusCode;
use chrono::Utc;
use cobro_campaigns::{ChannelKind, PlannedContact};
use cobro_dispatcher::engine::contact_ref::contact_ref;
use cobro_dispatcher::store::{
    ContactState, LedgerEntry, LedgerFilter, LedgerState, Reservation, ReserveOutcome, Transition,
    prelude::*,
};
use http_common::*;

const STATUS: &str = "/webhooks/twilio/status";

/// An SMS contact of account A1, reserved (`sending`); with `lost`, its
/// answer lost (`unknown`, as the worker records a timeout).
async fn in_flight(env: &Env, step: &str, lost: bool) -> PlannedContact {
    env.store
        .put_accounts(&[account("A1", "es-MX")])
        .await
        .expect("put");
    let c = contact("c1", "A1", step, ChannelKind::Sms);
    env.store
        .add_contacts(std::slice::from_ref(&c))
        .await
        .expect("add");
    let claimed = env.store.claim_due(Utc::now(), 10).await.expect("claim");
    assert!(claimed.iter().any(|r| r.contact.id == c.id));
    let (_, version) = env.store.history("A1").await.expect("history");
    let outcome = env
        .store
        .reserve(&Reservation {
            contact_id: c.id.clone(),
            account: c.account.clone(),
            debtor_key: "A1".into(),
            channel: c.channel,
            at: Utc::now(),
            history_version: version,
        })
        .await
        .expect("reserve");
    assert_eq!(outcome, ReserveOutcome::Reserved);
    if lost {
        let mut row = LedgerEntry::for_contact(&c, LedgerState::Unknown, Utc::now());
        row.code = Some("timeout".into());
        assert!(
            env.store
                .transition(&c.id, Transition::Finish(ContactState::Unknown), &[row])
                .await
                .expect("unknown")
        );
    }
    c
}

fn with_ref(reference: &str) -> String {
    format!(
        "{STATUS}?{}",
        serde_urlencoded::to_string([("cobro_ref", reference)]).expect("query")
    )
}

async fn rows_of(env: &Env, c: &PlannedContact) -> Vec<LedgerEntry> {
    env.store
        .ledger(&LedgerFilter {
            account: Some(c.account.clone()),
            contact_id: Some(c.id.clone()),
            ..Default::default()
        })
        .await
        .expect("ledger")
}

#[tokio::test]
async fn a_signed_report_resolves_an_unknown_contact_and_then_its_receipts_apply() {
    let env = setup().await;
    let c = in_flight(&env, "s1", true).await;
    assert_eq!(state_of(&env, &c.id).await, ContactState::Unknown);
    let path = with_ref(&contact_ref(LINK_SECRET, &c.id));
    // "sent": the provider had the message, its fate is not known yet.
    let (status, body) = call(
        &env,
        twilio(
            &path,
            &[
                ("MessageSid", "SMlost0001"),
                ("MessageStatus", "sent"),
                ("AccountSid", "AC1"),
            ],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["results"][0]["outcome"], "reconciled");
    assert_eq!(state_of(&env, &c.id).await, ContactState::Sent);
    let rows = rows_of(&env, &c).await;
    let last = rows.last().expect("rows");
    assert_eq!(last.state, LedgerState::Sent);
    assert_eq!(last.code.as_deref(), Some("reconciled"));
    assert_eq!(last.provider.as_deref(), Some("twilio"));
    assert_eq!(last.provider_id.as_deref(), Some("SMlost0001"));
    // The receipt that follows is an ordinary one now (by provider id).
    let (_, body) = call(
        &env,
        twilio(
            &path,
            &[("MessageSid", "SMlost0001"), ("MessageStatus", "delivered")],
        ),
    )
    .await;
    assert_eq!(json(&body)["results"][0]["outcome"], "recorded");
    assert_eq!(state_of(&env, &c.id).await, ContactState::Delivered);
    // Replays change nothing.
    let n = ledger_len(&env).await;
    let (_, body) = call(
        &env,
        twilio(
            &path,
            &[("MessageSid", "SMlost0001"), ("MessageStatus", "delivered")],
        ),
    )
    .await;
    assert_eq!(json(&body)["results"][0]["outcome"], "unchanged");
    assert_eq!(ledger_len(&env).await, n);
}

#[tokio::test]
async fn a_reference_not_signed_by_us_is_never_believed() {
    let env = setup().await;
    let c = in_flight(&env, "s1", true).await;
    let rows = ledger_len(&env).await;
    for forged in [
        contact_ref(b"another secret", &c.id),
        // Our signature of another contact's id, with this contact's id.
        {
            let other = contact_ref(LINK_SECRET, "c1/A1/s9");
            let ours = contact_ref(LINK_SECRET, &c.id);
            format!(
                "{}.{}",
                ours.split_once('.').expect("dot").0,
                other.split_once('.').expect("dot").1
            )
        },
        c.id.clone(),
    ] {
        let (status, body) = call(
            &env,
            twilio(
                &with_ref(&forged),
                &[("MessageSid", "SMforged"), ("MessageStatus", "delivered")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(json(&body)["results"][0]["outcome"], "unknown_id");
    }
    assert_eq!(state_of(&env, &c.id).await, ContactState::Unknown);
    assert_eq!(ledger_len(&env).await, rows, "nothing written");
}

#[tokio::test]
async fn a_report_for_a_contact_still_sending_is_asked_for_again_and_applies_once_written() {
    let env = setup().await;
    let c = in_flight(&env, "s1", false).await;
    let path = with_ref(&contact_ref(LINK_SECRET, &c.id));
    let (status, body) = call(
        &env,
        twilio(
            &path,
            &[("MessageSid", "SMfast0001"), ("MessageStatus", "queued")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json(&body)["results"][0]["outcome"],
        "unknown_id",
        "an interim status changes nothing"
    );
    let rows = ledger_len(&env).await;
    let undelivered = [
        ("MessageSid", "SMfast0001"),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30003"),
    ];
    // Final, while the worker has not written the send: not now (its
    // write would be refused and its decision rows lost), again later.
    let (status, body) = call(&env, twilio(&path, &undelivered)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(json(&body)["results"][0]["outcome"], "in_flight");
    assert_eq!(state_of(&env, &c.id).await, ContactState::Sending);
    assert_eq!(ledger_len(&env).await, rows, "nothing written");
    // The worker writes its send; the provider's retry then applies.
    let mut sent = LedgerEntry::for_contact(&c, LedgerState::Sent, Utc::now());
    sent.provider = Some("twilio".into());
    sent.provider_id = Some("SMfast0001".into());
    assert!(
        env.store
            .transition(&c.id, Transition::Finish(ContactState::Sent), &[sent])
            .await
            .expect("the worker's write")
    );
    let (status, body) = call(&env, twilio(&path, &undelivered)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["results"][0]["outcome"], "recorded");
    assert_eq!(state_of(&env, &c.id).await, ContactState::Undelivered);
    let last = rows_of(&env, &c).await.pop().expect("row");
    assert_eq!(last.code.as_deref(), Some("twilio_30003"));
}

#[tokio::test]
async fn infobip_callback_data_and_vonage_client_ref_name_the_contact() {
    let env = setup().await;
    let a = in_flight(&env, "s1", true).await;
    let b = in_flight(&env, "s2", true).await;
    let body = serde_json::json!({"results": [{
        "bulkId": "b-1",
        "messageId": "cobro-0001",
        "to": "525511112222",
        "sentAt": "2026-12-07T14:00:00.000+0000",
        "doneAt": "2026-12-07T14:00:05.000+0000",
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR"},
        "callbackData": contact_ref(LINK_SECRET, &a.id),
    }]});
    let (status, resp) = call(
        &env,
        post_json("/webhooks/infobip/status", &body, Some(HOOK_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(json(&resp)["results"][0]["outcome"], "reconciled");
    assert_eq!(state_of(&env, &a.id).await, ContactState::Delivered);

    let body = serde_json::json!({
        "msisdn": "525511112222",
        "to": "COBRANZA",
        "messageId": "0A0000000123ABCD1",
        "status": "delivered",
        "err-code": "0",
        "client-ref": contact_ref(LINK_SECRET, &b.id),
    });
    let (status, resp) = call(
        &env,
        post_json("/webhooks/vonage/status", &body, Some(HOOK_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(json(&resp)["results"][0]["outcome"], "reconciled");
    assert_eq!(state_of(&env, &b.id).await, ContactState::Delivered);
    let last = rows_of(&env, &b).await.pop().expect("row");
    assert_eq!(last.provider_id.as_deref(), Some("0A0000000123ABCD1"));
}
