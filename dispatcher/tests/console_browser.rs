//! The console as its users meet it, in headless Chromium: `cobro demo`
//! fills a store and prints its users, `cobro serve` serves it, and a
//! browser signs in as a creditor (sees only its own expedientes, filters,
//! opens one, cannot open another creditor's) and as operations.
//! With `COBRO_SCREENSHOTS=DIR` the pages are also saved as PNG files
//! (the README's screenshots come from here).

mod browser_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use browser_common::{
    Killed, browser_sized, click_to_new_page, fits_a_phone, screenshot, serve_cobro,
};
use fantoccini::{Client, Locator};

const LINK_SECRET: &str = "console-browser-link-secret";
const API_TOKEN: &str = "console-browser-api-token";
const PASSWORD: &str = "cobro-demo-2026";

fn cobro() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cobro"))
}

struct Demo {
    store_url: String,
    campaign: PathBuf,
    /// `(email, creditor)` of the demo's creditor users.
    creditors: Vec<(String, String)>,
}

/// `cobro demo` on a small portfolio; the creditor users it printed.
fn demo(dir: &Path) -> Demo {
    let out = cobro()
        .args(["demo", "--debtors", "120", "--dir"])
        .arg(dir)
        .env("COBRO_LINK_SECRET", LINK_SECRET)
        .output()
        .expect("run cobro demo");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("'{PASSWORD}'")), "{text}");
    let creditors: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let (email, rest) = l.trim().split_once(' ')?;
            let creditor = rest.split_once("(sees only '")?.1.strip_suffix("')")?;
            Some((email.to_string(), creditor.to_string()))
        })
        .collect();
    assert_eq!(creditors.len(), 2, "two creditor users: {text}");
    Demo {
        store_url: format!("sqlite://{}", dir.join("cobro.db").display()),
        campaign: dir.join("campaign.toml"),
        creditors,
    }
}

/// `cobro serve` over the demo's store, once it answers.
async fn serve(demo: &Demo) -> (Killed, String) {
    serve_cobro(
        &demo.store_url,
        &demo.campaign,
        &[
            ("COBRO_LINK_SECRET", LINK_SECRET),
            ("COBRO_API_TOKEN", API_TOKEN),
        ],
    )
    .await
}

async fn sign_in(c: &Client, base: &str, email: &str) {
    let landed = browser_common::sign_in(c, base, "es", email, PASSWORD).await;
    assert_eq!(landed, "/console/accounts", "signed in as {email}");
}

async fn sign_out(c: &Client) {
    click_to_new_page(c, Locator::Css("form[action='/logout'] button")).await;
}

/// The `(id, creditor)` of the rows on the page.
async fn rows(c: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in c
        .find_all(Locator::Css("#accounts tbody tr"))
        .await
        .expect("rows")
    {
        let id = row
            .attr("data-account")
            .await
            .expect("attr")
            .expect("data-account");
        let cells = row.find_all(Locator::Css("td")).await.expect("cells");
        let creditor = cells[2].text().await.expect("creditor cell");
        out.push((id, creditor));
    }
    out
}

/// An account id of `creditor`, asked with the admin's token.
async fn account_of(base: &str, creditor: &str) -> String {
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{base}/api/accounts?limit=1&creditor={}",
            creditor.replace(' ', "%20")
        ))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    page["items"][0]["id"]
        .as_str()
        .expect("an account of that creditor")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creditor_sees_filters_and_opens_only_its_own_expedientes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo(&dir.path().join("demo"));
    let (_server, base) = serve(&demo).await;
    let profile = dir.path().join("profile");
    let (_driver, c) = browser_sized(&profile, 1280, 900).await;
    let (email, mine) = demo.creditors[0].clone();
    let (_, theirs) = demo.creditors[1].clone();

    sign_in(&c, &base, &email).await;
    let listed = rows(&c).await;
    assert!(!listed.is_empty(), "the creditor has expedientes");
    assert!(
        listed.iter().all(|(_, cred)| *cred == mine),
        "only {mine}: {listed:?}"
    );
    screenshot(&c, "console-accounts.png").await;
    fits_a_phone(&c, "console-accounts.png").await;

    // Filter tampering in the address bar changes nothing.
    c.goto(&format!(
        "{base}/console/accounts?creditor={}",
        theirs.replace(' ', "%20")
    ))
    .await
    .expect("tampered list");
    assert!(rows(&c).await.iter().all(|(_, cred)| *cred == mine));

    // Search by the id of one of its accounts through the form: one the
    // campaign contacts (the demo's holdout is never planned).
    let campaign = cobro_config::LoadedCampaign::load(&demo.campaign).expect("demo campaign");
    let (one, _) = listed
        .iter()
        .find(|(id, _)| campaign.strategy_for(id).is_some())
        .expect("an account in an arm")
        .clone();
    c.goto(&format!("{base}/console/accounts"))
        .await
        .expect("list");
    c.find(Locator::Id("f-q"))
        .await
        .expect("search field")
        .send_keys(&one)
        .await
        .expect("type");
    click_to_new_page(&c, Locator::Css("form[action='/console/accounts'] button")).await;
    let found = rows(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, one);

    // Open it from the list: its header and its gestiones.
    click_to_new_page(&c, Locator::Css("#accounts tbody tr a")).await;
    assert_eq!(
        c.current_url().await.expect("url").path(),
        format!("/console/accounts/{one}")
    );
    let page = c.source().await.expect("source");
    assert!(page.contains(&one) && page.contains(&mine), "its header");
    let entries = c
        .find_all(Locator::Css("#gestiones tr[data-kind]"))
        .await
        .expect("timeline");
    assert!(!entries.is_empty(), "the demo planned and sent contacts");
    screenshot(&c, "console-account.png").await;
    fits_a_phone(&c, "console-account.png").await;

    // The parte de cobros of the demo's month: its own rows only.
    c.goto(&format!("{base}/console/collections"))
        .await
        .expect("collections");
    let report_rows = c
        .find_all(Locator::Css("#per-debtor tbody tr"))
        .await
        .expect("rows");
    for row in &report_rows {
        let text = row.text().await.expect("row text");
        assert!(!text.contains(&theirs), "{text}");
    }
    screenshot(&c, "console-collections.png").await;
    fits_a_phone(&c, "console-collections.png").await;

    // Another creditor's expediente answers like an unknown one.
    let other = account_of(&base, &theirs).await;
    c.goto(&format!("{base}/console/accounts/{other}"))
        .await
        .expect("other's page");
    let other_page = c.source().await.expect("source");
    c.goto(&format!("{base}/console/accounts/NO-SUCH-ACCOUNT"))
        .await
        .expect("unknown page");
    let unknown_page = c.source().await.expect("source");
    assert!(!other_page.contains(&other), "no trace of {other}");
    assert_eq!(
        other_page.replace(&other, ""),
        unknown_page.replace("NO-SUCH-ACCOUNT", ""),
        "another creditor's id and an unknown id look the same"
    );
    sign_out(&c).await;
    c.goto(&format!("{base}/console/accounts"))
        .await
        .expect("list");
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/login",
        "signed out"
    );
    c.close().await.expect("close");
}

/// A portfolio as Excel in a Spanish locale saves it: Windows-1252, `;`,
/// CRLF, decimal commas with thousands dots, `dd/mm/yyyy`; one bad row.
fn excel_file(dir: &Path, creditor: &str) -> PathBuf {
    let text = format!(
        "id;creditor;debtor_name;amount_due;currency;due_date;language;country;subdivision;email;consent_email\r\n\
         WB-1;{creditor};Verónica López;55.177,35;MXN;21/08/2026;es-MX;MX;MX-CMX;vero@example.com;yes\r\n\
         WB-2;{creditor};Iñaki Muñoz;1.234,50;MXN;02/09/2026;es-MX;MX;MX-JAL;inaki@example.com;yes\r\n\
         WB-3;{creditor};Sin Monto;doce mil;MXN;02/09/2026;es-MX;MX;MX-JAL;sm@example.com;yes\r\n"
    );
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    let path = dir.join("expedientes-excel.csv");
    std::fs::write(&path, bytes).expect("write file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_uploads_an_excel_file_sees_the_bad_row_then_simulates_and_launches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo(&dir.path().join("demo"));
    let (_server, base) = serve(&demo).await;
    let profile = dir.path().join("profile");
    let (_driver, c) = browser_sized(&profile, 1280, 900).await;
    sign_in(&c, &base, "operaciones@cobro.demo").await;

    let file = excel_file(dir.path(), &demo.creditors[0].1);
    c.goto(&format!("{base}/console/upload"))
        .await
        .expect("upload");
    c.find(Locator::Id("u-file"))
        .await
        .expect("file input")
        .send_keys(&file.display().to_string())
        .await
        .expect("choose file");
    click_to_new_page(&c, Locator::Css("form[action='/console/upload'] button")).await;
    let text = |id: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Id(id))
                .await
                .unwrap_or_else(|_| panic!("#{id}"))
                .text()
                .await
                .expect("text")
        }
    };
    assert_eq!(text("rows-read").await, "3");
    assert_eq!(text("accepted").await, "2");
    assert_eq!(text("rejected").await, "1");
    let errors = text("errors").await;
    assert!(
        errors.contains('4') && errors.contains("amount_due"),
        "{errors}"
    );
    screenshot(&c, "console-upload.png").await;
    fits_a_phone(&c, "console-upload.png").await;
    // The good rows are expedientes now, their names decoded right.
    c.goto(&format!("{base}/console/accounts?q=WB-1"))
        .await
        .expect("list");
    let page = c.source().await.expect("source");
    assert!(
        page.contains("Verónica López") && page.contains("55.177,35"),
        "{page}"
    );

    // Simulate the served campaign file, then launch it.
    c.goto(&format!("{base}/console/campaigns"))
        .await
        .expect("campaigns");
    click_to_new_page(
        &c,
        Locator::Css("form[action='/console/campaigns/simulate'] button"),
    )
    .await;
    let sent: u64 = text("total-sent").await.trim().parse().expect("a count");
    assert!(sent > 0, "the simulation sends messages");
    screenshot(&c, "console-simulation.png").await;
    fits_a_phone(&c, "console-simulation.png").await;
    click_to_new_page(&c, Locator::Id("launch")).await;
    let flash = text("flash").await;
    assert!(flash.contains("lanzada"), "{flash}");
    c.close().await.expect("close");
}

/// `cobro users token EMAIL` on the demo's store.
fn token(demo: &Demo, email: &str) -> String {
    let out = cobro()
        .args(["users", "token", email, "--store", &demo.store_url])
        .output()
        .expect("cobro users token");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn get(base: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("api call");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// Every item of `/api/accounts` for `token`, following the cursor.
async fn all_accounts(base: &str, token: &str, query: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/accounts?limit=50&cursor={c}&{query}"),
            None => format!("/api/accounts?limit=50&{query}"),
        };
        let (status, page) = get(base, &path, token).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return items,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_creditors_tokens_each_see_only_their_own_accounts_and_collections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo(&dir.path().join("demo"));
    let (_server, base) = serve(&demo).await;
    let everyone = all_accounts(&base, API_TOKEN, "").await;
    // The month the demo's debtors paid in (its month starts today).
    let today = chrono::Utc::now().date_naive();
    let mut month = String::new();
    let mut all_rows = Vec::new();
    for m in [today, today + chrono::Months::new(1)] {
        month = m.format("%Y-%m").to_string();
        let (_, all) = get(
            &base,
            &format!("/api/reports/collections?month={month}"),
            API_TOKEN,
        )
        .await;
        all_rows = all["rows"].as_array().cloned().unwrap_or_default();
        if !all_rows.is_empty() {
            break;
        }
    }
    assert!(!all_rows.is_empty(), "the demo's debtors paid in {month}");
    let mut seen_rows = 0;
    for (i, (email, mine)) in demo.creditors.iter().enumerate() {
        let (_, theirs) = &demo.creditors[1 - i];
        let token = token(&demo, email);
        let (status, me) = get(&base, "/api/me", &token).await;
        assert_eq!(status, 200);
        assert_eq!(me["role"], "creditor", "{me}");

        let own = all_accounts(&base, &token, "").await;
        let expected = everyone.iter().filter(|a| a["creditor"] == **mine).count();
        assert!(expected > 0);
        assert_eq!(own.len(), expected, "{email} lists all of {mine}'s");
        assert!(own.iter().all(|a| a["creditor"] == **mine));
        // Asking for the other creditor changes nothing.
        let tampered = all_accounts(
            &base,
            &token,
            &format!("creditor={}", theirs.replace(' ', "%20")),
        )
        .await;
        assert_eq!(tampered.len(), own.len());

        let other = account_of(&base, theirs).await;
        let (status, body) = get(&base, &format!("/api/accounts/{other}"), &token).await;
        let (unknown_status, unknown) = get(&base, "/api/accounts/NO-SUCH", &token).await;
        assert_eq!((status, unknown_status), (404, 404));
        assert_eq!(
            body.to_string().replace(&other, "X"),
            unknown.to_string().replace("NO-SUCH", "X")
        );

        // The parte de cobros of the demo's month: only its own rows.
        let (status, report) = get(
            &base,
            &format!("/api/reports/collections?month={month}"),
            &token,
        )
        .await;
        assert_eq!(status, 200, "{report}");
        let rows = report["rows"].as_array().expect("rows");
        assert!(rows.iter().all(|r| r["creditor"] == **mine), "{report}");
        let of_mine = all_rows.iter().filter(|r| r["creditor"] == **mine).count();
        assert_eq!(rows.len(), of_mine, "all of its rows and only those");
        seen_rows += rows.len();
    }
    assert!(seen_rows > 0, "the two creditors' reports hold rows");
}
