//! `[worker]`: how a worker process claims and runs contacts, checked at
//! load so that an impossible combination stops before any work starts.

use std::path::Path;

use serde::Deserialize;

use crate::ConfigError;
use crate::locate::{find_line, key_line};

/// How workers run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSection {
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Contacts per queue job.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// A contact claimed but not started for this long goes back to the
    /// plan (its worker died).
    #[serde(default = "default_queued_lease")]
    pub queued_lease_secs: u64,
    /// A contact handed to a provider without a recorded answer for this
    /// long becomes `unknown` (never resent automatically).
    #[serde(default = "default_sending_lease")]
    pub sending_lease_secs: u64,
    /// Backoff before the first retry of a transient provider failure;
    /// doubles on each further one (a provider's `Retry-After` wins).
    #[serde(default = "default_retry_backoff")]
    pub retry_base_backoff_secs: u64,
    /// Send attempts in all, the first included, before a transient
    /// failure becomes `failed`.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Where a worker keeps the outcomes the store could not take yet
    /// (default: `$XDG_STATE_HOME/cobro/journal`, else
    /// `~/.local/state/cobro/journal`). Local to the machine: a worker
    /// restarted here replays what a killed one left.
    #[serde(default)]
    pub journal_dir: Option<std::path::PathBuf>,
}

fn default_retry_backoff() -> u64 {
    60
}
fn default_max_attempts() -> u32 {
    4
}

fn default_queued_lease() -> u64 {
    600
}
fn default_sending_lease() -> u64 {
    3600
}

fn default_concurrency() -> usize {
    32
}
fn default_batch() -> usize {
    16
}
fn default_poll_ms() -> u64 {
    100
}

impl Default for WorkerSection {
    fn default() -> Self {
        WorkerSection {
            concurrency: default_concurrency(),
            batch_size: default_batch(),
            poll_interval_ms: default_poll_ms(),
            queued_lease_secs: default_queued_lease(),
            sending_lease_secs: default_sending_lease(),
            retry_base_backoff_secs: default_retry_backoff(),
            max_attempts: default_max_attempts(),
            journal_dir: None,
        }
    }
}

impl WorkerSection {
    /// The queue's heartbeat (apalis): a killed worker's jobs run again
    /// elsewhere after `HEARTBEAT_INTERVAL_SECS × MISSED_HEARTBEATS`.
    pub const HEARTBEAT_INTERVAL_SECS: u64 = 5;
    pub const MISSED_HEARTBEATS: u64 = 4;

    /// The shortest `queued_lease_secs` that works: a lease must outlast
    /// the time the queue takes to notice a dead worker, or a live
    /// worker's contacts return to the plan and are claimed twice.
    pub fn min_queued_lease_secs() -> u64 {
        Self::HEARTBEAT_INTERVAL_SECS * Self::MISSED_HEARTBEATS + 1
    }

    /// Refuses settings no worker can run with, naming the key.
    pub(crate) fn validate(&self, src: &str, path: &Path) -> Result<(), ConfigError> {
        let invalid = |line: usize, key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key: key.to_string(),
            message,
        };
        if self.concurrency == 0 || self.batch_size == 0 {
            return Err(invalid(
                find_line(src, "[worker]"),
                "worker",
                "concurrency and batch_size must be at least 1".into(),
            ));
        }
        if self.max_attempts == 0 {
            return Err(invalid(
                find_line(src, "max_attempts"),
                "worker.max_attempts",
                "must be at least 1".into(),
            ));
        }
        if self.poll_interval_ms == 0 {
            return Err(invalid(
                key_line(src, "worker", "poll_interval_ms"),
                "worker.poll_interval_ms",
                "must be at least 1".into(),
            ));
        }
        let min = Self::min_queued_lease_secs();
        if self.queued_lease_secs < min {
            return Err(invalid(
                key_line(src, "worker", "queued_lease_secs"),
                "worker.queued_lease_secs",
                format!(
                    "is {}, must be at least {min}: it must exceed the queue's heartbeat interval ({} s) × missed heartbeats ({}), or a live worker's contacts return to the plan",
                    self.queued_lease_secs,
                    Self::HEARTBEAT_INTERVAL_SECS,
                    Self::MISSED_HEARTBEATS
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::Settings;

    #[test]
    fn a_lease_shorter_than_the_heartbeat_names_file_key_and_minimum() {
        let err = Settings::from_toml_str(
            "[worker]\nconcurrency = 4\nqueued_lease_secs = 10\n",
            Path::new("cobro.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "cobro.toml:3: key `worker.queued_lease_secs`: is 10, must be at least 21"
            ),
            "{err}"
        );
    }
}
