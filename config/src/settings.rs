use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cobro_campaigns::ChannelKind;
use serde::Deserialize;

use crate::ConfigError;
use crate::channels::{ChannelSection, parse_channels};
use crate::house::{HouseSection, PaymentsSection};
use crate::worker::WorkerSection;

/// `cobro.toml`: where state lives, how workers run, how the HTTP service
/// listens, and which provider serves each channel. Everything is checked
/// at load: a `Settings` value is one the program can run with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH` or `redis://HOST:PORT/DB`; `COBRO_STORE` overrides.
    pub store: String,
    pub worker: WorkerSection,
    pub http: HttpSection,
    /// What a debtor may agree to (promises, plans).
    pub house: HouseSection,
    pub payments: PaymentsSection,
    /// Per channel kind: its transport, typed.
    pub channels: BTreeMap<ChannelKind, ChannelSection>,
    pub path: Option<PathBuf>,
}

/// The file as written; provider sections stay tables until the
/// `provider` key says which type they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default = "default_store")]
    store: String,
    #[serde(default)]
    worker: WorkerSection,
    #[serde(default)]
    http: HttpSection,
    #[serde(default)]
    house: HouseSection,
    #[serde(default)]
    payments: PaymentsSection,
    #[serde(default)]
    channels: BTreeMap<String, toml::Table>,
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
            house: HouseSection::default(),
            payments: PaymentsSection::default(),
            channels: Default::default(),
            path: None,
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

    /// Parses and checks `src` (the contents of `path`, which errors name).
    pub fn from_toml_str(src: &str, path: &Path) -> Result<Settings, ConfigError> {
        let raw: RawSettings =
            toml::from_str(src).map_err(|e| ConfigError::from_toml(path, src, e))?;
        raw.worker.validate(src, path)?;
        raw.house.validate(src, path)?;
        Ok(Settings {
            store: raw.store,
            worker: raw.worker,
            http: raw.http,
            house: raw.house,
            payments: raw.payments,
            channels: parse_channels(raw.channels, src, path)?,
            path: Some(path.to_path_buf()),
        })
    }

    /// `COBRO_STORE` wins over the file.
    pub fn store_url(&self) -> String {
        std::env::var("COBRO_STORE").unwrap_or_else(|_| self.store.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobro_channels::ProviderConfig;

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
        let sms = &s.channels[&ChannelKind::Sms];
        assert_eq!(sms.provider.name(), "twilio");
        assert_eq!(sms.rate_limit, Some("10/s".parse().unwrap()));
        let ProviderConfig::Twilio(twilio) = &sms.transport else {
            panic!("twilio sms settings: {:?}", sms.transport)
        };
        assert_eq!(twilio.auth_token.expose(), "tok");
    }
}
