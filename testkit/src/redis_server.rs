//! A private `redis-server` for tests: a free port, a temporary directory,
//! no persistence unless asked for, killed on drop. Tests must never touch
//! a Redis they did not start (the machine's own one on 6379 belongs to
//! someone else), and fault tests need to kill and restart the server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::port::try_free_port;

/// Why a test server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum RedisServerError {
    #[error("cannot start redis-server (install it, e.g. scripts/test-deps.sh): {0}")]
    Spawn(std::io::Error),
    #[error("test redis-server I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("redis-server on port {0} did not answer PING within {1:?}")]
    NotReady(u16, Duration),
}

impl RedisServerError {
    /// Whether `redis-server` is missing (or not executable) on this
    /// machine, as opposed to a server that started and misbehaved.
    pub fn is_not_installed(&self) -> bool {
        matches!(self, RedisServerError::Spawn(_))
    }
}

/// A running private server. Restarting keeps the port and the directory,
/// so with `aof` the data survives a restart the way it would in
/// production.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    aof: bool,
}

impl RedisServer {
    /// Starts a server that keeps nothing on disk.
    pub fn start() -> Result<RedisServer, RedisServerError> {
        RedisServer::start_with(false)
    }

    /// Starts a server with the append-only file on (`appendfsync always`),
    /// for tests that restart Redis and expect the data back.
    pub fn start_with_aof() -> Result<RedisServer, RedisServerError> {
        RedisServer::start_with(true)
    }

    fn start_with(aof: bool) -> Result<RedisServer, RedisServerError> {
        // The free port can be taken before the server binds; the child
        // then exits on the bind error and `wait_ready` fails loudly rather
        // than talk to a foreign server (unless the intruder is itself a
        // Redis, which on a test machine is unlikely).
        let port = try_free_port()?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("cobro-redis-{port}-"))
            .tempdir()?;
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            aof,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> Result<(), RedisServerError> {
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--save")
            .arg("")
            .arg("--daemonize")
            .arg("no")
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"));
        if self.aof {
            cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            cmd.args(["--appendonly", "no"]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(RedisServerError::Spawn)?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(10))
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), RedisServerError> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(RedisServerError::NotReady(self.port, timeout))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The server's working directory (logs, AOF).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server with SIGKILL (a crash, not a shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills and starts the server again on the same port and directory.
    pub fn restart(&mut self) -> Result<(), RedisServerError> {
        self.kill();
        self.spawn()
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }
}

impl Drop for RedisServer {
    /// The process first; the directory goes with the `TempDir` after.
    fn drop(&mut self) {
        self.kill();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(stream.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}
