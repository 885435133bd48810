//! Twilio's error codes → [`ChannelError`] classes. Codes from
//! <https://www.twilio.com/docs/api/errors>; anything not listed falls back
//! to the HTTP status (429 throttled, 5xx transient, other 4xx permanent).

use std::time::Duration;

use crate::ChannelError;
use crate::http::classify_status;

/// Class of one Twilio error code, when the code alone decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Throttled,
    Transient,
    Permanent,
    OptedOut,
}

/// The table. Only codes whose class differs from what the HTTP status
/// would say, or that are common enough to pin down, are listed.
pub fn class_of(code: i64) -> Option<Class> {
    Some(match code {
        // Attempt to send to unsubscribed recipient (replied STOP).
        21610 => Class::OptedOut,
        // Too many requests / concurrency / queue full.
        20429 | 14107 | 30001 => Class::Throttled,
        // Internal server error / service unavailable.
        20500 | 20503 => Class::Transient,
        // Authentication, permissions, suspended account.
        20003 | 20005 | 20008 | 20404 => Class::Permanent,
        // Invalid 'To' number, not a mobile number, unreachable region,
        // no geo permission, invalid 'From', sender not SMS/voice capable.
        21211 | 21214 | 21217 | 21401 | 21407 | 21408 | 21612 | 21614 | 21606 | 21659 | 21660
        | 21215 | 21216 | 13223 | 13224 | 21210 | 21212 => Class::Permanent,
        // Body missing / too long / invalid TwiML.
        21602 | 21617 | 21619 | 12100 | 12200 | 21601 => Class::Permanent,
        _ => return None,
    })
}

/// Classifies a failed Twilio API call.
pub fn classify(
    provider: &str,
    status: u16,
    code: Option<i64>,
    message: String,
    retry_after: Option<Duration>,
) -> ChannelError {
    let code_str = code.map(|c| c.to_string());
    match code.and_then(class_of) {
        Some(Class::OptedOut) => ChannelError::opted_out(provider, code_str, message),
        Some(Class::Throttled) => ChannelError::throttled(provider, code_str, retry_after, message),
        Some(Class::Transient) => ChannelError::transient(provider, code_str, message),
        Some(Class::Permanent) => ChannelError::permanent(provider, code_str, message),
        None => classify_status(
            provider,
            status,
            code_str.or_else(|| Some(format!("http_{status}"))),
            message,
            retry_after,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert!(classify("twilio", 400, Some(21610), "x".into(), None).is_opted_out());
        assert!(matches!(
            classify("twilio", 400, Some(21211), "x".into(), None),
            ChannelError::Permanent { .. }
        ));
        assert!(matches!(
            classify("twilio", 400, Some(21614), "x".into(), None),
            ChannelError::Permanent { .. }
        ));
        assert!(matches!(
            classify("twilio", 401, Some(20003), "x".into(), None),
            ChannelError::Permanent { .. }
        ));
        let t = classify(
            "twilio",
            429,
            Some(20429),
            "x".into(),
            Some(Duration::from_secs(2)),
        );
        assert_eq!(t.retry_after(), Some(Duration::from_secs(2)));
        assert!(classify("twilio", 503, None, "x".into(), None).is_transient());
        assert!(classify("twilio", 500, Some(99999), "x".into(), None).is_transient());
        assert!(classify("twilio", 400, Some(99999), "x".into(), None).is_permanent());
    }
}
