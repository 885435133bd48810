use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{ConfigError, expand_env};

/// `cobro.toml`: where state lives, how workers run, how the HTTP service
/// listens, and which provider serves each channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://PATH` or `redis://HOST:PORT/DB`; `COBRO_STORE` overrides.
    #[serde(default = "default_store")]
    pub store: String,
    #[serde(default)]
    pub worker: WorkerSection,
    #[serde(default)]
    pub http: HttpSection,
    /// Per channel kind (`email`, `sms`, `voice`): a transport.
    #[serde(default)]
    pub channels: std::collections::BTreeMap<String, ChannelSection>,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

fn default_store() -> String {
    "sqlite://cobro.db".to_string()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store: default_store(),
            worker: WorkerSection::default(),
            http: HttpSection::default(),
            channels: Default::default(),
            path: None,
        }
    }
}

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
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    #[serde(default = "default_bind")]
    pub bind: String,
    /// Public base URL (unsubscribe links, status callbacks).
    #[serde(default = "default_public_url")]
    pub public_url: String,
}

fn default_bind() -> String {
    "127.0.0.1:8080".to_string()
}
fn default_public_url() -> String {
    "http://127.0.0.1:8080".to_string()
}

impl Default for HttpSection {
    fn default() -> Self {
        HttpSection {
            bind: default_bind(),
            public_url: default_public_url(),
        }
    }
}

/// A transport for one channel kind. Provider-specific keys are kept as a
/// table and validated by the channel's own config type when the
/// dispatcher builds it; `${VAR}` in string values is expanded at load.
/// (No `deny_unknown_fields` here: serde cannot combine it with `flatten`;
/// the provider's own config type refuses unknown keys instead.)
#[derive(Debug, Clone, Deserialize)]
pub struct ChannelSection {
    /// `outbox`, `null`, `smtp`, `twilio`, `vonage`, `infobip`, `webhook`.
    pub provider: String,
    /// e.g. `"10/s"` or `"600/min"`.
    #[serde(default)]
    pub rate_limit: Option<String>,
    #[serde(flatten)]
    pub options: toml::Table,
}

impl Settings {
    /// Reads `cobro.toml`, expanding `${VAR}` in every string value.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let src =
            cobro_campaigns::text_file::read_utf8(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Settings::from_toml_str(&src, path)
    }

    pub fn from_toml_str(src: &str, path: &Path) -> Result<Settings, ConfigError> {
        let mut settings: Settings =
            toml::from_str(src).map_err(|e| ConfigError::from_toml(path, src, e))?;
        settings.path = Some(path.to_path_buf());
        for (kind, section) in settings.channels.iter_mut() {
            if !matches!(kind.as_str(), "email" | "sms" | "voice") {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line: find_line(src, &format!("[channels.{kind}]")),
                    key: format!("channels.{kind}"),
                    message: "unknown channel (expected email, sms or voice)".into(),
                });
            }
            expand_table(&mut section.options, path)?;
        }
        if settings.worker.concurrency == 0 || settings.worker.batch_size == 0 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line: find_line(src, "[worker]"),
                key: "worker".into(),
                message: "concurrency and batch_size must be at least 1".into(),
            });
        }
        if settings.worker.max_attempts == 0 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line: find_line(src, "max_attempts"),
                key: "worker.max_attempts".into(),
                message: "must be at least 1".into(),
            });
        }
        Ok(settings)
    }

    /// `COBRO_STORE` wins over the file.
    pub fn store_url(&self) -> String {
        std::env::var("COBRO_STORE").unwrap_or_else(|_| self.store.clone())
    }
}

fn expand_table(table: &mut toml::Table, path: &Path) -> Result<(), ConfigError> {
    for (_, value) in table.iter_mut() {
        match value {
            toml::Value::String(s) => *s = expand_env(s, path)?,
            toml::Value::Table(t) => expand_table(t, path)?,
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn find_line(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        let s = Settings::from_toml_str("", Path::new("cobro.toml")).unwrap();
        assert_eq!(s.store, "sqlite://cobro.db");
        assert_eq!(s.worker.concurrency, 32);
        let err = Settings::from_toml_str(
            "store = \"x\"\n[worker]\nconcurrenc = 3\n",
            Path::new("cobro.toml"),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("cobro.toml:3:"), "{text}");
        assert!(text.contains("concurrenc"), "{text}");
    }

    #[test]
    fn rejects_unknown_channel_and_zero_concurrency() {
        let err =
            Settings::from_toml_str("[channels.fax]\nprovider = \"null\"\n", Path::new("c.toml"))
                .unwrap_err();
        assert!(
            err.to_string().contains("c.toml:1: key `channels.fax`"),
            "{err}"
        );
        let err = Settings::from_toml_str("[worker]\nconcurrency = 0\n", Path::new("c.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
    }

    #[test]
    fn channel_options_are_kept_and_env_expanded() {
        // SAFETY: only this test reads this variable.
        unsafe { std::env::set_var("COBRO_TEST_TWILIO_TOKEN", "tok") };
        let s = Settings::from_toml_str(
            "[channels.sms]\nprovider = \"twilio\"\nrate_limit = \"10/s\"\naccount_sid = \"AC1\"\nauth_token = \"${COBRO_TEST_TWILIO_TOKEN}\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let sms = &s.channels["sms"];
        assert_eq!(sms.provider, "twilio");
        assert_eq!(sms.rate_limit.as_deref(), Some("10/s"));
        assert_eq!(sms.options["auth_token"].as_str(), Some("tok"));
    }
}
