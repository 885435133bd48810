//! What a fault double did, and where the fault suite's figures go.

use crate::*;

/// Appends one line to `target/fault-figures.txt` (next to the test
/// binaries) so RELIABILITY.md's figures can be read after a run.
pub fn record_figures(case: &str, line: &str) {
    use std::io::Write as _;
    eprintln!("[{case}] {line}");
    if let Some(dir) = cobro_bin().parent()
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("fault-figures.txt"))
    {
        let _ = writeln!(f, "{} [{case}] {line}", chrono::Utc::now().to_rfc3339());
    }
}

/// What a fault double did with one request or SMTP transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Answered normally (accepted).
    None,
    /// HTTP 500 / SMTP 451: a transient server error.
    ServerError,
    /// HTTP 429 with `Retry-After: 1` / SMTP 421 "try later" and close.
    Throttled,
    /// No answer until well past the client's timeout; the provider did
    /// accept the message (an HTTP 201 nobody reads).
    Slow,
    /// The connection is closed without an answer; nothing accepted.
    Dropped,
}

impl Fault {
    /// A fault 30 % of the time, the four kinds equally likely.
    pub fn draw(rng: &mut SeededRng, rate: f64) -> Fault {
        let x = rng.next_f64();
        if x >= rate {
            return Fault::None;
        }
        match (x / rate * 4.0) as u32 {
            0 => Fault::ServerError,
            1 => Fault::Throttled,
            2 => Fault::Slow,
            _ => Fault::Dropped,
        }
    }

    /// Whether the provider took the message (so a second one would be a
    /// duplicate).
    pub fn accepted(self) -> bool {
        matches!(self, Fault::None | Fault::Slow)
    }
}
