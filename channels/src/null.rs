//! The `null` transport: accepts and discards. Used by `cobro simulate`,
//! where the point is the decisions, not the messages.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::encoding::sms_segments;
use crate::{Channel, ChannelError, ChannelKind, OutboundMessage, Receipt};

#[derive(Debug, Default)]
pub struct NullChannel {
    sent: AtomicU64,
}

impl NullChannel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages accepted so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

impl Channel for NullChannel {
    fn name(&self) -> &str {
        "null"
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> futures::future::BoxFuture<'a, Result<Receipt, ChannelError>> {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        // Segments are still counted so a simulation can report SMS cost.
        let segments = (msg.channel == ChannelKind::Sms).then(|| sms_segments(&msg.text).segments);
        Box::pin(futures::future::ready(Ok(Receipt {
            provider: "null".into(),
            provider_id: format!("null-{n}"),
            segments,
        })))
    }
}
