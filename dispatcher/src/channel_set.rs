//! The transports a dispatcher uses, one per channel kind, with the
//! provider rate limits in front of them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cobro_campaigns::ChannelKind;
use cobro_channels::rate_limit::ProviderLimiter;
use cobro_channels::{Channel, ChannelError, OutboundMessage, Receipt};

use crate::dispatch_metrics::DispatchMetrics;
use crate::engine::quota::RedisQuota;

/// One transport per channel kind. A kind without a transport fails its
/// sends permanently (and so falls back), rather than silently dropping.
#[derive(Clone, Default)]
pub struct ChannelSet {
    transports: BTreeMap<ChannelKind, Arc<dyn Channel>>,
    limiter: Option<Arc<ProviderLimiter>>,
    /// Shared across processes (Redis); wins over `limiter` when present.
    quota: Option<Arc<RedisQuota>>,
}

impl ChannelSet {
    pub fn new() -> Self {
        ChannelSet::default()
    }

    /// The same transport for every channel (outbox, null).
    pub fn uniform(transport: Arc<dyn Channel>) -> Self {
        let mut set = ChannelSet::new();
        for kind in ChannelKind::AUTOMATED {
            set.transports.insert(kind, transport.clone());
        }
        set
    }

    pub fn with(mut self, kind: ChannelKind, transport: Arc<dyn Channel>) -> Self {
        self.transports.insert(kind, transport);
        self
    }

    pub fn with_limiter(mut self, limiter: Arc<ProviderLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    pub fn with_shared_quota(mut self, quota: Arc<RedisQuota>) -> Self {
        self.quota = Some(quota);
        self
    }

    /// Every transport timed and classified into `metrics` (provider
    /// latency and errors), without the pipeline knowing: the wrappers
    /// keep the transports' names, so rate limits are unchanged.
    pub fn metered(mut self, metrics: &Arc<DispatchMetrics>) -> Self {
        for (kind, transport) in self.transports.iter_mut() {
            *transport = metrics.meter(*kind, transport.clone());
        }
        self
    }

    pub fn provider_name(&self, kind: ChannelKind) -> String {
        self.transports
            .get(&kind)
            .map(|t| t.name().to_string())
            .unwrap_or_else(|| "none".into())
    }

    /// Whether sends on `kind` go through a rate limit (and so may wait
    /// for a token).
    pub fn is_rate_limited(&self, kind: ChannelKind) -> bool {
        self.transports.contains_key(&kind) && (self.quota.is_some() || self.limiter.is_some())
    }

    /// Waits for the provider's rate limit; returns how long it waited.
    pub async fn wait_for_token(&self, kind: ChannelKind, sender: &str) -> Duration {
        let Some(transport) = self.transports.get(&kind) else {
            return Duration::ZERO;
        };
        match (&self.quota, &self.limiter) {
            (Some(quota), _) => quota.until_ready(transport.name()).await,
            (None, Some(limiter)) => limiter.until_ready(transport.name(), sender).await,
            (None, None) => Duration::ZERO,
        }
    }

    pub async fn send(
        &self,
        kind: ChannelKind,
        message: &OutboundMessage,
    ) -> Result<Receipt, ChannelError> {
        match self.transports.get(&kind) {
            Some(transport) => transport.send(message).await,
            None => Err(ChannelError::permanent(
                "none",
                None,
                format!("no transport configured for {kind}"),
            )),
        }
    }
}
