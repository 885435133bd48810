//! Every way a message reaches a debtor, behind one [`Channel`] trait.
//!
//! The dispatcher renders a message with [`templates::TemplateSet`], waits
//! for a provider token with [`rate_limit::ProviderLimiter`], and hands an
//! [`OutboundMessage`] to a [`Channel`]. The channel answers with a
//! [`Receipt`] or a [`ChannelError`] whose class tells the dispatcher what to
//! do next (retry, wait, give up, suppress the address), so no caller ever
//! has to know a provider's own error codes: each provider keeps one table
//! mapping its codes to those classes (`providers/*/errors.rs`).
//!
//! Everything about one provider (settings, send path, error table,
//! callback parsing and signature check) lives in its folder under
//! [`providers`]; the provider-neutral meaning of callbacks is in
//! [`callback`].

pub mod callback;
pub mod encoding;
mod error;
mod http;
pub mod lookup;
mod mask;
mod message;
pub mod null;
pub mod outbox;
pub mod providers;
pub mod rate_limit;
mod secret;
pub mod templates;

pub use callback::{
    CallbackError, CallbackKeys, CallbackRequest, DeliveryReport, DeliveryStatus, InboundMessage,
};
pub use error::{ChannelError, ConfigError};
pub use lookup::{LookupAnswer, LookupQuery};
pub use mask::mask_address;
pub use message::{Channel, OutboundMessage, Receipt, VoiceContent};
pub use providers::{OutboxConfig, Provider, ProviderConfig};
pub use secret::{Secret, duration_serde, secrets_equal};

pub use cobro_campaigns::ChannelKind;
