//! Twilio callbacks (form-encoded): message status (`MessageSid`,
//! `MessageStatus`), call status (`CallSid`, `CallStatus`, `AnsweredBy`
//! from answering-machine detection) and inbound SMS (`From`, `Body`).

use crate::callback::{CallbackError, DeliveryReport, DeliveryStatus, InboundMessage, param};

/// Twilio reads the answer to an inbound message as TwiML: an empty
/// Response sends no reply (Twilio itself answers STOP with its own
/// confirmation).
pub const INBOUND_REPLY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// Maps a status callback. Calls: answered (in-progress, completed) is
/// delivered; busy, no-answer, failed, canceled is undelivered; queued,
/// initiated, ringing is accepted. Messages: delivered (read) and
/// undelivered (failed) are final; queued, accepted, sending, sent are
/// accepted. `query` is the callback URL's query, which carries the
/// contact reference we gave Twilio (`lookup::REFERENCE_PARAM`).
pub fn delivery_report(
    params: &[(String, String)],
    query: Option<&str>,
) -> Result<DeliveryReport, CallbackError> {
    let contact_ref = query
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == super::REFERENCE_PARAM)
                .map(|(_, v)| v)
        })
        .filter(|v| !v.trim().is_empty());
    if let Some(sid) = param(params, "CallSid").filter(|_| param(params, "MessageSid").is_none()) {
        let status =
            param(params, "CallStatus").ok_or_else(|| CallbackError::missing("CallStatus"))?;
        let answered_by = param(params, "AnsweredBy").unwrap_or("");
        let outcome = match status {
            "in-progress" | "answered" | "completed" => Some(DeliveryStatus::Delivered),
            "busy" | "no-answer" | "failed" | "canceled" => Some(DeliveryStatus::Undelivered),
            "queued" | "initiated" | "ringing" => Some(DeliveryStatus::Accepted),
            _ => None,
        };
        let human = answered_by == "human";
        let code = match (outcome, answered_by) {
            (Some(DeliveryStatus::Delivered), "human") => Some("answered_by_human".to_string()),
            (Some(DeliveryStatus::Delivered), a) if a.starts_with("machine") || a == "fax" => {
                Some("answered_by_machine".to_string())
            }
            (Some(DeliveryStatus::Undelivered), _) => Some(status.replace('-', "_")),
            _ => None,
        };
        return Ok(DeliveryReport {
            provider_id: sid.to_string(),
            status: outcome,
            code,
            detail: (!answered_by.is_empty())
                .then(|| format!("call {status}, answered by {answered_by}")),
            human_answer: human && outcome == Some(DeliveryStatus::Delivered),
            contact_ref,
        });
    }
    let sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsSid"))
        .ok_or_else(|| CallbackError::missing("MessageSid (or CallSid)"))?;
    let status = param(params, "MessageStatus")
        .or_else(|| param(params, "SmsStatus"))
        .ok_or_else(|| CallbackError::missing("MessageStatus"))?;
    let outcome = match status {
        "delivered" | "read" => Some(DeliveryStatus::Delivered),
        "undelivered" | "failed" => Some(DeliveryStatus::Undelivered),
        "queued" | "accepted" | "sending" | "sent" | "scheduled" => Some(DeliveryStatus::Accepted),
        _ => None,
    };
    let error = param(params, "ErrorCode");
    Ok(DeliveryReport {
        provider_id: sid.to_string(),
        status: outcome,
        code: (outcome == Some(DeliveryStatus::Undelivered))
            .then(|| error.map_or_else(|| status.to_string(), |e| format!("twilio_{e}"))),
        detail: error.map(|e| format!("Twilio {status}, error {e}")),
        human_answer: false,
        contact_ref,
    })
}

pub fn inbound_message(params: &[(String, String)]) -> Result<InboundMessage, CallbackError> {
    let from = param(params, "From").ok_or_else(|| CallbackError::missing("From"))?;
    Ok(InboundMessage {
        provider: "twilio",
        message_id: param(params, "MessageSid")
            .or_else(|| param(params, "SmsSid"))
            .map(str::to_string),
        from: from.to_string(),
        text: param(params, "Body").unwrap_or("").to_string(),
    })
}
