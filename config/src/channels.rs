//! `[channels.email|sms|voice]`: which provider carries each channel, read
//! at load into the provider's own strict config type, so a misspelled
//! key, a wrong type or a provider that cannot carry the channel stops the
//! program before it starts, with the file, line and key.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use cobro_campaigns::ChannelKind;
use cobro_channels::rate_limit::RateLimit;
use cobro_channels::{Provider, ProviderConfig};

use crate::locate::{find_line, key_line};
use crate::{ConfigError, expand_env};

/// The transport of one channel kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSection {
    pub provider: Provider,
    /// e.g. `"10/s"` or `"600/min"`.
    pub rate_limit: Option<RateLimit>,
    /// The provider's settings, `${VAR}`s expanded.
    pub transport: ProviderConfig,
}

/// Reads every `[channels.*]` table of `src`.
pub(crate) fn parse_channels(
    raw: BTreeMap<String, toml::Table>,
    src: &str,
    path: &Path,
) -> Result<BTreeMap<ChannelKind, ChannelSection>, ConfigError> {
    let mut out = BTreeMap::new();
    for (name, table) in raw {
        let kind = match ChannelKind::from_str(&name) {
            Ok(kind) if kind.as_str() == name => kind,
            _ => {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line: find_line(src, &format!("[channels.{name}]")),
                    key: format!("channels.{name}"),
                    message: "unknown channel (expected email, sms or voice)".into(),
                });
            }
        };
        out.insert(kind, parse_section(kind, table, src, path)?);
    }
    Ok(out)
}

fn parse_section(
    kind: ChannelKind,
    mut table: toml::Table,
    src: &str,
    path: &Path,
) -> Result<ChannelSection, ConfigError> {
    let section = format!("channels.{kind}");
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: key_line(src, &section, key),
        key: format!("{section}.{key}"),
        message,
    };
    let provider = match table.remove("provider") {
        Some(toml::Value::String(name)) => Provider::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
            invalid(
                "provider",
                format!("unknown provider `{name}` (expected {})", known.join(", ")),
            )
        })?,
        Some(_) => return Err(invalid("provider", "must be a string".into())),
        None => return Err(invalid("provider", "is missing".into())),
    };
    let rate_limit = match table.remove("rate_limit") {
        Some(toml::Value::String(rate)) => {
            Some(RateLimit::from_str(&rate).map_err(|e| invalid("rate_limit", e.to_string()))?)
        }
        Some(_) => {
            return Err(invalid(
                "rate_limit",
                "must be a string like \"10/s\"".into(),
            ));
        }
        None => None,
    };
    // Checked as written first, so a misspelled key is reported even when
    // a `${VAR}` of the section is not set; then read with secrets expanded.
    typed(provider, kind, table.clone()).map_err(|(key, message)| invalid(&key, message))?;
    expand_table(&mut table, path)?;
    let transport =
        typed(provider, kind, table).map_err(|(key, message)| invalid(&key, message))?;
    Ok(ChannelSection {
        provider,
        rate_limit,
        transport,
    })
}

/// The provider's config for `kind`, or the key at fault and why.
fn typed(
    provider: Provider,
    kind: ChannelKind,
    table: toml::Table,
) -> Result<ProviderConfig, (String, String)> {
    let mut track = serde_path_to_error::Track::new();
    let value = toml::Value::Table(table);
    let deserializer = serde_path_to_error::Deserializer::new(value, &mut track);
    provider.config_for(kind, deserializer).map_err(|e| {
        let message = e.message().to_string();
        let path = track.path().to_string();
        let key = unknown_field(&message)
            .or_else(|| missing_field(&message))
            .map(str::to_string)
            .unwrap_or_else(|| if path == "." { "provider".into() } else { path });
        (key, message)
    })
}

/// `X` of serde's "unknown field `X`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
}

/// `X` of serde's "missing field `X`".
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::Settings;

    fn error_of(src: &str) -> String {
        match Settings::from_toml_str(src, Path::new("cobro.toml")) {
            Ok(_) => panic!("must be refused:\n{src}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn misspelled_provider_key_names_its_line() {
        let err = error_of(
            "store = \"sqlite://x.db\"\n\n[channels.sms]\nprovider = \"twilio\"\nacount_sid = \"AC1\"\nauth_token = \"${COBRO_SURELY_UNSET_TOKEN}\"\n",
        );
        assert!(
            err.starts_with("cobro.toml:5: key `channels.sms.acount_sid`: unknown field"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_and_impossible_pairing_name_the_key() {
        let err = error_of(
            "[channels.email]\nprovider = \"smtp\"\nhost = \"h\"\nfrom = \"a@b.c\"\nport = \"x\"\n",
        );
        assert!(
            err.starts_with("cobro.toml:5: key `channels.email.port`: invalid type"),
            "{err}"
        );
        let err = error_of("[channels.sms]\nprovider = \"smtp\"\nhost = \"h\"\n");
        assert!(
            err.starts_with(
                "cobro.toml:2: key `channels.sms.provider`: provider `smtp` cannot carry sms"
            ),
            "{err}"
        );
        let err = error_of("[channels.sms]\nprovider = \"fax\"\n");
        assert!(err.contains("unknown provider `fax`"), "{err}");
        let err = error_of("[channels.sms]\nprovider = \"null\"\nrate_limit = \"fast\"\n");
        assert!(
            err.starts_with("cobro.toml:3: key `channels.sms.rate_limit`"),
            "{err}"
        );
    }

    #[test]
    fn voice_under_twilio_is_the_voice_config() {
        let s = Settings::from_toml_str(
            "[channels.voice]\nprovider = \"twilio\"\naccount_sid = \"AC1\"\nauth_token = \"t\"\nsay_voice = \"Polly.Mia\"\n",
            Path::new("cobro.toml"),
        )
        .expect("valid");
        assert!(matches!(
            s.channels[&cobro_campaigns::ChannelKind::Voice].transport,
            cobro_channels::ProviderConfig::TwilioVoice(_)
        ));
    }
}
