//! Builds the channel set a run uses from `cobro.toml`'s `[channels.*]`
//! sections, already typed at load (one provider config per channel kind,
//! and its rate limit): this file only builds and wires them.

use std::sync::Arc;

use cobro_campaigns::ChannelKind;
use cobro_channels::Channel;
use cobro_channels::rate_limit::ProviderLimiter;
use cobro_config::Settings;

use crate::channel_set::ChannelSet;
use crate::engine::quota::RedisQuota;

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
    for kind in ChannelKind::AUTOMATED {
        let Some(section) = settings.channels.get(&kind) else {
            set = set.with(kind, default.clone());
            continue;
        };
        let transport = section.transport.build().map_err(|e| TransportError {
            file: file.clone(),
            kind: kind.to_string(),
            message: e.to_string(),
        })?;
        if let Some(rate) = section.rate_limit {
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
