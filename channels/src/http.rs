//! Plumbing shared by the HTTP providers: one client per channel, turning
//! transport failures and generic HTTP statuses into [`ChannelError`]s, and
//! reading `Retry-After`.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::{ChannelError, ConfigError};

/// Default per-request timeout for provider APIs: long enough for a slow
/// provider, short enough that a hung one does not pin a worker.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

/// One pooled client per channel; `timeout` bounds the whole request.
pub(crate) fn client(channel: &str, timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("cobro/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::invalid(channel, "timeout", e.to_string()))
}

/// Checks a configured base URL and drops a trailing slash so paths can be
/// appended with `format!("{base}/path")`.
pub(crate) fn base_url(channel: &str, url: &str) -> Result<String, ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ConfigError::invalid(channel, "base_url", format!("{url}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::invalid(channel, "base_url", "must be http(s)"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// A provider's answer, read fully so error bodies can be classified.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: String,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends a request; every transport failure is transient. A timeout or a
/// failure after the request left may mean the provider got it, which
/// `maybe_sent` records so the dispatcher can count the send as uncertain.
pub(crate) async fn execute(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<HttpResponse, ChannelError> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(provider, &e))?;
    let status = response.status().as_u16();
    let retry_after = parse_retry_after(response.headers());
    let body = response
        .text()
        .await
        .map_err(|e| transport_error(provider, &e))?;
    Ok(HttpResponse {
        status,
        retry_after,
        body,
    })
}

fn transport_error(provider: &str, e: &reqwest::Error) -> ChannelError {
    let (code, maybe_sent) = if e.is_timeout() {
        ("timeout", true)
    } else if e.is_connect() {
        ("connect", false)
    } else {
        ("network", true)
    };
    // reqwest's Display includes the URL, which holds no secret (auth goes
    // in headers or the body), so it is safe to keep for the ledger.
    ChannelError::Transient {
        provider: provider.to_string(),
        code: Some(code.to_string()),
        message: e.to_string(),
        maybe_sent,
    }
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The class of an HTTP status when the provider's body says nothing more
/// specific: 429 throttles, 408 and 5xx are transient, other 4xx permanent.
pub(crate) fn classify_status(
    provider: &str,
    status: u16,
    code: Option<String>,
    message: String,
    retry_after: Option<Duration>,
) -> ChannelError {
    match status {
        429 => ChannelError::throttled(provider, code, retry_after, message),
        408 | 500..=599 => ChannelError::transient(provider, code, message),
        _ => ChannelError::permanent(provider, code, message),
    }
}

/// A body excerpt for error messages: providers sometimes answer 5xx with
/// an HTML page, which must not flood the ledger.
pub(crate) fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    let mut out: String = trimmed.chars().take(300).collect();
    if trimmed.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// E.164 without the `+`, as Vonage and Infobip want it.
pub(crate) fn digits_only(e164: &str) -> String {
    e164.chars().filter(char::is_ascii_digit).collect()
}

/// Rejects an address that is not E.164 before it costs an API call.
pub(crate) fn check_e164(provider: &str, to: &str) -> Result<(), ChannelError> {
    let digits = to.strip_prefix('+').unwrap_or("");
    if (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ChannelError::permanent(
            provider,
            Some("invalid_number".into()),
            format!("not an E.164 number: {}", crate::mask_address(to)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn e164() {
        assert!(check_e164("x", "+525512345678").is_ok());
        assert!(check_e164("x", "5512345678").is_err());
        assert!(check_e164("x", "+52 55 1234").is_err());
    }
}
