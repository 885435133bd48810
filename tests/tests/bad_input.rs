//! The bad-input corpus (`tests/corpus/`): portfolio rows, rules files,
//! strategy and campaign files, templates and webhook bodies that are
//! truncated, mistyped, huge, not UTF-8, or try to inject headers or
//! template code. Each gets a clear error naming the file, the line and
//! the field (exit 2 from the CLI; a 4xx from the HTTP service), and
//! nothing is sent or lost: the good rows of a portfolio are kept and go
//! out, the injection attempts that are valid data go out harmlessly.

use std::path::{Path, PathBuf};

use cobro_dispatcher::http::auth::twilio_signature;
use cobro_testkit::free_port;
use cobro_tests::{
    cobro, form_encode, http_request, outbox_contacts, parse_gestiones, repo_root, spawn_serve,
    stderr, stdout, terminate_child,
};

fn corpus(rel: &str) -> PathBuf {
    repo_root().join("tests/corpus").join(rel)
}

/// A copy of the example campaign (campaign.toml, strategy.toml,
/// portfolio.csv, templates/) in a temporary folder.
fn example_campaign() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let examples = repo_root().join("config/examples");
    for file in ["campaign.toml", "strategy.toml", "portfolio.csv"] {
        std::fs::copy(examples.join(file), dir.path().join(file)).expect("copy");
    }
    copy_dir(&examples.join("templates"), &dir.path().join("templates"));
    dir
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

fn assert_bad_input(out: &std::process::Output, what: &str, needles: &[&str]) {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: expected exit 2 (bad input), got {:?}: {text}",
        out.status.code()
    );
    for needle in needles {
        assert!(
            text.contains(needle),
            "{what}: the message must name {needle:?}: {text}"
        );
    }
}

fn ledger_rows(dir: &Path, store: &str) -> usize {
    let out = cobro(dir, &["export", "gestiones", "--store", store]);
    if !out.status.success() {
        return 0;
    }
    parse_gestiones(&stdout(&out)).len()
}

#[test]
fn portfolio_rows_are_rejected_by_line_and_field() {
    let cases: &[(&str, &[&str])] = &[
        (
            "truncated_row.csv",
            &[
                "line 4: columns: expected 28 fields",
                "2 accepted, 1 rejected",
            ],
        ),
        (
            "wrong_types.csv",
            &[
                "line 4: amount_due: 'mil pesos' is not a decimal amount",
                "line 5: due_date: '2026-31-12' is not a date",
                "line 6: consent_sms: 'quizas'",
                "line 7: country: unknown country code 'XX'",
                "2 accepted, 4 rejected",
            ],
        ),
        (
            "bad_addresses.csv",
            &[
                "line 4: phone:",
                "line 5: email: 'not-an-email'",
                "line 6: timezone: unknown IANA time zone",
                "2 accepted, 3 rejected",
            ],
        ),
        (
            "header_injection.csv",
            &["line 4: email:", "line 6: phone:", "2 accepted, 2 rejected"],
        ),
        (
            "non_utf8.csv",
            &[
                "line 4: debtor_name: not valid UTF-8",
                "2 accepted, 1 rejected",
            ],
        ),
        (
            "duplicate_id.csv",
            &["line 4: id: duplicated id 'EXP-0000002' (first seen on line 3)"],
        ),
        (
            "missing_column.csv",
            &["missing_column.csv:1: header: missing required column 'amount_due'"],
        ),
        ("empty.csv", &["empty.csv", "empty"]),
    ];
    let work = tempfile::tempdir().expect("temp dir");
    for (file, needles) in cases {
        let path = corpus(&format!("portfolio/{file}"));
        let out = cobro(
            work.path(),
            &["import", path.to_str().expect("utf-8"), "--check"],
        );
        let mut all = vec![*file];
        all.extend_from_slice(needles);
        assert_bad_input(&out, file, &all);
        // A value quoted in the report cannot forge a line of it.
        let report = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !report
                .lines()
                .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected:")),
            "{file}: a quoted value broke the report's lines: {report}"
        );
    }

    // Huge fields, made here rather than kept in the repository.
    let header = std::fs::read_to_string(corpus("portfolio/truncated_row.csv")).expect("corpus");
    let mut lines = header.lines();
    let (head, first) = (lines.next().expect("header"), lines.next().expect("row"));
    let huge_amount = first.replacen(",55177.35,", &format!(",{},", "9".repeat(100_000)), 1);
    assert_ne!(huge_amount, first, "the example row changed");
    let huge = work.path().join("huge.csv");
    std::fs::write(
        &huge,
        format!(
            "{head}\n{first}\n{}\n",
            huge_amount.replacen("EXP-0000001", "HUGE-1", 1)
        ),
    )
    .expect("write");
    let out = cobro(
        work.path(),
        &["import", huge.to_str().expect("utf-8"), "--check"],
    );
    assert_bad_input(&out, "huge amount", &["line 3: amount_due:"]);
    assert!(
        out.stdout.len() + out.stderr.len() < 4_000,
        "the error must not echo a 100 KB field back: {} bytes",
        out.stdout.len() + out.stderr.len()
    );
}

#[test]
fn rules_files_name_file_line_and_key() {
    let cases: &[(&str, &[&str])] = &[
        ("truncated.toml", &[":5: key `windows.mon`"]),
        (
            "wrong_type_window.toml",
            &[":5: key `windows.mon`: invalid type: string"],
        ),
        (
            "bad_window_time.toml",
            &[":5: key `windows.mon`: start 25:00"],
        ),
        (
            "unknown_key.toml",
            &[":3: key `max_calls_per_day`: unknown field"],
        ),
        (
            "cap_wrong_type.toml",
            &[":11: key `caps[0].days`: invalid type"],
        ),
        ("non_utf8.toml", &["line 2, column", "is not UTF-8"]),
    ];
    let work = tempfile::tempdir().expect("temp dir");
    for (file, needles) in cases {
        let path = corpus(&format!("rules/{file}"));
        let out = cobro(
            work.path(),
            &["rules", "check", path.to_str().expect("utf-8")],
        );
        let mut all = vec![*file];
        all.extend_from_slice(needles);
        assert_bad_input(&out, file, &all);
    }
}

#[test]
fn strategy_campaign_and_template_files_stop_the_launch_and_plan_nothing() {
    let strategy_cases: &[(&str, &[&str])] = &[
        (
            "truncated.toml",
            &["strategy.toml:6: key 'steps[0].channel'"],
        ),
        (
            "unknown_channel.toml",
            &["strategy.toml:14: key 'steps[1].channel': unknown channel 'fax'"],
        ),
        (
            "day_wrong_type.toml",
            &["strategy.toml:13: key 'steps[1].day': invalid type"],
        ),
        (
            "fallback_same_channel.toml",
            &["strategy.toml:16: key 'steps[1].fallback'"],
        ),
        (
            "bad_send_at.toml",
            &["strategy.toml:16: key 'steps[1].send_at'"],
        ),
        (
            "duplicate_step.toml",
            &["strategy.toml:12: key 'steps[1].id': step id 'e' is used twice"],
        ),
        (
            "step_id_injection.toml",
            &["strategy.toml:12: key 'steps[1].id': 's/../../etc' is not a valid step id"],
        ),
        (
            "unknown_template.toml",
            &["no sms template 'no_such_template'"],
        ),
        (
            "non_utf8.toml",
            &["strategy.toml", "line 12, column", "is not UTF-8"],
        ),
    ];
    for (file, needles) in strategy_cases {
        let dir = example_campaign();
        std::fs::copy(
            corpus(&format!("strategy/{file}")),
            dir.path().join("strategy.toml"),
        )
        .expect("copy");
        let store = format!("sqlite://{}", dir.path().join("s.db").display());
        let out = cobro(dir.path(), &["launch", "campaign.toml", "--store", &store]);
        assert_bad_input(&out, file, needles);
        assert_eq!(
            ledger_rows(dir.path(), &store),
            0,
            "{file}: nothing planned"
        );
    }

    let campaign_cases: &[(&str, &[&str])] = &[
        (
            "truncated.toml",
            &["bad.toml:", "key `sender`: missing field"],
        ),
        (
            "start_date_wrong_type.toml",
            &["bad.toml:8: key `start_date`: invalid type"],
        ),
        ("bad_start_date.toml", &["bad.toml:8: key `start_date`"]),
        ("missing_portfolio.toml", &["no-such-portfolio.csv"]),
        ("unknown_pack.toml", &["bad.toml", "xx-no-such-pack"]),
        (
            "unknown_key.toml",
            &["bad.toml:23: key `bcc`: unknown field"],
        ),
        (
            "sender_header_injection.toml",
            &["bad.toml:26: key `sender.email_from`: must not contain control characters"],
        ),
        (
            "non_utf8.toml",
            &["bad.toml", "line 24, column", "is not UTF-8"],
        ),
        (
            "negative_price.toml",
            &["bad.toml:33: key `costs.sms_segment`: a price cannot be negative"],
        ),
    ];
    for (file, needles) in campaign_cases {
        let dir = example_campaign();
        std::fs::copy(
            corpus(&format!("campaign/{file}")),
            dir.path().join("bad.toml"),
        )
        .expect("copy");
        let store = format!("sqlite://{}", dir.path().join("s.db").display());
        let out = cobro(dir.path(), &["launch", "bad.toml", "--store", &store]);
        assert_bad_input(&out, file, needles);
        assert_eq!(
            ledger_rows(dir.path(), &store),
            0,
            "{file}: nothing planned"
        );
    }

    let template_cases: &[(&str, &[&str])] = &[
        (
            "syntax_error",
            &["es-MX/aviso_sms.sms.txt line 1: syntax error"],
        ),
        (
            "unknown_variable",
            &["es-MX/aviso_sms.sms.txt line 1: unknown variable `saldo_secreto`"],
        ),
        (
            "non_utf8",
            &["es-MX/aviso_sms.sms.txt", "line 1, column", "is not UTF-8"],
        ),
    ];
    for (case, needles) in template_cases {
        let dir = example_campaign();
        copy_dir(
            &corpus(&format!("templates/{case}")),
            &dir.path().join("templates"),
        );
        let store = format!("sqlite://{}", dir.path().join("s.db").display());
        let out = cobro(dir.path(), &["launch", "campaign.toml", "--store", &store]);
        assert_bad_input(&out, case, needles);
        assert_eq!(
            ledger_rows(dir.path(), &store),
            0,
            "{case}: nothing planned"
        );
    }
}

/// Header names of a raw message (up to the blank line), unfolded.
fn header_names(raw: &str) -> Vec<String> {
    raw.split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, _)| n.trim().to_ascii_lowercase())
        })
        .collect()
}

#[test]
fn injection_attempts_in_values_go_out_harmlessly_and_good_rows_are_kept() {
    let dir = example_campaign();
    let d = dir.path();
    // Injection rows (valid data), a row that is not (rejected), and a
    // subject template that tries to add header lines.
    let injection =
        std::fs::read_to_string(corpus("portfolio/injection_values.csv")).expect("corpus");
    let bad = std::fs::read_to_string(corpus("portfolio/header_injection.csv")).expect("corpus");
    let bad_rows: Vec<&str> = bad.lines().skip(1).collect();
    let mut portfolio = injection.clone();
    // header_injection.csv: two good example rows, then two bad rows
    // spanning two physical lines each.
    for line in &bad_rows[2..] {
        portfolio.push_str(line);
        portfolio.push('\n');
    }
    std::fs::write(d.join("portfolio.csv"), &portfolio).expect("portfolio");
    copy_dir(
        &corpus("templates/subject_header_injection"),
        &d.join("templates"),
    );
    let store = format!("sqlite://{}", d.join("s.db").display());
    let launch = cobro(d, &["launch", "campaign.toml", "--store", &store]);
    assert!(
        launch.status.success(),
        "{}{}",
        stdout(&launch),
        stderr(&launch)
    );
    assert!(
        stdout(&launch).contains("3 accounts"),
        "the three injection rows load, the bad ones are skipped: {}",
        stdout(&launch)
    );
    let outbox = d.join("outbox");
    let run = cobro(
        d,
        &[
            "run",
            "campaign.toml",
            "--clock",
            "simulated",
            "--store",
            &store,
            "--outbox",
            outbox.to_str().expect("utf-8"),
        ],
    );
    assert!(run.status.success(), "{}{}", stdout(&run), stderr(&run));
    let sent = outbox_contacts(&outbox);
    for account in ["INJ-0001", "INJ-0002", "INJ-0003"] {
        assert!(
            sent.iter().any(|id| id.contains(&format!("/{account}/"))),
            "{account} (valid data) got nothing: {sent:?}"
        );
    }
    assert!(
        !sent.iter().any(|id| id.contains("BAD-")),
        "a rejected row was sent: {sent:?}"
    );
    let mut emails = 0;
    for entry in std::fs::read_dir(&outbox).expect("outbox") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        emails += 1;
        let raw = std::fs::read_to_string(&path).expect("eml");
        let names = header_names(&raw);
        for forbidden in ["bcc", "x-injected", "cc"] {
            assert!(
                !names.iter().any(|n| n == forbidden),
                "{}: an injected `{forbidden}` header: {names:?}",
                path.display()
            );
        }
        assert_eq!(
            names.iter().filter(|n| *n == "subject").count(),
            1,
            "{}: one Subject",
            path.display()
        );
        let head = raw.split("\r\n\r\n").next().unwrap_or("");
        assert!(
            !head
                .lines()
                .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected:")),
            "{}: header injection:\n{head}",
            path.display()
        );
        // The template code in the debtor's name is data, not code.
        assert!(
            !raw.contains("xxxxxxxxx"),
            "a name was rendered as a template"
        );
    }
    assert!(emails >= 3, "emails went out: {emails}");
}

#[test]
fn webhook_and_api_bodies_get_4xx_and_store_nothing() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let port = free_port();
    std::fs::write(
        dir.join("cobro.toml"),
        format!(
            "[http]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\n\
             [channels.sms]\nprovider = \"twilio\"\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token = \"${{TWILIO_AUTH_TOKEN}}\"\nbase_url = \"http://127.0.0.1:9\"\n"
        ),
    )
    .expect("settings");
    let store = format!("sqlite://{}", dir.join("w.db").display());
    let mut serve = spawn_serve(
        dir,
        &["--store", &store],
        &[
            ("TWILIO_AUTH_TOKEN", "corpus-twilio-token"),
            ("COBRO_API_TOKEN", "corpus-api-token"),
        ],
        "serve.log",
    );
    let body = |name: &str| std::fs::read(corpus(&format!("webhooks/{name}"))).expect("corpus");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];

    // Unsigned and wrongly signed provider callbacks: 403, nothing stored.
    for name in [
        "inbound_stop.form",
        "inbound_truncated.form",
        "inbound_non_utf8.form",
        "inbound_header_injection.form",
    ] {
        let (status, text) =
            http_request(port, "POST", "/webhooks/twilio/inbound", &form, &body(name))
                .expect("inbound");
        assert_eq!(status, 403, "{name} unsigned: {text}");
        let (status, text) = http_request(
            port,
            "POST",
            "/webhooks/twilio/inbound",
            &[form[0], ("X-Twilio-Signature", "bm90LXRoZS1zaWduYXR1cmU=")],
            &body(name),
        )
        .expect("inbound");
        assert_eq!(status, 403, "{name} badly signed: {text}");
    }
    let (status, _) = http_request(
        port,
        "POST",
        "/webhooks/twilio/status",
        &form,
        &body("status_no_sid.form"),
    )
    .expect("status");
    assert_eq!(status, 403, "unsigned status callback");

    // A correctly signed but non-UTF-8 body: refused, not a crash.
    let url = format!("http://127.0.0.1:{port}/webhooks/twilio/inbound");
    let sig = twilio_signature("corpus-twilio-token", &url, &[]);
    let (status, text) = http_request(
        port,
        "POST",
        "/webhooks/twilio/inbound",
        &[form[0], ("X-Twilio-Signature", &sig)],
        &body("inbound_non_utf8.form"),
    )
    .expect("inbound");
    assert!(
        (400..500).contains(&status),
        "signed non-UTF-8 body: {status} {text}"
    );
    // A huge body (3 MB): refused before it is buffered whole.
    let huge = vec![b'a'; 3 * 1024 * 1024];
    let (status, _) = http_request(port, "POST", "/webhooks/twilio/inbound", &form, &huge)
        .unwrap_or((413, String::new()));
    assert!((400..500).contains(&status), "huge inbound body: {status}");

    // API bodies: 4xx naming the field.
    let json = [
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer corpus-api-token"),
    ];
    let cases: &[(&str, &str, &str)] = &[
        (
            "/api/campaigns",
            "api_launch_wrong_type.json",
            "campaign_file",
        ),
        (
            "/api/campaigns",
            "api_launch_truncated.json",
            "campaign_file",
        ),
        (
            "/api/accounts/A-1/events",
            "api_event_wrong_type.json",
            "account",
        ),
        (
            "/api/accounts/A-1/events",
            "api_event_injection.json",
            "unknown event",
        ),
    ];
    for (path, name, needle) in cases {
        let (status, text) = http_request(port, "POST", path, &json, &body(name)).expect("api");
        assert!(
            (400..500).contains(&status) && text.contains(needle),
            "{name}: {status} {text}"
        );
    }
    let (status, _) =
        http_request(port, "POST", "/api/campaigns", &json, &huge).unwrap_or((413, String::new()));
    assert!((400..500).contains(&status), "huge API body: {status}");
    let _ = form_encode(&[]);

    terminate_child(&mut serve);
    let list = cobro(dir, &["suppress", "list", "--store", &store]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(
        !stdout(&list).contains("+52"),
        "a refused webhook suppressed an address: {}",
        stdout(&list)
    );
    assert_eq!(
        ledger_rows(dir, &store),
        0,
        "a refused webhook wrote the ledger"
    );
}
