//! The arms' page as an operations user meets it, in headless Chromium:
//! `cobro demo` runs its two arms and holdout, `cobro serve --campaign`
//! serves them, the campaign's page links to its arms, and the table shows
//! the same numbers as `GET /api/campaigns/{id}/arms`, with a verdict per
//! arm and how to read it, without scrolling sideways on a phone. A
//! creditor user is refused the page.

mod browser_common;

use std::process::Command;

use browser_common::{
    Killed, browser_sized, click_to_new_page, fits_a_phone, serve_cobro, sign_in,
};
use fantoccini::{Client, Locator};

const LINK_SECRET: &str = "arms-browser-link-secret";
const API_TOKEN: &str = "arms-browser-api-token";
const PASSWORD: &str = "cobro-demo-2026";
const CAMPAIGN: &str = "2026-12-mensual";

async fn cell(row: &fantoccini::elements::Element, class: &str) -> String {
    row.find(Locator::Css(&format!("td.{class}")))
        .await
        .expect("cell")
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_reads_the_arms_table_the_api_answers_and_a_creditor_is_refused() {
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_cobro"))
        .args(["demo", "--debtors", "300", "--dir"])
        .arg(&dir)
        .env("COBRO_LINK_SECRET", LINK_SECRET)
        .output()
        .expect("run cobro demo");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let creditor = text
        .lines()
        .find(|l| l.contains("(sees only '"))
        .and_then(|l| l.split_whitespace().next())
        .expect("a creditor user")
        .to_string();
    let store = format!("sqlite://{}", dir.join("cobro.db").display());
    let (_server, base) = serve_cobro(
        &store,
        &dir.join("campaign.toml"),
        &[
            ("COBRO_LINK_SECRET", LINK_SECRET),
            ("COBRO_API_TOKEN", API_TOKEN),
        ],
    )
    .await;
    let api: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/campaigns/{CAMPAIGN}/arms"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    let arms = api["arms"].as_array().expect("arms");
    assert_eq!(arms.len(), 3, "{api}");

    let profile = tempfile::tempdir().expect("profile");
    let (_driver, c): (Killed, Client) = browser_sized(profile.path(), 1280, 900).await;
    sign_in(&c, &base, "en", "operaciones@cobro.demo", PASSWORD).await;
    c.goto(&format!("{base}/console/campaigns/{CAMPAIGN}"))
        .await
        .expect("campaign page");
    click_to_new_page(&c, Locator::Id("arms-link")).await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/console/campaigns/{CAMPAIGN}/arms"));
    let rows = c
        .find_all(Locator::Css("#arms tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 3);
    for (row, arm) in rows.iter().zip(arms) {
        assert_eq!(
            row.attr("data-arm").await.expect("attr").as_deref(),
            arm["arm"].as_str()
        );
        assert_eq!(cell(row, "accounts").await, arm["accounts"].to_string());
        assert_eq!(
            cell(row, "contacts").await,
            arm["contacts_total"].to_string()
        );
        assert_eq!(cell(row, "payments").await, arm["payments"].to_string());
        assert_eq!(cell(row, "payers").await, arm["payers"].to_string());
        let recovery = format!("{:.1} %", arm["recovery_rate"].as_f64().expect("rate"));
        assert_eq!(cell(row, "recovery").await, recovery);
        match arm["uplift"].as_object() {
            Some(u) => {
                let shown = cell(row, "uplift").await;
                let points = format!("{:+.1}", u["points"].as_f64().expect("points"));
                assert!(shown.starts_with(&points), "{shown} vs {points}");
                assert_eq!(
                    row.attr("data-verdict").await.expect("attr").as_deref(),
                    u["verdict"].as_str()
                );
            }
            None => assert_eq!(arm["arm"], "holdout"),
        }
    }
    let verdicts = c
        .find_all(Locator::Css("#verdicts p.verdict"))
        .await
        .expect("verdicts");
    assert_eq!(verdicts.len(), 2, "one verdict per arm");
    let first = verdicts[0].text().await.expect("text");
    let expected = arms[0]["uplift"]["verdict_en"].as_str().expect("verdict");
    assert_eq!(first, expected);
    let how = c
        .find(Locator::Id("how-to-read"))
        .await
        .expect("how to read")
        .text()
        .await
        .expect("text");
    assert!(how.contains("95%") && how.contains("Newcombe"), "{how}");
    fits_a_phone(&c, "arms.png").await;

    // A creditor user: the page is not theirs.
    click_to_new_page(&c, Locator::Css("form[action='/logout'] button")).await;
    sign_in(&c, &base, "en", &creditor, PASSWORD).await;
    c.goto(&format!("{base}/console/campaigns/{CAMPAIGN}/arms"))
        .await
        .expect("arms page");
    assert!(
        c.find_all(Locator::Css("#arms"))
            .await
            .expect("find")
            .is_empty(),
        "a creditor sees no arms table"
    );
    let _ = c.close().await;
}
