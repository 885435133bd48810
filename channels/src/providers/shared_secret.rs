//! Providers that do not sign their callbacks (Vonage, Infobip) are given
//! a secret in the callback URL we configure at the provider: it travels in
//! the `X-Cobro-Webhook-Secret` header or the `secret` query parameter.

use crate::callback::{CallbackError, CallbackRequest};
use crate::secret::secrets_equal;

/// Accepts the callback only when it carries the configured secret.
pub fn verify(secret: Option<&str>, req: &CallbackRequest<'_>) -> Result<(), CallbackError> {
    let Some(secret) = secret else {
        return Err(CallbackError::Unauthenticated);
    };
    let from_header = req
        .headers
        .get("x-cobro-webhook-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let from_query = req.query.and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "secret")
            .map(|(_, v)| v)
    });
    if from_header
        .or(from_query)
        .is_some_and(|given| secrets_equal(given.as_bytes(), secret.as_bytes()))
    {
        Ok(())
    } else {
        Err(CallbackError::Unauthenticated)
    }
}
