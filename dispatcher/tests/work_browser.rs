//! The collectors' work queue as a collector and a supervisor meet it, in
//! headless Chromium: a campaign of collectors' calls (the testkit's
//! `write_agent_campaign`: a legal window open now that closes in 90
//! minutes) is launched with `cobro launch`, `cobro users add` creates a
//! collector of its team and an operations user, and `cobro serve` serves
//! it. The collector signs in (landing on its queue), asks for the next
//! task, reads the debtor, the call script and the window's countdown,
//! records "Sin respuesta" and sees the confirmation; the supervisor's
//! page counts it and shows the next open task. No page scrolls sideways
//! at 412 px. With `COBRO_SCREENSHOTS=DIR` the pages are saved as PNG
//! files (docs/console-work.png and docs/console-work-team.png come from
//! here).

mod browser_common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use browser_common::{
    Killed, browser_sized, click_to_new_page, fits_a_phone, screenshot, serve_cobro, sign_in,
};
use cobro_dispatcher::testing::{AgentDebtor, SCRIPT_ES, write_agent_campaign};
use fantoccini::{Client, Locator};

const LINK_SECRET: &str = "work-browser-link-secret";
const PASSWORD: &str = "una clave bastante larga";
const COLLECTOR: &str = "gestora@cobranzas.example";
const OPS: &str = "supervisor@cobranzas.example";
const TEAM: &str = "temprana";
const DEBTORS: [AgentDebtor<'static>; 2] = [
    AgentDebtor {
        id: "EXP-1001",
        name: "Verónica López Soto",
        phone: "+525511112222",
        language: "es-MX",
    },
    AgentDebtor {
        id: "EXP-1002",
        name: "Héctor Hernández Ramírez",
        phone: "+525533334444",
        language: "es-MX",
    },
];

fn cobro() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cobro"))
}

/// Runs `cobro ARGS` (with `stdin` on its standard input); panics unless
/// it succeeds.
fn run(args: &[&str], stdin: &str) -> String {
    let mut child = cobro()
        .args(args)
        .env("COBRO_LINK_SECRET", LINK_SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cobro");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("cobro ends");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cobro {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The campaign launched into a fresh SQLite store, with its users.
fn prepare(dir: &Path) -> (String, PathBuf) {
    let campaign_dir = dir.join("campaign");
    std::fs::create_dir_all(&campaign_dir).expect("dir");
    let campaign = write_agent_campaign(&campaign_dir, "llamadas-dic", TEAM, &DEBTORS, 90);
    let store = format!("sqlite://{}", dir.join("cobro.db").display());
    let campaign_arg = campaign.display().to_string();
    let launched = run(&["launch", &campaign_arg, "--store", &store], "");
    assert!(launched.contains("2 contacts planned"), "{launched}");
    let added = run(
        &[
            "users",
            "add",
            COLLECTOR,
            "--role",
            "collector",
            "--team",
            TEAM,
            "--password-stdin",
            "--store",
            &store,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.contains(COLLECTOR), "{added}");
    run(
        &[
            "users",
            "add",
            OPS,
            "--role",
            "operations",
            "--password-stdin",
            "--store",
            &store,
        ],
        &format!("{PASSWORD}\n"),
    );
    (store, campaign)
}

/// `cobro serve` over the store with the campaign file, once it answers.
async fn serve(store: &str, campaign: &Path) -> (Killed, String) {
    serve_cobro(store, campaign, &[("COBRO_LINK_SECRET", LINK_SECRET)]).await
}

async fn text(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id} on the page"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_calls_records_no_answer_and_the_supervisor_sees_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, campaign) = prepare(dir.path());
    let (_server, base) = serve(&store, &campaign).await;
    let profile = dir.path().join("profile");
    let (_driver, c) = browser_sized(&profile, 1280, 900).await;

    let landed = sign_in(&c, &base, "es", COLLECTOR, PASSWORD).await;
    assert_eq!(landed, "/console/work", "a collector lands on its queue");
    let depth = c
        .find(Locator::Css(&format!("#depth tr[data-team='{TEAM}'] td.n")))
        .await
        .expect("the team's queue depth")
        .text()
        .await
        .expect("text");
    assert_eq!(depth, "2", "both calls wait");

    click_to_new_page(&c, Locator::Id("next")).await;
    let debtor = text(&c, "debtor").await;
    assert!(
        DEBTORS.iter().any(|d| d.name == debtor),
        "a debtor of the campaign: {debtor}"
    );
    let script = text(&c, "script").await;
    assert!(
        script.starts_with(&format!("{SCRIPT_ES} {debtor}")),
        "the Spanish script with the debtor's name: {script}"
    );
    assert!(script.contains("Cobranzas Andinas"), "{script}");
    let window = text(&c, "window").await;
    let minutes: i64 = window
        .strip_prefix("La ventana legal cierra en ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a countdown: {window}"));
    assert!((80..=90).contains(&minutes), "{window}");
    assert!(text(&c, "lease").await.contains("reservada para usted"));
    assert_eq!(text(&c, "balance").await, "1.500,00 MXN");
    screenshot(&c, "console-work.png").await;
    fits_a_phone(&c, "console-work.png").await;

    c.find(Locator::Id("o-outcome"))
        .await
        .expect("the outcome field")
        .select_by_label("Sin respuesta")
        .await
        .expect("choose Sin respuesta");
    click_to_new_page(&c, Locator::Id("record")).await;
    let flash = text(&c, "flash").await;
    assert_eq!(flash, "Resultado registrado: Sin respuesta.");
    assert!(
        c.find(Locator::Id("task")).await.is_err(),
        "nothing is held after the outcome"
    );
    fits_a_phone(&c, "console-work-done.png").await;

    // The other call, held while the supervisor looks.
    click_to_new_page(&c, Locator::Id("next")).await;
    let second = text(&c, "debtor").await;
    assert_ne!(second, debtor, "the other debtor's call");
    click_to_new_page(&c, Locator::Css("form[action='/logout'] button")).await;

    let landed = sign_in(&c, &base, "es", OPS, PASSWORD).await;
    assert_eq!(landed, "/console/accounts");
    c.goto(&format!("{base}/console/work/team"))
        .await
        .expect("team page");
    let row = c
        .find(Locator::Css(&format!(
            "#collectors tr[data-collector='{COLLECTOR}']"
        )))
        .await
        .expect("the collector's row");
    let done = row
        .find(Locator::Css("td[data-field='done']"))
        .await
        .expect("done")
        .text()
        .await
        .expect("text");
    assert_eq!(done, "1");
    let open = row
        .find(Locator::Css("td[data-field='open']"))
        .await
        .expect("open")
        .text()
        .await
        .expect("text");
    assert_eq!(open, "1");
    let leases = c.find_all(Locator::Css(".lease")).await.expect("leases");
    assert_eq!(leases.len(), 1, "the second call is open");
    screenshot(&c, "console-work-team.png").await;
    fits_a_phone(&c, "console-work-team.png").await;

    // Back to the queue from the page.
    click_to_new_page(
        &c,
        Locator::Css(".lease form[action='/console/work/team/move'] button.secondary"),
    )
    .await;
    assert_eq!(text(&c, "flash").await, "Gestión devuelta a la cola.");
    assert!(c.find(Locator::Id("no-leases")).await.is_ok());
    c.close().await.expect("close");
}
