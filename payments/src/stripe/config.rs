use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Stripe credentials: the secret API key from Developers → API keys, and
/// the signing secret of the webhook endpoint that posts to cobro.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    /// `sk_live_...` / `sk_test_...` (or a restricted `rk_...` key that may
    /// write Checkout Sessions), sent as a bearer token.
    pub secret_key: String,
    /// The endpoint's signing secret, `whsec_...`, used whole (prefix
    /// included) as the HMAC key of `Stripe-Signature`.
    pub webhook_secret: String,
    /// API root; a test points it at a mock server.
    #[serde(default = "default_stripe_base")]
    pub base_url: String,
    /// How far a notification's signed timestamp may be from `now` before
    /// it is refused as a replay. Stripe re-signs every retry, so a genuine
    /// delivery is always fresh; 300 s is the default of Stripe's own
    /// libraries. In config files: whole seconds (`tolerance = 300`).
    #[serde(default = "default_tolerance", deserialize_with = "seconds")]
    pub tolerance: Duration,
}

impl StripeConfig {
    /// With the production API root and the default tolerance, the two
    /// values a deployment rarely changes.
    pub fn new(secret_key: impl Into<String>, webhook_secret: impl Into<String>) -> Self {
        StripeConfig {
            secret_key: secret_key.into(),
            webhook_secret: webhook_secret.into(),
            base_url: default_stripe_base(),
            tolerance: default_tolerance(),
        }
    }
}

pub(crate) fn default_stripe_base() -> String {
    "https://api.stripe.com".to_string()
}

/// Stripe's libraries default to five minutes.
pub(crate) const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

fn default_tolerance() -> Duration {
    DEFAULT_TOLERANCE
}

/// Whole seconds, as every other duration in cobro's configuration is
/// written; serde's own `Duration` shape (`{secs, nanos}`) is not.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

/// Redacts the credentials so a config dump cannot leak them.
impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"***")
            .field("webhook_secret", &"***")
            .field("base_url", &self.base_url)
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: StripeConfig =
            serde_json::from_str(r#"{"secret_key":"sk_test_1","webhook_secret":"whsec_2"}"#)
                .expect("minimal config");
        assert_eq!(c.base_url, "https://api.stripe.com");
        assert_eq!(c.tolerance, Duration::from_secs(300));
        let dump = format!("{c:?}");
        assert!(!dump.contains("sk_test_1") && !dump.contains("whsec_2"));

        let c: StripeConfig =
            serde_json::from_str(r#"{"secret_key":"k","webhook_secret":"w","tolerance":60}"#)
                .expect("tolerance in seconds");
        assert_eq!(c.tolerance, Duration::from_secs(60));

        let typo = serde_json::from_str::<StripeConfig>(
            r#"{"secret_key":"k","webhook_secret":"w","tolerance_secs":60}"#,
        );
        assert!(typo.is_err());
    }

    #[test]
    fn new_uses_the_defaults() {
        let c = StripeConfig::new("sk_test_1", "whsec_2");
        assert_eq!(c.base_url, "https://api.stripe.com");
        assert_eq!(c.tolerance, DEFAULT_TOLERANCE);
    }
}
