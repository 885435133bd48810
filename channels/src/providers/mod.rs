//! One folder per provider (as vector has one folder per sink): its typed
//! settings (`config.rs`), the send path of each channel it serves, its
//! error-code table (`errors.rs`), the parsing of its status and inbound
//! callbacks (`webhook.rs`) and the check that they come from it
//! (`signature.rs`). Adding a provider means adding a folder and a line in
//! [`Provider`]; nothing outside this crate names a provider's fields.

pub mod infobip;
mod registry;
pub(crate) mod shared_secret;
pub mod smtp;
mod transport;
pub mod twilio;
pub mod vonage;
pub mod webhook;

pub use registry::Provider;
pub use transport::{OutboxConfig, ProviderConfig};
