use std::fmt;

use serde::Deserialize;

/// Mercado Pago credentials, from the application's page in "Your
/// integrations".
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MercadoPagoConfig {
    /// `APP_USR-...` (or `TEST-...`), sent as a bearer token.
    pub access_token: String,
    /// The webhook "secret signature" that keys `x-signature`.
    pub webhook_secret: String,
    /// API root; a test points it at a mock server.
    #[serde(default = "default_mp_base")]
    pub base_url: String,
}

impl MercadoPagoConfig {
    /// With the production API root, the one value a deployment rarely
    /// changes.
    pub fn new(access_token: impl Into<String>, webhook_secret: impl Into<String>) -> Self {
        MercadoPagoConfig {
            access_token: access_token.into(),
            webhook_secret: webhook_secret.into(),
            base_url: default_mp_base(),
        }
    }
}

pub(crate) fn default_mp_base() -> String {
    "https://api.mercadopago.com".to_string()
}

/// Redacts the credentials so a config dump cannot leak them.
impl fmt::Debug for MercadoPagoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MercadoPagoConfig")
            .field("access_token", &"***")
            .field("webhook_secret", &"***")
            .field("base_url", &self.base_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: MercadoPagoConfig =
            serde_json::from_str(r#"{"access_token":"APP_USR-1","webhook_secret":"s"}"#)
                .expect("minimal config");
        assert_eq!(c.base_url, "https://api.mercadopago.com");
        assert!(!format!("{c:?}").contains("APP_USR-1"));
        let typo = serde_json::from_str::<MercadoPagoConfig>(
            r#"{"access_token":"a","webhook_secret":"s","base_uri":"x"}"#,
        );
        assert!(typo.is_err());
    }
}
