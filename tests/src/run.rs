//! Running the `cobro` binary: commands, workers and their settings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cobro_testkit::ChildProcess;

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
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
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

/// `cobro launch CAMPAIGN --store STORE`, which must succeed; its stdout.
pub fn launch_ok(dir: &Path, campaign: &Path, store: &str) -> String {
    let out = cobro(
        dir,
        &[
            "launch",
            campaign.to_str().expect("utf-8"),
            "--store",
            store,
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// `cobro.toml` for the fault cases: short leases so a dead worker's
/// contacts come back within the test, `extra_worker` lines added to
/// `[worker]`, and every channel on an outbox in `outbox` limited to
/// `rate_limit` (which makes the campaign last long enough to disturb).
pub fn outbox_worker_settings(outbox: &Path, rate_limit: &str, extra_worker: &str) -> String {
    let mut s = format!(
        "[worker]\nconcurrency = 16\nbatch_size = 8\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 5\n{extra_worker}"
    );
    for kind in ["email", "sms", "voice"] {
        s.push_str(&format!(
            "\n[channels.{kind}]\nprovider = \"outbox\"\ndir = {:?}\nrate_limit = \"{rate_limit}\"\n",
            outbox.display().to_string()
        ));
    }
    s
}

/// `cobro status --json` → (total, open) of one campaign.
pub fn status_of(cwd: &Path, store: &str, campaign: &str) -> (u64, u64) {
    let out = cobro(cwd, &["status", campaign, "--json", "--store", store]);
    assert!(out.status.success(), "status failed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let c = &v["campaigns"][campaign];
    (
        c["total"].as_u64().unwrap_or(0),
        c["open"].as_u64().unwrap_or(u64::MAX),
    )
}

/// Spawns `cobro work --campaign CAMPAIGN` in `dir` with `dir/cobro.toml`
/// and the outbox `dir/outbox`, logging to `dir/LOG`, with extra
/// environment variables.
pub fn spawn_worker_with_env(
    dir: &Path,
    store: &str,
    campaign: &Path,
    log: &str,
    env: &[(&str, &str)],
) -> ChildProcess {
    let log = std::fs::File::create(dir.join(log)).expect("log file");
    let mut cmd = Command::new(cobro_bin());
    cmd.args(["work", "--campaign"])
        .arg(campaign)
        .args(["--store", store, "--config"])
        .arg(dir.join("cobro.toml"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .current_dir(dir)
        .env_remove("COBRO_STORE")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    ChildProcess::new(cmd.spawn().expect("spawn cobro work"), "cobro work")
}

/// Polls `cobro status` until campaign `id` has contacts and none open.
/// Returns the total, or panics after `timeout`.
pub fn wait_campaign_done(dir: &Path, store: &str, id: &str, timeout: std::time::Duration) -> u64 {
    let start = std::time::Instant::now();
    loop {
        let (total, open) = status_of(dir, store, id);
        if total > 0 && open == 0 {
            return total;
        }
        assert!(
            start.elapsed() < timeout,
            "campaign {id} still has {open} of {total} contacts open after {timeout:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// SIGTERM, then waits (at most 20 s) for a clean exit.
///
/// # Panics
/// When the process is still running after 20 s (it is then killed) or
/// exits unsuccessfully.
pub fn terminate_child(child: &mut ChildProcess) {
    let status = child.stop_within(std::time::Duration::from_secs(20));
    assert!(
        status.success(),
        "worker exited with {status} after SIGTERM"
    );
}

/// `cobro reconcile --campaign CAMPAIGN --settle-secs 0` with `dir`'s
/// `cobro.toml` and `env` (the providers' secrets), as an operator runs
/// it after a campaign; returns its summary (stdout). Panics when it
/// fails.
pub fn reconcile_now(dir: &Path, store: &str, campaign: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(cobro_bin());
    cmd.args([
        "reconcile",
        "--campaign",
        campaign,
        "--settle-secs",
        "0",
        "--store",
        store,
    ])
    .arg("--config")
    .arg(dir.join("cobro.toml"))
    .current_dir(dir)
    .env_remove("COBRO_STORE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("cobro reconcile");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}
