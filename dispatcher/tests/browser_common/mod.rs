//! Headless Chromium driven through chromedriver by fantoccini, for the
//! tests that look at pages as a person does. Needs Debian's `chromium`
//! and `chromium-driver` (the test command installs them), or `CHROMIUM`
//! and `CHROMEDRIVER` pointing at them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use fantoccini::{Client, ClientBuilder};
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
