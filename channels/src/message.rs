use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::{ChannelError, ChannelKind};

/// A fully rendered message, ready for a transport. The dispatcher builds
/// it after the guard allowed the contact, so a channel never decides
/// *whether* to send, only *how*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundMessage {
    /// `campaign/account/step[+channel]`: the idempotency key of the send.
    /// Email derives its `Message-ID` from it and the outbox its file name.
    pub contact_id: String,
    pub channel: ChannelKind,
    /// E.164 phone number (`+5215512345678`) or email address.
    pub to: String,
    /// Sender id / phone number / from address. Empty means "the channel's
    /// configured default".
    pub from: String,
    /// BCP 47 language of the content (`es-MX`); voice uses it to pick the
    /// text-to-speech language.
    pub language: String,
    /// Email subject; ignored by SMS and voice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Plain text body (the SMS text, the email text part, the words a
    /// voice message says when `voice` is `None`).
    pub text: String,
    /// Email HTML part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// One-click unsubscribe URL (HTTPS) for `List-Unsubscribe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
    /// Where the provider should post delivery status for this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    /// A signed reference to the contact (`engine::contact_ref` in the
    /// dispatcher) that the provider echoes back in its delivery reports:
    /// Twilio in the `StatusCallback` URL, Vonage as `client-ref`, Infobip
    /// as `callbackData`. It resolves a send whose answer was lost, for
    /// which no provider id was ever recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// What a voice call plays; `None` means "say `text` in `language`".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceContent>,
    /// The instant the dispatcher sends at, on its clock (the virtual one
    /// in a simulation), so an email's `Date:` agrees with the ledger;
    /// `None`: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl OutboundMessage {
    /// What a voice channel should play: the explicit content, or `text`
    /// said in the message's language.
    pub fn voice_content(&self) -> VoiceContent {
        self.voice.clone().unwrap_or_else(|| VoiceContent::Say {
            text: self.text.clone(),
            language: self.language.clone(),
        })
    }
}

/// The content of a voice message: synthesized speech or a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum VoiceContent {
    Say { text: String, language: String },
    Play { url: String },
}

/// Proof that a provider accepted a message. `provider_id` is what later
/// delivery-status webhooks refer to, so the ledger stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The channel name that sent it (`twilio`, `smtp`, `outbox`…).
    pub provider: String,
    pub provider_id: String,
    /// SMS parts billed, when the provider says (or we counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<u32>,
}

/// A transport. Object safe and `Send + Sync` so the dispatcher can hold
/// `Arc<dyn Channel>` per channel kind and share it across workers.
pub trait Channel: Send + Sync {
    /// The provider name used in receipts, logs, errors and rate limits.
    fn name(&self) -> &str;

    /// Hand one message to the provider. Must not retry internally: the
    /// dispatcher re-checks compliance before every retry.
    fn send<'a>(&'a self, msg: &'a OutboundMessage)
    -> BoxFuture<'a, Result<Receipt, ChannelError>>;

    /// Asks the provider what became of a message whose answer was lost
    /// (`cobro reconcile`). `None`: this provider offers no lookup, so
    /// nobody can tell (the default).
    fn lookup<'a>(
        &'a self,
        _query: &'a crate::LookupQuery,
    ) -> Option<BoxFuture<'a, Result<crate::LookupAnswer, ChannelError>>> {
        None
    }
}
