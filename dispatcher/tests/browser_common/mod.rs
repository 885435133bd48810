//! Headless Chromium driven through chromedriver by fantoccini, for the
//! tests that look at pages as a person does. Needs Debian's `chromium`
//! and `chromium-driver` (the test command installs them), or `CHROMIUM`
//! and `CHROMEDRIVER` pointing at them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// `env`, else the first of `names` found in the usual places.
pub fn tool(env: &str, names: &[&str], package: &str) -> PathBuf {
    if let Ok(path) = std::env::var(env) {
        return PathBuf::from(path);
    }
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let p = Path::new(dir).join(name);
            if p.exists() {
                return p;
            }
        }
    }
    panic!("this test needs {names:?}: apt-get install -y {package} (or set {env})");
}

/// A child process killed when the test lets go of it.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A fresh headless Chromium with a phone-sized window (412 × 915), its
/// profile in `profile`, and the chromedriver that drives it.
pub async fn browser(profile: &Path) -> (Killed, Client) {
    browser_sized(profile, 412, 915).await
}

pub async fn browser_sized(profile: &Path, width: u32, height: u32) -> (Killed, Client) {
    let chromium = tool("CHROMIUM", &["chromium", "chromium-browser"], "chromium");
    let chromedriver = tool("CHROMEDRIVER", &["chromedriver"], "chromium-driver");
    let port = free_port();
    let driver = Killed(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps.clone());
        match builder.connect(&url).await {
            Ok(client) => return (driver, client),
            Err(_) => tokio::time::sleep(StdDuration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not answer on {url}");
}

pub async fn screenshot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("COBRO_SCREENSHOTS") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(Path::new(&dir).join(name), png).expect("write screenshot");
    }
}

/// Clicks what leads to another page and waits until that page is loaded
/// (a mark left on the old page's window is gone and the new one is
/// complete), so nothing is read from the page being left.
pub async fn click_to_new_page(c: &Client, locator: Locator<'_>) {
    c.execute("window.__cobro_old_page = true; return null;", vec![])
        .await
        .expect("mark the page");
    c.find(locator)
        .await
        .expect("the element to click")
        .click()
        .await
        .expect("click");
    for _ in 0..400 {
        let loaded = c
            .execute(
                "return window.__cobro_old_page === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if matches!(loaded, Ok(serde_json::Value::Bool(true))) {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("no new page after the click");
}

/// On a phone (412 px wide) the page must not scroll sideways: wide
/// tables turn into cards or scroll inside their own box.
pub async fn fits_a_phone(c: &Client, name: &str) {
    c.set_window_size(412, 915).await.expect("phone size");
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .expect("measure");
    screenshot(c, &format!("phone-{name}")).await;
    c.set_window_size(1280, 900).await.expect("desk size");
    assert!(
        overflow.as_i64().is_some_and(|px| px <= 0),
        "{name} scrolls sideways on a phone by {overflow} px"
    );
}

/// `cobro serve` (the real binary) over `store` with `campaign`, with
/// these environment variables, once its `/healthz` answers; returns the
/// process (killed when dropped) and its base URL.
pub async fn serve_cobro(store: &str, campaign: &Path, env: &[(&str, &str)]) -> (Killed, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_cobro"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--store"])
        .arg(store)
        .arg("--campaign")
        .arg(campaign)
        .envs(env.iter().copied())
        .env("COBRO_PUBLIC_URL", &base)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cobro serve");
    let server = Killed(child);
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            return (server, base);
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("cobro serve did not answer on {base}");
}

/// Signs in through the login form in `lang`, as a person does, and
/// returns the path the form lands on (the console's first page, or the
/// login page again when refused).
pub async fn sign_in(c: &Client, base: &str, lang: &str, email: &str, password: &str) -> String {
    c.goto(&format!("{base}/login?lang={lang}"))
        .await
        .expect("login page");
    c.find(Locator::Id("email"))
        .await
        .expect("email field")
        .send_keys(email)
        .await
        .expect("type email");
    c.find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("type password");
    click_to_new_page(c, Locator::Css("form[action='/login'] button")).await;
    c.current_url().await.expect("url").path().to_string()
}
