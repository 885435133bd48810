//! Infobip delivery reports (`{"results": [{"messageId", "status":
//! {"groupName"}}]}`) and inbound messages (`{"results": [{"from",
//! "text", "messageId"}]}`); one request may carry several.

use serde::Deserialize;

use super::StatusUpdate;
use crate::http::HttpError;
use crate::http::inbound::InboundMessage;
use crate::store::ContactState;

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

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<Vec<T>, HttpError> {
    serde_json::from_slice::<Envelope<T>>(body)
        .map(|e| e.results)
        .map_err(|e| HttpError::BadRequest(format!("not an Infobip payload: {e}")))
}

pub fn status_updates(body: &[u8]) -> Result<Vec<StatusUpdate>, HttpError> {
    Ok(parse::<Report>(body)?
        .into_iter()
        .map(|r| {
            let outcome = match r.status.group_name.as_str() {
                "DELIVERED" => Some(ContactState::Delivered),
                "UNDELIVERABLE" | "EXPIRED" | "REJECTED" => Some(ContactState::Undelivered),
                _ => None,
            };
            let error = r.error.filter(|e| e.id.unwrap_or(0) != 0);
            StatusUpdate {
                provider_id: r.message_id,
                outcome,
                code: (outcome == Some(ContactState::Undelivered))
                    .then(|| r.status.group_name.to_ascii_lowercase()),
                detail: r.status.name.map(|n| match &error {
                    Some(e) => format!("{n}; {}", e.name.clone().unwrap_or_default()),
                    None => n,
                }),
                human_answer: false,
            }
        })
        .collect())
}

pub fn inbound_messages(body: &[u8]) -> Result<Vec<InboundMessage>, HttpError> {
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
