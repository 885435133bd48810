//! Security checks on an end-to-end run with `RUST_LOG=debug`: no phone
//! number or email address of the portfolio appears unmasked in any log
//! (launch, workers sending through Twilio and SMTP with provider faults,
//! `cobro serve` handling a STOP reply), no secret appears in any log, and
//! the API refuses requests without the bearer token (401).

use std::collections::BTreeSet;
use std::time::Duration;

use cobro_dispatcher::http::auth::twilio_signature;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{RedisServer, SmtpSink, free_port};
use cobro_tests::{
    FaultySmtpProxy, FaultyTwilio, cobro_bin, form_encode, http_request, repo_root, spawn_serve,
    spawn_worker_with_env, terminate_child, wait_campaign_done,
};

const TWILIO_TOKEN: &str = "SECRET-twilio-7f3a9c1e";
const API_TOKEN: &str = "SECRET-api-4b8d2e6f";
const LINK_SECRET: &str = "SECRET-link-9e1c5a7b";
const SMTP_PASSWORD: &str = "SECRET-smtp-2d4f6a8c";
const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form in which an address of the portfolio could leak: as
/// written, normalised, digits only, the national number.
fn needles(dir: &std::path::Path) -> BTreeSet<String> {
    let accounts = cobro_campaigns::import::import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let mut out = BTreeSet::new();
    for account in &accounts {
        for point in &account.contact_points {
            let a = point.address.clone();
            if a.contains('@') {
                out.insert(a.to_lowercase());
            } else {
                let digits: String = a.chars().filter(char::is_ascii_digit).collect();
                out.insert(a.clone());
                out.insert(digits.clone());
                // The last 10 digits (national number in MX/CO/US…).
                if digits.len() > 10 {
                    out.insert(digits[digits.len() - 10..].to_string());
                }
            }
        }
    }
    // Raw forms as written in the file (e.g. "81 8477 2272").
    let raw = std::fs::read_to_string(dir.join("portfolio.csv")).expect("portfolio");
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let headers = reader.headers().expect("header").clone();
    for record in reader.records() {
        let record = record.expect("row");
        for (name, value) in headers.iter().zip(record.iter()) {
            if matches!(name, "phone" | "phone2" | "email") && value.trim().len() >= 8 {
                out.insert(value.trim().to_lowercase());
            }
        }
    }
    out
}

#[test]
fn addresses_and_secrets_never_reach_the_logs_and_the_api_needs_its_token() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let twilio = FaultyTwilio::start(0x5EC, 0.3, Duration::from_millis(2500));
    let sink = SmtpSink::start(&[]);
    let proxy = FaultySmtpProxy::start(sink.port, 0x5ED, 0.3, Duration::from_millis(2500));
    let port = free_port();
    let mut settings = format!(
        "[worker]\nconcurrency = 8\nbatch_size = 4\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 10\nretry_base_backoff_secs = 1\nmax_attempts = 3\n\n\
         [http]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n"
    );
    for kind in ["sms", "voice"] {
        settings.push_str(&format!(
            "\n[channels.{kind}]\nprovider = \"twilio\"\naccount_sid = \"{ACCOUNT_SID}\"\nauth_token = \"${{TWILIO_AUTH_TOKEN}}\"\nbase_url = \"{}\"\ntimeout = \"1500ms\"\n",
            twilio.base_url()
        ));
    }
    settings.push_str(&format!(
        "\n[channels.email]\nprovider = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Cobranzas <avisos@cobranzas.example>\"\ntimeout = \"1500ms\"\nusername = \"cobro\"\npassword = \"${{COBRO_TEST_SMTP_PASSWORD}}\"\n",
        proxy.port
    ));
    std::fs::write(dir.join("cobro.toml"), &settings).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 60, 0x5EC);
    let env = [
        ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
        ("COBRO_API_TOKEN", API_TOKEN),
        ("COBRO_LINK_SECRET", LINK_SECRET),
        ("COBRO_TEST_SMTP_PASSWORD", SMTP_PASSWORD),
        ("RUST_LOG", "debug"),
    ];

    // Launch, with debug logs.
    let launch = std::process::Command::new(cobro_bin())
        .args([
            "launch",
            campaign.to_str().expect("utf-8"),
            "--store",
            &store,
        ])
        .arg("--config")
        .arg(dir.join("cobro.toml"))
        .current_dir(dir)
        .env_remove("COBRO_STORE")
        .envs(env)
        .output()
        .expect("launch");
    assert!(
        launch.status.success(),
        "{}",
        String::from_utf8_lossy(&launch.stderr)
    );
    std::fs::write(
        dir.join("launch.log"),
        [launch.stdout, launch.stderr].concat(),
    )
    .expect("log");

    // The HTTP service with workers, sending everything.
    let mut serve = spawn_serve(
        dir,
        &[
            "--workers",
            "8",
            "--campaign",
            campaign.to_str().expect("utf-8"),
            "--store",
            &store,
            "--outbox",
            dir.join("outbox").to_str().expect("utf-8"),
        ],
        &env,
        "serve.log",
    );
    // A second worker process too.
    let mut worker = spawn_worker_with_env(dir, &store, &campaign, "worker.log", &env);

    // The API: no token, a wrong token, the right one.
    let (status, _) = http_request(port, "GET", "/api/campaigns", &[], b"").expect("api");
    assert_eq!(status, 401, "API without a token");
    let (status, _) = http_request(
        port,
        "GET",
        "/api/campaigns",
        &[("Authorization", "Bearer wrong-token")],
        b"",
    )
    .expect("api");
    assert_eq!(status, 401, "API with a wrong token");
    let (status, _) = http_request(
        port,
        "POST",
        "/api/accounts/EXP-0000001/events",
        &[("Content-Type", "application/json")],
        b"{\"kind\":\"payment\"}",
    )
    .expect("api");
    assert_eq!(status, 401, "an event without a token");
    let bearer = format!("Bearer {API_TOKEN}");
    let (status, text) = http_request(
        port,
        "GET",
        "/api/campaigns",
        &[("Authorization", &bearer)],
        b"",
    )
    .expect("api");
    assert_eq!(status, 200, "API with the token: {text}");

    // A STOP reply from a debtor of the portfolio.
    let accounts = cobro_campaigns::import::import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let phone = accounts
        .iter()
        .find_map(|a| a.contact_point_for(cobro_campaigns::ChannelKind::Sms))
        .expect("a phone")
        .address
        .clone();
    let url = format!("http://127.0.0.1:{port}/webhooks/twilio/inbound");
    let params = [
        ("MessageSid", "SMsecurity000000000000000000000001"),
        ("From", phone.as_str()),
        ("To", "+525550001234"),
        ("Body", "BAJA"),
    ];
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig = twilio_signature(TWILIO_TOKEN, &url, &owned);
    let (status, text) = http_request(
        port,
        "POST",
        "/webhooks/twilio/inbound",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", &sig),
        ],
        form_encode(&params).as_bytes(),
    )
    .expect("inbound");
    assert!((200..300).contains(&status), "STOP: {status} {text}");

    wait_campaign_done(dir, &store, "now", Duration::from_secs(120));
    terminate_child(&mut worker);
    terminate_child(&mut serve);
    assert!(!twilio.hits().is_empty(), "SMS went through Twilio");
    assert!(!sink.messages().is_empty(), "email went through SMTP");

    let mut logs = String::new();
    for name in ["launch.log", "serve.log", "worker.log"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("log");
        assert!(
            name == "launch.log" || text.contains("DEBUG"),
            "{name} has no debug lines: RUST_LOG=debug was not honoured"
        );
        logs.push_str(&text);
    }
    // The logs do talk about recipients (masked), so the check below
    // looks at lines that would carry an address.
    assert!(
        logs.contains("***@") && logs.contains("send failed"),
        "expected masked recipients in the send logs"
    );
    let lower = logs.to_lowercase();
    let addresses = needles(dir);
    assert!(
        addresses.len() > 60,
        "addresses to look for: {}",
        addresses.len()
    );
    let leaked: Vec<&String> = addresses
        .iter()
        .filter(|a| lower.contains(a.as_str()))
        .collect();
    let example = leaked.first().map(|a| {
        lower
            .lines()
            .find(|l| l.contains(a.as_str()))
            .unwrap_or("")
            .chars()
            .take(400)
            .collect::<String>()
    });
    assert!(
        leaked.is_empty(),
        "{} addresses appear unmasked in the logs ({} bytes), e.g. {:?}: {example:?}",
        leaked.len(),
        logs.len(),
        leaked.iter().take(5).collect::<Vec<_>>()
    );
    let basic = base64(format!("{ACCOUNT_SID}:{TWILIO_TOKEN}").as_bytes());
    let smtp_plain = base64(format!("\0cobro\0{SMTP_PASSWORD}").as_bytes());
    for (name, secret) in [
        ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
        ("COBRO_API_TOKEN", API_TOKEN),
        ("COBRO_LINK_SECRET", LINK_SECRET),
        ("SMTP password", SMTP_PASSWORD),
        ("Twilio basic auth", basic.as_str()),
        ("SMTP AUTH PLAIN", smtp_plain.as_str()),
    ] {
        assert!(!logs.contains(secret), "{name} appears in the logs");
    }

    // Without COBRO_API_TOKEN the API is closed, not open.
    let bare = tempfile::tempdir().expect("temp dir");
    let bare_port = free_port();
    std::fs::write(
        bare.path().join("cobro.toml"),
        format!("[http]\nbind = \"127.0.0.1:{bare_port}\"\n"),
    )
    .expect("settings");
    let bare_store = format!("sqlite://{}", bare.path().join("b.db").display());
    let mut no_token = spawn_serve(bare.path(), &["--store", &bare_store], &[], "serve.log");
    for auth in [None, Some("Bearer "), Some("Bearer anything")] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let (status, text) =
            http_request(bare_port, "GET", "/api/campaigns", &headers, b"").expect("api");
        assert!(
            status == 401 || status == 503,
            "API without a configured token answered {status}: {text}"
        );
    }
    terminate_child(&mut no_token);
    let _ = repo_root();
}
