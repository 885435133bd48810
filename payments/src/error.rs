//! Why a provider call or a notification failed, classified by what the
//! dispatcher must do next: retry later ([`PaymentError::is_transient`]),
//! answer the notification with 401 ([`PaymentError::is_signature`]), or
//! give up and record the failure (everything else).

use std::error::Error as StdError;

/// A failure talking to a payment provider or reading what it sent.
///
/// Messages carry the provider's own words (its error message, a body
/// excerpt) but never a credential: auth travels in headers that are not
/// echoed here, and URLs hold no secret.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Worth retrying with backoff: the network failed, the request timed
    /// out, the provider throttled us (429) or broke (5xx), or Stripe said
    /// `Stripe-Should-Retry: true`. Checkouts carry an idempotency key, so
    /// a retry after a timeout cannot create a second checkout.
    #[error("{provider}: transient failure{}: {message}", status_suffix(*.status))]
    Transient {
        provider: &'static str,
        /// `None` when no HTTP answer arrived.
        status: Option<u16>,
        message: String,
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The provider refused the request (4xx other than 408/429): bad
    /// credentials, invalid field, unknown payment. Retrying cannot help.
    #[error("{provider}: rejected (HTTP {status}{}): {message}", code_suffix(.code))]
    Rejected {
        provider: &'static str,
        status: u16,
        /// The provider's machine-readable code (`bad_request`,
        /// `parameter_invalid_integer`, ...), when it gave one.
        code: Option<String>,
        message: String,
    },
    /// Refused before anything was sent: an amount the currency cannot
    /// carry (fractional CLP), a malformed currency code, an unusable base
    /// URL. A bug or bad data on our side; retrying cannot help.
    #[error("{provider}: invalid request: {message}")]
    InvalidRequest {
        provider: &'static str,
        message: String,
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
    /// A notification whose signature is missing, malformed, wrong or too
    /// old. The caller answers 401 and acts on nothing in it.
    #[error("{provider}: notification signature rejected: {fault}")]
    Signature {
        provider: &'static str,
        #[source]
        fault: SignatureFault,
    },
    /// A (signed) notification or a provider answer we could not read: not
    /// JSON, a required field missing. Not retried: the same bytes would
    /// fail the same way.
    #[error("{provider}: malformed {what}: {message}")]
    Malformed {
        provider: &'static str,
        /// What could not be read: `notification`, `checkout response`...
        what: &'static str,
        message: String,
        #[source]
        source: Option<serde_json::Error>,
    },
}

/// Why a notification's signature was refused; kept apart so logs and tests
/// can tell a forged notification from a replayed or misrouted one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureFault {
    /// A header or parameter the signature needs is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// The signature header does not parse (`ts=..,v1=..` / `t=..,v1=..`).
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// Well-formed, but no signature matches: wrong secret or altered
    /// content.
    #[error("no signature matches the content")]
    Mismatch,
    /// Valid, but signed too long before (or after) `now`: a replay.
    #[error("signed {age_seconds}s from now, tolerance is {tolerance_seconds}s")]
    Stale {
        age_seconds: i64,
        tolerance_seconds: u64,
    },
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(", {c}")).unwrap_or_default()
}

impl PaymentError {
    /// Retry later with backoff (same request, same idempotency key).
    pub fn is_transient(&self) -> bool {
        matches!(self, PaymentError::Transient { .. })
    }

    /// The notification is not authentic (or is a replay): answer 401.
    pub fn is_signature(&self) -> bool {
        matches!(self, PaymentError::Signature { .. })
    }

    /// Retrying cannot help: record the failure and move on.
    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }

    /// Why the signature was refused, for a signature error.
    pub fn signature_fault(&self) -> Option<&SignatureFault> {
        match self {
            PaymentError::Signature { fault, .. } => Some(fault),
            _ => None,
        }
    }

    /// The provider's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PaymentError::Transient { status, .. } => *status,
            PaymentError::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `"mercadopago"` or `"stripe"`.
    pub fn provider(&self) -> &'static str {
        match self {
            PaymentError::Transient { provider, .. }
            | PaymentError::Rejected { provider, .. }
            | PaymentError::InvalidRequest { provider, .. }
            | PaymentError::Signature { provider, .. }
            | PaymentError::Malformed { provider, .. } => provider,
        }
    }

    pub(crate) fn signature(provider: &'static str, fault: SignatureFault) -> Self {
        PaymentError::Signature { provider, fault }
    }

    pub(crate) fn invalid_request(provider: &'static str, message: impl Into<String>) -> Self {
        PaymentError::InvalidRequest {
            provider,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn malformed(
        provider: &'static str,
        what: &'static str,
        message: impl Into<String>,
        source: Option<serde_json::Error>,
    ) -> Self {
        PaymentError::Malformed {
            provider,
            what,
            message: message.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_and_display() {
        let t = PaymentError::Transient {
            provider: "stripe",
            status: Some(503),
            message: "down".into(),
            source: None,
        };
        assert!(t.is_transient() && !t.is_permanent() && !t.is_signature());
        assert_eq!(t.to_string(), "stripe: transient failure (HTTP 503): down");
        assert_eq!(t.status(), Some(503));

        let s = PaymentError::signature("mercadopago", SignatureFault::Mismatch);
        assert!(s.is_signature() && s.is_permanent());
        assert_eq!(s.signature_fault(), Some(&SignatureFault::Mismatch));
        assert!(
            StdError::source(&s).is_some(),
            "the fault is kept as source"
        );

        let r = PaymentError::Rejected {
            provider: "mercadopago",
            status: 400,
            code: Some("bad_request".into()),
            message: "invalid unit_price".into(),
        };
        assert_eq!(
            r.to_string(),
            "mercadopago: rejected (HTTP 400, bad_request): invalid unit_price"
        );
        assert_eq!(r.provider(), "mercadopago");
    }
}
