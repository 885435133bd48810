//! Infobip delivery reports (`{"results": [{"messageId", "status":
//! {"groupName"}, "callbackData"}]}`) and inbound messages (`{"results": [{"from",
//! "text", "messageId"}]}`); one request may carry several.

use serde::Deserialize;

use crate::callback::{CallbackError, DeliveryReport, DeliveryStatus, InboundMessage};

#[derive(Deserialize)]
struct Envelope<T> {
    results: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    message_id: String,
    status: ReportStatus,
    #[serde(default)]
    error: Option<ReportError>,
    /// What we sent as `callbackData`: the signed contact reference.
    #[serde(default)]
    callback_data: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportStatus {
    group_name: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct ReportError {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inbound {
    from: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    clean_text: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<Vec<T>, CallbackError> {
    serde_json::from_slice::<Envelope<T>>(body)
        .map(|e| e.results)
        .map_err(|e| CallbackError::Malformed(format!("not an Infobip payload: {e}")))
}

pub fn delivery_reports(body: &[u8]) -> Result<Vec<DeliveryReport>, CallbackError> {
    Ok(parse::<Report>(body)?
        .into_iter()
        .map(|r| {
            let outcome = match r.status.group_name.as_str() {
                "DELIVERED" => Some(DeliveryStatus::Delivered),
                "UNDELIVERABLE" | "EXPIRED" | "REJECTED" => Some(DeliveryStatus::Undelivered),
                "PENDING" => Some(DeliveryStatus::Accepted),
                _ => None,
            };
            let error = r.error.filter(|e| e.id.unwrap_or(0) != 0);
            DeliveryReport {
                provider_id: r.message_id,
                status: outcome,
                code: (outcome == Some(DeliveryStatus::Undelivered))
                    .then(|| r.status.group_name.to_ascii_lowercase()),
                detail: r.status.name.map(|n| match &error {
                    Some(e) => format!("{n}; {}", e.name.clone().unwrap_or_default()),
                    None => n,
                }),
                human_answer: false,
                contact_ref: r.callback_data.filter(|d| !d.trim().is_empty()),
            }
        })
        .collect())
}

pub fn inbound_messages(body: &[u8]) -> Result<Vec<InboundMessage>, CallbackError> {
    Ok(parse::<Inbound>(body)?
        .into_iter()
        .map(|m| InboundMessage {
            provider: "infobip",
            message_id: m.message_id,
            from: m.from,
            text: m.text.or(m.clean_text).unwrap_or_default(),
        })
        .collect())
}
