//! The dashboard in a real browser: `cobro demo` fills a store, `cobro
//! serve` serves it, headless Chromium (Debian's `chromium` package) renders
//! `GET /`, takes a screenshot, and the numbers in the rendered page must
//! equal `cobro status --json`. Needs `chromium` on PATH (or `CHROMIUM`
//! pointing at it): `apt-get install -y chromium`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cobro_testkit::ChildProcess;
use cobro_tests::{cobro, cobro_bin, stderr};

fn chromium() -> PathBuf {
    if let Ok(path) = std::env::var("CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "headless Chromium is needed for this test: apt-get install -y chromium (or set CHROMIUM)"
    );
}

fn chromium_run(profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium")
}

/// The number inside the element with this id (`<b id="x">123</b>`).
fn number_by_id(dom: &str, id: &str) -> u64 {
    let needle = format!("id=\"{id}\">");
    let start = dom
        .find(&needle)
        .unwrap_or_else(|| panic!("no element #{id} in the page"))
        + needle.len();
    let digits: String = dom[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("#{id} holds no number"))
}

#[test]
fn dashboard_in_headless_chromium_matches_cobro_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = dir.path().join("demo");
    let out = cobro(
        dir.path(),
        &[
            "demo",
            "--debtors",
            "300",
            "--dir",
            demo.to_str().expect("utf-8 path"),
        ],
    );
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
    let store = format!("sqlite://{}", demo.join("cobro.db").display());

    let mut child = Command::new(cobro_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--store", &store])
        .env_remove("COBRO_STORE")
        .env_remove("COBRO_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cobro serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut server = ChildProcess::new(child, "cobro serve");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    let profile = dir.path().join("chromium-profile");
    let dom = chromium_run(&profile, &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom.contains("cobro dashboard"),
        "Chromium did not render the dashboard: {dom:.500}"
    );

    let screenshot = dir.path().join("dashboard.png");
    let shot = chromium_run(
        &profile,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2400",
            &url,
        ],
    );
    let png = std::fs::read(&screenshot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&shot.stderr)));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot with the charts ({} bytes)",
        png.len()
    );
    if let Ok(keep) = std::env::var("COBRO_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&screenshot, keep);
    }

    let status = cobro(dir.path(), &["status", "--json", "--store", &store]);
    assert!(
        status.status.success(),
        "status failed: {}",
        stderr(&status)
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status json");
    let campaigns = status["campaigns"].as_object().expect("campaigns");
    assert!(!campaigns.is_empty());
    assert_eq!(number_by_id(&dom, "campaign-count"), campaigns.len() as u64);
    for (campaign, numbers) in campaigns {
        let slug: String = campaign
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        assert_eq!(
            number_by_id(&dom, &format!("c-{slug}-total")),
            numbers["total"].as_u64().expect("total"),
            "{campaign} total"
        );
        assert_eq!(
            number_by_id(&dom, &format!("c-{slug}-open")),
            numbers["open"].as_u64().expect("open"),
            "{campaign} open"
        );
        for (state, n) in numbers["states"].as_object().expect("states") {
            assert_eq!(
                number_by_id(&dom, &format!("c-{slug}-{state}")),
                n.as_u64().expect("count"),
                "{campaign} {state}"
            );
        }
        // The bars: one row per day with sends, and they add up to the sent total.
        let sent_total = number_by_id(&dom, &format!("c-{slug}-sent-total"));
        assert!(sent_total > 0, "the demo sends messages");
        let prefix = format!("id=\"c-{slug}-sent-20");
        let per_day: u64 = dom
            .match_indices(&prefix)
            .map(|(at, _)| {
                let rest = &dom[at + 4..];
                let id: String = rest.chars().take_while(|c| *c != '"').collect();
                number_by_id(&dom, &id)
            })
            .sum();
        assert_eq!(per_day, sent_total, "per-day bars add up to the sent total");
        assert!(dom.contains("class=\"bar "), "bars are drawn");
    }
    server.stop();
}
