//! Voice messages: a call that plays synthesized speech or a recording,
//! ideally into voicemail when a machine answers.

pub mod infobip;
pub mod twilio;

pub use crate::sms::webhook::{WebhookChannel, WebhookConfig};
pub use infobip::{InfobipVoice, InfobipVoiceConfig};
pub use twilio::{MachineDetection, TwilioVoice, TwilioVoiceConfig};
