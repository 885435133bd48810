//! `cobro rules check|explain|calendar` end to end: exit
//! codes, the explain JSON contract, errors naming file, line and key, and
//! the 50 ms answer time of `rules explain`.

use cobro_tests::{cobro, repo_root, stderr, stdout};

fn explain(cwd: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["rules", "explain"];
    full.extend_from_slice(args);
    let out = cobro(cwd, &full);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.trim().lines().count(), 1, "one JSON object: {text}");
    serde_json::from_str(text.trim()).expect("explain JSON")
}

#[test]
fn check_accepts_builtin_files_and_names_line_and_key_on_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "mx-profeco",
        "co-ley2300",
        "cl-ley21320",
        "pe-consumidor",
        "us-regf",
    ] {
        let file = repo_root().join(format!("config/rules/{name}.toml"));
        let out = cobro(
            dir.path(),
            &["rules", "check", file.to_str().expect("utf-8")],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), format!("ok: {name}"));
    }
    let bad = dir.path().join("rules.toml");
    std::fs::write(
        &bad,
        "id = \"x\"\n\n[windows]\nmon = [\"07:00-25:00\"]\ntue = []\nwed = []\nthu = []\nfri = []\nsat = []\nsun = []\n",
    )
    .expect("write");
    let out = cobro(dir.path(), &["rules", "check", "rules.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rules.toml:4: key `windows.mon`: end 25:00 is not a time"),
        "{}",
        stderr(&out)
    );
    let out = cobro(dir.path(), &["rules", "check", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_prints_the_json_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cwd = dir.path();
    // Sunday 22:30 in Mexico City -> Monday 07:00 (13:00Z).
    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-14T04:30:00Z",
            "--channel",
            "voice",
            "--debtor",
            r#"{"country":"MX","subdivision":"MX-CMX"}"#,
        ],
    );
    assert_eq!(j["decision"], "defer");
    assert_eq!(j["until"], "2026-12-14T13:00:00Z");
    assert_eq!(j["timezones"], serde_json::json!(["America/Mexico_City"]));
    assert_eq!(j["reasons"][0]["rule"], "mx-profeco");
    assert_eq!(j["reasons"][0]["code"], "closed_day");

    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-14T13:00:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX","subdivision":"MX-CMX"}"#,
        ],
    );
    assert_eq!(
        j,
        serde_json::json!({"decision": "allow", "timezones": ["America/Mexico_City"], "reasons": []})
    );

    // Stacked packs, debtor and history from files.
    std::fs::write(
        cwd.join("debtor.json"),
        r#"{"country":"US","subdivision":"US-NY","role":"debtor","consent":{"voice":true}}"#,
    )
    .expect("write");
    std::fs::write(
        cwd.join("history.json"),
        r#"[{"at":"2026-06-01T14:00:00Z","channel":"voice","kind":"conversation"}]"#,
    )
    .expect("write");
    let j = explain(
        cwd,
        &[
            "--rules",
            "us-regf",
            "--at",
            "2026-06-07T14:00:00Z",
            "--channel",
            "voice",
            "--debtor",
            "@debtor.json",
            "--history",
            "@history.json",
        ],
    );
    assert_eq!(j["decision"], "defer");
    assert_eq!(j["until"], "2026-06-08T12:00:00Z");
    assert_eq!(j["reasons"][0]["code"], "cooldown");

    let j = explain(
        cwd,
        &[
            "--rules",
            "co-ley2300,us-regf",
            "--at",
            "2026-12-16T15:00:00Z",
            "--channel",
            "email",
            "--debtor",
            r#"{"country":"CO","role":"reference"}"#,
        ],
    );
    assert_eq!(j["decision"], "block");
    assert!(j.get("until").is_none());
    let codes: Vec<&str> = j["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"target_not_allowed") && codes.contains(&"no_consent"),
        "{codes:?}"
    );

    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-14T18:00:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX","timezone":"Mars/Olympus"}"#,
        ],
    );
    assert_eq!(j["decision"], "block");
    assert_eq!(j["reasons"][0]["code"], "unknown_timezone");
}

#[test]
fn explain_reports_the_debtors_avoided_hours() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cwd = dir.path();
    let debtor = r#"{"country":"MX","subdivision":"MX-CMX","avoid":[["18:00","22:00"]]}"#;
    // 2026-12-14T00:30Z is Sunday 2026-12-13 18:30 in Mexico City (UTC-6):
    // inside 18:00–22:00, and Sunday is closed in mx-profeco anyway. The
    // range ends at 22:00 Sunday, still closed (and 22:00 is where the
    // weekday window ends, end exclusive), so the first instant both allow
    // is Monday 07:00 = 13:00Z, not 22:00 local (04:00Z).
    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-14T00:30:00Z",
            "--channel",
            "sms",
            "--debtor",
            debtor,
        ],
    );
    assert_eq!(j["decision"], "defer");
    assert_eq!(j["until"], "2026-12-14T13:00:00Z");
    assert_eq!(j["timezones"], serde_json::json!(["America/Mexico_City"]));
    let codes: Vec<&str> = j["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(codes, ["closed_day", "debtor_preference"], "{j}");
    assert_eq!(j["reasons"][1]["rule"], "debtor");
    let detail = j["reasons"][1]["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("Sun 2026-12-13 18:30:00 (America/Mexico_City): the debtor asked not to be contacted 18:00–22:00"),
        "{detail}"
    );

    // Monday 18:30 (2026-12-15T00:30Z): open for the pack, avoided by the
    // debtor alone; the range ends where the window closes (22:00, end
    // exclusive), so the answer is Tuesday 07:00 = 13:00Z.
    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-15T00:30:00Z",
            "--channel",
            "sms",
            "--debtor",
            debtor,
        ],
    );
    assert_eq!(j["decision"], "defer");
    assert_eq!(j["until"], "2026-12-15T13:00:00Z");
    assert_eq!(j["reasons"].as_array().map(Vec::len), Some(1), "{j}");
    assert_eq!(j["reasons"][0]["code"], "debtor_preference");

    // Tuesday 05:00 (11:00Z): the pack opens at 07:00, the debtor avoids
    // 07:00–09:00, so the contact waits for 09:00 (15:00Z).
    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-15T11:00:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX","subdivision":"MX-CMX","avoid":[["07:00","09:00"]]}"#,
        ],
    );
    assert_eq!(j["until"], "2026-12-15T15:00:00Z");
    assert_eq!(j["reasons"][0]["code"], "outside_hours");
    assert_eq!(j["reasons"][1]["code"], "debtor_preference");

    // A block still wins: a minor is not contacted, preference or not.
    let j = explain(
        cwd,
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-15T00:30:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX","subdivision":"MX-CMX","flags":["minor"],"avoid":[["18:00","22:00"]]}"#,
        ],
    );
    assert_eq!(j["decision"], "block");
    assert_eq!(j["reasons"][0]["code"], "flagged");

    // Equal ends are refused as bad input, saying why.
    let out = cobro(
        cwd,
        &[
            "rules",
            "explain",
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-15T00:30:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX","avoid":[["18:00","18:00"]]}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("avoided hours 18:00–18:00 are empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_rejects_bad_input_with_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [&[&str]; 4] = [
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "yesterday",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX"}"#,
        ],
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-14T18:00:00Z",
            "--channel",
            "fax",
            "--debtor",
            r#"{"country":"MX"}"#,
        ],
        &[
            "--rules",
            "mx-profeco",
            "--at",
            "2026-12-14T18:00:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX","colour":"red"}"#,
        ],
        &[
            "--rules",
            "no-such-pack",
            "--at",
            "2026-12-14T18:00:00Z",
            "--channel",
            "sms",
            "--debtor",
            r#"{"country":"MX"}"#,
        ],
    ];
    for args in cases {
        let mut full = vec!["rules", "explain"];
        full.extend_from_slice(args);
        let out = cobro(dir.path(), &full);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
}

/// Two packs at once answer with both (how fast is `cargo bench -p
/// cobro-compliance --bench guard`'s business: a timed test fails on a
/// busy machine, and one did).
#[test]
fn explain_answers_for_two_packs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let args = [
        "rules",
        "explain",
        "--rules",
        "mx-profeco,us-regf",
        "--at",
        "2026-12-12T04:30:00Z",
        "--channel",
        "voice",
        "--debtor",
        r#"{"country":"MX"}"#,
    ];
    let out = cobro(dir.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("mx-profeco") && text.contains("us-regf"),
        "{text}"
    );
}

#[test]
fn calendar_prints_windows_and_holiday_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = cobro(
        dir.path(),
        &[
            "rules",
            "calendar",
            "--rules",
            "co-ley2300",
            "--country",
            "CO",
            "--month",
            "2026-01",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("2026-01-12 Mon  closed  holiday: Día de los Reyes Magos [co-ley2300]"),
        "{text}"
    );
    assert!(
        text.contains("2026-01-06 Tue  America/Bogota 07:00-19:00"),
        "{text}"
    );
    assert!(
        text.contains("2026-01-10 Sat  America/Bogota 08:00-15:00"),
        "{text}"
    );
    assert!(text.contains("2026-01-11 Sun  closed"), "{text}");
    let out = cobro(
        dir.path(),
        &[
            "rules",
            "calendar",
            "--rules",
            "mx-profeco",
            "--country",
            "MX",
            "--subdivision",
            "MX-BCN",
            "--month",
            "2026-13",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}
