//! Payment providers: checkouts and their signed payment notifications.
//!
//! cobro sends a debtor a link to pay: a Mercado Pago Checkout Pro
//! preference or a Stripe Checkout Session, created with
//! [`PaymentProvider::create_checkout`]. The provider later posts a
//! notification; [`MercadoPago::notification`] and [`Stripe::notification`]
//! check its signature first and turn it into a [`Notification`]: a
//! [`ProviderPayment`] when money was actually received, or `Ignored` with
//! the reason for every other event, so the dispatcher acknowledges those
//! without acting.
//!
//! Amounts are [`Decimal`]s in major units on both sides of this crate;
//! the providers' own units (Stripe's minor units) stay inside it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

mod error;
mod http;
pub mod mercadopago;
mod money;
pub mod signing;
pub mod stripe;

pub use error::{PaymentError, SignatureFault};
pub use mercadopago::{MercadoPago, MercadoPagoConfig};
/// The header map notifications are read from: `http::HeaderMap`, the same
/// type axum and hyper hand a handler, so no web framework is needed here.
pub use reqwest::header::HeaderMap;
pub use stripe::{Stripe, StripeConfig};

/// What a checkout charges and where the payer goes afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The account being paid; travels as Mercado Pago's
    /// `external_reference` and Stripe's `client_reference_id`, and comes
    /// back in the notification.
    pub account: String,
    /// cobro's idempotency reference for this checkout (`co-...`): sent as
    /// the idempotency key, so retrying a create never makes two checkouts.
    pub reference: String,
    /// Item title shown to the payer, already localised.
    pub title: String,
    /// In major units (`1234.50` MXN, `15000` CLP).
    pub amount: Decimal,
    /// ISO 4217 (`MXN`, `COP`, `CLP`, `PEN`, `USD`), any case.
    pub currency: String,
    pub payer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    /// Where Mercado Pago posts notifications (`notification_url`). Stripe
    /// takes its webhook endpoint from the dashboard and ignores this.
    pub notification_url: String,
}

/// A created checkout: send the payer to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub provider: &'static str,
    /// Mercado Pago preference id / Stripe Checkout Session id.
    pub id: String,
    pub url: String,
}

/// A payment the provider says was approved / paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    /// `"mercadopago"` or `"stripe"`.
    pub provider: &'static str,
    /// Mercado Pago payment id / Stripe Checkout Session id: the key to
    /// deduplicate on, since providers deliver notifications more than once.
    pub provider_id: String,
    pub account: String,
    /// In major units, exact.
    pub amount: Decimal,
    /// Upper-case ISO 4217.
    pub currency: String,
    /// When the provider approved it (Mercado Pago `date_approved`, Stripe
    /// the event's `created`).
    pub at: DateTime<Utc>,
}

/// What an authentic notification means for cobro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    Payment(ProviderPayment),
    /// Authentic but nothing to act on; the reason is for the log (other
    /// event type, payment not approved, not a cobro checkout...). Answer
    /// 200 so the provider stops retrying.
    Ignored(String),
}

/// The configured payment provider.
#[derive(Debug, Clone)]
pub enum PaymentProvider {
    MercadoPago(MercadoPago),
    Stripe(Stripe),
}

impl PaymentProvider {
    pub fn mercadopago(config: MercadoPagoConfig) -> Self {
        PaymentProvider::MercadoPago(MercadoPago::new(config))
    }

    pub fn stripe(config: StripeConfig) -> Self {
        PaymentProvider::Stripe(Stripe::new(config))
    }

    /// `"mercadopago"` or `"stripe"`.
    pub fn name(&self) -> &'static str {
        match self {
            PaymentProvider::MercadoPago(_) => mercadopago::PROVIDER,
            PaymentProvider::Stripe(_) => stripe::PROVIDER,
        }
    }

    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        match self {
            PaymentProvider::MercadoPago(mp) => mp.create_checkout(req).await,
            PaymentProvider::Stripe(s) => s.create_checkout(req).await,
        }
    }

    /// Verifies and reads a notification posted to this provider's
    /// endpoint; `query` is the raw query string (Mercado Pago signs a
    /// parameter of it; Stripe ignores it).
    pub async fn notification(
        &self,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Notification, PaymentError> {
        match self {
            PaymentProvider::MercadoPago(mp) => mp.notification(query, headers, body, now).await,
            PaymentProvider::Stripe(s) => s.notification(headers, body, now),
        }
    }
}

impl From<MercadoPago> for PaymentProvider {
    fn from(p: MercadoPago) -> Self {
        PaymentProvider::MercadoPago(p)
    }
}

impl From<Stripe> for PaymentProvider {
    fn from(p: Stripe) -> Self {
        PaymentProvider::Stripe(p)
    }
}
