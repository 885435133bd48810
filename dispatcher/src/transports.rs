//! Builds the channel set a run uses from `cobro.toml`'s `[channels.*]`
//! sections: one provider per channel kind, its own config type validating
//! the keys (`deny_unknown_fields`), and its rate limit.

use std::str::FromStr;
use std::sync::Arc;

use cobro_campaigns::ChannelKind;
use cobro_channels::rate_limit::{ProviderLimiter, RateLimit};
use cobro_channels::{Channel, ProviderConfig};
use cobro_config::{ChannelSection, Settings};

use crate::channel_set::ChannelSet;
use crate::quota::RedisQuota;

/// A `[channels.*]` section that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: key `channels.{kind}`: {message}")]
pub struct TransportError {
    pub file: String,
    pub kind: String,
    pub message: String,
}

/// The channel set `settings` describe; kinds without a section use
/// `default` (the outbox or null transport of the command). With a Redis
/// store the rate limits are enforced in Redis across all processes,
/// otherwise per process.
pub async fn channel_set_from_settings(
    settings: &Settings,
    default: Arc<dyn Channel>,
    store_url: &str,
) -> Result<ChannelSet, TransportError> {
    let file = settings
        .path
        .as_ref()
        .map_or_else(|| "cobro.toml".to_string(), |p| p.display().to_string());
    let mut set = ChannelSet::new();
    let mut limiter = ProviderLimiter::new();
    let mut any_limit = false;
    let mut shared = if store_url.starts_with("redis") {
        Some(
            RedisQuota::connect(store_url, crate::store::redis::DEFAULT_PREFIX)
                .await
                .map_err(|e| TransportError {
                    file: file.clone(),
                    kind: "*".into(),
                    message: e.to_string(),
                })?,
        )
    } else {
        None
    };
    for kind in ChannelKind::ALL {
        let Some(section) = settings.channels.get(kind.as_str()) else {
            set = set.with(kind, default.clone());
            continue;
        };
        let error = |message: String| TransportError {
            file: file.clone(),
            kind: kind.to_string(),
            message,
        };
        let transport = build(kind, section).map_err(error)?;
        if let Some(rate) = &section.rate_limit {
            let rate = RateLimit::from_str(rate).map_err(|e| TransportError {
                file: file.clone(),
                kind: format!("{kind}.rate_limit"),
                message: e.to_string(),
            })?;
            if let Some(shared) = shared.as_mut() {
                shared.set(transport.name(), rate);
            } else {
                limiter.set(transport.name(), Some(rate), None);
            }
            any_limit = true;
        }
        set = set.with(kind, transport);
    }
    match shared {
        Some(shared) if !shared.is_empty() => set = set.with_shared_quota(Arc::new(shared)),
        _ if any_limit => set = set.with_limiter(Arc::new(limiter)),
        _ => {}
    }
    Ok(set)
}

/// The section as the channels crate's tagged `ProviderConfig`: `twilio`
/// and `infobip` under `[channels.voice]` mean their voice APIs.
fn build(kind: ChannelKind, section: &ChannelSection) -> Result<Arc<dyn Channel>, String> {
    let provider = match (section.provider.as_str(), kind) {
        ("twilio", ChannelKind::Voice) => "twilio-voice",
        ("infobip", ChannelKind::Voice) => "infobip-voice",
        (other, _) => other,
    };
    let mut table = section.options.clone();
    table.insert("provider".into(), toml::Value::String(provider.to_string()));
    let config: ProviderConfig = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    if !config.kinds().contains(&kind) {
        return Err(format!(
            "provider `{}` cannot carry {kind}",
            section.provider
        ));
    }
    config.build().map_err(|e| e.to_string())
}
