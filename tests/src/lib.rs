//! Helpers for the end-to-end tests in `tests/tests/*.rs`, which drive the
//! real `cobro` binary (built by `scripts/test.sh` before the tests run).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `cobro` binary next to this test executable (`target/<profile>/`),
/// wherever `CARGO_TARGET_DIR` points.
pub fn cobro_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join(format!("cobro{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it first with `cargo build -p cobro-dispatcher --bin cobro` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The repository root (for `config/examples`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repo root")
}

/// Runs `cobro ARGS` in `cwd`, with no inherited `COBRO_STORE`.
pub fn cobro(cwd: &Path, args: &[&str]) -> Output {
    Command::new(cobro_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("COBRO_STORE")
        .env("COBRO_EXAMPLES", repo_root().join("config/examples"))
        .output()
        .expect("run cobro")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One row of `cobro export gestiones`.
#[derive(Debug, Clone)]
pub struct Gestion {
    pub contact_id: String,
    pub account: String,
    pub channel: String,
    pub state: String,
    pub at: String,
    pub timezones: String,
    pub rules: String,
    pub code: String,
    pub provider_id: String,
}

/// Parses the ledger CSV, checking the documented header.
pub fn parse_gestiones(csv_text: &str) -> Vec<Gestion> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header row").clone();
    for column in [
        "contact_id", "campaign", "account", "step", "channel", "state", "at", "timezones", "rules", "code", "detail",
        "provider", "provider_id", "attempt",
    ] {
        assert!(headers.iter().any(|h| h == column), "export lacks column {column}: {headers:?}");
    }
    let idx = |name: &str| headers.iter().position(|h| h == name).expect("column");
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv row");
            Gestion {
                contact_id: r[idx("contact_id")].to_string(),
                account: r[idx("account")].to_string(),
                channel: r[idx("channel")].to_string(),
                state: r[idx("state")].to_string(),
                at: r[idx("at")].to_string(),
                timezones: r[idx("timezones")].to_string(),
                rules: r[idx("rules")].to_string(),
                code: r[idx("code")].to_string(),
                provider_id: r[idx("provider_id")].to_string(),
            }
        })
        .collect()
}
