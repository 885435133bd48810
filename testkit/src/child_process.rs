//! A process started by a test: stopped with SIGTERM the way an operator
//! (or systemd) stops it, and killed if the test ends early, so a failed
//! assertion never leaves a worker running against a private service.

use std::process::{Child, ChildStdout, Command, ExitStatus};
use std::time::{Duration, Instant};

/// How long [`ChildProcess::stop`] waits for a graceful exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ChildProcess {
    child: Child,
    name: &'static str,
}

impl ChildProcess {
    /// `name` says which process a timeout is about (`cobro serve`).
    pub fn new(child: Child, name: &'static str) -> Self {
        ChildProcess { child, name }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The piped stdout, once (a test reads the address the process bound).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// Sends SIGTERM and waits up to 30 s for the process to exit.
    ///
    /// # Panics
    /// When it is still running after 30 s: a graceful shutdown that hangs
    /// is a failure the test must show.
    pub fn stop(&mut self) -> ExitStatus {
        self.stop_within(STOP_TIMEOUT)
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    ///
    /// # Panics
    /// When it is still running after `timeout` (the process is then
    /// killed on drop).
    pub fn stop_within(&mut self, timeout: Duration) -> ExitStatus {
        self.terminate();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for child") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not stop within {} s of SIGTERM",
                self.name,
                timeout.as_secs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and returns at once (to stop several processes
    /// together, then [`ChildProcess::wait`] for each).
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    /// SIGKILL: a crash, not a shutdown (pair it with [`ChildProcess::wait`]).
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()
    }

    /// The exit status if the process has exited, without waiting.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait()
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_ends_the_process_with_sigterm() {
        let child = Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("spawn sleep");
        let mut process = ChildProcess::new(child, "sleep");
        let status = process.stop_within(Duration::from_secs(5));
        assert!(!status.success(), "sleep was cut short: {status}");
        assert!(process.try_wait().expect("try_wait").is_some());
    }
}
