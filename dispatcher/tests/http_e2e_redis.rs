//! End to end on Redis: `cobro serve --workers` on a private redis-server
//! sends SMS through a Twilio double (wiremock); the campaign is launched
//! through the API; the test then plays Twilio's side of the loop, posting
//! signed status callbacks to the URL each message carried and a `BAJA`
//! reply, and checks that the next contact for that number is cancelled
//! while the other debtor's stays planned.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cobro_dispatcher::http::auth::twilio_signature;
use cobro_dispatcher::testing::open_around_the_clock_pack;
use cobro_testkit::{ChildProcess, RedisServer, free_port};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TWILIO_TOKEN: &str = "e2e-twilio-token";
const API_TOKEN: &str = "e2e-api-token";
const PHONE_A: &str = "+525511112222";
const PHONE_B: &str = "+525533334444";

fn write_campaign(dir: &Path, port: u16, twilio_base: &str) -> std::path::PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/examples")
        .canonicalize()
        .expect("examples");
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let header = "id,creditor,debtor_name,tax_id,amount_due,currency,due_date,segment,language,country,subdivision,timezone,phone,phone_role,phone_provenance,phone_flags,consent_sms,consent_voice,email,email_role,email_provenance,email_flags,consent_email,phone2,phone2_role,phone2_provenance,flags,payment_link";
    let row = |id: &str, name: &str, phone: &str| {
        format!(
            "{id},Banco Ejemplo,{name},,1500.00,MXN,2026-09-01,temprana,es-MX,MX,MX-CMX,America/Mexico_City,{phone},debtor,creditor_file,,yes,,,,,,,,,,,"
        )
    };
    std::fs::write(
        dir.join("portfolio.csv"),
        format!(
            "{header}\n{}\n{}\n",
            row("EXP-A", "Ana Pérez", PHONE_A),
            row("EXP-B", "Beto Ruiz", PHONE_B)
        ),
    )
    .expect("portfolio");
    std::fs::write(
        dir.join("anytime.toml"),
        open_around_the_clock_pack(&["debtor"], &[]),
    )
    .expect("pack");
    std::fs::write(
        dir.join("strategy.toml"),
        "id = \"e2e\"\nstop_on = [\"paid\", \"opt_out\"]\n\n\
         [[steps]]\nid = \"s1\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\n\n\
         [[steps]]\nid = \"s2\"\nday = 20\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\n",
    )
    .expect("strategy");
    let campaign = dir.join("campaign.toml");
    std::fs::write(
        &campaign,
        format!(
            "id = \"e2e\"\nstart_date = \"{yesterday}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = {:?}\n\n\
             [rules]\ndefault = [\"anytime.toml\"]\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://pagos.example/p/\"\n",
            examples.join("templates").display().to_string()
        ),
    )
    .expect("campaign");
    std::fs::write(
        dir.join("cobro.toml"),
        format!(
            "[worker]\nconcurrency = 4\nbatch_size = 4\npoll_interval_ms = 50\n\n\
             [http]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\n\
             [channels.sms]\nprovider = \"twilio\"\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token = \"${{TWILIO_AUTH_TOKEN}}\"\nbase_url = \"{twilio_base}\"\n"
        ),
    )
    .expect("cobro.toml");
    campaign
}

/// A Twilio callback signed over the URL it goes to.
async fn post_signed(
    client: &reqwest::Client,
    url: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let response = client
        .post(url)
        .header(
            "x-twilio-signature",
            twilio_signature(TWILIO_TOKEN, url, &owned),
        )
        .form(params)
        .send()
        .await
        .expect("post callback");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

async fn api_get(client: &reqwest::Client, base: &str, path: &str) -> Value {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_callbacks_and_a_baja_reply_close_the_loop_on_redis() {
    let redis = RedisServer::start().expect("redis-server (scripts/test-deps.sh installs it)");
    let twilio = MockServer::start().await;
    let counter = Arc::new(AtomicU64::new(0));
    let sids = counter.clone();
    Mock::given(method("POST"))
        .and(path_regex(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$"))
        .respond_with(move |_: &wiremock::Request| {
            let n = sids.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(201).set_body_json(
                json!({"sid": format!("SM{n:032}"), "status": "queued", "num_segments": "1"}),
            )
        })
        .mount(&twilio)
        .await;

    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let campaign = write_campaign(dir.path(), port, &twilio.uri());
    let mut child = Command::new(env!("CARGO_BIN_EXE_cobro"))
        .args([
            "serve",
            "--workers",
            "4",
            "--campaign",
            campaign.to_str().expect("utf-8"),
            "--store",
            &redis.url(),
        ])
        .args([
            "--config",
            dir.path().join("cobro.toml").to_str().expect("utf-8"),
        ])
        .args([
            "--outbox",
            dir.path().join("outbox").to_str().expect("utf-8"),
        ])
        .current_dir(dir.path())
        .env_remove("COBRO_STORE")
        .env("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
        .env("COBRO_API_TOKEN", API_TOKEN)
        .env("COBRO_LINK_SECRET", "e2e-link-secret")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("serve.log")).expect("log"))
        .spawn()
        .expect("start cobro serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut serve = ChildProcess::new(child, "cobro serve");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("listening line");
    assert!(
        line.contains(&format!("127.0.0.1:{port}")),
        "serve said {line:?}; log: {}",
        log(dir.path())
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    // Launch through the API (on the Redis store).
    let response = client
        .post(format!("{base}/api/campaigns"))
        .bearer_auth(API_TOKEN)
        .json(&json!({"campaign_file": campaign.display().to_string()}))
        .send()
        .await
        .expect("launch");
    assert_eq!(
        response.status().as_u16(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );

    // The workers send step s1 to both debtors through the Twilio double.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let progress = api_get(&client, &base, "/api/campaigns/e2e").await;
        if progress["states"]["sent"] == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "s1 not sent within 60 s: {progress}; log: {}",
            log(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let requests = twilio.received_requests().await.expect("recorded requests");
    assert_eq!(requests.len(), 2, "one SMS per debtor");

    // The in-process workers' sends show in serve's /metrics (each timed
    // before its store write, so both are in by now), next to the queue
    // read from Redis; /healthz checks that queue too.
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    for line in [
        "cobro_provider_request_duration_seconds_count{provider=\"twilio\",channel=\"sms\",outcome=\"ok\"} 2",
        "cobro_queue_up{queue=\"cobro:contacts\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing `{line}` in\n{metrics}"
        );
    }
    let health: Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz")
        .json()
        .await
        .expect("healthz json");
    assert_eq!(
        health,
        json!({"status": "ok", "store": "ok", "queue": "ok"})
    );

    // Twilio's side: a delivered callback to the StatusCallback each message named.
    for request in &requests {
        let form: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&request.body).expect("form");
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let callback = get("StatusCallback");
        // The contact's signed reference rides along (issue 15's
        // reconciliation), so a report can name a contact whose send
        // never learned its sid.
        assert!(
            callback.starts_with(&format!("{base}/webhooks/twilio/status?cobro_ref=")),
            "{callback}"
        );
        let account = if get("To") == PHONE_A {
            "EXP-A"
        } else {
            "EXP-B"
        };
        let history = api_get(&client, &base, &format!("/api/accounts/{account}/history")).await;
        let sid = history["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["state"] == "sent")
            .and_then(|r| r["provider_id"].as_str())
            .expect("sent row with the Twilio sid")
            .to_string();
        let params = [
            ("MessageSid", sid.as_str()),
            ("MessageStatus", "delivered"),
            ("To", PHONE_A),
        ];
        let (status, body) = post_signed(&client, &callback, &params).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("recorded"), "{body}");
        // Twilio retries: a replay changes nothing.
        let (status, body) = post_signed(&client, &callback, &params).await;
        assert_eq!(status, 200);
        assert!(body.contains("unchanged"), "{body}");
    }
    let progress = api_get(&client, &base, "/api/campaigns/e2e").await;
    assert_eq!(progress["states"]["delivered"], 2, "{progress}");

    // A forged reply changes nothing.
    let forged = client
        .post(format!("{base}/webhooks/twilio/inbound"))
        .header("x-twilio-signature", "Zm9yZ2Vk")
        .form(&[("From", PHONE_A), ("Body", "BAJA")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(
        api_get(&client, &base, "/api/campaigns/e2e").await["states"]["cancelled"],
        0
    );

    // Debtor A answers BAJA: A's next SMS is cancelled, B's stays planned.
    let inbound = format!("{base}/webhooks/twilio/inbound");
    let (status, body) = post_signed(
        &client,
        &inbound,
        &[
            ("MessageSid", "SMinbound1"),
            ("From", PHONE_A),
            ("To", "COBRANZA"),
            ("Body", "BAJA"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<Response/>"), "{body}");
    let history = api_get(&client, &base, "/api/accounts/EXP-A/history").await;
    let next = history["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["contact_id"] == "e2e/EXP-A/s2")
        .cloned();
    let next = next.unwrap_or_else(|| panic!("no ledger row for A's next contact: {history}"));
    assert_eq!(next["state"], "cancelled");
    assert_eq!(next["code"], "opt_out");
    let progress = api_get(&client, &base, "/api/campaigns/e2e").await;
    assert_eq!(progress["states"]["cancelled"], 1, "{progress}");
    assert_eq!(
        progress["states"]["pending"], 1,
        "B's next contact is still planned: {progress}"
    );
    let suppressions = api_get(&client, &base, "/api/suppressions").await;
    assert!(
        suppressions["suppressions"]
            .as_array()
            .expect("list")
            .iter()
            .any(|s| s["address"] == PHONE_A && s["channel"] == "sms"),
        "{suppressions}"
    );
    assert_eq!(
        twilio.received_requests().await.expect("requests").len(),
        2,
        "nothing else was sent"
    );

    let status = serve.stop();
    assert!(
        status.success(),
        "cobro serve exited with {status} after SIGTERM; log: {}",
        log(dir.path())
    );
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("serve.log"))
        .unwrap_or_default()
        .chars()
        .rev()
        .take(3000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}
