//! The README's main command, end to end: `cobro demo` on SQLite with the
//! outbox, then an audit of what it left behind.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cobro_campaigns::import::import_path;
use cobro_compliance::{ComplianceGuard, ContactAttempt, DebtorProfile, Decision, RulePack};
use cobro_tests::{cobro, parse_gestion_events, parse_gestiones, stderr, stdout};

const TERMINAL: [&str; 7] = [
    "sent",
    "delivered",
    "undelivered",
    "blocked",
    "cancelled",
    "failed",
    "unknown",
];
const WINDOW_CODES: [&str; 3] = ["outside_hours", "closed_day", "holiday"];

#[test]
fn demo_runs_every_contact_to_one_terminal_state_inside_legal_windows() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path().join("demo");
    let out = cobro(
        work.path(),
        &[
            "demo",
            "--debtors",
            "400",
            "--dir",
            dir.to_str().expect("utf-8 path"),
        ],
    );
    assert!(
        out.status.success(),
        "demo failed: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("Messages sent:"), "summary missing: {text}");
    assert!(dir.join("report.html").is_file());
    assert!(dir.join("portfolio.csv").is_file());

    let store = format!("sqlite://{}", dir.join("cobro.db").display());
    let export = cobro(work.path(), &["export", "gestiones", "--store", &store]);
    assert!(export.status.success(), "{}", stderr(&export));
    let rows = parse_gestiones(&stdout(&export));
    assert!(!rows.is_empty());

    // The report says what was collected, and the export agrees: one
    // payment event row per payment the report counts. The report's
    // "Collected" is the contacted accounts'; the demo's holdout (its
    // arms' control group, never contacted) pays apart, in the arms'
    // table (tests/tests/arms.rs recomputes that one).
    let contacted: BTreeSet<&str> = rows.iter().map(|r| r.account.as_str()).collect();
    let collected = text
        .split_once("Collected")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no collections section in {text}"));
    let mut payments_in_report = 0u64;
    for line in collected.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() != 8 {
            break;
        }
        payments_in_report += cols[3].parse::<u64>().expect("payments column");
        assert!(cols[5].ends_with('%'), "{line}");
    }
    let events = parse_gestion_events(&stdout(&export));
    let payment_rows = events
        .iter()
        .filter(|e| e.kind == "payment" && contacted.contains(e.account.as_str()))
        .count() as u64;
    assert!(payment_rows > 0, "the demo's debtors pay");
    assert_eq!(payments_in_report, payment_rows, "{collected}");
    let promises: Vec<u64> = collected
        .lines()
        .find(|l| l.trim_start().starts_with("promises"))
        .expect("promises line")
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().expect("count"))
        .collect();
    let [made, kept, broken, open] = promises[..] else {
        panic!("made kept broken open: {promises:?}");
    };
    assert!(kept > 0 && broken > 0, "{collected}");
    assert_eq!(made, kept + broken + open);
    assert!(
        events
            .iter()
            .all(|e| matches!(e.source.as_str(), "simulation" | "agent") && !e.account.is_empty()),
        "the demo's actions are the simulation's and its collectors'"
    );
    // The collectors worked the call step: a section of the report, with
    // no outcome recorded outside what the rules allow.
    let calls = text
        .split_once("Gestión telefónica / Collectors' calls:")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no collectors' section in {text}"));
    let figure = |label: &str| -> u64 {
        calls
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no '{label}' figure in {calls}"))
    };
    assert!(figure("tasks handed out") > 0, "{calls}");
    assert_eq!(figure("late outcomes"), 0, "{calls}");

    // Every contact's last row is terminal; none was sent twice.
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    let mut sent_count: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        last.insert(&row.contact_id, &row.state);
        if row.state == "sent" {
            *sent_count.entry(&row.contact_id).or_default() += 1;
        }
    }
    for (contact, state) in &last {
        assert!(
            TERMINAL.contains(state),
            "{contact} ends in non-terminal state {state}"
        );
    }
    assert!(
        sent_count.values().all(|&n| n == 1),
        "a contact was sent twice"
    );
    assert!(
        sent_count.len() > 100,
        "too few sends to be a meaningful demo: {}",
        sent_count.len()
    );

    // The outbox holds each sent contact exactly once.
    let files: Vec<_> = std::fs::read_dir(dir.join("outbox"))
        .expect("outbox")
        .collect();
    assert_eq!(
        files.len(),
        sent_count.len(),
        "outbox files vs sent contacts"
    );

    // `cobro status --json` agrees with the ledger.
    let status = cobro(work.path(), &["status", "--json", "--store", &store]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status json");
    let campaign = status["campaigns"]
        .as_object()
        .expect("campaigns")
        .values()
        .next()
        .expect("one campaign");
    assert_eq!(campaign["open"], 0, "{campaign}");
    assert_eq!(campaign["total"].as_u64(), Some(last.len() as u64));

    // No send outside its window: re-ask the packs about each send instant
    // (history aside, caps are the store's job), per debtor.
    let accounts = import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let by_id: BTreeMap<&str, _> = accounts.iter().map(|a| (a.id.as_str(), a)).collect();

    // Nobody pays more than it owed: a simulated debtor pays its balance
    // when it pays, not the original amount again (a payment row's detail
    // is "<amount> ref <reference>").
    let mut paid: BTreeMap<&str, rust_decimal::Decimal> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == "payment") {
        let amount = e
            .detail
            .split_whitespace()
            .next()
            .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
            .unwrap_or_else(|| panic!("payment detail without an amount: {}", e.detail));
        *paid.entry(e.account.as_str()).or_default() += amount;
    }
    for (account, total) in &paid {
        let owed = by_id
            .get(account)
            .map(|a| a.amount_due)
            .expect("paying account in the portfolio");
        assert!(*total <= owed, "{account} paid {total} on a debt of {owed}");
    }
    let pack_of = |country: &str| match country {
        "MX" => "mx-profeco",
        "CO" => "co-ley2300",
        "CL" => "cl-ley21320",
        "PE" => "pe-consumidor",
        "US" => "us-regf",
        _ => "mx-profeco",
    };
    let mut checked = 0;
    let mut countries = BTreeSet::new();
    for row in rows.iter().filter(|r| r.state == "sent") {
        let account = by_id[row.account.as_str()];
        let channel = row.channel.parse().expect("channel");
        let point = account
            .contact_point_for(channel)
            .expect("sent to an address");
        let guard = ComplianceGuard::with_packs(vec![
            RulePack::builtin(pack_of(&account.country)).expect("pack"),
        ]);
        let at: DateTime<Utc> = row.at.parse().expect("rfc3339");
        let verdict = guard.decide(
            &ContactAttempt {
                channel,
                suppressed: false,
            },
            &DebtorProfile::from_account(account, point),
            &[],
            at,
        );
        let window_problem: Vec<_> = verdict
            .reasons
            .iter()
            .filter(|r| WINDOW_CODES.contains(&r.code.as_str()))
            .collect();
        assert!(
            !matches!(verdict.decision, Decision::Block) && window_problem.is_empty(),
            "{} sent at {} outside its window: {:?}",
            row.contact_id,
            row.at,
            verdict.reasons
        );
        assert!(
            !row.timezones.is_empty() && !row.rules.is_empty(),
            "sent row lacks zones/rules: {row:?}"
        );
        countries.insert(account.country.clone());
        checked += 1;
    }
    assert_eq!(checked, sent_count.len());

    // A collector's call is audited as a call: the instant its outcome was
    // recorded (the guard's `allowed` row marks when it was handed out)
    // is inside the debtor's window.
    let mut calls_checked = 0;
    for row in rows.iter().filter(|r| {
        r.channel == "agent_call" && (r.state == "allowed" || r.code.starts_with("call_"))
    }) {
        let account = by_id[row.account.as_str()];
        let point = account
            .contact_point_for(cobro_campaigns::ChannelKind::AgentCall)
            .expect("a number to call");
        let guard = ComplianceGuard::with_packs(vec![
            RulePack::builtin(pack_of(&account.country)).expect("pack"),
        ]);
        let at: DateTime<Utc> = row.at.parse().expect("rfc3339");
        let verdict = guard.decide(
            &ContactAttempt {
                channel: cobro_campaigns::ChannelKind::AgentCall.guarded_as(),
                suppressed: false,
            },
            &DebtorProfile::from_account(account, point),
            &[],
            at,
        );
        let window_problem: Vec<_> = verdict
            .reasons
            .iter()
            .filter(|r| WINDOW_CODES.contains(&r.code.as_str()))
            .collect();
        assert!(
            window_problem.is_empty(),
            "{} called at {} outside its window: {window_problem:?}",
            row.contact_id,
            row.at
        );
        calls_checked += 1;
    }
    assert!(calls_checked > 0, "the demo's collectors made calls");
    assert!(
        rows.iter().all(|r| r.code != "late_outcome"),
        "no call recorded outside its window"
    );
    for country in ["MX", "CO", "CL", "PE", "US"] {
        assert!(
            countries.contains(country),
            "no sends for {country}: all five packs must be represented"
        );
    }
}

#[test]
fn relaunch_adds_nothing_and_import_check_reports_bad_rows() {
    let work = tempfile::tempdir().expect("temp dir");
    let examples = cobro_tests::repo_root().join("config/examples");
    let store = format!("sqlite://{}", work.path().join("c.db").display());
    let campaign = examples.join("campaign.toml");
    let campaign = campaign.to_str().expect("utf-8");

    let first = cobro(work.path(), &["launch", campaign, "--store", &store]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = cobro(work.path(), &["launch", campaign, "--store", &store]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains(", 0 new"),
        "re-launch added contacts: {}",
        stdout(&second)
    );

    let good = cobro(
        work.path(),
        &[
            "import",
            examples.join("portfolio.csv").to_str().expect("utf-8"),
            "--check",
        ],
    );
    assert!(good.status.success(), "{}{}", stdout(&good), stderr(&good));

    let bad = cobro(
        work.path(),
        &[
            "import",
            examples.join("portfolio_bad.csv").to_str().expect("utf-8"),
            "--check",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stdout(&bad));
    let report = stdout(&bad);
    assert!(
        report.contains("line "),
        "bad rows are reported by line: {report}"
    );
}
