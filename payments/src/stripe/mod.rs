//! Stripe: Checkout Sessions and webhook events.

mod checkout;
mod config;
mod notification;
mod signature;

pub use config::StripeConfig;

pub const PROVIDER: &str = "stripe";

/// A Stripe account: creates Checkout Sessions and reads the events its
/// webhook endpoint receives.
#[derive(Clone)]
pub struct Stripe {
    config: StripeConfig,
    client: reqwest::Client,
}

impl Stripe {
    /// With its own pooled client (15 s timeout).
    pub fn new(config: StripeConfig) -> Self {
        Self::with_client(config, crate::http::default_client())
    }

    /// With a client the caller configured (shared pool, other timeouts).
    pub fn with_client(config: StripeConfig, client: reqwest::Client) -> Self {
        Stripe { config, client }
    }

    pub fn config(&self) -> &StripeConfig {
        &self.config
    }
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Stripe's error body: `{"error": {"type", "code", "message", "param"}}`.
#[derive(serde::Deserialize)]
struct ApiErrorBody {
    error: ApiError,
}

#[derive(serde::Deserialize)]
struct ApiError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
    param: Option<String>,
}

/// The error for a non-2xx answer, with Stripe's own code and message.
/// `Stripe-Should-Retry` is Stripe's verdict on whether the same request
/// may succeed later (it knows, for example, that a 409 lock timeout will
/// clear), so it overrides the status-based guess.
fn api_error(reply: &crate::http::Reply) -> crate::PaymentError {
    let should_retry = reply
        .headers
        .get("stripe-should-retry")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| match v.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        });
    let parsed: Option<ApiErrorBody> = serde_json::from_slice(&reply.body).ok();
    let (code, message) = match parsed {
        Some(ApiErrorBody { error }) => {
            let code = error
                .code
                .filter(|c| !c.is_empty())
                .or(error.kind.filter(|k| !k.is_empty()));
            let mut message = error
                .message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| crate::http::excerpt(&reply.body));
            if let Some(param) = error.param.filter(|p| !p.is_empty()) {
                message.push_str(&format!(" (param `{param}`)"));
            }
            (code, message)
        }
        None => (None, crate::http::excerpt(&reply.body)),
    };
    crate::http::status_error(PROVIDER, reply.status, code, message, should_retry)
}
