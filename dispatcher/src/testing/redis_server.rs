//! A private `redis-server` for tests: a free port, a temporary directory,
//! no persistence unless asked for, killed on drop. Tests must never touch
//! a Redis they did not start (the machine's own one on 6379 belongs to
//! someone else), and fault tests need to kill and restart the server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A running private server. Restarting keeps the port and the directory,
/// so with `aof` the data survives a restart the way it would in
/// production.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
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
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!(
            "cobro-redis-{}-{}-{}",
            std::process::id(),
            port,
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir)?;
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
            .arg(&self.dir)
            .arg("--save")
            .arg("")
            .arg("--daemonize")
            .arg("no")
            .arg("--logfile")
            .arg(self.dir.join("redis.log"));
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
        &self.dir
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
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listens on right now. Another process could take it before
/// the server binds; `wait_ready` would then fail loudly, not silently talk
/// to a foreign server, because the child exits on a bind error... unless
/// the intruder is itself a Redis, which on a test machine is unlikely.
fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
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
