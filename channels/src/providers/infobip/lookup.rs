//! Reconciliation with Infobip. Every SMS names itself: its `messageId`
//! is derived from the contact id ([`message_id`]), so it is known even
//! when Infobip's answer was lost, and `webhooks.callbackData` carries the
//! signed contact reference, which Infobip puts in every delivery report.
//! The lookup asks `GET /sms/1/logs?messageId=` (the message as Infobip
//! holds it, 48 hours) and then `GET /sms/1/reports?messageId=` (a report
//! not yet fetched nor pushed); neither knowing the id means Infobip never
//! took the message.

use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::api::InfobipApi;
use crate::{ChannelError, DeliveryStatus, LookupAnswer, LookupQuery, http};

/// The `messageId` cobro gives the SMS of `contact_id`: the same on every
/// attempt (Infobip does not require it to be unique; at most one attempt
/// of a contact can have gone out, the others were refused).
pub fn message_id(contact_id: &str) -> String {
    let digest = Sha1::digest(contact_id.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("cobro-{hex}")
}

/// `{"results": [...]}` of both `/sms/1/logs` and `/sms/1/reports`.
#[derive(Debug, Deserialize)]
struct Results {
    #[serde(default)]
    results: Vec<Logged>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Logged {
    message_id: String,
    status: LoggedStatus,
    #[serde(default)]
    error: Option<LoggedError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoggedStatus {
    group_name: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct LoggedError {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
}

/// A status group's meaning (Infobip's groups: PENDING, DELIVERED,
/// UNDELIVERABLE, EXPIRED, REJECTED).
fn group_status(group: &str) -> Option<DeliveryStatus> {
    match group {
        "DELIVERED" => Some(DeliveryStatus::Delivered),
        "UNDELIVERABLE" | "EXPIRED" | "REJECTED" => Some(DeliveryStatus::Undelivered),
        "PENDING" => Some(DeliveryStatus::Accepted),
        _ => None,
    }
}

impl InfobipApi {
    async fn by_message_id(&self, path: &str, id: &str) -> Result<Vec<Logged>, ChannelError> {
        let encoded = serde_urlencoded::to_string([("messageId", id)]).map_err(|e| {
            ChannelError::permanent(&self.name, Some("bad_query".into()), e.to_string())
        })?;
        let request = self
            .client
            .get(format!("{}{path}?{encoded}", self.base_url))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("App {}", self.api_key.expose()),
            )
            .header(reqwest::header::ACCEPT, "application/json");
        let response = http::execute(&self.name, request).await?;
        if !response.is_success() {
            return Err(super::errors::classify_http(
                &self.name,
                response.status,
                &response.body,
                response.retry_after,
            ));
        }
        serde_json::from_str::<Results>(&response.body)
            .map(|r| r.results)
            .map_err(|e| {
                ChannelError::transient(
                    &self.name,
                    Some("bad_response".into()),
                    format!("unreadable {path} answer: {e}"),
                )
            })
    }

    pub(crate) async fn lookup_sms(
        &self,
        query: &LookupQuery,
    ) -> Result<LookupAnswer, ChannelError> {
        let id = message_id(&query.contact_id);
        let mut found = self.by_message_id("/sms/1/logs", &id).await?;
        if found.is_empty() {
            found = self.by_message_id("/sms/1/reports", &id).await?;
        }
        let Some(entry) = found.into_iter().find(|e| e.message_id == id) else {
            return Ok(LookupAnswer::NotFound);
        };
        let error = entry
            .error
            .filter(|e| e.id.unwrap_or(0) != 0)
            .and_then(|e| e.name)
            .map(|n| format!(", {n}"))
            .unwrap_or_default();
        let detail = format!(
            "infobip: {} {}{error}",
            entry.status.group_name, entry.status.name
        );
        Ok(match group_status(&entry.status.group_name) {
            Some(status) => LookupAnswer::Found {
                provider_id: entry.message_id,
                status,
                detail,
            },
            // A group we do not know says it exists, not what became of it.
            None => LookupAnswer::Found {
                provider_id: entry.message_id,
                status: DeliveryStatus::Accepted,
                detail,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_per_contact() {
        let a = message_id("mora/ACC-1/s1+sms");
        assert_eq!(a, message_id("mora/ACC-1/s1+sms"));
        assert_ne!(a, message_id("mora/ACC-2/s1+sms"));
        assert!(a.starts_with("cobro-") && a.len() == 46, "{a}");
    }
}
