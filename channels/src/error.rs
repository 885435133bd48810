use std::time::Duration;

/// Why a send failed, classified by what the dispatcher must do next.
/// Providers' own codes are kept in `code` for the ledger, but callers
/// branch only on the variant (or the predicates below).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// Worth retrying with backoff: network errors, timeouts, 5xx, 4xx SMTP
    /// replies. `maybe_sent` is true when the request may have reached the
    /// provider (a timeout after sending), so a retry could duplicate it.
    #[error("{provider}: transient failure{}: {message}", code_suffix(.code))]
    Transient {
        provider: String,
        code: Option<String>,
        message: String,
        maybe_sent: bool,
    },
    /// The provider asked us to slow down; retry after `after` when known
    /// (from `Retry-After`), else after the caller's own backoff.
    #[error("{provider}: throttled{}: {message}", code_suffix(.code))]
    Throttled {
        provider: String,
        code: Option<String>,
        after: Option<Duration>,
        message: String,
    },
    /// Retrying cannot help (bad number, rejected content, bad credentials);
    /// the dispatcher may try the step's fallback channel.
    #[error("{provider}: permanent failure{}: {message}", code_suffix(.code))]
    Permanent {
        provider: String,
        code: Option<String>,
        message: String,
    },
    /// The recipient unsubscribed at the provider or carrier level (Twilio
    /// 21610, Vonage "number barred", Infobip DND): suppress the address.
    #[error("{provider}: recipient opted out{}: {message}", code_suffix(.code))]
    OptedOut {
        provider: String,
        code: Option<String>,
        message: String,
    },
    /// The transport itself cannot take any message now (the outbox's disk
    /// is full or its folder read-only): nothing left, and the fault is
    /// the operator's machine, not the contact's, so the contact waits
    /// without spending one of its attempts.
    #[error("{provider}: unavailable{}: {message}", code_suffix(.code))]
    Unavailable {
        provider: String,
        code: Option<String>,
        message: String,
    },
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
}

impl ChannelError {
    pub fn transient(provider: &str, code: Option<String>, message: impl Into<String>) -> Self {
        ChannelError::Transient {
            provider: provider.to_string(),
            code,
            message: message.into(),
            maybe_sent: false,
        }
    }

    pub fn throttled(
        provider: &str,
        code: Option<String>,
        after: Option<Duration>,
        message: impl Into<String>,
    ) -> Self {
        ChannelError::Throttled {
            provider: provider.to_string(),
            code,
            after,
            message: message.into(),
        }
    }

    pub fn permanent(provider: &str, code: Option<String>, message: impl Into<String>) -> Self {
        ChannelError::Permanent {
            provider: provider.to_string(),
            code,
            message: message.into(),
        }
    }

    pub fn opted_out(provider: &str, code: Option<String>, message: impl Into<String>) -> Self {
        ChannelError::OptedOut {
            provider: provider.to_string(),
            code,
            message: message.into(),
        }
    }

    /// Retry later (includes throttling).
    pub fn unavailable(provider: &str, code: Option<String>, message: impl Into<String>) -> Self {
        ChannelError::Unavailable {
            provider: provider.to_string(),
            code,
            message: message.into(),
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ChannelError::Transient { .. }
                | ChannelError::Throttled { .. }
                | ChannelError::Unavailable { .. }
        )
    }

    /// The transport, not the message, is at fault: retry without
    /// counting an attempt.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ChannelError::Unavailable { .. })
    }

    pub fn is_throttled(&self) -> bool {
        matches!(self, ChannelError::Throttled { .. })
    }

    /// Never retry this message on this channel (includes opt-outs).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ChannelError::Permanent { .. } | ChannelError::OptedOut { .. }
        )
    }

    pub fn is_opted_out(&self) -> bool {
        matches!(self, ChannelError::OptedOut { .. })
    }

    /// True when the provider may have accepted the message although we got
    /// no answer; the dispatcher records such a send as `unknown`-prone.
    pub fn maybe_sent(&self) -> bool {
        matches!(
            self,
            ChannelError::Transient {
                maybe_sent: true,
                ..
            }
        )
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ChannelError::Throttled { after, .. } => *after,
            _ => None,
        }
    }

    /// The provider's own code (`21610`, `7`, `REJECTED_DND`, `550`…).
    pub fn provider_code(&self) -> Option<&str> {
        match self {
            ChannelError::Transient { code, .. }
            | ChannelError::Throttled { code, .. }
            | ChannelError::Permanent { code, .. }
            | ChannelError::OptedOut { code, .. }
            | ChannelError::Unavailable { code, .. } => code.as_deref(),
        }
    }

    pub fn provider(&self) -> &str {
        match self {
            ChannelError::Transient { provider, .. }
            | ChannelError::Throttled { provider, .. }
            | ChannelError::Permanent { provider, .. }
            | ChannelError::OptedOut { provider, .. }
            | ChannelError::Unavailable { provider, .. } => provider,
        }
    }

    /// Machine-readable class for the ledger: `transient`, `throttled`,
    /// `permanent`, `opted_out`.
    pub fn class(&self) -> &'static str {
        match self {
            ChannelError::Transient { .. } => "transient",
            ChannelError::Throttled { .. } => "throttled",
            ChannelError::Permanent { .. } => "permanent",
            ChannelError::OptedOut { .. } => "opted_out",
            ChannelError::Unavailable { .. } => "unavailable",
        }
    }
}

/// A channel could not be built from its configuration. Raised at start-up
/// so a bad config never surfaces as failed sends.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{channel}: invalid setting `{field}`: {reason}")]
    Invalid {
        channel: String,
        field: String,
        reason: String,
    },
    #[error("{channel}: {source}")]
    Io {
        channel: String,
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    pub(crate) fn invalid(channel: &str, field: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            channel: channel.to_string(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates() {
        let t = ChannelError::throttled(
            "twilio",
            Some("20429".into()),
            Some(Duration::from_secs(3)),
            "slow",
        );
        assert!(t.is_transient() && t.is_throttled() && !t.is_permanent());
        assert_eq!(t.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(t.provider_code(), Some("20429"));
        let o = ChannelError::opted_out("twilio", Some("21610".into()), "stop");
        assert!(o.is_permanent() && o.is_opted_out() && !o.is_transient());
        assert_eq!(o.to_string(), "twilio: recipient opted out (21610): stop");
        assert_eq!(o.class(), "opted_out");
    }
}
