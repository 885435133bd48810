//! Twilio signs every callback: `X-Twilio-Signature` is
//! base64(HMAC-SHA1(auth token, URL + each POST parameter name and value,
//! sorted by name)). A callback without a valid one is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::callback::{CallbackError, CallbackRequest};
use crate::secret::secrets_equal;

/// The signature Twilio sends for `url` and the form `params`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = String::from(url);
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    // HMAC accepts keys of any length, so this never fails; an empty MAC
    // would only make every check fail closed.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes()) else {
        return String::new();
    };
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `X-Twilio-Signature` against the URL Twilio called and the form
/// parameters; returns those parameters when it holds.
pub fn verify(
    auth_token: Option<&str>,
    req: &CallbackRequest<'_>,
) -> Result<Vec<(String, String)>, CallbackError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(req.body).unwrap_or_default();
    let Some(token) = auth_token else {
        return Err(CallbackError::Unauthenticated);
    };
    let Some(given) = req
        .headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(CallbackError::Unauthenticated);
    };
    let expected = twilio_signature(token, req.url, &params);
    if secrets_equal(given.trim().as_bytes(), expected.as_bytes()) {
        Ok(params)
    } else {
        Err(CallbackError::Unauthenticated)
    }
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
}
