//! Reconciliation with Twilio. Each message and call carries the signed
//! contact reference in its `StatusCallback` URL (query parameter
//! [`REFERENCE_PARAM`]), which Twilio calls back as it was given, under
//! its `X-Twilio-Signature`. And when no report came, Twilio's lists say
//! whether a message or call to the recipient exists:
//! `GET /2010-04-01/Accounts/{Sid}/Messages.json?To=&DateSent=YYYY-MM-DD`
//! and `Calls.json?To=&StartTime=YYYY-MM-DD` (pages followed through
//! `next_page_uri`). Twilio does not echo the callback URL in its lists, so
//! a listed message is matched by recipient, creation time inside the
//! send's window, and not being another contact's (`lookup::pick`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::api::TwilioApi;
use crate::lookup::{Candidate, pick};
use crate::{ChannelError, DeliveryStatus, LookupAnswer, LookupQuery, OutboundMessage, http};

/// The `StatusCallback` query parameter that carries the contact reference.
pub const REFERENCE_PARAM: &str = "cobro_ref";

/// Pages of a list read at most (1,000 entries each): a recipient with
/// more messages in a day than that is not one cobro wrote to.
const MAX_PAGES: usize = 5;

/// The message's `StatusCallback` (or the configured one) with the
/// message's contact reference added to its query.
pub(crate) fn status_callback(msg: &OutboundMessage, configured: Option<&str>) -> Option<String> {
    let base = msg.status_callback.as_deref().or(configured)?;
    let Some(reference) = msg.reference.as_deref() else {
        return Some(base.to_string());
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let pair = serde_urlencoded::to_string([(REFERENCE_PARAM, reference)]).ok()?;
    Some(format!("{base}{separator}{pair}"))
}

/// A page of `Messages.json` or `Calls.json`: the entries under the
/// resource's key and the next page's path.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    messages: Vec<Entry>,
    #[serde(default)]
    calls: Vec<Entry>,
    #[serde(default)]
    next_page_uri: Option<String>,
}

/// What we read of a message or call resource.
#[derive(Debug, Deserialize)]
struct Entry {
    sid: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    date_created: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    error_code: Option<serde_json::Value>,
}

/// Twilio writes dates as RFC 2822 (`Mon, 07 Dec 2026 14:00:00 +0000`).
fn twilio_date(raw: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(raw?.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A message's status: its fate, or accepted while it has none yet.
fn message_status(status: &str) -> DeliveryStatus {
    match status {
        "delivered" | "read" => DeliveryStatus::Delivered,
        "undelivered" | "failed" | "canceled" => DeliveryStatus::Undelivered,
        _ => DeliveryStatus::Accepted,
    }
}

/// A call's status, as the status callback maps it.
fn call_status(status: &str) -> DeliveryStatus {
    match status {
        "in-progress" | "completed" => DeliveryStatus::Delivered,
        "busy" | "no-answer" | "failed" | "canceled" => DeliveryStatus::Undelivered,
        _ => DeliveryStatus::Accepted,
    }
}

/// The UTC days the window touches (`YYYY-MM-DD`, what the filters take).
fn days(query: &LookupQuery) -> Vec<NaiveDate> {
    let (first, last) = (query.since.date_naive(), query.until.date_naive());
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .take(3)
        .collect()
}

impl TwilioApi {
    /// Reads every page of a list for `filters`.
    async fn list(
        &self,
        resource: &str,
        filters: &[(&str, String)],
    ) -> Result<Vec<Entry>, ChannelError> {
        let mut out = Vec::new();
        let mut pairs: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.push(("PageSize", "1000"));
        let encoded = serde_urlencoded::to_string(&pairs).map_err(|e| {
            ChannelError::permanent(&self.name, Some("bad_query".into()), e.to_string())
        })?;
        let mut next = Some(format!(
            "/2010-04-01/Accounts/{}/{resource}?{encoded}",
            self.account_sid
        ));
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            let request = self
                .client
                .get(format!("{}{path}", self.base_url))
                .basic_auth(&self.username, Some(self.token.expose()));
            let response = http::execute(&self.name, request).await?;
            if !response.is_success() {
                return Err(self.error_of(response));
            }
            let page: Page = serde_json::from_str(&response.body).map_err(|e| {
                ChannelError::transient(
                    &self.name,
                    Some("bad_response".into()),
                    format!("unreadable {resource} page: {e}"),
                )
            })?;
            out.extend(page.messages);
            out.extend(page.calls);
            if pages < MAX_PAGES {
                next = page.next_page_uri.filter(|u| !u.is_empty());
            }
        }
        Ok(out)
    }

    async fn lookup_in(
        &self,
        query: &LookupQuery,
        resource: &str,
        date_filter: &str,
        status_of: fn(&str) -> DeliveryStatus,
    ) -> Result<LookupAnswer, ChannelError> {
        let mut listed = Vec::new();
        for day in days(query) {
            let filters = [
                ("To", query.to.clone()),
                (date_filter, day.format("%Y-%m-%d").to_string()),
            ];
            for entry in self.list(resource, &filters).await? {
                // Replies and inbound calls are not ours.
                if entry
                    .direction
                    .as_deref()
                    .is_some_and(|d| !d.starts_with("outbound"))
                {
                    continue;
                }
                let Some(created) = twilio_date(entry.date_created.as_deref()) else {
                    continue;
                };
                let error = entry
                    .error_code
                    .as_ref()
                    .filter(|e| !e.is_null())
                    .map(|e| format!(", error {}", e.to_string().trim_matches('"')))
                    .unwrap_or_default();
                listed.push(Candidate {
                    status: status_of(&entry.status),
                    detail: format!("twilio {resource}: {}{error}", entry.status),
                    id: entry.sid,
                    created,
                });
            }
        }
        // A sid listed on two days' pages is one message.
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        listed.dedup_by(|a, b| a.id == b.id);
        Ok(pick(query, listed))
    }

    pub(crate) async fn lookup_messages(
        &self,
        query: &LookupQuery,
    ) -> Result<LookupAnswer, ChannelError> {
        self.lookup_in(query, "Messages.json", "DateSent", message_status)
            .await
    }

    pub(crate) async fn lookup_calls(
        &self,
        query: &LookupQuery,
    ) -> Result<LookupAnswer, ChannelError> {
        self.lookup_in(query, "Calls.json", "StartTime", call_status)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_rides_in_the_callback_query() {
        let mut msg = OutboundMessage {
            contact_id: "camp/a/s1".into(),
            channel: crate::ChannelKind::Sms,
            to: "+5215512345678".into(),
            from: String::new(),
            language: "es-MX".into(),
            subject: None,
            text: "Hola".into(),
            html: None,
            unsubscribe_url: None,
            status_callback: None,
            reference: None,
            voice: None,
            sent_at: None,
        };
        msg.status_callback = Some("https://cobro.example/webhooks/twilio/status".into());
        msg.reference = Some("Y2FtcC9hL3Mx.abc-_".into());
        assert_eq!(
            status_callback(&msg, None).as_deref(),
            Some("https://cobro.example/webhooks/twilio/status?cobro_ref=Y2FtcC9hL3Mx.abc-_")
        );
        msg.status_callback = None;
        assert_eq!(
            status_callback(&msg, Some("https://x.example/cb?a=1")).as_deref(),
            Some("https://x.example/cb?a=1&cobro_ref=Y2FtcC9hL3Mx.abc-_")
        );
        msg.reference = None;
        assert_eq!(
            status_callback(&msg, Some("https://x.example/cb")).as_deref(),
            Some("https://x.example/cb")
        );
        assert_eq!(
            twilio_date(Some("Mon, 07 Dec 2026 14:00:00 +0000")),
            DateTime::parse_from_rfc3339("2026-12-07T14:00:00Z")
                .ok()
                .map(|d| d.with_timezone(&Utc))
        );
    }
}
