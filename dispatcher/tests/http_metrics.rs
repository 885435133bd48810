//! Issue 6 item 6 through the Router: provider latency and errors and
//! decisions by rule after real sends (outbox, a Twilio double), queue jobs
//! read from apalis itself, `/healthz` naming the queue when its Redis is
//! gone, and `cobro work --metrics-bind` serving a worker's own metrics.

mod http_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqliteStorage};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use cobro_campaigns::ChannelKind;
use cobro_channels::Channel;
use cobro_channels::outbox::OutboxChannel;
use cobro_config::Settings;
use cobro_dispatcher::cli::common::{dispatcher, load_campaign, load_templates};
use cobro_dispatcher::dispatch_metrics::DispatchMetrics;
use cobro_dispatcher::engine::ProcessOutcome;
use cobro_dispatcher::http::metrics::{Metrics, WorkerMetricsState, worker_router};
use cobro_dispatcher::http::{AppState, router};
use cobro_dispatcher::launch::launch;
use cobro_dispatcher::queue::{ContactBatch, QueueBackend};
use cobro_dispatcher::queue_probe::QueueProbe;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::{LedgerEntry, LedgerState, Suppression, prelude::*};
use cobro_dispatcher::testing::open_around_the_clock_pack;
use cobro_dispatcher::transports::channel_set_from_settings;
use cobro_testkit::{ChildProcess, RedisServer};
use http_body_util::BodyExt;
use http_common::*;
use tower::ServiceExt;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CAMPAIGN: &str = "metrics-test";
const PHONE_A: &str = "+525511112222";
const PHONE_B: &str = "+525533334444";
const PHONE_C: &str = "+525555556666";
const QUEUE: &str = "cobro:contacts";

/// A campaign of one SMS step due now, under a pack `anytime` that is open
/// around the clock and allows only debtors; one row per `(id, phone,
/// phone_role)`. `cobro_toml` is the settings file's text.
fn write_campaign(dir: &Path, debtors: &[(&str, &str, &str)], cobro_toml: &str) -> PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/examples")
        .canonicalize()
        .expect("examples");
    let yesterday = (Utc::now() - chrono::Duration::days(1)).date_naive();
    let mut csv = String::from(
        "id,creditor,debtor_name,tax_id,amount_due,currency,due_date,segment,language,country,subdivision,timezone,phone,phone_role,phone_provenance,phone_flags,consent_sms,consent_voice,email,email_role,email_provenance,email_flags,consent_email,phone2,phone2_role,phone2_provenance,flags,payment_link\n",
    );
    for (id, phone, role) in debtors {
        csv.push_str(&format!(
            "{id},Banco Ejemplo,Ana Pérez,,1500.00,MXN,2026-09-01,temprana,es-MX,MX,MX-CMX,America/Mexico_City,{phone},{role},creditor_file,,yes,,,,,,,,,,,\n"
        ));
    }
    std::fs::write(dir.join("portfolio.csv"), csv).expect("portfolio");
    std::fs::write(
        dir.join("anytime.toml"),
        open_around_the_clock_pack(&["debtor"], &[]),
    )
    .expect("pack");
    std::fs::write(
        dir.join("strategy.toml"),
        "id = \"m\"\nstop_on = [\"paid\", \"opt_out\"]\n\n\
         [[steps]]\nid = \"s1\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\n",
    )
    .expect("strategy");
    let campaign = dir.join("campaign.toml");
    std::fs::write(
        &campaign,
        format!(
            "id = \"{CAMPAIGN}\"\nstart_date = \"{yesterday}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = {:?}\n\n\
             [rules]\ndefault = [\"anytime.toml\"]\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://pagos.example/p/\"\n",
            examples.join("templates").display().to_string()
        ),
    )
    .expect("campaign");
    std::fs::write(dir.join("cobro.toml"), cobro_toml).expect("cobro.toml");
    campaign
}

/// Launches the campaign into `store` and runs its due contacts once
/// through a dispatcher whose transports (built from `cobro.toml`, the
/// outbox otherwise) and decisions record into the returned registry: what
/// `cobro work` and `serve --workers` do.
async fn dispatch_once(
    store: &Arc<AnyStore>,
    dir: &Path,
    campaign: &Path,
) -> (Arc<DispatchMetrics>, Vec<ProcessOutcome>) {
    let loaded = load_campaign(campaign).expect("campaign loads");
    let templates = load_templates(&loaded.templates_dir).expect("templates");
    let report = launch(store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .expect("launch");
    assert!(report.planned > 0, "nothing planned: {report:?}");
    let settings = Settings::load(&dir.join("cobro.toml")).expect("settings");
    let outbox: Arc<dyn Channel> =
        Arc::new(OutboxChannel::new(dir.join("outbox")).expect("outbox"));
    let metrics = DispatchMetrics::new();
    let channels = channel_set_from_settings(&settings, outbox, "sqlite://unused.db")
        .await
        .expect("transports")
        .metered(&metrics);
    let mut d = dispatcher(store.clone(), &loaded, templates, channels, PUBLIC_URL);
    d.metrics = Some(metrics.clone());
    let records = store
        .claim_due(Utc::now(), 100)
        .await
        .expect("claim due contacts");
    assert_eq!(records.len() as u64, report.planned, "every contact is due");
    let outcomes = d
        .process_batch(records, Utc::now())
        .await
        .into_iter()
        .map(|r| r.expect("pipeline ran"))
        .collect();
    (metrics, outcomes)
}

async fn get(app: &Router, path: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn assert_lines(text: &str, lines: &[String]) {
    for line in lines {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
}

/// The value of the sample whose name and labels are exactly `series`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample `{series}` in\n{text}"))
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn outbox_sends_show_latency_and_decisions_by_rule() {
    let env = setup().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // B's only phone belongs to a third party, which the pack refuses; C's
    // number is on the suppression list, which the guard checks before any
    // pack: blocked by rule `suppression`, not by `anytime`.
    let campaign = write_campaign(
        dir.path(),
        &[
            ("EXP-A", PHONE_A, "debtor"),
            ("EXP-B", PHONE_B, "third_party"),
            ("EXP-C", PHONE_C, "debtor"),
        ],
        "",
    );
    env.store
        .suppress(&Suppression {
            channel: Some(ChannelKind::Sms),
            address: PHONE_C.into(),
            prefix: false,
            source: "officer".into(),
            at: Utc::now(),
        })
        .await
        .expect("suppress");
    let (metrics, mut outcomes) = dispatch_once(&env.store, dir.path(), &campaign).await;
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert!(
        matches!(
            outcomes.as_slice(),
            [
                ProcessOutcome::Blocked,
                ProcessOutcome::Blocked,
                ProcessOutcome::Sent { .. }
            ]
        ),
        "{outcomes:?}"
    );
    let app = router(
        AppState::new(env.store.clone(), config())
            .with_dispatch_metrics(metrics)
            .with_metrics(Metrics::with_ledger_ttl(Duration::ZERO)),
    );
    let (status, text) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let ok = "provider=\"outbox\",channel=\"sms\",outcome=\"ok\"";
    assert_lines(
        &text,
        &[
            format!("cobro_provider_request_duration_seconds_count{{{ok}}} 1"),
            format!("cobro_provider_request_duration_seconds_bucket{{{ok},le=\"+Inf\"}} 1"),
            "cobro_provider_errors_total{provider=\"outbox\",channel=\"sms\",class=\"transient\"} 0".into(),
            format!("cobro_decisions_total{{campaign=\"{CAMPAIGN}\",channel=\"sms\",decision=\"allowed\",code=\"\",rule=\"anytime\"}} 1"),
            format!("cobro_decisions_total{{campaign=\"{CAMPAIGN}\",channel=\"sms\",decision=\"blocked\",code=\"target_not_allowed\",rule=\"anytime\"}} 1"),
            format!("cobro_decisions_total{{campaign=\"{CAMPAIGN}\",channel=\"sms\",decision=\"blocked\",code=\"suppressed\",rule=\"suppression\"}} 1"),
            // The store-derived gauge agrees.
            format!("cobro_decisions{{campaign=\"{CAMPAIGN}\",state=\"blocked\",code=\"target_not_allowed\"}} 1"),
            "# TYPE cobro_provider_request_duration_seconds histogram".into(),
        ],
    );
    assert!(
        sample(
            &text,
            &format!("cobro_provider_request_duration_seconds_sum{{{ok}}}")
        ) > 0.0,
        "a send takes time"
    );
    // `sent` is an outcome, not a decision; no queue without a probe.
    assert!(!text.contains("decision=\"sent\""), "{text}");
    assert!(!text.contains("cobro_queue_jobs"), "{text}");
}

#[tokio::test]
async fn provider_500_and_429_are_counted_by_error_class() {
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$"))
        .respond_with(|request: &wiremock::Request| {
            let body = String::from_utf8_lossy(&request.body).into_owned();
            if body.contains("5511112222") {
                ResponseTemplate::new(500).set_body_string("upstream broke")
            } else {
                ResponseTemplate::new(429).set_body_json(serde_json::json!({
                    "code": 20429, "message": "Too Many Requests", "status": 429
                }))
            }
        })
        .mount(&twilio)
        .await;
    let env = setup().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let campaign = write_campaign(
        dir.path(),
        &[("EXP-A", PHONE_A, "debtor"), ("EXP-B", PHONE_B, "debtor")],
        &format!(
            "[channels.sms]\nprovider = \"twilio\"\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token = \"token\"\nbase_url = \"{}\"\n",
            twilio.uri()
        ),
    );
    let (metrics, outcomes) = dispatch_once(&env.store, dir.path(), &campaign).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, ProcessOutcome::Rescheduled(_))),
        "both retried later: {outcomes:?}"
    );
    assert_eq!(
        twilio.received_requests().await.expect("recorded").len(),
        2,
        "both reached the provider"
    );
    let app = router(AppState::new(env.store.clone(), config()).with_dispatch_metrics(metrics));
    let (status, text) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let errors = "cobro_provider_errors_total{provider=\"twilio\",channel=\"sms\"";
    assert_lines(
        &text,
        &[
            format!("{errors},class=\"transient\"}} 1"),
            format!("{errors},class=\"throttled\"}} 1"),
            format!("{errors},class=\"permanent\"}} 0"),
            "cobro_provider_request_duration_seconds_count{provider=\"twilio\",channel=\"sms\",outcome=\"transient\"} 1".into(),
            "cobro_provider_request_duration_seconds_count{provider=\"twilio\",channel=\"sms\",outcome=\"throttled\"} 1".into(),
            // Allowed by the pack, then failed at the provider: the allowed
            // rows were recorded with the retry.
            format!("cobro_decisions_total{{campaign=\"{CAMPAIGN}\",channel=\"sms\",decision=\"allowed\",code=\"\",rule=\"anytime\"}} 2"),
        ],
    );
    assert!(
        !text.contains("outcome=\"ok\""),
        "no send succeeded:\n{text}"
    );
}

/// Pushes `n` (empty) jobs the way the feeder does.
async fn push_redis_jobs(url: &str, n: usize) {
    let conn = redis::aio::ConnectionManager::new(redis::Client::open(url).expect("url"))
        .await
        .expect("connect");
    let mut storage = apalis_redis::RedisStorage::<ContactBatch>::new(conn)
        .with_config(apalis_redis::Config::default().queue(QUEUE));
    storage
        .push_bulk(vec![ContactBatch { contacts: vec![] }; n])
        .await
        .expect("push");
}

#[tokio::test]
async fn healthz_names_the_queue_when_its_redis_is_gone() {
    let mut redis = RedisServer::start().expect("redis-server (scripts/test-deps.sh installs it)");
    push_redis_jobs(&redis.url(), 3).await;
    let env = setup().await;
    let probe =
        QueueProbe::new(&QueueBackend::Redis(redis.url()), QUEUE).expect("probe of the queue");
    let app = router(AppState::new(env.store.clone(), config()).with_queue(Arc::new(probe)));

    let (status, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"status": "ok", "store": "ok", "queue": "ok"})
    );
    // The OpenAPI description names exactly these fields.
    let (_, spec) = get(&app, "/api/openapi.json").await;
    let mut documented: Vec<String> =
        serde_json::from_value(json(&spec)["components"]["schemas"]["Health"]["required"].clone())
            .expect("Health schema lists its fields");
    documented.sort();
    let mut answered: Vec<String> = json(&body)
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    answered.sort();
    assert_eq!(documented, answered);
    let (status, text) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_lines(
        &text,
        &[
            format!("cobro_queue_up{{queue=\"{QUEUE}\"}} 1"),
            format!("cobro_queue_jobs{{queue=\"{QUEUE}\",state=\"pending\"}} 3"),
            format!("cobro_queue_jobs{{queue=\"{QUEUE}\",state=\"running\"}} 0"),
            format!("cobro_queue_jobs{{queue=\"{QUEUE}\",state=\"dead\"}} 0"),
        ],
    );

    redis.kill();
    let started = Instant::now();
    let (status, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let health = json(&body);
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["store"], "ok", "the store is fine: {health}");
    let queue = health["queue"].as_str().expect("queue names its error");
    assert_ne!(queue, "ok");
    assert!(
        queue.contains(&format!("127.0.0.1:{}", redis.port())),
        "names the queue's Redis: {queue}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a health check must not hang"
    );
    // The scrape still answers, saying the queue is down.
    let (status, text) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_lines(&text, &[format!("cobro_queue_up{{queue=\"{QUEUE}\"}} 0")]);
    assert!(!text.contains("cobro_queue_jobs{"), "{text}");
}

#[tokio::test]
async fn a_worker_router_reads_the_sqlite_queue_and_stays_off_the_store_gauges() {
    let env = setup().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .expect("options")
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.expect("queue file");
    SqliteStorage::setup(&pool).await.expect("apalis tables");
    let mut storage: SqliteStorage<ContactBatch> =
        SqliteStorage::new(&pool).with_config(apalis_sqlite::Config::default().queue(QUEUE));
    storage
        .push_bulk(vec![ContactBatch { contacts: vec![] }; 2])
        .await
        .expect("push");

    let probe = QueueProbe::new(&QueueBackend::Sqlite(url), QUEUE).expect("probe");
    let app = worker_router(WorkerMetricsState {
        store: env.store.clone(),
        dispatch: DispatchMetrics::new(),
        queue: Some(Arc::new(probe)),
    });
    let (status, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["queue"], "ok");
    let (status, text) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_lines(
        &text,
        &[
            format!("cobro_queue_jobs{{queue=\"{QUEUE}\",state=\"pending\"}} 2"),
            format!("cobro_queue_jobs{{queue=\"{QUEUE}\",state=\"scheduled\"}} 0"),
            "# TYPE cobro_decisions_total counter".into(),
        ],
    );
    assert!(
        !text.contains("cobro_contacts{"),
        "store-wide gauges are cobro serve's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cobro_work_serves_its_own_metrics_on_metrics_bind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let campaign = write_campaign(dir.path(), &[("EXP-A", PHONE_A, "debtor")], "");
    let store = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let cobro = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cobro"));
        cmd.args(args)
            .args(["--store", &store])
            .current_dir(dir.path())
            .env_remove("COBRO_STORE")
            .env_remove("COBRO_CONFIG")
            .env_remove("COBRO_METRICS_BIND");
        cmd
    };
    let launched = cobro(&["launch", campaign.to_str().expect("utf-8")])
        .output()
        .expect("cobro launch");
    assert!(
        launched.status.success(),
        "{}",
        String::from_utf8_lossy(&launched.stderr)
    );
    // apalis' SQLite queue, named: the default on SQLite is the
    // in-process queue, which has nothing for a probe to read.
    let queue = format!("sqlite://{}", dir.path().join("queue.db").display());
    let child = cobro(&[
        "work",
        "--campaign",
        campaign.to_str().expect("utf-8"),
        "--queue",
        &queue,
        "--metrics-bind",
        "127.0.0.1:0",
        "--outbox",
        dir.path().join("outbox").to_str().expect("utf-8"),
    ])
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(dir.path().join("work.log")).expect("log"))
    .spawn()
    .expect("start cobro work");
    let mut worker = ChildProcess::new(child, "cobro work");
    let stdout = worker.take_stdout().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("metrics line");
    let base = line
        .split_whitespace()
        .find_map(|w| w.strip_suffix("/metrics,"))
        .unwrap_or_else(|| panic!("no metrics address in {line:?}"))
        .to_string();
    let client = reqwest::Client::new();
    let series = "cobro_provider_request_duration_seconds_count{provider=\"outbox\",channel=\"sms\",outcome=\"ok\"} 1";
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("text");
        if text.lines().any(|l| l == series) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the worker's send never showed in its metrics:\n{text}\nlog: {}",
            std::fs::read_to_string(dir.path().join("work.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_lines(
        &text,
        &[
            format!(
                "cobro_decisions_total{{campaign=\"{CAMPAIGN}\",channel=\"sms\",decision=\"allowed\",code=\"\",rule=\"anytime\"}} 1"
            ),
            format!("cobro_queue_up{{queue=\"{QUEUE}\"}} 1"),
        ],
    );
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status().as_u16(), 200);
    let health: serde_json::Value = health.json().await.expect("json");
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "store": "ok", "queue": "ok"})
    );
    assert!(worker.stop().success(), "SIGTERM ends the worker cleanly");
}

#[tokio::test]
async fn ledger_totals_are_a_snapshot_refreshed_in_the_background() {
    let env = setup().await;
    let sent = seed(&env, "SM1").await;
    let app = router(
        AppState::new(env.store.clone(), config())
            .with_metrics(Metrics::with_ledger_ttl(Duration::from_secs(2))),
    );
    let blocked = |n: usize| {
        format!("cobro_decisions{{campaign=\"c1\",state=\"blocked\",code=\"flagged\"}} {n}")
    };
    let block_one = || async {
        let mut row = LedgerEntry::for_contact(&sent, LedgerState::Blocked, Utc::now());
        row.code = Some("flagged".into());
        env.store.append_ledger(&[row]).await.expect("append");
    };

    block_one().await;
    let (_, text) = get(&app, "/metrics").await;
    assert_lines(&text, &[blocked(1)]);

    // Within the snapshot's age the scrape does not read the ledger again.
    block_one().await;
    let (_, text) = get(&app, "/metrics").await;
    assert_lines(&text, &[blocked(1)]);

    // Once it is older, a scrape still answers from it at once and starts
    // a refresh; a later scrape sees the new totals.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, text) = get(&app, "/metrics").await;
    assert_lines(&text, &[blocked(1)]);
    assert!(sample(&text, "cobro_decisions_snapshot_age_seconds") >= 2.0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, text) = get(&app, "/metrics").await;
        if text.lines().any(|l| l == blocked(2)) {
            break;
        }
        assert!(Instant::now() < deadline, "never refreshed:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
