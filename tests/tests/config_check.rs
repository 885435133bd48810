//! `cobro config check [FILE]`: the settings file is checked exactly as a
//! run would load it, and nothing else happens.

use std::process::{Command, Output};

use cobro_tests::{cobro_bin, repo_root, stderr, stdout};

fn check(args: &[&str], cwd: &std::path::Path) -> Output {
    Command::new(cobro_bin())
        .arg("config")
        .arg("check")
        .args(args)
        .current_dir(cwd)
        .env_remove("COBRO_CONFIG")
        .env_remove("COBRO_STORE")
        .env("SMTP_PASSWORD", "smtp-secret")
        .env("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
        .env("TWILIO_AUTH_TOKEN", "twilio-secret")
        .output()
        .expect("run cobro")
}

#[test]
fn a_misspelled_provider_key_exits_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cobro.toml");
    std::fs::write(
        &file,
        "store = \"sqlite://cobro.db\"\n\n[channels.sms]\nprovider = \"twilio\"\nacount_sid = \"${TWILIO_ACCOUNT_SID}\"\nauth_token = \"${TWILIO_AUTH_TOKEN}\"\n",
    )
    .expect("write settings");
    let out = check(&[], dir.path());
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("cobro.toml:5: key `channels.sms.acount_sid`"),
        "names the file, the line and the key: {text}"
    );
    assert!(text.contains("unknown field"), "{text}");
}

#[test]
fn an_impossible_worker_lease_exits_2_with_the_minimum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("settings.toml");
    std::fs::write(&file, "[worker]\nqueued_lease_secs = 5\n").expect("write settings");
    let out = check(&[file.to_str().expect("utf-8 path")], dir.path());
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("settings.toml:2: key `worker.queued_lease_secs`")
            && text.contains("at least 21"),
        "{text}"
    );
}

#[test]
fn the_example_settings_pass() {
    let example = repo_root().join("config/examples/cobro.toml");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = check(
        &["--config", example.to_str().expect("utf-8 path")],
        dir.path(),
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(stdout(&out).contains("OK"), "{text}");
    assert!(
        !dir.path().join("cobro.db").exists(),
        "a check opens no store"
    );
}
