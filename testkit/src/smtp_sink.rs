//! postfix's `smtp-sink` on a private port: a real SMTP server that keeps
//! every message as a file and can be told to fail on purpose, so the
//! email channel is tested against the protocol rather than a mock.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::port::free_port;

/// Where `smtp-sink` is: `$COBRO_SMTP_SINK`, else
/// `~/.cache/cobro-test-tools/smtp-sink` (installed by
/// `scripts/test-deps.sh`).
///
/// # Panics
/// When neither exists, with the way to install it.
pub fn smtp_sink_binary() -> PathBuf {
    if let Ok(p) = std::env::var("COBRO_SMTP_SINK") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let p = PathBuf::from(home).join(".cache/cobro-test-tools/smtp-sink");
    assert!(
        p.exists(),
        "smtp-sink not found at {}; run scripts/test-deps.sh or set COBRO_SMTP_SINK",
        p.display()
    );
    p
}

/// smtp-sink drops privileges to `nobody` when run as root, and must be
/// told so explicitly.
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A private `smtp-sink` that keeps every message as a file; killed on
/// drop.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts a sink that keeps every message. `extra` are smtp-sink's
    /// fault options: `["-r", "rcpt"]` (4xx on RCPT), `["-f", "rcpt"]`
    /// (5xx), `["-q", "data"]` (drop), `["-Q", "rcpt"]` (421 and hang up);
    /// `&[]` for a sink that accepts everything.
    ///
    /// # Panics
    /// When smtp-sink is missing or does not start: this is test
    /// scaffolding.
    pub fn start(extra: &[&str]) -> SmtpSink {
        Self::start_opts(true, extra)
    }

    /// `dump = false` keeps no files (for throughput measurements).
    pub fn start_opts(dump: bool, extra: &[&str]) -> SmtpSink {
        Self::start_on(None, dump, extra)
    }

    /// Like [`SmtpSink::start_opts`] on a given port (to restart a sink
    /// where a client's pooled connections pointed).
    pub fn start_on(fixed_port: Option<u16>, dump: bool, extra: &[&str]) -> SmtpSink {
        let binary = smtp_sink_binary();
        let dir = tempfile::Builder::new()
            .prefix("cobro-smtp-sink-")
            .tempdir()
            .expect("tempdir");
        // smtp-sink writes the dumps as `nobody` when run as root.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
                .expect("chmod");
        }
        for _attempt in 0..50 {
            let port = fixed_port.unwrap_or_else(free_port);
            let mut cmd = Command::new(&binary);
            cmd.arg("-c");
            if running_as_root() {
                cmd.args(["-u", "nobody"]);
            }
            if dump {
                cmd.args(["-d", &format!("{}/%Y%m%d%H%M%S.", dir.path().display())]);
            }
            cmd.args(extra)
                .arg(format!("127.0.0.1:{port}"))
                .arg("256")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut child = cmd.spawn().expect("spawn smtp-sink");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return SmtpSink { child, port, dir };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // port taken: try another (or wait for it)
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("smtp-sink did not start");
    }

    /// The dumped message files so far, oldest first.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The raw messages dumped so far (a file still being written may be
    /// cut short; one that vanished is left out).
    pub fn messages(&self) -> Vec<String> {
        self.files()
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }

    /// Waits until `n` messages were dumped (or `timeout` passed) and
    /// returns them all, oldest first.
    ///
    /// # Panics
    /// When a dump is not UTF-8 text.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let files = self.files();
            if files.len() >= n || Instant::now() > deadline {
                return files
                    .iter()
                    .map(|p| std::fs::read_to_string(p).expect("read dump"))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
