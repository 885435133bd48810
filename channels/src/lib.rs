//! Every way a message reaches a debtor, behind one [`Channel`] trait.
//!
//! The dispatcher renders a message with [`templates::TemplateSet`], waits
//! for a provider token with [`rate_limit::ProviderLimiter`], and hands an
//! [`OutboundMessage`] to a [`Channel`]. The channel answers with a
//! [`Receipt`] or a [`ChannelError`] whose class tells the dispatcher what to
//! do next (retry, wait, give up, suppress the address), so no caller ever
//! has to know a provider's own error codes: each provider keeps one table
//! mapping its codes to those classes (`*/errors.rs`).

pub mod email;
pub mod encoding;
mod error;
mod http;
mod mask;
mod message;
pub mod null;
pub mod outbox;
mod provider;
pub mod rate_limit;
mod secret;
pub mod sms;
pub mod templates;
pub mod voice;

pub use error::{ChannelError, ConfigError};
pub use mask::mask_address;
pub use message::{Channel, OutboundMessage, Receipt, VoiceContent};
pub use provider::{OutboxConfig, ProviderConfig};
pub use secret::{Secret, duration_serde};

pub use cobro_campaigns::ChannelKind;
