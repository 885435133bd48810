//! Vonage (SMS API) delivery receipts (`messageId`, `status`, `err-code`)
//! and inbound messages (`msisdn`, `text`, `messageId`), as JSON, form or
//! query parameters.

use super::{StatusUpdate, param};
use crate::http::HttpError;
use crate::http::inbound::InboundMessage;
use crate::store::ContactState;

pub fn status_update(params: &[(String, String)]) -> Result<StatusUpdate, HttpError> {
    let id = param(params, "messageId")
        .ok_or_else(|| HttpError::BadRequest("messageId is missing".into()))?;
    let status =
        param(params, "status").ok_or_else(|| HttpError::BadRequest("status is missing".into()))?;
    let outcome = match status {
        "delivered" => Some(ContactState::Delivered),
        "expired" | "failed" | "rejected" => Some(ContactState::Undelivered),
        _ => None,
    };
    let err = param(params, "err-code").filter(|e| *e != "0");
    Ok(StatusUpdate {
        provider_id: id.to_string(),
        outcome,
        code: (outcome == Some(ContactState::Undelivered))
            .then(|| err.map_or_else(|| status.to_string(), |e| format!("vonage_{e}"))),
        detail: err.map(|e| format!("Vonage {status}, err-code {e}")),
        human_answer: false,
    })
}

pub fn inbound_message(params: &[(String, String)]) -> Result<InboundMessage, HttpError> {
    let from =
        param(params, "msisdn").ok_or_else(|| HttpError::BadRequest("msisdn is missing".into()))?;
    Ok(InboundMessage {
        provider: "vonage",
        message_id: param(params, "messageId").map(str::to_string),
        from: from.to_string(),
        text: param(params, "text").unwrap_or("").to_string(),
    })
}
