//! Provider webhooks through the Router: delivery receipts (Twilio SMS and
//! calls, Vonage, Infobip), inbound replies, signatures and replays.

mod http_common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cobro_campaigns::ChannelKind;
use cobro_dispatcher::store::{ContactState, LedgerFilter, LedgerState, prelude::*};
use http_common::*;

const STATUS: &str = "/webhooks/twilio/status";
const INBOUND: &str = "/webhooks/twilio/inbound";

#[tokio::test]
async fn twilio_delivered_is_recorded_once_and_replays_change_nothing() {
    let env = setup().await;
    let sent = seed(&env, "SM111").await;
    let params = [
        ("MessageSid", "SM111"),
        ("MessageStatus", "delivered"),
        ("AccountSid", "AC1"),
    ];
    let (status, body) = call(&env, twilio(STATUS, &params)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["results"][0]["outcome"], "recorded");
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Delivered);
    let rows = ledger_len(&env).await;

    for _ in 0..2 {
        let (status, body) = call(&env, twilio(STATUS, &params)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json(&body)["results"][0]["outcome"], "unchanged");
    }
    // A late "undelivered" for a delivered message changes nothing either.
    let (status, _) = call(
        &env,
        twilio(
            STATUS,
            &[("MessageSid", "SM111"), ("MessageStatus", "undelivered")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Delivered);
    assert_eq!(ledger_len(&env).await, rows, "replays add no ledger rows");
    let delivered = env
        .store
        .ledger(&LedgerFilter {
            contact_id: Some(sent.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        delivered
            .iter()
            .filter(|r| r.state == LedgerState::Delivered)
            .count(),
        1
    );
}

#[tokio::test]
async fn twilio_undelivered_and_interim_statuses() {
    let env = setup().await;
    let sent = seed(&env, "SM222").await;
    let (_, body) = call(
        &env,
        twilio(
            STATUS,
            &[("MessageSid", "SM222"), ("MessageStatus", "sent")],
        ),
    )
    .await;
    assert_eq!(json(&body)["results"][0]["outcome"], "ignored");
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Sent);
    let (_, body) = call(
        &env,
        twilio(
            STATUS,
            &[
                ("MessageSid", "SM222"),
                ("MessageStatus", "undelivered"),
                ("ErrorCode", "30003"),
            ],
        ),
    )
    .await;
    assert_eq!(json(&body)["results"][0]["outcome"], "recorded");
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Undelivered);
    let rows = env
        .store
        .ledger(&LedgerFilter {
            contact_id: Some(sent.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let last = rows.last().expect("rows");
    assert_eq!(last.state, LedgerState::Undelivered);
    assert_eq!(last.code.as_deref(), Some("twilio_30003"));
}

#[tokio::test]
async fn twilio_bad_or_missing_signature_is_refused_and_stores_nothing() {
    let env = setup().await;
    let sent = seed(&env, "SM333").await;
    let params = [("MessageSid", "SM333"), ("MessageStatus", "delivered")];
    let rows = ledger_len(&env).await;
    let (status, _) = call(&env, twilio_unsigned(STATUS, &params, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &env,
        twilio_unsigned(STATUS, &params, Some("bm90IGEgc2lnbmF0dXJl")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Signed for other parameters (a tampered status).
    let mut tampered = twilio(
        STATUS,
        &[("MessageSid", "SM333"), ("MessageStatus", "failed")],
    );
    *tampered.body_mut() = Body::from(form(&params));
    let (status, _) = call(&env, tampered).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Signed with another account's token.
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let wrong = cobro_dispatcher::http::auth::twilio_signature(
        "other-token",
        &format!("{PUBLIC_URL}{STATUS}"),
        &owned,
    );
    let (status, _) = call(&env, twilio_unsigned(STATUS, &params, Some(&wrong))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Signed for another host (the Host header is not trusted).
    let other_host = cobro_dispatcher::http::auth::twilio_signature(
        TWILIO_TOKEN,
        &format!("https://evil.example{STATUS}"),
        &owned,
    );
    let (status, _) = call(&env, twilio_unsigned(STATUS, &params, Some(&other_host))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Sent);
    assert_eq!(ledger_len(&env).await, rows);
}

#[tokio::test]
async fn twilio_without_a_configured_token_fails_closed() {
    let env = setup_with(cobro_dispatcher::http::HttpConfig {
        twilio_auth_token: None,
        ..config()
    })
    .await;
    seed(&env, "SM334").await;
    let (status, _) = call(
        &env,
        twilio(
            STATUS,
            &[("MessageSid", "SM334"), ("MessageStatus", "delivered")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_message_ids_answer_200_and_store_nothing() {
    let env = setup().await;
    seed(&env, "SM444").await;
    let rows = ledger_len(&env).await;
    let (status, body) = call(
        &env,
        twilio(
            STATUS,
            &[("MessageSid", "SMnope"), ("MessageStatus", "delivered")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["results"][0]["outcome"], "unknown_id");
    assert_eq!(ledger_len(&env).await, rows);
}

#[tokio::test]
async fn malformed_twilio_status_is_a_400() {
    let env = setup().await;
    let (status, body) = call(&env, twilio(STATUS, &[("MessageSid", "SM1")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("MessageStatus")
    );
    let (status, _) = call(&env, twilio(STATUS, &[("Foo", "bar")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_provider_is_404() {
    let env = setup().await;
    let (status, _) = call(
        &env,
        post_json(
            "/webhooks/acme/status",
            &serde_json::json!({}),
            Some(HOOK_SECRET),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn human_answered_call_is_delivered_and_a_conversation() {
    let env = setup().await;
    let sent = seed(&env, "CA555").await;
    let params = [
        ("CallSid", "CA555"),
        ("CallStatus", "completed"),
        ("AnsweredBy", "human"),
    ];
    let (_, body) = call(&env, twilio(STATUS, &params)).await;
    assert_eq!(json(&body)["results"][0]["outcome"], "recorded");
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Delivered);
    let (account, _) = env.store.account("A1").await.unwrap().unwrap();
    let key = cobro_campaigns::debtor_key(&account);
    let (history, _) = env.store.history(&key).await.unwrap();
    assert_eq!(history.iter().filter(|h| h.conversation).count(), 1);
    // Replayed: still one conversation.
    call(&env, twilio(STATUS, &params)).await;
    let (history, _) = env.store.history(&key).await.unwrap();
    assert_eq!(history.iter().filter(|h| h.conversation).count(), 1);
}

#[tokio::test]
async fn machine_answered_and_unanswered_calls() {
    let env = setup().await;
    let sent = seed(&env, "CA666").await;
    let (_, body) = call(
        &env,
        twilio(STATUS, &[("CallSid", "CA666"), ("CallStatus", "ringing")]),
    )
    .await;
    assert_eq!(json(&body)["results"][0]["outcome"], "ignored");
    call(
        &env,
        twilio(
            STATUS,
            &[
                ("CallSid", "CA666"),
                ("CallStatus", "completed"),
                ("AnsweredBy", "machine_end_beep"),
            ],
        ),
    )
    .await;
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Delivered);
    let rows = env
        .store
        .ledger(&LedgerFilter {
            contact_id: Some(sent.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        rows.last().unwrap().code.as_deref(),
        Some("answered_by_machine")
    );
    let (account, _) = env.store.account("A1").await.unwrap().unwrap();
    let (history, _) = env
        .store
        .history(&cobro_campaigns::debtor_key(&account))
        .await
        .unwrap();
    assert!(
        history.iter().all(|h| !h.conversation),
        "a machine is no conversation"
    );

    let env = setup().await;
    let sent = seed(&env, "CA667").await;
    call(
        &env,
        twilio(STATUS, &[("CallSid", "CA667"), ("CallStatus", "no-answer")]),
    )
    .await;
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Undelivered);
}

#[tokio::test]
async fn vonage_receipts_need_the_shared_secret() {
    let env = setup().await;
    let sent = seed(&env, "VN-1").await;
    let body = serde_json::json!({"messageId": "VN-1", "status": "delivered", "err-code": "0", "msisdn": "525511112222"});
    let (status, _) = call(&env, post_json("/webhooks/vonage/status", &body, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &env,
        post_json("/webhooks/vonage/status", &body, Some("wrong")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Sent);
    let (status, resp) = call(
        &env,
        post_json("/webhooks/vonage/status", &body, Some(HOOK_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Delivered);

    // Form body with the secret in the query string.
    let env = setup().await;
    let sent = seed(&env, "VN-2").await;
    let request = Request::post(format!("/webhooks/vonage/status?secret={HOOK_SECRET}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("messageId", "VN-2"),
            ("status", "failed"),
            ("err-code", "5"),
        ])))
        .unwrap();
    let (status, _) = call(&env, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Undelivered);

    let (status, _) = call(
        &env,
        post_json(
            "/webhooks/vonage/status",
            &serde_json::json!({"status": "delivered"}),
            Some(HOOK_SECRET),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "messageId is required");
    let bad = Request::post("/webhooks/vonage/status")
        .header("content-type", "application/json")
        .header("x-cobro-webhook-secret", HOOK_SECRET)
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(call(&env, bad).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn infobip_reports_several_results() {
    let env = setup().await;
    let sent = seed(&env, "IB-1").await;
    let body = serde_json::json!({"results": [
        {"messageId": "IB-1", "status": {"groupName": "DELIVERED", "name": "DELIVERED_TO_HANDSET"}},
        {"messageId": "IB-unknown", "status": {"groupName": "DELIVERED"}}
    ]});
    let (status, _) = call(&env, post_json("/webhooks/infobip/status", &body, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, resp) = call(
        &env,
        post_json("/webhooks/infobip/status", &body, Some(HOOK_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    let resp = json(&resp);
    assert_eq!(resp["results"][0]["outcome"], "recorded");
    assert_eq!(resp["results"][1]["outcome"], "unknown_id");
    assert_eq!(state_of(&env, &sent.id).await, ContactState::Delivered);
    let (status, _) = call(
        &env,
        post_json(
            "/webhooks/infobip/status",
            &serde_json::json!({"nope": 1}),
            Some(HOOK_SECRET),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

// --- inbound ---------------------------------------------------------------

async fn pending_of(env: &Env, channel: ChannelKind) -> ContactState {
    let step = match channel {
        ChannelKind::Sms => "s2",
        ChannelKind::Email => "s3",
        ChannelKind::Voice => "s4",
        ChannelKind::AgentCall | ChannelKind::AgentTask => panic!("no agent step here"),
    };
    state_of(env, &format!("c1/A1/{step}")).await
}

#[tokio::test]
async fn baja_suppresses_the_number_and_cancels_pending_sms_only() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let params = [
        ("MessageSid", "SMin1"),
        ("From", PHONE),
        ("To", "+15550001111"),
        ("Body", "  Baja  "),
    ];
    let (status, body) = call(&env, twilio(INBOUND, &params)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<Response/>"), "TwiML answer: {body}");
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Voice, PHONE)
            .await
            .unwrap()
    );
    assert_eq!(
        pending_of(&env, ChannelKind::Sms).await,
        ContactState::Cancelled
    );
    assert_eq!(
        pending_of(&env, ChannelKind::Email).await,
        ContactState::Pending
    );
    assert_eq!(
        pending_of(&env, ChannelKind::Voice).await,
        ContactState::Pending
    );
    let rows = ledger_len(&env).await;
    // Twilio retries the same message: nothing new.
    let (status, _) = call(&env, twilio(INBOUND, &params)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ledger_len(&env).await, rows);
}

#[tokio::test]
async fn keyword_variants_opt_out() {
    for text in [
        "NO MOLESTAR",
        "no molestár.",
        "ALTO",
        "cancelar",
        "Unsubscribe",
        "stop",
    ] {
        let env = setup().await;
        seed(&env, "SM1").await;
        let (status, _) = call(
            &env,
            twilio(
                INBOUND,
                &[("MessageSid", "SMv"), ("From", PHONE), ("Body", text)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            env.store
                .is_suppressed(ChannelKind::Sms, PHONE)
                .await
                .unwrap(),
            "{text}"
        );
        assert_eq!(
            pending_of(&env, ChannelKind::Sms).await,
            ContactState::Cancelled,
            "{text}"
        );
    }
}

#[tokio::test]
async fn stopall_stops_every_channel_and_start_opts_back_in() {
    let env = setup().await;
    seed(&env, "SM1").await;
    call(
        &env,
        twilio(
            INBOUND,
            &[("MessageSid", "SMa"), ("From", PHONE), ("Body", "STOPALL")],
        ),
    )
    .await;
    assert!(
        env.store
            .is_suppressed(ChannelKind::Voice, PHONE)
            .await
            .unwrap()
    );
    assert!(
        env.store
            .is_suppressed(ChannelKind::Email, EMAIL)
            .await
            .unwrap()
    );
    for channel in ChannelKind::AUTOMATED {
        assert_eq!(pending_of(&env, channel).await, ContactState::Cancelled);
    }
    call(
        &env,
        twilio(
            INBOUND,
            &[("MessageSid", "SMb"), ("From", PHONE), ("Body", "Start")],
        ),
    )
    .await;
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap(),
        "START lifts the debtor's own STOP"
    );
}

#[tokio::test]
async fn start_does_not_lift_an_officers_entry() {
    let env = setup().await;
    seed(&env, "SM1").await;
    env.store
        .suppress(&cobro_dispatcher::store::Suppression {
            channel: None,
            address: PHONE.into(),
            prefix: false,
            source: "regulator".into(),
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    call(
        &env,
        twilio(
            INBOUND,
            &[("MessageSid", "SMc"), ("From", PHONE), ("Body", "ALTA")],
        ),
    )
    .await;
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn other_replies_are_kept_for_a_human() {
    let env = setup().await;
    seed(&env, "SM1").await;
    call(
        &env,
        twilio(
            INBOUND,
            &[
                ("MessageSid", "SMh"),
                ("From", PHONE),
                ("Body", "Ya pagué ayer, ¿me confirman?"),
            ],
        ),
    )
    .await;
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    assert_eq!(
        pending_of(&env, ChannelKind::Sms).await,
        ContactState::Pending
    );
    let rows = env
        .store
        .ledger(&LedgerFilter {
            account: Some("A1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let inbound = rows
        .iter()
        .find(|r| r.state == LedgerState::Inbound)
        .expect("inbound row");
    assert_eq!(
        inbound.detail.as_deref(),
        Some("Ya pagué ayer, ¿me confirman?")
    );
    assert_eq!(inbound.code.as_deref(), Some("message"));
}

#[tokio::test]
async fn inbound_with_a_bad_signature_changes_nothing() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let rows = ledger_len(&env).await;
    let (status, _) = call(
        &env,
        twilio_unsigned(
            INBOUND,
            &[("From", PHONE), ("Body", "STOP")],
            Some("forged"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    assert_eq!(
        pending_of(&env, ChannelKind::Sms).await,
        ContactState::Pending
    );
    assert_eq!(ledger_len(&env).await, rows);
}

#[tokio::test]
async fn vonage_and_infobip_inbound_numbers_without_plus() {
    let env = setup().await;
    seed(&env, "SM1").await;
    let body = serde_json::json!({"msisdn": "525511112222", "to": "15550001111", "messageId": "V-in-1", "text": "BAJA"});
    let (status, _) = call(
        &env,
        post_json("/webhooks/vonage/inbound", &body, Some(HOOK_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );

    let env = setup().await;
    seed(&env, "SM1").await;
    let body = serde_json::json!({"results": [{"from": "525511112222", "to": "15550001111", "text": "Stop", "messageId": "IB-in-1"}]});
    let (status, _) = call(&env, post_json("/webhooks/infobip/inbound", &body, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    let (status, _) = call(
        &env,
        post_json("/webhooks/infobip/inbound", &body, Some(HOOK_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        env.store
            .is_suppressed(ChannelKind::Sms, PHONE)
            .await
            .unwrap()
    );
    assert_eq!(
        pending_of(&env, ChannelKind::Sms).await,
        ContactState::Cancelled
    );
}
