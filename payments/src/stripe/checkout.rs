//! Checkout Sessions: `POST /v1/checkout/sessions` creates a hosted payment
//! page whose `url` the payer is sent to.

use serde::Deserialize;

use super::{PROVIDER, Stripe, api_error};
use crate::http::{self, join};
use crate::money::{currency_code, to_stripe_minor};
use crate::{Checkout, CheckoutRequest, PaymentError};

#[derive(Deserialize)]
struct Created {
    id: String,
    /// `null` for embedded sessions; cobro only creates hosted ones.
    url: Option<String>,
}

impl Stripe {
    /// Creates a one-off Checkout Session charging `req.amount` for a
    /// single ad-hoc line item. The account travels as
    /// `client_reference_id` and again in `metadata`, because the session
    /// the webhook delivers carries both and either is enough to find it.
    /// `Idempotency-Key: reference` makes a retried create return the same
    /// session instead of a second one.
    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        let form = session_form(req)?;
        let request = self
            .client
            .post(join(&self.config.base_url, "/v1/checkout/sessions"))
            .bearer_auth(&self.config.secret_key)
            .header("Idempotency-Key", &req.reference)
            .form(&form);
        let reply = http::send(PROVIDER, request).await?;
        if !reply.is_success() {
            return Err(api_error(&reply));
        }
        let created: Created = serde_json::from_slice(&reply.body).map_err(|e| {
            PaymentError::malformed(
                PROVIDER,
                "checkout session response",
                http::excerpt(&reply.body),
                Some(e),
            )
        })?;
        let url = created.url.filter(|u| !u.is_empty()).ok_or_else(|| {
            PaymentError::malformed(
                PROVIDER,
                "checkout session response",
                format!("session {} has no url", created.id),
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

/// The form Stripe's API takes, nested keys spelled out in brackets.
/// Amounts go in the currency's minor unit, which for zero-decimal
/// currencies (CLP) is the peso itself.
fn session_form(req: &CheckoutRequest) -> Result<Vec<(&'static str, String)>, PaymentError> {
    let currency = currency_code(PROVIDER, &req.currency)?;
    let unit_amount = to_stripe_minor(PROVIDER, req.amount, &currency)?;
    let mut form = vec![
        ("mode", "payment".to_string()),
        ("success_url", req.success_url.clone()),
        ("cancel_url", req.cancel_url.clone()),
        ("client_reference_id", req.account.clone()),
        ("metadata[account]", req.account.clone()),
        ("metadata[reference]", req.reference.clone()),
        ("line_items[0][quantity]", "1".to_string()),
        (
            "line_items[0][price_data][currency]",
            currency.to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            unit_amount.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            req.title.clone(),
        ),
    ];
    if let Some(email) = req.payer_email.as_deref().map(str::trim)
        && !email.is_empty()
    {
        form.push(("customer_email", email.to_string()));
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn request(amount: Decimal, currency: &str) -> CheckoutRequest {
        CheckoutRequest {
            account: "acc-1".into(),
            reference: "co-1".into(),
            title: "Cuota".into(),
            amount,
            currency: currency.into(),
            payer_email: Some("  ".into()),
            success_url: "https://cobro.example/ok".into(),
            cancel_url: "https://cobro.example/no".into(),
            notification_url: "https://cobro.example/hook".into(),
        }
    }

    fn get<'a>(form: &'a [(&str, String)], key: &str) -> Option<&'a str> {
        form.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn minor_units_and_lowercase_currency() {
        let form = session_form(&request(Decimal::new(123450, 2), "MXN")).expect("form");
        assert_eq!(
            get(&form, "line_items[0][price_data][unit_amount]"),
            Some("123450")
        );
        assert_eq!(
            get(&form, "line_items[0][price_data][currency]"),
            Some("mxn")
        );
        // A blank email is no email.
        assert_eq!(get(&form, "customer_email"), None);

        let form = session_form(&request(Decimal::from(15000), "clp")).expect("form");
        assert_eq!(
            get(&form, "line_items[0][price_data][unit_amount]"),
            Some("15000")
        );
    }

    #[test]
    fn fractional_clp_is_refused_not_rounded() {
        let err = session_form(&request(Decimal::new(105, 1), "CLP")).err();
        assert!(matches!(err, Some(PaymentError::InvalidRequest { .. })));
    }
}
