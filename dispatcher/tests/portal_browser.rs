//! The debtor's page in a real browser. The example campaign (one es-MX
//! debtor) sends its day-0 email to the outbox on a virtual clock; headless
//! Chromium, driven through chromedriver by fantoccini, opens the `/d/`
//! link found in that email, makes a promise through the page's form; the
//! account API shows it, and the virtual clock then shows the account's
//! contacts held until the promised date plus grace and resumed (with the
//! broken-promise step) once the promise broke unpaid.
//!
//! Needs Debian's `chromium` and `chromium-driver` (the test command
//! installs them), or `CHROMIUM` and `CHROMEDRIVER` pointing at them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Days, NaiveTime, Utc};
use cobro_dispatcher::cli::common::{
    TransportChoice, channel_set, dispatcher, load_campaign, load_templates,
};
use cobro_dispatcher::engine::{Dispatcher, ProcessOutcome};
use cobro_dispatcher::http::portal::PortalSettings;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::launch::launch;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::{LedgerFilter, LedgerState, prelude::*};
use fantoccini::Locator;
use serde_json::json;

mod browser_common;
use browser_common::browser;

const LINK_SECRET: &[u8] = b"browser-link-secret";
const API_TOKEN: &str = "browser-api-token-0123";
const ACCOUNT: &str = "EXP-0000001";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The example campaign with one debtor (EXP-0000001: es-MX, Tijuana,
/// email only), starting today so the page's house limits (dates within
/// 30 days of now) and the virtual clock agree.
fn campaign_dir(dir: &Path) -> PathBuf {
    let ex = examples();
    copy_dir(&ex.join("templates"), &dir.join("templates"));
    std::fs::copy(ex.join("strategy.toml"), dir.join("strategy.toml")).expect("strategy");
    let portfolio = std::fs::read_to_string(ex.join("portfolio.csv")).expect("portfolio");
    let two: Vec<&str> = portfolio.lines().take(2).collect();
    assert!(two[1].starts_with(ACCOUNT), "{}", two[1]);
    std::fs::write(dir.join("portfolio.csv"), two.join("\n") + "\n").expect("write");
    let today = Utc::now().date_naive();
    let campaign = std::fs::read_to_string(ex.join("campaign.toml"))
        .expect("campaign")
        .lines()
        .map(|l| {
            if l.starts_with("start_date") {
                format!("start_date = \"{today}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("campaign.toml");
    std::fs::write(&path, campaign).expect("write");
    path
}

/// Processes the due contacts in due order, up to `until`, stopping early
/// when `stop` says so after a batch. Returns the instant reached.
async fn drive(
    d: &Dispatcher<AnyStore>,
    mut clock: DateTime<Utc>,
    until: DateTime<Utc>,
    mut stop: impl FnMut(&[ProcessOutcome]) -> bool,
) -> DateTime<Utc> {
    while let Some(next) = d.store.next_due().await.expect("next due") {
        if next > until {
            break;
        }
        clock = clock.max(next);
        let claimed = d.store.claim_due(clock, 50).await.expect("claim");
        let outcomes: Vec<ProcessOutcome> = d
            .process_batch(claimed, clock)
            .await
            .into_iter()
            .map(|o| o.expect("pipeline"))
            .collect();
        if stop(&outcomes) {
            break;
        }
    }
    clock
}

/// Decodes a quoted-printable body enough to read links in it (soft line
/// breaks and `=XX` escapes).
fn unquote(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first `/d/` link on `base` in any email of the outbox.
fn portal_link_in_outbox(outbox: &Path, base: &str) -> String {
    let prefix = format!("{base}/d/");
    for entry in std::fs::read_dir(outbox).expect("outbox") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "eml") {
            let text = unquote(&std::fs::read_to_string(&path).expect("read eml"));
            if let Some(start) = text.find(&prefix) {
                let token: String = text[start + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "-_.~".contains(*c))
                    .collect();
                return format!("{prefix}{token}");
            }
        }
    }
    panic!("no {prefix} link in the outbox {}", outbox.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promise_made_in_the_browser_pauses_contacts_until_it_breaks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let campaign = campaign_dir(dir.path());
    let loaded = load_campaign(&campaign).expect("campaign");
    let templates = load_templates(&loaded.templates_dir).expect("templates");
    let url = format!("sqlite://{}", dir.path().join("cobro.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.expect("store"));
    launch(store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .expect("launch");

    // The service on a real port: its address is the messages' public URL.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let config = HttpConfig {
        public_url: base.clone(),
        api_token: Some(API_TOKEN.into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile(&base, LINK_SECRET.to_vec()),
    };
    let portal = PortalSettings {
        collector: loaded.file.sender.collector.clone(),
        collector_contact: loaded.file.sender.collector_phone.clone(),
        ..Default::default()
    };
    let app = router(AppState::new(store.clone(), config).with_portal(portal));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let outbox = dir.path().join("outbox");
    let channels = channel_set(&TransportChoice::Outbox(outbox.clone())).expect("outbox");
    let mut d = dispatcher(store.clone(), &loaded, templates, channels, &base);
    d.sender.link_secret = LINK_SECRET.to_vec();
    let start = loaded
        .campaign
        .start_date
        .and_time(NaiveTime::MIN)
        .and_utc();

    // Day 0: the first email goes out (a Sunday or holiday defers it).
    let clock = drive(&d, start, start + Days::new(10), |outcomes| {
        outcomes
            .iter()
            .any(|o| matches!(o, ProcessOutcome::Sent { .. }))
    })
    .await;
    let link = portal_link_in_outbox(&outbox, &base);

    // The debtor opens it on a phone-sized window and promises to pay.
    let profile = dir.path().join("chromium-profile");
    let (_driver, c) = browser(&profile).await;
    c.goto(&link).await.expect("open the link");
    let page = c.source().await.expect("source");
    assert!(page.contains("lang=\"es-MX\""), "{page}");
    assert!(page.contains("Saldo pendiente"), "{page}");
    assert!(page.contains("$55,177.35 MXN"), "{page}");
    assert!(page.contains("Cobranzas Andinas S.A. de C.V."), "{page}");
    c.find(Locator::XPath(
        "//details[.//form[@id='form-promise']]/summary",
    ))
    .await
    .expect("promise section")
    .click()
    .await
    .expect("open the promise form");
    let promised = Utc::now().date_naive() + Days::new(5);
    // A date input types in the browser's locale; set its value as a
    // date picker would.
    c.execute(
        "document.getElementById('promise-date').value = arguments[0];",
        vec![json!(promised.to_string())],
    )
    .await
    .expect("set date");
    let amount = c
        .find(Locator::Id("promise-amount"))
        .await
        .expect("amount field");
    amount.clear().await.expect("clear");
    amount.send_keys("20000.00").await.expect("type amount");
    c.find(Locator::Css("#form-promise button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("submit");
    let mut landed = String::new();
    for _ in 0..50 {
        landed = c.current_url().await.expect("url").to_string();
        if landed.contains("ok=promise") {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(landed.contains("ok=promise"), "back on the page: {landed}");
    let page = c.source().await.expect("source");
    assert!(
        page.contains("Registramos su promesa de pago"),
        "the page confirms in Spanish: {page}"
    );
    let shot = c.screenshot().await.expect("screenshot");
    assert!(shot.starts_with(b"\x89PNG") && shot.len() > 10_000);
    let _ = std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal_promise.png"),
        &shot,
    );
    c.close().await.expect("close browser");

    // The account API shows the promise and the next contact past it.
    let view: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/accounts/{ACCOUNT}"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(view["promises"][0]["state"], "open", "{view}");
    assert_eq!(view["promises"][0]["date"], promised.to_string(), "{view}");
    assert_eq!(view["promises"][0]["source"], "portal", "{view}");
    let grace = d.book_limits.grace_days;
    let deadline = (promised + Days::new(u64::from(grace) + 1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let next: DateTime<Utc> = view["next_contact_at"]
        .as_str()
        .unwrap_or_else(|| panic!("next_contact_at in {view}"))
        .parse()
        .expect("rfc3339");
    assert!(next >= deadline, "{next} waits for {deadline}");
    assert_eq!(
        view["promises"][0]["deadline"]
            .as_str()
            .and_then(|s| s.parse::<DateTime<Utc>>().ok()),
        Some(deadline),
        "{view}"
    );

    // The rest of the month on the virtual clock, nobody paying.
    drive(&d, clock, start + Days::new(60), |_| false).await;
    let rows = store
        .ledger(&LedgerFilter {
            account: Some(ACCOUNT.into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let sent: Vec<_> = rows
        .iter()
        .filter(|r| r.state == LedgerState::Sent)
        .collect();
    // Everything the clock reached after the first email was decided with
    // the promise on the book.
    assert!(
        sent.iter().all(|r| r.at <= clock || r.at >= deadline),
        "nothing sent while the promise was open: {sent:#?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.state == LedgerState::Deferred && r.code.as_deref() == Some("promise_hold")),
        "held by the promise"
    );
    assert!(
        sent.iter().any(|r| r.at >= deadline),
        "the sequence resumed after the promise broke: {sent:#?}"
    );
    assert!(
        // By email: the debtor has no phone (a fallback is `step+channel`).
        sent.iter().any(|r| r.step == "d21-promesa+email"),
        "the broken-promise step went out: {sent:#?}"
    );
    let (book, _) = store.book(ACCOUNT).await.expect("book");
    assert!(book.has_broken_promise(start + Days::new(60), grace));
}
