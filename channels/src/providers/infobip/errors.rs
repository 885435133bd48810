//! Infobip status groups and error bodies → [`ChannelError`] classes.
//!
//! A 200 answer carries a `status` per message: group 1 (PENDING) and 3
//! (DELIVERED) are successes; group 5 (REJECTED) and 2 (UNDELIVERABLE)
//! are failures whose `name` says why. HTTP errors carry a
//! `requestError.serviceException` (or, in API v3, `errorCode`/
//! `description`) body and are classed by the HTTP status.

use std::time::Duration;

use crate::ChannelError;
use crate::http::classify_status;

/// Infobip status groups that mean "accepted".
pub fn is_accepted_group(group_id: i64) -> bool {
    matches!(group_id, 0 | 1 | 3)
}

/// Classifies a rejected message status by its `name`.
pub fn classify_status_name(provider: &str, name: &str, description: String) -> ChannelError {
    let code = Some(name.to_string());
    match name {
        // The recipient is on a do-not-disturb / opt-out list.
        "REJECTED_DND" | "REJECTED_OPTOUT" | "REJECTED_OPT_OUT" => {
            ChannelError::opted_out(provider, code, description)
        }
        // Too many messages to one destination in a short time.
        "REJECTED_FLOODING_FILTER" => ChannelError::throttled(provider, code, None, description),
        // Platform side problems that may clear up.
        "REJECTED_SYSTEM_ERROR" | "REJECTED_ROUTE_NOT_AVAILABLE" | "REJECTED_NETWORK" => {
            ChannelError::transient(provider, code, description)
        }
        // Out of credit: retry after a top-up rather than fail every contact.
        "REJECTED_NOT_ENOUGH_CREDITS" => ChannelError::transient(provider, code, description),
        // Bad destination, sender, prefix, expired package, duplicate id…
        _ => ChannelError::permanent(provider, code, description),
    }
}

/// Classifies a non-2xx answer: the HTTP status decides the class, the body
/// supplies the code and text.
pub fn classify_http(
    provider: &str,
    status: u16,
    body: &str,
    retry_after: Option<Duration>,
) -> ChannelError {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let exception = &value["requestError"]["serviceException"];
    let code = exception["messageId"]
        .as_str()
        .or_else(|| value["errorCode"].as_str())
        .map(str::to_string)
        .or_else(|| Some(format!("http_{status}")));
    let message = exception["text"]
        .as_str()
        .or_else(|| value["description"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| crate::http::excerpt(body));
    classify_status(provider, status, code, message, retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert!(classify_status_name("infobip", "REJECTED_DND", String::new()).is_opted_out());
        assert!(
            classify_status_name("infobip", "REJECTED_FLOODING_FILTER", String::new())
                .is_throttled()
        );
        assert!(
            classify_status_name("infobip", "REJECTED_DESTINATION", String::new()).is_permanent()
        );
        assert!(
            classify_status_name("infobip", "REJECTED_SYSTEM_ERROR", String::new()).is_transient()
        );
        let e = classify_http(
            "infobip",
            401,
            r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#,
            None,
        );
        assert!(e.is_permanent());
        assert_eq!(e.provider_code(), Some("UNAUTHORIZED"));
        assert!(classify_http("infobip", 503, "<html>", None).is_transient());
    }
}
