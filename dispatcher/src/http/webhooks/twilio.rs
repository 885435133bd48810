//! Twilio callbacks (form-encoded): message status (`MessageSid`,
//! `MessageStatus`), call status (`CallSid`, `CallStatus`, `AnsweredBy`
//! from answering-machine detection) and inbound SMS (`From`, `Body`).

use super::{StatusUpdate, param};
use crate::http::HttpError;
use crate::http::inbound::InboundMessage;
use crate::store::ContactState;

/// Maps a status callback. Calls: answered (in-progress, completed) is
/// delivered; busy, no-answer, failed, canceled is undelivered.
pub fn status_update(params: &[(String, String)]) -> Result<StatusUpdate, HttpError> {
    if let Some(sid) = param(params, "CallSid").filter(|_| param(params, "MessageSid").is_none()) {
        let status = param(params, "CallStatus")
            .ok_or_else(|| HttpError::BadRequest("CallStatus is missing".into()))?;
        let answered_by = param(params, "AnsweredBy").unwrap_or("");
        let outcome = match status {
            "in-progress" | "answered" | "completed" => Some(ContactState::Delivered),
            "busy" | "no-answer" | "failed" | "canceled" => Some(ContactState::Undelivered),
            _ => None,
        };
        let human = answered_by == "human";
        let code = match (outcome, answered_by) {
            (Some(ContactState::Delivered), "human") => Some("answered_by_human".to_string()),
            (Some(ContactState::Delivered), a) if a.starts_with("machine") || a == "fax" => {
                Some("answered_by_machine".to_string())
            }
            (Some(ContactState::Undelivered), _) => Some(status.replace('-', "_")),
            _ => None,
        };
        return Ok(StatusUpdate {
            provider_id: sid.to_string(),
            outcome,
            code,
            detail: (!answered_by.is_empty())
                .then(|| format!("call {status}, answered by {answered_by}")),
            human_answer: human && outcome == Some(ContactState::Delivered),
        });
    }
    let sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsSid"))
        .ok_or_else(|| HttpError::BadRequest("MessageSid (or CallSid) is missing".into()))?;
    let status = param(params, "MessageStatus")
        .or_else(|| param(params, "SmsStatus"))
        .ok_or_else(|| HttpError::BadRequest("MessageStatus is missing".into()))?;
    let outcome = match status {
        "delivered" | "read" => Some(ContactState::Delivered),
        "undelivered" | "failed" => Some(ContactState::Undelivered),
        _ => None,
    };
    let error = param(params, "ErrorCode");
    Ok(StatusUpdate {
        provider_id: sid.to_string(),
        outcome,
        code: (outcome == Some(ContactState::Undelivered))
            .then(|| error.map_or_else(|| status.to_string(), |e| format!("twilio_{e}"))),
        detail: error.map(|e| format!("Twilio {status}, error {e}")),
        human_answer: false,
    })
}

pub fn inbound_message(params: &[(String, String)]) -> Result<InboundMessage, HttpError> {
    let from =
        param(params, "From").ok_or_else(|| HttpError::BadRequest("From is missing".into()))?;
    Ok(InboundMessage {
        provider: "twilio",
        message_id: param(params, "MessageSid")
            .or_else(|| param(params, "SmsSid"))
            .map(str::to_string),
        from: from.to_string(),
        text: param(params, "Body").unwrap_or("").to_string(),
    })
}
