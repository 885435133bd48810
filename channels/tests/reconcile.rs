//! Reconciliation at each provider, against wiremock speaking the
//! provider's own shapes: the signed contact reference each request
//! carries where the provider echoes it back (Twilio: the `StatusCallback`
//! URL; Vonage: `client-ref`; Infobip: `callbackData`, and our own
//! `messageId`), the reports that echo it, and the lookups (Twilio's
//! message and call lists by recipient and day; Infobip's logs and
//! reports by message id).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use cobro_channels::providers::infobip::lookup::message_id;
use cobro_channels::providers::infobip::{InfobipConfig, InfobipSms};
use cobro_channels::providers::twilio::{
    TwilioConfig, TwilioSms, TwilioVoice, TwilioVoiceConfig, twilio_signature,
};
use cobro_channels::providers::vonage::{VonageConfig, VonageSms};
use cobro_channels::{
    CallbackKeys, CallbackRequest, Channel, ChannelKind, DeliveryStatus, LookupAnswer, LookupQuery,
    Provider,
};
use common::*;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SID: &str = "AC0123456789abcdef";
const REFERENCE: &str = "YzEvQTEvczE.k3Jm2xg0P4dZl1vQ8u7aBw";
const TO: &str = "+525512345678";

fn form_of(request: &Request) -> BTreeMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body)
        .expect("form")
        .into_iter()
        .collect()
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, h, m, s)
        .single()
        .expect("instant")
}

fn query(since: DateTime<Utc>, until: DateTime<Utc>, taken: &[&str]) -> LookupQuery {
    LookupQuery {
        contact_id: "c1/A1/s1".into(),
        channel: ChannelKind::Sms,
        to: TO.into(),
        since,
        until,
        taken: taken.iter().map(|s| s.to_string()).collect(),
    }
}

mod twilio {
    use super::*;

    const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json";
    const CALLS: &str = "/2010-04-01/Accounts/AC0123456789abcdef/Calls.json";

    fn sms(server: &MockServer) -> TwilioSms {
        let mut cfg = TwilioConfig::new(SID, "s3cr3t-token");
        cfg.base_url = server.uri();
        cfg.timeout = Duration::from_millis(500);
        TwilioSms::new(cfg).expect("config")
    }

    fn message(sid: &str, status: &str, created: DateTime<Utc>) -> serde_json::Value {
        json!({
            "account_sid": SID, "api_version": "2010-04-01", "body": "Su saldo vencido…",
            "date_created": created.to_rfc2822(), "date_sent": created.to_rfc2822(),
            "date_updated": created.to_rfc2822(), "direction": "outbound-api",
            "error_code": if status == "undelivered" { json!(30003) } else { json!(null) },
            "error_message": null, "from": "+15557122661", "messaging_service_sid": null,
            "num_media": "0", "num_segments": "1", "price": null, "price_unit": "USD",
            "sid": sid, "status": status, "to": TO,
            "uri": format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json"),
        })
    }

    fn page(key: &str, entries: Vec<serde_json::Value>, next: Option<&str>) -> serde_json::Value {
        json!({
            key: entries, "end": 0, "first_page_uri": MESSAGES, "next_page_uri": next,
            "page": 0, "page_size": 1000, "previous_page_uri": null, "start": 0, "uri": MESSAGES,
        })
    }

    #[tokio::test]
    async fn the_status_callback_carries_the_signed_reference() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(MESSAGES))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "sid": "SM0001", "status": "queued", "num_segments": "1"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let mut msg = sms_message("c1/A1/s1", TO, "Hola");
        msg.reference = Some(REFERENCE.into());
        sms(&server).send(&msg).await.expect("sent");
        let requests = server.received_requests().await.expect("recorded");
        let form = form_of(&requests[0]);
        assert_eq!(
            form["StatusCallback"],
            format!("https://cobro.example/webhooks/twilio/status?cobro_ref={REFERENCE}")
        );

        // Twilio calls that URL back as given, signed over it: the report
        // carries the reference (still to be verified by the dispatcher).
        let url = &form["StatusCallback"];
        let params: Vec<(String, String)> = [
            ("AccountSid", SID),
            ("MessageSid", "SM0001"),
            ("MessageStatus", "sent"),
            ("SmsSid", "SM0001"),
            ("SmsStatus", "sent"),
            ("To", TO),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "x-twilio-signature",
            twilio_signature("s3cr3t-token", url, &params)
                .parse()
                .expect("header"),
        );
        let body = serde_urlencoded::to_string(&params).expect("form");
        let request = CallbackRequest {
            url,
            query: url.split_once('?').map(|(_, q)| q),
            headers: &headers,
            body: body.as_bytes(),
        };
        let keys = CallbackKeys {
            twilio_auth_token: Some("s3cr3t-token"),
            shared_secret: None,
        };
        let reports = Provider::Twilio
            .delivery_reports(&request, &keys)
            .expect("signed report");
        assert_eq!(reports[0].provider_id, "SM0001");
        assert_eq!(reports[0].status, Some(DeliveryStatus::Accepted));
        assert_eq!(reports[0].contact_ref.as_deref(), Some(REFERENCE));
    }

    #[tokio::test]
    async fn the_message_list_by_recipient_and_day_finds_the_one_message_of_the_window() {
        let server = MockServer::start().await;
        let second_page = format!(
            "{MESSAGES}?To=%2B525512345678&DateSent=2026-12-07&PageSize=1000&Page=1&PageToken=PAx"
        );
        Mock::given(method("GET"))
            .and(path(MESSAGES))
            .and(query_param("To", TO))
            .and(query_param("DateSent", "2026-12-07"))
            .and(query_param("PageSize", "1000"))
            .and(header(
                "authorization",
                "Basic QUMwMTIzNDU2Nzg5YWJjZGVmOnMzY3IzdC10b2tlbg==",
            ))
            .and(wiremock::matchers::query_param_is_missing("Page"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(
                "messages",
                vec![
                    // Another contact's (recorded in the ledger).
                    message("SMtaken", "delivered", at(14, 0, 10)),
                    // Long before the send.
                    message("SMbefore", "delivered", at(9, 0, 0)),
                ],
                Some(&second_page),
            )))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(MESSAGES))
            .and(query_param("Page", "1"))
            .and(query_param("PageToken", "PAx"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(
                "messages",
                vec![message("SMours", "undelivered", at(14, 0, 12))],
                None,
            )))
            .expect(1)
            .mount(&server)
            .await;
        let channel = sms(&server);
        let q = query(at(14, 0, 0), at(14, 5, 0), &["SMtaken"]);
        let answer = channel.lookup(&q).expect("Twilio offers a lookup").await;
        assert_eq!(
            answer.expect("lookup"),
            LookupAnswer::Found {
                provider_id: "SMours".into(),
                status: DeliveryStatus::Undelivered,
                detail: "twilio Messages.json: undelivered, error 30003".into(),
            }
        );
    }

    #[tokio::test]
    async fn no_message_in_the_window_is_not_found_two_are_ambiguous() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(MESSAGES))
            .and(query_param("To", TO))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(
                "messages",
                vec![
                    message("SMa", "sent", at(14, 0, 5)),
                    message("SMb", "queued", at(14, 0, 6)),
                ],
                None,
            )))
            .mount(&server)
            .await;
        let channel = sms(&server);
        let later = query(at(15, 0, 0), at(15, 5, 0), &[]);
        assert_eq!(
            channel.lookup(&later).expect("lookup").await.expect("ok"),
            LookupAnswer::NotFound
        );
        let both = query(at(14, 0, 0), at(14, 5, 0), &[]);
        assert_eq!(
            channel.lookup(&both).expect("lookup").await.expect("ok"),
            LookupAnswer::Ambiguous { candidates: 2 }
        );
        let one = query(at(14, 0, 0), at(14, 5, 0), &["SMa"]);
        assert!(matches!(
            channel.lookup(&one).expect("lookup").await.expect("ok"),
            LookupAnswer::Found { provider_id, status: DeliveryStatus::Accepted, .. } if provider_id == "SMb"
        ));
    }

    #[tokio::test]
    async fn a_failed_list_request_is_an_error_not_an_answer() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(MESSAGES))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "code": 20003, "message": "Authenticate", "status": 401
            })))
            .mount(&server)
            .await;
        let q = query(at(14, 0, 0), at(14, 5, 0), &[]);
        let err = sms(&server)
            .lookup(&q)
            .expect("lookup")
            .await
            .expect_err("401");
        assert!(!err.is_transient(), "{err}");
    }

    #[tokio::test]
    async fn the_call_list_by_recipient_and_start_day() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(CALLS))
            .and(query_param("To", TO))
            .and(query_param("StartTime", "2026-12-07"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(
                "calls",
                vec![json!({
                    "sid": "CA0001", "account_sid": SID, "to": TO, "from": "+525550001234",
                    "status": "completed", "direction": "outbound-api",
                    "date_created": at(14, 0, 3).to_rfc2822(),
                    "start_time": at(14, 0, 4).to_rfc2822(), "end_time": at(14, 0, 40).to_rfc2822(),
                    "duration": "36", "answered_by": "machine_end_beep",
                })],
                None,
            )))
            .expect(1)
            .mount(&server)
            .await;
        let mut cfg = TwilioVoiceConfig::new(SID, "s3cr3t-token");
        cfg.base_url = server.uri();
        let voice = TwilioVoice::new(cfg).expect("config");
        let mut q = query(at(14, 0, 0), at(14, 5, 0), &[]);
        q.channel = ChannelKind::Voice;
        assert!(matches!(
            voice.lookup(&q).expect("lookup").await.expect("ok"),
            LookupAnswer::Found { provider_id, status: DeliveryStatus::Delivered, .. } if provider_id == "CA0001"
        ));
    }
}

mod infobip {
    use super::*;

    fn sms(server: &MockServer) -> InfobipSms {
        let mut cfg = InfobipConfig::new(server.uri(), "ib-api-key-123");
        cfg.timeout = Duration::from_millis(500);
        InfobipSms::new(cfg).expect("config")
    }

    fn logged(id: &str, group: &str, name: &str) -> serde_json::Value {
        json!({"results": [{
            "bulkId": "b-77", "messageId": id, "to": "525512345678", "from": "COBRANZA",
            "text": "Su saldo vencido…", "sentAt": "2026-12-07T14:00:01.000+0000",
            "doneAt": "2026-12-07T14:00:06.000+0000", "smsCount": 1,
            "price": {"pricePerMessage": 0.01, "currency": "EUR"},
            "status": {"groupId": 3, "groupName": group, "id": 5, "name": name, "description": "Message delivered to handset"},
            "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error", "permanent": false}
        }]})
    }

    #[tokio::test]
    async fn the_message_names_itself_and_carries_the_reference() {
        let server = MockServer::start().await;
        let id = message_id("c1/A1/s1");
        Mock::given(method("POST"))
            .and(path("/sms/3/messages"))
            .and(body_json(json!({
                "messages": [{
                    "sender": "+15557122661",
                    "destinations": [{"to": "525512345678", "messageId": id}],
                    "content": {"text": "Hola"},
                    "webhooks": {
                        "delivery": {"url": "https://cobro.example/webhooks/twilio/status"},
                        "callbackData": REFERENCE
                    }
                }]
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "bulkId": "b-77",
                "messages": [{"messageId": id, "status": {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED", "description": "Message sent to next instance"}, "destination": "525512345678"}]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let mut msg = sms_message("c1/A1/s1", TO, "Hola");
        msg.reference = Some(REFERENCE.into());
        let receipt = sms(&server).send(&msg).await.expect("sent");
        assert_eq!(receipt.provider_id, id);
    }

    #[tokio::test]
    async fn the_logs_then_the_reports_by_message_id() {
        let server = MockServer::start().await;
        let id = message_id("c1/A1/s1");
        Mock::given(method("GET"))
            .and(path("/sms/1/logs"))
            .and(query_param("messageId", id.as_str()))
            .and(header("authorization", "App ib-api-key-123"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/sms/1/reports"))
            .and(query_param("messageId", id.as_str()))
            .and(header("authorization", "App ib-api-key-123"))
            .respond_with(ResponseTemplate::new(200).set_body_json(logged(
                &id,
                "DELIVERED",
                "DELIVERED_TO_HANDSET",
            )))
            .expect(1)
            .mount(&server)
            .await;
        let q = query(at(14, 0, 0), at(14, 5, 0), &[]);
        let answer = sms(&server).lookup(&q).expect("lookup").await.expect("ok");
        assert_eq!(
            answer,
            LookupAnswer::Found {
                provider_id: id,
                status: DeliveryStatus::Delivered,
                detail: "infobip: DELIVERED DELIVERED_TO_HANDSET".into(),
            }
        );
    }

    #[tokio::test]
    async fn unknown_to_infobip_is_not_found() {
        let server = MockServer::start().await;
        for p in ["/sms/1/logs", "/sms/1/reports"] {
            Mock::given(method("GET"))
                .and(path(p))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
                .expect(1)
                .mount(&server)
                .await;
        }
        let q = query(at(14, 0, 0), at(14, 5, 0), &[]);
        assert_eq!(
            sms(&server).lookup(&q).expect("lookup").await.expect("ok"),
            LookupAnswer::NotFound
        );
    }

    #[test]
    fn a_report_echoes_the_callback_data() {
        let body = serde_json::to_vec(&json!({"results": [{
            "bulkId": "b-77", "messageId": "cobro-1", "to": "525512345678",
            "sentAt": "2026-12-07T14:00:01.000+0000", "doneAt": "2026-12-07T14:00:06.000+0000",
            "status": {"groupId": 1, "groupName": "PENDING", "id": 7, "name": "PENDING_ENROUTE"},
            "callbackData": REFERENCE
        }]}))
        .expect("json");
        let headers = reqwest::header::HeaderMap::new();
        let request = CallbackRequest {
            url: "https://cobro.example/webhooks/infobip/status?secret=s",
            query: Some("secret=s"),
            headers: &headers,
            body: &body,
        };
        let keys = CallbackKeys {
            twilio_auth_token: None,
            shared_secret: Some("s"),
        };
        let reports = Provider::Infobip
            .delivery_reports(&request, &keys)
            .expect("report");
        assert_eq!(reports[0].status, Some(DeliveryStatus::Accepted));
        assert_eq!(reports[0].contact_ref.as_deref(), Some(REFERENCE));
    }
}

mod vonage {
    use super::*;

    #[tokio::test]
    async fn client_ref_is_the_signed_reference_and_comes_back_in_receipts() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/sms/json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message-count": "1",
                "messages": [{"to": "525512345678", "message-id": "0A0000000123ABCD1", "status": "0",
                    "remaining-balance": "3.14", "message-price": "0.03", "network": "33410",
                    "client-ref": REFERENCE}]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let mut cfg = VonageConfig::new("key", "secret");
        cfg.base_url = server.uri();
        let channel = VonageSms::new(cfg).expect("config");
        let mut msg = sms_message("c1/A1/s1", TO, "Hola");
        msg.reference = Some(REFERENCE.into());
        channel.send(&msg).await.expect("sent");
        let requests = server.received_requests().await.expect("recorded");
        assert_eq!(form_of(&requests[0])["client-ref"], REFERENCE);
        assert!(
            channel
                .lookup(&query(at(14, 0, 0), at(14, 5, 0), &[]))
                .is_none(),
            "Vonage's SMS API offers no lookup: nobody can tell"
        );

        let receipt = serde_urlencoded::to_string([
            ("msisdn", "525512345678"),
            ("to", "COBRANZA"),
            ("messageId", "0A0000000123ABCD1"),
            ("status", "delivered"),
            ("err-code", "0"),
            ("client-ref", REFERENCE),
        ])
        .expect("form");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().expect("header"),
        );
        let request = CallbackRequest {
            url: "https://cobro.example/webhooks/vonage/status?secret=s",
            query: Some("secret=s"),
            headers: &headers,
            body: receipt.as_bytes(),
        };
        let keys = CallbackKeys {
            twilio_auth_token: None,
            shared_secret: Some("s"),
        };
        let reports = Provider::Vonage
            .delivery_reports(&request, &keys)
            .expect("receipt");
        assert_eq!(reports[0].status, Some(DeliveryStatus::Delivered));
        assert_eq!(reports[0].contact_ref.as_deref(), Some(REFERENCE));
    }
}
