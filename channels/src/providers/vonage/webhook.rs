//! Vonage (SMS API) delivery receipts (`messageId`, `status`, `err-code`,
//! `client-ref`: the contact reference we sent)
//! and inbound messages (`msisdn`, `text`, `messageId`), as JSON, form or
//! query parameters.

use crate::callback::{CallbackError, DeliveryReport, DeliveryStatus, InboundMessage, param};

pub fn delivery_report(params: &[(String, String)]) -> Result<DeliveryReport, CallbackError> {
    let id = param(params, "messageId").ok_or_else(|| CallbackError::missing("messageId"))?;
    let status = param(params, "status").ok_or_else(|| CallbackError::missing("status"))?;
    let outcome = match status {
        "delivered" => Some(DeliveryStatus::Delivered),
        "expired" | "failed" | "rejected" => Some(DeliveryStatus::Undelivered),
        "accepted" | "buffered" => Some(DeliveryStatus::Accepted),
        _ => None,
    };
    let err = param(params, "err-code").filter(|e| *e != "0");
    Ok(DeliveryReport {
        provider_id: id.to_string(),
        status: outcome,
        code: (outcome == Some(DeliveryStatus::Undelivered))
            .then(|| err.map_or_else(|| status.to_string(), |e| format!("vonage_{e}"))),
        detail: err.map(|e| format!("Vonage {status}, err-code {e}")),
        human_answer: false,
        // The signed contact reference the message carried
        // (`OutboundMessage::reference`), echoed in every receipt.
        contact_ref: param(params, "client-ref").map(str::to_string),
    })
}

pub fn inbound_message(params: &[(String, String)]) -> Result<InboundMessage, CallbackError> {
    let from = param(params, "msisdn").ok_or_else(|| CallbackError::missing("msisdn"))?;
    Ok(InboundMessage {
        provider: "vonage",
        message_id: param(params, "messageId").map(str::to_string),
        from: from.to_string(),
        text: param(params, "text").unwrap_or("").to_string(),
    })
}
