use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The ways cobro reaches a debtor. Rules, caps, consent and providers are
/// all keyed by this, so it is the one shared vocabulary of every crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Sms,
    Voice,
    /// A call a collector makes (the work queue hands it out).
    AgentCall,
    /// Work for a collector that is not a call: a letter, a visit, a
    /// document request.
    AgentTask,
}

impl ChannelKind {
    /// The channels a provider carries (what transports, rule packs'
    /// channel tables and the debtor's preferences list).
    pub const AUTOMATED: [ChannelKind; 3] =
        [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Voice];
    /// The channels people carry: the collectors' work queue.
    pub const AGENT: [ChannelKind; 2] = [ChannelKind::AgentCall, ChannelKind::AgentTask];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Voice => "voice",
            ChannelKind::AgentCall => "agent_call",
            ChannelKind::AgentTask => "agent_task",
        }
    }

    /// SMS, voice and a collector's work reach a phone number; email
    /// reaches a mailbox.
    pub fn address_kind(self) -> crate::AddressKind {
        match self {
            ChannelKind::Email => crate::AddressKind::Email,
            ChannelKind::Sms
            | ChannelKind::Voice
            | ChannelKind::AgentCall
            | ChannelKind::AgentTask => crate::AddressKind::Phone,
        }
    }

    /// Whether a person carries it (the work queue) rather than a provider.
    pub fn is_agent(self) -> bool {
        matches!(self, ChannelKind::AgentCall | ChannelKind::AgentTask)
    }

    /// The channel the law sees: a collector's call is a call, so the
    /// guard, the caps, the suppression list and the debtor's opt-outs
    /// treat both agent channels as `voice` (Ley 2300 and Reg F count a
    /// person's call exactly as an automated one; a visit or a letter is
    /// held to the same hours and caps, the stricter reading).
    pub fn guarded_as(self) -> ChannelKind {
        match self {
            ChannelKind::AgentCall | ChannelKind::AgentTask => ChannelKind::Voice,
            other => other,
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown channel '{0}' (expected email, sms, voice, agent_call or agent_task)")]
pub struct UnknownChannel(pub String);

impl FromStr for ChannelKind {
    type Err = UnknownChannel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "email" | "correo" => Ok(ChannelKind::Email),
            "sms" => Ok(ChannelKind::Sms),
            "voice" | "voz" => Ok(ChannelKind::Voice),
            "agent_call" => Ok(ChannelKind::AgentCall),
            "agent_task" => Ok(ChannelKind::AgentTask),
            _ => Err(UnknownChannel(s.to_string())),
        }
    }
}
