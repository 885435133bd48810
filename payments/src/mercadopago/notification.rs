//! Webhook notifications: `POST {notification_url}?data.id=123&type=payment`
//! with a body like `{"type":"payment","action":"payment.updated",
//! "data":{"id":"123"}}`. Only `data.id` is signed and the body is not, so
//! nothing is taken from the body but the event type: the payment itself is
//! read back from `GET /v1/payments/{id}`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{MercadoPago, PROVIDER, api_error, signature};
use crate::http::{self, join};
use crate::signing::mercadopago_data_id;
use crate::{Notification, PaymentError, ProviderPayment};

/// The parts of the body we read; Mercado Pago adds fields freely.
#[derive(Deserialize)]
struct Body {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `GET /v1/payments/{id}`, the fields cobro needs.
#[derive(Deserialize)]
struct Payment {
    id: serde_json::Value,
    status: String,
    status_detail: Option<String>,
    transaction_amount: Option<serde_json::Number>,
    currency_id: Option<String>,
    date_approved: Option<String>,
    external_reference: Option<String>,
}

impl MercadoPago {
    /// Verifies `x-signature` (ts=..,v1=..) over the manifest
    /// `id:{data.id};request-id:{x-request-id};ts:{ts};` with
    /// HMAC-SHA256(webhook_secret); `data.id` comes from the raw `query`
    /// string, lower-cased when alphanumeric, as Mercado Pago documents.
    /// Then, for a `payment` notification, reads
    /// `GET {base}/v1/payments/{id}` with the access token and returns
    /// `Payment` only when its status is `approved` (account from
    /// `external_reference`, amount from `transaction_amount`, currency
    /// from `currency_id`, time from `date_approved`).
    ///
    /// `now` stands in for `date_approved` should an approved payment lack
    /// one; the signature's `ts` is not bounded by it (see
    /// `signature::verify` for why that is safe).
    ///
    /// A legacy IPN notification (`?topic=..&id=..`, no `data.id`) is
    /// `Ignored` without a check: Mercado Pago says its signature cannot be
    /// validated, and the webhook for the same event follows.
    pub async fn notification(
        &self,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Notification, PaymentError> {
        let params = Query::parse(query);
        if params.data_id.is_none()
            && let Some(topic) = &params.topic
        {
            return Ok(Notification::Ignored(format!(
                "IPN notification (topic `{topic}`): unverifiable, the webhook carries the same event"
            )));
        }
        signature::verify(
            &self.config.webhook_secret,
            headers,
            params.data_id.as_deref(),
        )?;
        let Some(data_id) = params.data_id.as_deref().filter(|id| !id.is_empty()) else {
            return Ok(Notification::Ignored("notification without data.id".into()));
        };
        let kind = match params.kind {
            Some(kind) => kind,
            None => body_kind(body)?,
        };
        if kind != "payment" {
            return Ok(Notification::Ignored(format!(
                "`{kind}` notification, not a payment"
            )));
        }
        let id = mercadopago_data_id(data_id);
        if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(PaymentError::malformed(
                PROVIDER,
                "notification",
                format!("payment id `{id}` is not alphanumeric"),
                None,
            ));
        }
        let payment = self.payment(&id).await?;
        interpret(payment, now)
    }

    async fn payment(&self, id: &str) -> Result<Payment, PaymentError> {
        let request = self
            .client
            .get(join(&self.config.base_url, &format!("/v1/payments/{id}")))
            .bearer_auth(&self.config.access_token);
        let reply = http::send(PROVIDER, request).await?;
        if !reply.is_success() {
            return Err(api_error(&reply));
        }
        serde_json::from_slice(&reply.body).map_err(|e| {
            PaymentError::malformed(PROVIDER, "payment", http::excerpt(&reply.body), Some(e))
        })
    }
}

/// The query parameters a notification carries.
struct Query {
    data_id: Option<String>,
    kind: Option<String>,
    topic: Option<String>,
}

impl Query {
    fn parse(query: &str) -> Self {
        let mut q = Query {
            data_id: None,
            kind: None,
            topic: None,
        };
        let query = query.strip_prefix('?').unwrap_or(query);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "data.id" => &mut q.data_id,
                "type" => &mut q.kind,
                "topic" => &mut q.topic,
                _ => continue,
            };
            // The first occurrence wins, as most frameworks read it.
            if slot.is_none() {
                *slot = Some(value.trim().to_string());
            }
        }
        q
    }
}

/// The event type from the body, when the query did not say.
fn body_kind(body: &[u8]) -> Result<String, PaymentError> {
    let parsed: Body = serde_json::from_slice(body).map_err(|e| {
        PaymentError::malformed(PROVIDER, "notification", http::excerpt(body), Some(e))
    })?;
    parsed.kind.ok_or_else(|| {
        PaymentError::malformed(PROVIDER, "notification", "no `type` in query or body", None)
    })
}

fn interpret(payment: Payment, now: DateTime<Utc>) -> Result<Notification, PaymentError> {
    let id = match &payment.id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if payment.status != "approved" {
        let detail = payment
            .status_detail
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Ok(Notification::Ignored(format!(
            "payment {id} is {}{detail}",
            payment.status
        )));
    }
    let Some(account) = payment.external_reference.filter(|r| !r.trim().is_empty()) else {
        // An approved payment on the same Mercado Pago account that did not
        // come from a cobro checkout (a sale elsewhere): not ours to apply.
        return Ok(Notification::Ignored(format!(
            "approved payment {id} has no external_reference"
        )));
    };
    let bad = |message: String| PaymentError::malformed(PROVIDER, "payment", message, None);
    let amount = payment
        .transaction_amount
        .as_ref()
        .and_then(decimal)
        .ok_or_else(|| {
            bad(format!(
                "approved payment {id} has no readable transaction_amount"
            ))
        })?;
    let currency = payment
        .currency_id
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad(format!("approved payment {id} has no currency_id")))?;
    let at = match payment.date_approved.as_deref() {
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map_err(|e| bad(format!("payment {id}: date_approved `{raw}`: {e}")))?
            .with_timezone(&Utc),
        None => now,
    };
    Ok(Notification::Payment(ProviderPayment {
        provider: PROVIDER,
        provider_id: id,
        account,
        amount,
        currency,
        at,
    }))
}

/// A JSON number as an exact decimal: `1234.5` stays `1234.5`, where going
/// through `f64` arithmetic could drift.
fn decimal(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = Query::parse("?data.id=123&type=payment&data.id=999");
        assert_eq!(q.data_id.as_deref(), Some("123"));
        assert_eq!(q.kind.as_deref(), Some("payment"));
        let ipn = Query::parse("topic=merchant_order&id=55");
        assert!(ipn.data_id.is_none());
        assert_eq!(ipn.topic.as_deref(), Some("merchant_order"));
    }

    #[test]
    fn numbers_are_exact() {
        let n: serde_json::Number = serde_json::from_str("1234.5").expect("number");
        assert_eq!(decimal(&n), Decimal::from_str("1234.50").ok());
        let n: serde_json::Number = serde_json::from_str("15000").expect("number");
        assert_eq!(decimal(&n), Some(Decimal::from(15000)));
    }

    #[test]
    fn body_kind_needs_json() {
        assert_eq!(
            body_kind(br#"{"type":"payment","x":1}"#).ok().as_deref(),
            Some("payment")
        );
        assert!(body_kind(b"not json").is_err());
        assert!(body_kind(b"{}").is_err());
    }
}
