//! Secret checks: the API bearer token, Twilio's request signature and the
//! shared secret of the other providers. All comparisons are constant-time
//! so that response timing does not leak how much of a guess was right.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac_sha1::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::AppState;

/// Constant-time equality of two secrets (length differences still show,
/// which reveals nothing useful about a random token).
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Guards `/api/…`: `Authorization: Bearer $COBRO_API_TOKEN`. Without a
/// configured token the API is closed (503), never open.
pub async fn require_bearer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.config.api_token.as_deref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": "the API is disabled: set COBRO_API_TOKEN"})),
        )
            .into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        Some(token) if secrets_equal(token.as_bytes(), expected.as_bytes()) => {
            next.run(request).await
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({"error": "missing or invalid bearer token"})),
        )
            .into_response(),
    }
}

/// Twilio's signature: base64(HMAC-SHA1(auth token, URL + each POST
/// parameter name and value, sorted by name)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = String::from(url);
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes keys of any size");
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `X-Twilio-Signature` against the URL Twilio called (our public
/// URL plus path and query) and the form parameters.
pub fn verify_twilio(
    auth_token: Option<&str>,
    headers: &HeaderMap,
    url: &str,
    params: &[(String, String)],
) -> bool {
    let Some(token) = auth_token else {
        return false;
    };
    let Some(given) = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let expected = twilio_signature(token, url, params);
    secrets_equal(given.trim().as_bytes(), expected.as_bytes())
}

/// Vonage and Infobip: the shared secret travels in the
/// `X-Cobro-Webhook-Secret` header or the `secret` query parameter (set in
/// the callback URL configured at the provider).
pub fn verify_shared_secret(
    secret: Option<&str>,
    headers: &HeaderMap,
    query: Option<&str>,
) -> bool {
    let Some(secret) = secret else { return false };
    let from_header = headers
        .get("x-cobro-webhook-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let from_query = query.and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "secret")
            .map(|(_, v)| v)
    });
    from_header
        .or(from_query)
        .is_some_and(|given| secrets_equal(given.as_bytes(), secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Twilio's security documentation.
    #[test]
    fn twilio_documented_example() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            twilio_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn constant_time_compare() {
        assert!(secrets_equal(b"abc", b"abc"));
        assert!(!secrets_equal(b"abc", b"abd"));
        assert!(!secrets_equal(b"abc", b"abcd"));
    }
}
