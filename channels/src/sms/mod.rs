//! SMS over provider HTTP APIs. Each provider lives in its own folder with
//! its config, its service and its error table.

pub mod infobip;
pub mod twilio;
pub mod vonage;
pub mod webhook;

pub use infobip::{InfobipConfig, InfobipSms};
pub use twilio::{TwilioConfig, TwilioSms};
pub use vonage::{VonageConfig, VonageSms};
pub use webhook::{WebhookChannel, WebhookConfig};
