//! Webhook events: `POST` with `Stripe-Signature` and a JSON event like
//! `{"id":"evt_..","type":"checkout.session.completed","created":..,
//! "data":{"object":{ <the Checkout Session> }}}`. The whole body is
//! signed, so unlike Mercado Pago the session is read from the event
//! itself, with no call back to the API.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::{PROVIDER, Stripe, signature};
use crate::http;
use crate::money::{currency_code, from_stripe_minor};
use crate::{Notification, PaymentError, ProviderPayment};

/// The event types that can mean "the session's money arrived": a card
/// payment completes the session already paid; a delayed method (OXXO,
/// bank transfer) completes it `unpaid` and succeeds later.
const PAYMENT_EVENTS: &[&str] = &[
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
];

#[derive(Deserialize)]
struct Event {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    /// Unix seconds.
    created: i64,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    /// Its shape depends on the event type, so it is read only once the
    /// type says it is a Checkout Session.
    object: serde_json::Value,
}

/// The Checkout Session fields cobro needs.
#[derive(Deserialize)]
struct Session {
    id: String,
    /// `paid`, `unpaid` or `no_payment_required`.
    payment_status: String,
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: HashMap<String, String>,
    /// Minor units of `currency`.
    amount_total: Option<i64>,
    currency: Option<String>,
}

impl Stripe {
    /// Verifies `Stripe-Signature` (HMAC-SHA256 of `{t}.{body}` with the
    /// webhook secret, `t` within the configured tolerance of `now`), then
    /// reads the event: a `checkout.session.completed` or
    /// `checkout.session.async_payment_succeeded` whose session is `paid`
    /// is a `Payment` (amount from `amount_total` in major units, time the
    /// event's `created`); anything else is `Ignored`.
    ///
    /// Synchronous: everything needed is in the signed body.
    pub fn notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Notification, PaymentError> {
        signature::verify(
            &self.config.webhook_secret,
            self.config.tolerance,
            headers,
            body,
            now,
        )?;
        let event: Event = serde_json::from_slice(body).map_err(|e| {
            PaymentError::malformed(PROVIDER, "event", http::excerpt(body), Some(e))
        })?;
        interpret(event)
    }
}

fn interpret(event: Event) -> Result<Notification, PaymentError> {
    let event_id = event.id.unwrap_or_else(|| "(no id)".to_string());
    if !PAYMENT_EVENTS.contains(&event.kind.as_str()) {
        return Ok(Notification::Ignored(format!(
            "`{}` event {event_id}, not a Checkout payment",
            event.kind
        )));
    }
    let session: Session = serde_json::from_value(event.data.object).map_err(|e| {
        PaymentError::malformed(
            PROVIDER,
            "event",
            format!(
                "{} event {event_id}: not a Checkout Session: {e}",
                event.kind
            ),
            Some(e),
        )
    })?;
    if session.payment_status != "paid" {
        return Ok(Notification::Ignored(format!(
            "session {} is {} ({})",
            session.id, session.payment_status, event.kind
        )));
    }
    let account = session
        .client_reference_id
        .filter(|a| !a.trim().is_empty())
        .or_else(|| {
            session
                .metadata
                .get("account")
                .filter(|a| !a.trim().is_empty())
                .cloned()
        });
    let Some(account) = account else {
        // A session created by something else on the same Stripe account
        // (a payment link, another integration): not ours to apply.
        return Ok(Notification::Ignored(format!(
            "paid session {} has no client_reference_id nor metadata.account",
            session.id
        )));
    };
    let bad = |message: String| PaymentError::malformed(PROVIDER, "event", message, None);
    let currency = session
        .currency
        .as_deref()
        .ok_or_else(|| bad(format!("paid session {} has no currency", session.id)))
        .and_then(|c| {
            currency_code(PROVIDER, c)
                .map_err(|_| bad(format!("session {}: currency `{c}`", session.id)))
        })?;
    let minor = session
        .amount_total
        .ok_or_else(|| bad(format!("paid session {} has no amount_total", session.id)))?;
    let at = DateTime::from_timestamp(event.created, 0).ok_or_else(|| {
        bad(format!(
            "event {event_id}: created `{}` is not a time",
            event.created
        ))
    })?;
    Ok(Notification::Payment(ProviderPayment {
        provider: PROVIDER,
        provider_id: session.id,
        account,
        amount: from_stripe_minor(minor, &currency),
        currency,
        at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn event(kind: &str, object: serde_json::Value) -> Event {
        serde_json::from_value(serde_json::json!({
            "id": "evt_1", "object": "event", "type": kind, "created": 1_700_000_000,
            "data": {"object": object}
        }))
        .expect("event")
    }

    #[test]
    fn metadata_account_when_no_client_reference() {
        let e = event(
            "checkout.session.async_payment_succeeded",
            serde_json::json!({
                "id": "cs_1", "object": "checkout.session", "payment_status": "paid",
                "client_reference_id": null, "metadata": {"account": "acc-9"},
                "amount_total": 15000, "currency": "clp"
            }),
        );
        match interpret(e) {
            Ok(Notification::Payment(p)) => {
                assert_eq!(p.account, "acc-9");
                assert_eq!(p.amount, Decimal::from(15000));
                assert_eq!(p.currency, "CLP");
            }
            other => panic!("expected a payment, got {other:?}"),
        }
    }

    #[test]
    fn foreign_and_unpaid_sessions_are_ignored() {
        let foreign = event(
            "checkout.session.completed",
            serde_json::json!({"id": "cs_2", "payment_status": "paid",
                "amount_total": 100, "currency": "usd"}),
        );
        assert!(matches!(interpret(foreign), Ok(Notification::Ignored(_))));
        let other = event(
            "payment_intent.succeeded",
            serde_json::json!({"id": "pi_1"}),
        );
        assert!(
            matches!(interpret(other), Ok(Notification::Ignored(r)) if r.contains("payment_intent.succeeded"))
        );
    }

    #[test]
    fn paid_session_without_amount_is_malformed() {
        let e = event(
            "checkout.session.completed",
            serde_json::json!({"id": "cs_3", "payment_status": "paid",
                "client_reference_id": "acc-1", "currency": "mxn"}),
        );
        assert!(matches!(interpret(e), Err(PaymentError::Malformed { .. })));
    }
}
