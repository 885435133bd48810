//! Mercado Pago: Checkout Pro preferences and webhook notifications.

mod checkout;
mod config;
mod notification;
mod signature;

pub use config::MercadoPagoConfig;

pub const PROVIDER: &str = "mercadopago";

/// A Mercado Pago account: creates preferences and reads its notifications.
#[derive(Clone)]
pub struct MercadoPago {
    config: MercadoPagoConfig,
    client: reqwest::Client,
}

impl MercadoPago {
    /// With its own pooled client (15 s timeout).
    pub fn new(config: MercadoPagoConfig) -> Self {
        Self::with_client(config, crate::http::default_client())
    }

    /// With a client the caller configured (shared pool, other timeouts).
    pub fn with_client(config: MercadoPagoConfig, client: reqwest::Client) -> Self {
        MercadoPago { config, client }
    }

    pub fn config(&self) -> &MercadoPagoConfig {
        &self.config
    }
}

impl std::fmt::Debug for MercadoPago {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MercadoPago")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Mercado Pago's error body: `{"message", "error", "status", "cause"}`.
#[derive(serde::Deserialize)]
struct ApiError {
    message: Option<String>,
    error: Option<String>,
}

/// The error for a non-2xx answer, with Mercado Pago's own message.
fn api_error(reply: &crate::http::Reply) -> crate::PaymentError {
    let parsed: Option<ApiError> = serde_json::from_slice(&reply.body).ok();
    let (code, message) = match parsed {
        Some(ApiError { message, error }) => (
            error.filter(|e| !e.is_empty()),
            message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| crate::http::excerpt(&reply.body)),
        ),
        None => (None, crate::http::excerpt(&reply.body)),
    };
    crate::http::status_error(PROVIDER, reply.status, code, message, None)
}
