//! Plumbing shared by both providers: one pooled client, turning transport
//! failures and HTTP statuses into [`PaymentError`]s.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::PaymentError;

/// Per-request timeout: a checkout is created while a debtor waits for a
/// link, and a notification is answered while the provider waits for us
/// (Mercado Pago gives up after 22 s), so a hung provider must not pin
/// either for long.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(15);

/// The client a provider gets when the caller does not bring its own.
pub(crate) fn default_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("cobro/", env!("CARGO_PKG_VERSION")))
        .build()
        // The builder fails only when the TLS backend cannot start, and then
        // `Client::new` fails the same way; nothing input-dependent here.
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// `base` without its trailing slash, so paths can be appended.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// A provider's answer, read fully so error bodies can be classified.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends a request. A request that cannot be built (bad base URL) is our
/// mistake and permanent; every other transport failure is transient.
pub(crate) async fn send(
    provider: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Reply, PaymentError> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(provider, e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport_error(provider, e))?
        .to_vec();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn transport_error(provider: &'static str, e: reqwest::Error) -> PaymentError {
    if e.is_builder() {
        return PaymentError::InvalidRequest {
            provider,
            message: format!("cannot build the request: {e}"),
            source: Some(Box::new(e)),
        };
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "network error"
    };
    // reqwest's Display names the URL, which holds no secret (credentials
    // travel in the Authorization header).
    PaymentError::Transient {
        provider,
        status: None,
        message: format!("{what}: {e}"),
        source: Some(e),
    }
}

/// The error for a non-2xx answer. `should_retry` is the provider's own
/// verdict when it gives one (Stripe's `Stripe-Should-Retry`), which wins;
/// otherwise 408, 429 and 5xx are transient and other 4xx permanent.
pub(crate) fn status_error(
    provider: &'static str,
    status: u16,
    code: Option<String>,
    message: String,
    should_retry: Option<bool>,
) -> PaymentError {
    let transient = should_retry.unwrap_or(matches!(status, 408 | 429 | 500..=599));
    if transient {
        let message = match code {
            Some(code) => format!("{code}: {message}"),
            None => message,
        };
        PaymentError::Transient {
            provider,
            status: Some(status),
            message,
            source: None,
        }
    } else {
        PaymentError::Rejected {
            provider,
            status,
            code,
            message,
        }
    }
}

/// A body excerpt for error messages: a 5xx may come as an HTML page,
/// which must not flood the logs.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_string();
    }
    let mut out: String = trimmed.chars().take(300).collect();
    if trimmed.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert!(status_error("x", 503, None, "m".into(), None).is_transient());
        assert!(status_error("x", 429, None, "m".into(), None).is_transient());
        assert!(status_error("x", 400, None, "m".into(), None).is_permanent());
        assert!(status_error("x", 409, None, "m".into(), Some(true)).is_transient());
        assert!(status_error("x", 500, None, "m".into(), Some(false)).is_permanent());
    }

    #[test]
    fn joins_and_excerpts() {
        assert_eq!(join("http://a/", "/v1/x"), "http://a/v1/x");
        assert_eq!(join("http://a", "/v1/x"), "http://a/v1/x");
        assert_eq!(excerpt(b"  "), "(empty body)");
        assert_eq!(excerpt("é".repeat(400).as_bytes()).chars().count(), 301);
    }
}
