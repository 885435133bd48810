//! Pieces several commands share: the store flag, opening a store,
//! building a dispatcher for a campaign.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use cobro_channels::Channel;
use cobro_channels::null::NullChannel;
use cobro_channels::outbox::OutboxChannel;
use cobro_channels::templates::TemplateSet;
use cobro_config::{LoadedCampaign, Settings};

use super::BadInput;
use crate::channel_set::ChannelSet;
use crate::engine::Dispatcher;
use crate::engine::sender::SenderProfile;
use crate::store::any::AnyStore;

/// `--store URL` (else `COBRO_STORE`, else the settings file's `store`,
/// else `sqlite://cobro.db`) and `--config cobro.toml` (else `COBRO_CONFIG`).
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArg {
    /// sqlite://PATH or redis://HOST:PORT/DB
    #[arg(long, env = "COBRO_STORE")]
    pub store: Option<String>,
    /// Settings file (cobro.toml).
    #[arg(long, env = "COBRO_CONFIG")]
    pub config: Option<PathBuf>,
}

impl StoreArg {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        match &self.config {
            Some(path) => {
                Settings::load(path).map_err(|e| anyhow::Error::new(BadInput(e.to_string())))
            }
            None => Ok(Settings::default()),
        }
    }

    pub fn url(&self) -> anyhow::Result<String> {
        Ok(match &self.store {
            Some(url) => url.clone(),
            None => self.settings()?.store,
        })
    }

    pub async fn open(&self) -> anyhow::Result<AnyStore> {
        let url = self.url()?;
        AnyStore::connect(&url)
            .await
            .with_context(|| format!("opening store {url}"))
    }
}

/// Loads a campaign file; every problem in it is bad input (exit 2).
pub fn load_campaign(path: &Path) -> anyhow::Result<LoadedCampaign> {
    LoadedCampaign::load(path).map_err(|e| anyhow::Error::new(BadInput(e.to_string())))
}

pub fn load_templates(dir: &Path) -> anyhow::Result<TemplateSet> {
    TemplateSet::load(dir)
        .map_err(|e| anyhow::Error::new(BadInput(format!("{}: {e}", dir.display()))))
}

/// The secret that signs unsubscribe links: from the environment; a
/// random one for this process otherwise (links then die with it).
pub fn link_secret() -> Vec<u8> {
    match std::env::var("COBRO_LINK_SECRET") {
        Ok(secret) if !secret.is_empty() => secret.into_bytes(),
        _ => (0..32).map(|_| rand::random::<u8>()).collect(),
    }
}

pub fn sender_profile(loaded: &LoadedCampaign, public_url: &str) -> SenderProfile {
    SenderProfile::for_campaign(loaded, public_url, link_secret())
}

/// Which transport a run uses.
#[derive(Clone)]
pub enum TransportChoice {
    Outbox(PathBuf),
    Null,
    /// Built from the settings file.
    Set(ChannelSet),
}

pub fn channel_set(choice: &TransportChoice) -> anyhow::Result<ChannelSet> {
    let transport: Arc<dyn Channel> = match choice {
        TransportChoice::Outbox(dir) => Arc::new(
            OutboxChannel::new(dir)
                .with_context(|| format!("creating outbox {}", dir.display()))?,
        ),
        TransportChoice::Null => Arc::new(NullChannel::new()),
        TransportChoice::Set(set) => return Ok(set.clone()),
    };
    Ok(ChannelSet::uniform(transport))
}

/// The campaign's dispatcher (`Dispatcher::for_campaign`) with the link
/// secret of the environment.
pub fn dispatcher(
    store: Arc<AnyStore>,
    loaded: &LoadedCampaign,
    templates: TemplateSet,
    channels: ChannelSet,
    public_url: &str,
) -> Dispatcher<AnyStore> {
    Dispatcher::for_campaign(
        store,
        loaded,
        templates,
        channels,
        sender_profile(loaded, public_url),
    )
}

fn required_env(name: &str, provider: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            anyhow::Error::new(BadInput(format!(
                "[payments] provider = \"{provider}\" needs the environment variable {name}"
            )))
        })
}

/// The payment provider `[payments]` names, with its secrets from the
/// environment; a missing secret stops the start instead of failing each
/// debtor's payment later.
pub fn payment_provider(
    settings: &Settings,
) -> anyhow::Result<Option<cobro_payments::PaymentProvider>> {
    use cobro_config::PaymentProviderKind;
    use cobro_payments::{MercadoPagoConfig, PaymentProvider, StripeConfig};
    let base_url = settings.payments.base_url.clone();
    Ok(match settings.payments.provider {
        PaymentProviderKind::None => None,
        PaymentProviderKind::MercadoPago => {
            let mut config = MercadoPagoConfig::new(
                required_env("MERCADOPAGO_ACCESS_TOKEN", "mercadopago")?,
                required_env("MERCADOPAGO_WEBHOOK_SECRET", "mercadopago")?,
            );
            if let Some(url) = base_url {
                config.base_url = url;
            }
            Some(PaymentProvider::mercadopago(config))
        }
        PaymentProviderKind::Stripe => {
            let mut config = StripeConfig::new(
                required_env("STRIPE_SECRET_KEY", "stripe")?,
                required_env("STRIPE_WEBHOOK_SECRET", "stripe")?,
            );
            if let Some(url) = base_url {
                config.base_url = url;
            }
            Some(PaymentProvider::stripe(config))
        }
    })
}

/// What the debtor's page needs: the collector named by the first
/// campaign's sender (Profeco requires the collector to identify itself),
/// the house limits and the payment provider.
pub fn portal_settings(
    settings: &Settings,
    campaigns: &[PathBuf],
) -> anyhow::Result<crate::http::portal::PortalSettings> {
    let mut portal = crate::http::portal::PortalSettings {
        limits: settings.house.limits(),
        payments: payment_provider(settings)?.map(Arc::new),
        ..Default::default()
    };
    if let Some(path) = campaigns.first() {
        let loaded = load_campaign(path)?;
        portal.collector = loaded.file.sender.collector.clone();
        portal.collector_contact = loaded.file.sender.collector_phone.clone();
    }
    Ok(portal)
}

/// The work queue's desk for `loaded` campaigns: each campaign's agent
/// tasks decided by its own rules, with its templates (the call scripts)
/// and sender; no transport (a collector's task never reaches one).
pub fn work_desk(
    store: Arc<AnyStore>,
    loaded: &[LoadedCampaign],
    public_url: &str,
) -> anyhow::Result<crate::work_queue::WorkDesk<AnyStore>> {
    let mut desk = crate::work_queue::WorkDesk::new();
    for campaign in loaded {
        let teams = crate::work_queue::strategy_teams(&campaign.strategy);
        if teams.is_empty() {
            continue;
        }
        let templates = load_templates(&campaign.templates_dir)?;
        let d = dispatcher(
            store.clone(),
            campaign,
            templates,
            ChannelSet::new(),
            public_url,
        );
        desk = desk.with_campaign(&campaign.campaign.id, teams, Arc::new(d));
    }
    Ok(desk)
}
