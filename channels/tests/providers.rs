//! HTTP providers against `wiremock` servers that check the exact request
//! (method, path, auth, content type, every field) and answer with the
//! providers' documented success and error bodies.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use cobro_channels::{Channel, ChannelError};
use common::*;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Matches a form body exactly: the same fields, each once, same values.
struct FormIs(BTreeMap<String, String>);

fn form(pairs: &[(&str, &str)]) -> FormIs {
    FormIs(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

impl Match for FormIs {
    fn matches(&self, request: &Request) -> bool {
        let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body) else {
            return false;
        };
        let map: BTreeMap<String, String> = pairs.iter().cloned().collect();
        map.len() == pairs.len() && map == self.0
    }
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

const FORM: &str = "application/x-www-form-urlencoded";
const TEXT: &str = "Cobranzas Andinas, en nombre de Banco del Sol: su saldo vencido es de $1,234.56 MXN. Responda BAJA para no recibir más mensajes.";

mod twilio {
    use super::*;
    use cobro_channels::providers::twilio::{TwilioConfig, TwilioSms};

    const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json";

    fn channel(server: &MockServer) -> Arc<dyn Channel> {
        let mut cfg = TwilioConfig::new("AC0123456789abcdef", "s3cr3t-token");
        cfg.base_url = server.uri();
        cfg.timeout = Duration::from_millis(500);
        Arc::new(TwilioSms::new(cfg).expect("config"))
    }

    fn exact_request() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path(MESSAGES))
            .and(header(
                "authorization",
                basic("AC0123456789abcdef", "s3cr3t-token").as_str(),
            ))
            .and(header("content-type", FORM))
            .and(form(&[
                ("To", "+525512345678"),
                ("From", "+15557122661"),
                ("Body", TEXT),
                (
                    "StatusCallback",
                    "https://cobro.example/webhooks/twilio/status",
                ),
            ]))
    }

    fn error(status: u16, code: i64, message: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }))
    }

    #[tokio::test]
    async fn success_returns_sid_and_segments() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "account_sid": "AC0123456789abcdef",
                "api_version": "2010-04-01",
                "body": TEXT,
                "date_created": "Sun, 22 Nov 2026 21:00:00 +0000",
                "date_sent": null,
                "date_updated": "Sun, 22 Nov 2026 21:00:00 +0000",
                "direction": "outbound-api",
                "error_code": null,
                "error_message": null,
                "from": "+15557122661",
                "messaging_service_sid": null,
                "num_media": "0",
                "num_segments": "2",
                "price": null,
                "price_unit": "USD",
                "sid": "SM3bb1b2c8f1e04a19b5a4d1f0c1fd2f3a",
                "status": "queued",
                "subresource_uris": {"media": "/2010-04-01/Accounts/AC0123456789abcdef/Messages/SM3bb1b2c8f1e04a19b5a4d1f0c1fd2f3a/Media.json"},
                "to": "+525512345678",
                "uri": "/2010-04-01/Accounts/AC0123456789abcdef/Messages/SM3bb1b2c8f1e04a19b5a4d1f0c1fd2f3a.json"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let receipt = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect("accepted");
        assert_eq!(receipt.provider, "twilio");
        assert_eq!(receipt.provider_id, "SM3bb1b2c8f1e04a19b5a4d1f0c1fd2f3a");
        assert_eq!(receipt.segments, Some(2));
    }

    #[tokio::test]
    async fn unsubscribed_recipient_21610_is_opted_out() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(error(
                400,
                21610,
                "Attempt to send to unsubscribed recipient",
            ))
            .expect(1)
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("opted out");
        assert!(matches!(err, ChannelError::OptedOut { .. }), "{err:?}");
        assert_eq!(err.provider_code(), Some("21610"));
        assert!(err.is_permanent() && !err.is_transient());
    }

    #[tokio::test]
    async fn too_many_requests_honours_retry_after() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(error(429, 20429, "Too Many Requests").insert_header("Retry-After", "7"))
            .expect(1)
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("throttled");
        assert!(matches!(err, ChannelError::Throttled { .. }), "{err:?}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert!(err.is_transient());
    }

    #[tokio::test]
    async fn invalid_and_landline_numbers_are_permanent() {
        for (code, text) in [
            (
                21211,
                "The 'To' number +525512345678 is not a valid phone number.",
            ),
            (21614, "'To' number is not a valid mobile number"),
        ] {
            let server = MockServer::start().await;
            exact_request()
                .respond_with(error(400, code, text))
                .expect(1)
                .mount(&server)
                .await;
            let err = channel(&server)
                .send(&sms_message("c/a/s", "+525512345678", TEXT))
                .await
                .expect_err("permanent");
            assert!(matches!(err, ChannelError::Permanent { .. }), "{err:?}");
            assert_eq!(err.provider_code(), Some(code.to_string().as_str()));
        }
    }

    #[tokio::test]
    async fn bad_credentials_20003_is_permanent() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "code": 20003,
                "detail": "Your AccountSid or AuthToken was incorrect.",
                "message": "Authentication Error - invalid username",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401
            })))
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("auth");
        assert!(matches!(err, ChannelError::Permanent { .. }), "{err:?}");
        // The token never appears in an error.
        assert!(!err.to_string().contains("s3cr3t"));
    }

    #[tokio::test]
    async fn server_error_with_html_is_transient() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(
                ResponseTemplate::new(503)
                    .set_body_string("<html><body>Service Unavailable</body></html>"),
            )
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("5xx");
        assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
        assert!(!err.maybe_sent());
    }

    #[tokio::test]
    async fn timeout_is_transient_and_maybe_sent() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let started = std::time::Instant::now();
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("timeout");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
        assert_eq!(err.provider_code(), Some("timeout"));
        assert!(
            err.maybe_sent(),
            "a timed-out request may have reached Twilio"
        );
    }

    #[tokio::test]
    async fn messaging_service_replaces_from() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(MESSAGES))
            .and(form(&[
                ("To", "+525512345678"),
                ("MessagingServiceSid", "MG0001"),
                ("Body", "hola"),
            ]))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(
                    json!({"sid": "SM1", "status": "accepted", "num_segments": "0"}),
                ),
            )
            .expect(1)
            .mount(&server)
            .await;
        let mut cfg = TwilioConfig::new("AC0123456789abcdef", "t");
        cfg.base_url = server.uri();
        cfg.messaging_service_sid = Some("MG0001".into());
        let mut msg = sms_message("c/a/s", "+525512345678", "hola");
        msg.status_callback = None;
        let r = TwilioSms::new(cfg)
            .expect("cfg")
            .send(&msg)
            .await
            .expect("sent");
        assert_eq!(r.provider_id, "SM1");
        // "0" while the service has not encoded the text: counted here.
        assert_eq!(r.segments, Some(1));
    }

    #[tokio::test]
    async fn non_e164_number_never_reaches_twilio() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201))
            .expect(0)
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "55 1234 5678", TEXT))
            .await
            .expect_err("invalid");
        assert!(err.is_permanent());
    }
}

mod twilio_voice {
    use super::*;
    use cobro_channels::VoiceContent;
    use cobro_channels::providers::twilio::{MachineDetection, TwilioVoice, TwilioVoiceConfig};

    const CALLS: &str = "/2010-04-01/Accounts/AC0123456789abcdef/Calls.json";

    fn channel(server: &MockServer, amd: Option<MachineDetection>) -> TwilioVoice {
        let mut cfg = TwilioVoiceConfig::new("AC0123456789abcdef", "s3cr3t-token");
        cfg.base_url = server.uri();
        cfg.from = Some("+525550001234".into());
        cfg.machine_detection = amd;
        TwilioVoice::new(cfg).expect("config")
    }

    fn voice_message(voice: Option<VoiceContent>) -> cobro_channels::OutboundMessage {
        let mut m = sms_message(
            "c/a/d7-voice",
            "+525512345678",
            "Le saluda Cobranzas Andinas & asociados.",
        );
        m.channel = cobro_campaigns::ChannelKind::Voice;
        m.from = String::new();
        m.status_callback = Some("https://cobro.example/webhooks/twilio/status".into());
        m.voice = voice;
        m
    }

    #[tokio::test]
    async fn say_with_language_and_machine_detection() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(CALLS))
            .and(header("authorization", basic("AC0123456789abcdef", "s3cr3t-token").as_str()))
            .and(header("content-type", FORM))
            .and(form(&[
                ("To", "+525512345678"),
                ("From", "+525550001234"),
                (
                    "Twiml",
                    "<Response><Pause length=\"1\"/><Say language=\"es-MX\">Le saluda Cobranzas Andinas &amp; asociados.</Say></Response>",
                ),
                ("MachineDetection", "DetectMessageEnd"),
                ("StatusCallback", "https://cobro.example/webhooks/twilio/status"),
            ]))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "account_sid": "AC0123456789abcdef",
                "answered_by": null,
                "api_version": "2010-04-01",
                "direction": "outbound-api",
                "from": "+525550001234",
                "sid": "CA4a1e7b0a8c6e4f1ab1e2d3c4b5a69788",
                "status": "queued",
                "to": "+525512345678",
                "uri": "/2010-04-01/Accounts/AC0123456789abcdef/Calls/CA4a1e7b0a8c6e4f1ab1e2d3c4b5a69788.json"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let r = channel(&server, Some(MachineDetection::DetectMessageEnd))
            .send(&voice_message(None))
            .await
            .expect("queued");
        assert_eq!(r.provider_id, "CA4a1e7b0a8c6e4f1ab1e2d3c4b5a69788");
        assert_eq!(r.segments, None);
    }

    #[tokio::test]
    async fn play_recording_without_detection() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(CALLS))
            .and(form(&[
                ("To", "+525512345678"),
                ("From", "+525550001234"),
                (
                    "Twiml",
                    "<Response><Pause length=\"1\"/><Play>https://cdn.example/audio/aviso.mp3</Play></Response>",
                ),
                ("StatusCallback", "https://cobro.example/webhooks/twilio/status"),
            ]))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "CA1", "status": "queued"})))
            .expect(1)
            .mount(&server)
            .await;
        let msg = voice_message(Some(VoiceContent::Play {
            url: "https://cdn.example/audio/aviso.mp3".into(),
        }));
        let r = channel(&server, None).send(&msg).await.expect("queued");
        assert_eq!(r.provider_id, "CA1");
    }

    #[tokio::test]
    async fn geo_permission_error_is_permanent() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(CALLS))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "code": 21215,
                "message": "Account not authorized to call +525512345678. Perhaps you need to enable some international permissions.",
                "more_info": "https://www.twilio.com/docs/errors/21215",
                "status": 400
            })))
            .mount(&server)
            .await;
        let err = channel(&server, None)
            .send(&voice_message(None))
            .await
            .expect_err("geo");
        assert!(matches!(err, ChannelError::Permanent { .. }), "{err:?}");
    }
}

mod vonage {
    use super::*;
    use cobro_channels::providers::vonage::{VonageConfig, VonageSms};

    fn channel(server: &MockServer) -> VonageSms {
        let mut cfg = VonageConfig::new("abcd1234", "vonage-s3cret");
        cfg.base_url = server.uri();
        cfg.timeout = Duration::from_millis(500);
        VonageSms::new(cfg).expect("config")
    }

    fn exact_request(text: &str, kind: &str) -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/sms/json"))
            .and(header("content-type", FORM))
            .and(form(&[
                ("api_key", "abcd1234"),
                ("api_secret", "vonage-s3cret"),
                ("from", "+15557122661"),
                ("to", "525512345678"),
                ("text", text),
                ("type", kind),
                ("client-ref", "c/a/s"),
                ("callback", "https://cobro.example/webhooks/twilio/status"),
                ("status-report-req", "1"),
            ]))
    }

    #[tokio::test]
    async fn success_reads_message_id_and_parts() {
        let server = MockServer::start().await;
        exact_request(TEXT, "unicode")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message-count": "2",
                "messages": [
                    {"to": "525512345678", "message-id": "0A0000000123ABCD1", "status": "0",
                     "remaining-balance": "3.14159265", "message-price": "0.03330000", "network": "33402"},
                    {"to": "525512345678", "message-id": "0A0000000123ABCD2", "status": "0",
                     "remaining-balance": "3.10829265", "message-price": "0.03330000", "network": "33402"}
                ]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let r = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect("sent");
        assert_eq!(r.provider_id, "0A0000000123ABCD1");
        assert_eq!(r.segments, Some(2));
    }

    #[tokio::test]
    async fn gsm_text_is_sent_as_text() {
        let server = MockServer::start().await;
        exact_request("Pague hoy: https://p.example/A1", "text")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message-count": "1",
                "messages": [{"to": "525512345678", "message-id": "0A00", "status": "0"}]
            })))
            .expect(1)
            .mount(&server)
            .await;
        channel(&server)
            .send(&sms_message(
                "c/a/s",
                "+525512345678",
                "Pague hoy: https://p.example/A1",
            ))
            .await
            .expect("sent");
    }

    #[tokio::test]
    async fn throttled_status_inside_http_200() {
        let server = MockServer::start().await;
        exact_request(TEXT, "unicode")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message-count": "1",
                "messages": [{"status": "1", "error-text": "Throughput Rate Exceeded - please wait [ 10 ] and retry"}]
            })))
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("throttled");
        assert!(matches!(err, ChannelError::Throttled { .. }), "{err:?}");
        assert_eq!(err.provider_code(), Some("1"));
    }

    #[tokio::test]
    async fn barred_number_is_opted_out_and_bad_sender_permanent() {
        for (status, text, opted_out) in [
            ("7", "Number barred.", true),
            ("15", "Illegal Sender Address - rejected", false),
            ("3", "Invalid to param", false),
        ] {
            let server = MockServer::start().await;
            exact_request(TEXT, "unicode")
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "message-count": "1",
                    "messages": [{"status": status, "error-text": text}]
                })))
                .mount(&server)
                .await;
            let err = channel(&server)
                .send(&sms_message("c/a/s", "+525512345678", TEXT))
                .await
                .expect_err("rejected");
            assert!(err.is_permanent(), "{status}: {err:?}");
            assert_eq!(err.is_opted_out(), opted_out, "{status}: {err:?}");
        }
    }

    #[tokio::test]
    async fn internal_error_status_is_transient() {
        let server = MockServer::start().await;
        exact_request(TEXT, "unicode")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message-count": "1",
                "messages": [{"status": "5", "error-text": "Internal Error"}]
            })))
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("internal");
        assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn http_429_and_timeout() {
        let server = MockServer::start().await;
        exact_request(TEXT, "unicode")
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let ch = channel(&server);
        let err = ch
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("429");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));

        exact_request(TEXT, "unicode")
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let err = ch
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("timeout");
        assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
        assert_eq!(err.provider_code(), Some("timeout"));
    }
}

mod infobip {
    use super::*;
    use cobro_channels::providers::infobip::{InfobipConfig, InfobipSms};
    use cobro_channels::providers::infobip::{InfobipVoice, InfobipVoiceConfig};

    fn channel(server: &MockServer) -> InfobipSms {
        let mut cfg = InfobipConfig::new(server.uri(), "ib-api-key-123");
        cfg.timeout = Duration::from_millis(500);
        InfobipSms::new(cfg).expect("config")
    }

    fn exact_request() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/sms/3/messages"))
            .and(header("authorization", "App ib-api-key-123"))
            .and(header("content-type", "application/json"))
            .and(header("accept", "application/json"))
            .and(body_json(json!({
                "messages": [{
                    "sender": "+15557122661",
                    "destinations": [{
                        "to": "525512345678",
                        "messageId": cobro_channels::providers::infobip::lookup::message_id("c/a/s"),
                    }],
                    "content": {"text": TEXT},
                    "webhooks": {"delivery": {"url": "https://cobro.example/webhooks/twilio/status"}}
                }]
            })))
    }

    fn answer(
        group_id: i64,
        group: &str,
        id: i64,
        name: &str,
        description: &str,
    ) -> serde_json::Value {
        json!({
            "bulkId": "2034072219640523073",
            "messages": [{
                "messageId": "2250be2d4219-3af1-78856-aabe-1362af1edfd2",
                "status": {"groupId": group_id, "groupName": group, "id": id, "name": name, "description": description},
                "destination": "525512345678",
                "details": {"messageCount": 2}
            }]
        })
    }

    #[tokio::test]
    async fn success_pending_accepted() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(200).set_body_json(answer(
                1,
                "PENDING",
                26,
                "PENDING_ACCEPTED",
                "Message sent to next instance",
            )))
            .expect(1)
            .mount(&server)
            .await;
        let r = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect("sent");
        assert_eq!(r.provider_id, "2250be2d4219-3af1-78856-aabe-1362af1edfd2");
        assert_eq!(r.segments, Some(2));
    }

    #[tokio::test]
    async fn rejected_statuses_in_200() {
        for (id, name, expect) in [
            (10, "REJECTED_DND", "opted_out"),
            (51, "REJECTED_DESTINATION", "permanent"),
            (26, "REJECTED_FLOODING_FILTER", "throttled"),
        ] {
            let server = MockServer::start().await;
            exact_request()
                .respond_with(ResponseTemplate::new(200).set_body_json(answer(
                    5,
                    "REJECTED",
                    id,
                    name,
                    "Message rejected",
                )))
                .mount(&server)
                .await;
            let err = channel(&server)
                .send(&sms_message("c/a/s", "+525512345678", TEXT))
                .await
                .expect_err("rejected");
            assert_eq!(err.class(), expect, "{name}: {err:?}");
            assert_eq!(err.provider_code(), Some(name));
        }
    }

    #[tokio::test]
    async fn unauthorized_is_permanent() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}}
            })))
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("401");
        assert!(matches!(err, ChannelError::Permanent { .. }), "{err:?}");
        assert_eq!(err.provider_code(), Some("UNAUTHORIZED"));
        assert!(!err.to_string().contains("ib-api-key-123"));
    }

    #[tokio::test]
    async fn too_many_requests_with_retry_after() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "3")
                    .set_body_json(json!({
                        "requestError": {"serviceException": {"messageId": "TOO_MANY_REQUESTS", "text": "Too many requests"}}
                    })),
            )
            .mount(&server)
            .await;
        let err = channel(&server)
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("429");
        assert!(matches!(err, ChannelError::Throttled { .. }), "{err:?}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(err.provider_code(), Some("TOO_MANY_REQUESTS"));
    }

    #[tokio::test]
    async fn server_error_and_timeout_are_transient() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({
                "requestError": {"serviceException": {"messageId": "GENERAL_ERROR", "text": "Something went wrong."}}
            })))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let ch = channel(&server);
        let err = ch
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("500");
        assert!(matches!(err, ChannelError::Transient { .. }), "{err:?}");
        exact_request()
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let err = ch
            .send(&sms_message("c/a/s", "+525512345678", TEXT))
            .await
            .expect_err("timeout");
        assert!(err.maybe_sent(), "{err:?}");
    }

    #[tokio::test]
    async fn tts_voice_message() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/tts/3/single"))
            .and(header("authorization", "App ib-api-key-123"))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "from": "525550001234",
                "to": "525512345678",
                "text": "Le saluda Cobranzas Andinas.",
                "language": "es",
                "notifyUrl": "https://cobro.example/webhooks/infobip/status"
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "bulkId": "8c20f086-d82b-48cc-b2b3-3ca5f7aca9fb",
                "messages": [{
                    "to": "525512345678",
                    "status": {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED", "description": "Message sent to next instance"},
                    "messageId": "06df139a-7eb5-4a6e-902e-40e892210455"
                }]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let mut cfg = InfobipVoiceConfig::new(server.uri(), "ib-api-key-123");
        cfg.from = Some("+525550001234".into());
        let ch = InfobipVoice::new(cfg).expect("config");
        let mut msg = sms_message("c/a/d7", "+525512345678", "Le saluda Cobranzas Andinas.");
        msg.channel = cobro_campaigns::ChannelKind::Voice;
        msg.from = String::new();
        msg.status_callback = Some("https://cobro.example/webhooks/infobip/status".into());
        let r = ch.send(&msg).await.expect("queued");
        assert_eq!(r.provider_id, "06df139a-7eb5-4a6e-902e-40e892210455");
    }
}

mod webhook {
    use super::*;
    use cobro_channels::Secret;
    use cobro_channels::providers::webhook::{WebhookChannel, WebhookConfig};

    fn config(server: &MockServer) -> WebhookConfig {
        let mut cfg =
            WebhookConfig::new("agregador-local", format!("{}/api/v1/send", server.uri()));
        cfg.headers
            .insert("Authorization".into(), Secret::new("Bearer tok-999"));
        cfg.body_template = Some(
            r#"{"msisdn": {{ to }}, "texto": {{ text }}, "ref": {{ contact_id }}, "partes": {{ segments }}}"#.into(),
        );
        cfg.id_pointer = "/data/id".into();
        cfg.opted_out_statuses = vec![410];
        cfg.timeout = Duration::from_millis(500);
        cfg
    }

    fn exact_request() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/api/v1/send"))
            .and(header("authorization", "Bearer tok-999"))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "msisdn": "+525512345678",
                "texto": "Dijo \"pague\" — ¿sí?",
                "ref": "c/a/s",
                "partes": 1
            })))
    }

    #[tokio::test]
    async fn templated_body_and_id_pointer() {
        let server = MockServer::start().await;
        exact_request()
            .respond_with(ResponseTemplate::new(202).set_body_json(json!({"data": {"id": 98765}})))
            .expect(1)
            .mount(&server)
            .await;
        let ch = WebhookChannel::new(config(&server)).expect("config");
        let r = ch
            .send(&sms_message(
                "c/a/s",
                "+525512345678",
                "Dijo \"pague\" — ¿sí?",
            ))
            .await
            .expect("sent");
        assert_eq!(r.provider, "agregador-local");
        assert_eq!(r.provider_id, "98765");
        assert_eq!(r.segments, Some(1));
    }

    #[tokio::test]
    async fn statuses_map_to_classes() {
        for (status, class) in [
            (410, "opted_out"),
            (422, "permanent"),
            (503, "transient"),
            (429, "throttled"),
        ] {
            let server = MockServer::start().await;
            exact_request()
                .respond_with(ResponseTemplate::new(status).insert_header("Retry-After", "1"))
                .mount(&server)
                .await;
            let ch = WebhookChannel::new(config(&server)).expect("config");
            let err = ch
                .send(&sms_message(
                    "c/a/s",
                    "+525512345678",
                    "Dijo \"pague\" — ¿sí?",
                ))
                .await
                .expect_err("error");
            assert_eq!(err.class(), class, "{status}: {err:?}");
        }
    }

    #[tokio::test]
    async fn default_body_is_the_message() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/hook"))
            .and(body_json(json!({
                "contact_id": "c/a/s",
                "channel": "sms",
                "to": "+525512345678",
                "from": "+15557122661",
                "language": "es-MX",
                "text": "hola",
                "status_callback": "https://cobro.example/webhooks/twilio/status",
                "segments": 1,
                "encoding": "gsm7"
            })))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        let ch = WebhookChannel::new(WebhookConfig::new("hook", format!("{}/hook", server.uri())))
            .expect("config");
        let r = ch
            .send(&sms_message("c/a/s", "+525512345678", "hola"))
            .await
            .expect("sent");
        // No id in the answer: the contact id is the handle.
        assert_eq!(r.provider_id, "c/a/s");
    }

    #[tokio::test]
    async fn voice_over_webhook_plays_a_recording() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/voz"))
            .and(body_json(json!({"numero": "+525512345678", "audio": "https://cdn.example/a.mp3", "idioma": "es-MX"})))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "llamada-1"})))
            .expect(1)
            .mount(&server)
            .await;
        let mut cfg = cobro_channels::providers::webhook::WebhookConfig::new(
            "ivr-local",
            format!("{}/voz", server.uri()),
        );
        cfg.body_template = Some(
            r#"{"numero": {{ to }}, "audio": {{ voice.url }}, "idioma": {{ language }}}"#.into(),
        );
        let ch = cobro_channels::providers::webhook::WebhookChannel::new(cfg).expect("config");
        let mut msg = sms_message("c/a/d7", "+525512345678", "texto");
        msg.channel = cobro_campaigns::ChannelKind::Voice;
        msg.voice = Some(cobro_channels::VoiceContent::Play {
            url: "https://cdn.example/a.mp3".into(),
        });
        let r = ch.send(&msg).await.expect("queued");
        assert_eq!(r.provider_id, "llamada-1");
        assert_eq!(r.segments, None);
    }

    #[test]
    fn bad_template_fails_at_start() {
        let mut cfg = WebhookConfig::new("x", "http://127.0.0.1:1/");
        cfg.body_template = Some("{{ to ".into());
        assert!(WebhookChannel::new(cfg).is_err());
        assert!(WebhookChannel::new(WebhookConfig::new("x", "ftp://nope")).is_err());
    }
}
