//! Checkout Pro: `POST /checkout/preferences` creates a preference whose
//! `init_point` is the page the payer is sent to.

use serde::{Deserialize, Serialize};

use super::{MercadoPago, PROVIDER, api_error};
use crate::http::{self, join};
use crate::money::{check_amount, currency_code};
use crate::{Checkout, CheckoutRequest, PaymentError};

#[derive(Serialize)]
struct Preference<'a> {
    items: [Item<'a>; 1],
    /// Comes back on the payment, which is how a notification finds the
    /// account.
    external_reference: &'a str,
    back_urls: BackUrls<'a>,
    /// Send the payer back to `back_urls.success` by itself once approved.
    auto_return: &'static str,
    notification_url: String,
    metadata: Metadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer: Option<Payer<'a>>,
}

#[derive(Serialize)]
struct Item<'a> {
    title: &'a str,
    quantity: u32,
    /// A JSON number, as the API wants it, written from the decimal's own
    /// digits: `15000` stays an integer (CLP takes no decimals) and
    /// `1234.5` is not passed through binary float arithmetic first.
    unit_price: serde_json::Number,
    currency_id: &'a str,
}

#[derive(Serialize)]
struct BackUrls<'a> {
    success: &'a str,
    failure: &'a str,
    /// A payment left pending (cash at OXXO, bank transfer) is on its way:
    /// the payer sees the success page, and the notification settles it.
    pending: &'a str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    reference: &'a str,
}

#[derive(Serialize)]
struct Payer<'a> {
    email: &'a str,
}

#[derive(Deserialize)]
struct Created {
    id: String,
    init_point: Option<String>,
}

impl MercadoPago {
    /// Creates a Checkout Pro preference for `req`; the checkout URL is its
    /// `init_point`. `X-Idempotency-Key: reference` makes a retried create
    /// return the same preference.
    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        let currency = currency_code(PROVIDER, &req.currency)?;
        let amount = check_amount(PROVIDER, req.amount, &currency)?;
        let unit_price: serde_json::Number = amount.to_string().parse().map_err(|_| {
            PaymentError::invalid_request(PROVIDER, format!("{amount} is not a JSON number"))
        })?;
        let body = Preference {
            items: [Item {
                title: &req.title,
                quantity: 1,
                unit_price,
                currency_id: &currency,
            }],
            external_reference: &req.account,
            back_urls: BackUrls {
                success: &req.success_url,
                failure: &req.cancel_url,
                pending: &req.success_url,
            },
            auto_return: "approved",
            notification_url: webhooks_only(&req.notification_url)?,
            metadata: Metadata {
                reference: &req.reference,
            },
            payer: req
                .payer_email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|email| Payer { email }),
        };
        let request = self
            .client
            .post(join(&self.config.base_url, "/checkout/preferences"))
            .bearer_auth(&self.config.access_token)
            .header("X-Idempotency-Key", &req.reference)
            .json(&body);
        let reply = http::send(PROVIDER, request).await?;
        if !reply.is_success() {
            return Err(api_error(&reply));
        }
        let created: Created = serde_json::from_slice(&reply.body).map_err(|e| {
            PaymentError::malformed(
                PROVIDER,
                "preference response",
                http::excerpt(&reply.body),
                Some(e),
            )
        })?;
        let url = created
            .init_point
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                PaymentError::malformed(
                    PROVIDER,
                    "preference response",
                    format!("preference {} has no init_point", created.id),
                    None,
                )
            })?;
        Ok(Checkout {
            provider: PROVIDER,
            id: created.id,
            url,
        })
    }
}

/// `url` with `source_news=webhooks`, which tells Mercado Pago to send only
/// webhook notifications there. Without it the same URL also receives the
/// legacy IPN feed (`?topic=..&id=..`), whose `x-signature` cannot be
/// validated, so every payment would arrive twice and once unverifiable.
fn webhooks_only(url: &str) -> Result<String, PaymentError> {
    let mut parsed = reqwest::Url::parse(url).map_err(|e| PaymentError::InvalidRequest {
        provider: PROVIDER,
        message: format!("notification_url `{url}` is not a URL"),
        source: Some(Box::new(e)),
    })?;
    if !parsed.query_pairs().any(|(k, _)| k == "source_news") {
        parsed
            .query_pairs_mut()
            .append_pair("source_news", "webhooks");
    }
    Ok(parsed.into())
}

#[cfg(test)]
mod tests {
    use super::webhooks_only;

    #[test]
    fn notification_url_gets_webhooks_only() {
        assert_eq!(
            webhooks_only("https://cobro.example/mp?tenant=a")
                .ok()
                .as_deref(),
            Some("https://cobro.example/mp?tenant=a&source_news=webhooks")
        );
        assert_eq!(
            webhooks_only("https://cobro.example/mp?source_news=ipn")
                .ok()
                .as_deref(),
            Some("https://cobro.example/mp?source_news=ipn")
        );
        assert!(webhooks_only("not a url").is_err());
    }
}
