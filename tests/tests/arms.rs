//! Champion/challenger end to end (ARCHITECTURE.md "Arms"): `cobro demo`
//! runs two arms and a holdout; a second launch of the same campaign in
//! another process and store puts every account in the same arm; the
//! holdout has no contact at all; the per-arm report (`cobro campaign
//! arms --json`, the API's shape) is recomputed from `cobro export
//! gestiones --arms` by an independent Python script
//! (`tests/arms_recompute.py`); `cobro campaign promote` rewrites the file
//! and keeps the previous one.

use std::collections::BTreeMap;
use std::process::Command;

use cobro_tests::{cobro, launch_ok, repo_root, stderr, stdout};

/// account → arm, from an export's contact rows (`arm` column), each
/// checked against the arm its step id carries.
fn arms_of_contacts(csv_text: &str) -> BTreeMap<String, String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let idx = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {headers:?}"))
    };
    let mut out = BTreeMap::new();
    for r in reader.records() {
        let r = r.expect("row");
        if r[idx("contact_id")].is_empty() {
            continue;
        }
        let arm = r[idx("arm")].to_string();
        let step_arm = r[idx("step")].split_once('.').map(|(a, _)| a.to_string());
        assert_eq!(Some(&arm), step_arm.as_ref(), "arm of row {r:?}");
        let previous = out.insert(r[idx("account")].to_string(), arm.clone());
        assert!(
            previous.is_none_or(|p| p == arm),
            "account {} in two arms",
            &r[idx("account")]
        );
    }
    out
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

#[test]
fn the_demo_arms_are_stable_the_holdout_is_untouched_and_the_report_recomputes() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path().join("demo");
    let text = ok(
        &cobro(
            work.path(),
            &[
                "demo",
                "--debtors",
                "900",
                "--dir",
                dir.to_str().expect("utf-8"),
            ],
        ),
        "demo",
    );
    // The report's per-arm table, with the uplift, its interval and how
    // to read it.
    assert!(text.contains("Arms (champion/challenger)"), "{text}");
    for arm in ["champion", "sms-first", "holdout"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(arm)),
            "no row for {arm}: {text}"
        );
    }
    assert!(text.contains("How to read it"), "{text}");
    assert!(text.contains("Newcombe"), "{text}");
    assert!(
        text.contains("pts ("),
        "an uplift with its interval: {text}"
    );

    let campaign = dir.join("campaign.toml");
    let campaign_arg = campaign.to_str().expect("utf-8");
    let store = format!("sqlite://{}", dir.join("cobro.db").display());

    // The export with the arm of every row, and the report as JSON.
    let export = ok(
        &cobro(
            work.path(),
            &[
                "export",
                "gestiones",
                "--store",
                &store,
                "--arms",
                campaign_arg,
            ],
        ),
        "export",
    );
    let json = ok(
        &cobro(
            work.path(),
            &[
                "campaign",
                "arms",
                campaign_arg,
                "--store",
                &store,
                "--json",
            ],
        ),
        "campaign arms",
    );
    let export_path = dir.join("export.csv");
    let json_path = dir.join("arms.json");
    std::fs::write(&export_path, &export).expect("write export");
    std::fs::write(&json_path, &json).expect("write json");

    // The holdout has no contact row at all, so no `sent` row.
    let mut reader = csv::Reader::from_reader(export.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let mut holdout_sent = 0;
    let mut holdout_events = 0;
    for r in reader.records() {
        let r = r.expect("row");
        if &r[col("arm")] == "holdout" {
            if r[col("state")] == *"sent" {
                holdout_sent += 1;
            }
            if !r[col("contact_id")].is_empty() {
                panic!("a contact of the holdout: {r:?}");
            }
            holdout_events += 1;
        }
    }
    assert_eq!(holdout_sent, 0);
    assert!(
        holdout_events > 0,
        "the holdout's own payments are exported"
    );

    // The independent recomputation.
    let script = repo_root().join("tests/arms_recompute.py");
    let py = Command::new("python3")
        .arg(&script)
        .arg(&campaign)
        .arg(&export_path)
        .arg(&json_path)
        .output()
        .expect("run python3");
    assert!(
        py.status.success(),
        "recomputation differs:\n{}\n{}",
        stdout(&py),
        stderr(&py)
    );
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let arms = report["arms"].as_array().expect("arms");
    assert_eq!(arms.len(), 3);
    let accounts: u64 = arms
        .iter()
        .map(|a| a["accounts"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        accounts, 900,
        "every account in exactly one arm or the holdout"
    );
    let holdout = &arms[2];
    assert_eq!(holdout["arm"], "holdout");
    assert_eq!(holdout["contacts_total"], 0);
    assert!(holdout["accounts"].as_u64().unwrap_or(0) > 40, "{holdout}");
    for arm in &arms[..2] {
        assert!(arm["contacts_total"].as_u64().unwrap_or(0) > 0, "{arm}");
        assert!(arm["uplift"]["low"].as_f64().is_some(), "{arm}");
        assert!(arm["uplift"]["verdict_es"].as_str().is_some(), "{arm}");
        assert!(arm["cost"]["total"].as_str().is_some(), "{arm}");
    }
    // The demo's debtors answer evening SMS more than morning email: the
    // challenger recovers more than the champion.
    assert!(
        arms[1]["recovery_rate"].as_f64() > arms[0]["recovery_rate"].as_f64(),
        "{json}"
    );

    // A second launch of the same campaign, in other processes and another
    // store, plans every account in the same arm.
    let first = arms_of_contacts(&ok(
        &cobro(work.path(), &["export", "gestiones", "--store", &store]),
        "export without --arms",
    ));
    let second_store = format!("sqlite://{}", dir.join("second.db").display());
    let launched = launch_ok(work.path(), &campaign, &second_store);
    assert!(launched.contains("holdout"), "{launched}");
    ok(
        &cobro(
            work.path(),
            &[
                "run",
                campaign_arg,
                "--clock",
                "simulated",
                "--store",
                &second_store,
                "--outbox",
                dir.join("outbox2").to_str().expect("utf-8"),
            ],
        ),
        "run",
    );
    let again = launch_ok(work.path(), &campaign, &second_store);
    assert!(
        again.contains(", 0 new"),
        "a relaunch adds nothing: {again}"
    );
    let second = arms_of_contacts(&ok(
        &cobro(
            work.path(),
            &["export", "gestiones", "--store", &second_store],
        ),
        "second export",
    ));
    assert!(second.len() > 100, "{}", second.len());
    let mut compared = 0;
    for (account, arm) in &second {
        if let Some(a) = first.get(account) {
            assert_eq!(a, arm, "account {account} changed arm between launches");
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} accounts compared");
    // And no account of the holdout has a contact in either store.
    let assigned: BTreeMap<String, String> = {
        let mut reader = csv::Reader::from_reader(export.as_bytes());
        reader
            .records()
            .map(|r| r.expect("row"))
            .map(|r| (r[col("account")].to_string(), r[col("arm")].to_string()))
            .collect()
    };
    for (account, arm) in second.iter().chain(first.iter()) {
        assert_ne!(arm, "holdout");
        if let Some(a) = assigned.get(account) {
            assert_eq!(a, arm, "{account}");
        }
    }
}

#[test]
fn promote_makes_the_winner_the_sole_arm_and_keeps_the_previous_file() {
    let work = tempfile::tempdir().expect("temp dir");
    let examples = repo_root().join("config/examples");
    let campaign = work.path().join("campaign.toml");
    let text = std::fs::read_to_string(examples.join("campaign.toml"))
        .expect("example campaign")
        .replace(
            "portfolio = \"portfolio.csv\"",
            &format!(
                "portfolio = {:?}",
                examples.join("portfolio.csv").display().to_string()
            ),
        )
        .replace("strategy = \"strategy.toml\"", "holdout = 20")
        .replace(
            "templates = \"templates\"",
            &format!(
                "templates = {:?}",
                examples.join("templates").display().to_string()
            ),
        );
    let text = format!(
        "{text}\n[[arms]]\nid = \"champion\"\nstrategy = {:?}\nweight = 2\n\n# the challenger\n[[arms]]\nid = \"sms-first\"\nstrategy = {:?}\nweight = 1\n",
        examples.join("strategy.toml").display().to_string(),
        examples.join("strategy-sms.toml").display().to_string()
    );
    std::fs::write(&campaign, &text).expect("write campaign");
    let arg = campaign.to_str().expect("utf-8");

    let bad = cobro(work.path(), &["campaign", "promote", "nobody", arg]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("no arm 'nobody'"), "{}", stderr(&bad));

    let out = ok(
        &cobro(work.path(), &["campaign", "promote", "sms-first", arg]),
        "promote",
    );
    assert!(out.contains("sole arm"), "{out}");
    let backups: Vec<_> = std::fs::read_dir(work.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("campaign.toml.") && n.ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(
        std::fs::read_to_string(work.path().join(&backups[0])).expect("backup"),
        text,
        "the previous file is kept as it was"
    );
    let promoted = std::fs::read_to_string(&campaign).expect("promoted");
    let table: toml_like::Table = toml_like::parse(&promoted);
    assert_eq!(table.arms, vec![("sms-first".to_string(), "1".to_string())]);
    assert_eq!(table.holdout.as_deref(), Some("20"));
    assert!(
        promoted.contains("# the challenger"),
        "comments kept: {promoted}"
    );
    // The promoted file launches: only the winner's steps are planned.
    let store = format!("sqlite://{}", work.path().join("p.db").display());
    let launched = launch_ok(work.path(), &campaign, &store);
    assert!(launched.contains("arms sms-first:"), "{launched}");
}

/// Just enough of the promoted file to check it, without a TOML crate in
/// this test crate: the arms' ids and weights and the holdout.
mod toml_like {
    pub struct Table {
        pub arms: Vec<(String, String)>,
        pub holdout: Option<String>,
    }

    pub fn parse(text: &str) -> Table {
        let mut arms = Vec::new();
        let mut holdout = None;
        let mut in_arm = false;
        let mut id = String::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_arm = line == "[[arms]]";
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').to_string();
            match (in_arm, k.trim()) {
                (false, "holdout") => holdout = Some(v),
                (true, "id") => id = v,
                (true, "weight") => arms.push((std::mem::take(&mut id), v)),
                _ => {}
            }
        }
        Table { arms, holdout }
    }
}
