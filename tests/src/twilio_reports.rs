//! What the Twilio double says after a send, in Twilio's own shapes: the
//! status callback (a form POST to the message's `StatusCallback` URL,
//! signed with `X-Twilio-Signature`) and the lists a lookup reads
//! (`GET /2010-04-01/Accounts/{Sid}/Messages.json?To=&DateSent=YYYY-MM-DD`,
//! `Calls.json?To=&StartTime=YYYY-MM-DD`, answered as one page).

use crate::*;

/// Signs a status callback: `(url, form pairs) -> X-Twilio-Signature`
/// (the test passes cobro's own `twilio_signature` with the auth token).
pub type Signer = std::sync::Arc<dyn Fn(&str, &[(String, String)]) -> String + Send + Sync>;

/// One status callback the double made.
#[derive(Debug, Clone)]
pub struct CallbackMade {
    /// The message or call sid it reported.
    pub sid: String,
    /// The URL called (the `StatusCallback` as the request gave it).
    pub url: String,
    /// The HTTP status cobro answered (0: no answer).
    pub status: u16,
    /// cobro's JSON answer (its `outcome` per report).
    pub answer: String,
}

/// Callbacks made and list requests answered.
#[derive(Debug, Clone, Default)]
pub struct TwilioReports {
    pub callbacks: Vec<CallbackMade>,
    /// `(resource, query)` of each list request.
    pub lists: Vec<(String, String)>,
}

/// A message's or call's final status at the double: every accepted
/// message is delivered, every call completed (by a machine, so no
/// conversation starts a cooldown).
fn final_status(hit: &TwilioHit) -> &'static str {
    if hit.resource.starts_with("Calls") {
        "completed"
    } else {
        "delivered"
    }
}

/// POSTs the status callback of an accepted `hit`, as Twilio would.
pub(crate) fn status_callback(hit: &TwilioHit, signer: &Signer, reports: &Shared<TwilioReports>) {
    let Some(url) = hit.form.get("StatusCallback") else {
        return;
    };
    let to = hit.form.get("To").cloned().unwrap_or_default();
    let from = hit.form.get("From").cloned().unwrap_or_default();
    let status = final_status(hit).to_string();
    let mut params: Vec<(String, String)> = vec![
        ("AccountSid".into(), hit.account_sid.clone()),
        ("ApiVersion".into(), "2010-04-01".into()),
        ("From".into(), from),
        ("To".into(), to),
    ];
    if hit.resource.starts_with("Calls") {
        params.extend([
            ("CallSid".into(), hit.sid.clone()),
            ("CallStatus".into(), status),
            ("Direction".into(), "outbound-api".into()),
            ("CallDuration".into(), "14".into()),
        ]);
        if hit.form.contains_key("MachineDetection") {
            params.push(("AnsweredBy".into(), "machine_end_beep".into()));
        }
    } else {
        params.extend([
            ("MessageSid".into(), hit.sid.clone()),
            ("MessageStatus".into(), status.clone()),
            ("SmsSid".into(), hit.sid.clone()),
            ("SmsStatus".into(), status),
        ]);
    }
    let signature = signer(url, &params);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = form_encode(&pairs);
    let (status, answer) = post_to(url, &signature, &body).unwrap_or((0, String::new()));
    reports
        .lock()
        .expect("reports")
        .callbacks
        .push(CallbackMade {
            sid: hit.sid.clone(),
            url: url.clone(),
            status,
            answer,
        });
}

/// A form POST to an `http://127.0.0.1:PORT/...` URL.
fn post_to(url: &str, signature: &str, body: &str) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let port: u16 = authority.rsplit_once(':')?.1.parse().ok()?;
    http_request(
        port,
        "POST",
        &format!("/{path}"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", signature),
        ],
        body.as_bytes(),
    )
    .ok()
}

/// The answer to a list request: the accepted messages (or calls) to the
/// query's `To` on the query's day, newest first, one page.
pub(crate) fn list_answer(
    hits: &[TwilioHit],
    reports: &Shared<TwilioReports>,
    resource: &str,
    query: &str,
    authorization: &str,
) -> (&'static str, String) {
    reports
        .lock()
        .expect("reports")
        .lists
        .push((resource.to_string(), query.to_string()));
    if !authorization.starts_with("Basic ") {
        return (
            "401 Unauthorized",
            "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}".into(),
        );
    }
    let params: std::collections::BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (url_decode(k), url_decode(v)))
        .collect();
    let calls = resource.starts_with("Calls");
    let day_key = if calls { "StartTime" } else { "DateSent" };
    let to = params.get("To").cloned().unwrap_or_default();
    let day = params.get(day_key).cloned().unwrap_or_default();
    let mut entries: Vec<serde_json::Value> = hits
        .iter()
        .filter(|h| h.resource == resource && h.fault.accepted())
        .filter(|h| to.is_empty() || h.form.get("To") == Some(&to))
        .filter(|h| day.is_empty() || h.at.format("%Y-%m-%d").to_string() == day)
        .map(|h| {
            let date = h.at.to_rfc2822();
            let (to, from) = (
                h.form.get("To").cloned().unwrap_or_default(),
                h.form.get("From").cloned().unwrap_or_default(),
            );
            if calls {
                serde_json::json!({
                    "sid": h.sid, "account_sid": h.account_sid, "to": to, "from": from,
                    "status": final_status(h), "direction": "outbound-api",
                    "date_created": date, "date_updated": date, "start_time": date,
                    "end_time": date, "duration": "14", "answered_by": null,
                    "uri": format!("/2010-04-01/Accounts/{}/Calls/{}.json", h.account_sid, h.sid),
                })
            } else {
                serde_json::json!({
                    "sid": h.sid, "account_sid": h.account_sid, "to": to, "from": from,
                    "body": h.form.get("Body").cloned().unwrap_or_default(),
                    "status": final_status(h), "direction": "outbound-api",
                    "date_created": date, "date_sent": date, "date_updated": date,
                    "error_code": null, "error_message": null, "num_segments": "1",
                    "num_media": "0", "price": null, "price_unit": "USD", "api_version": "2010-04-01",
                    "uri": format!("/2010-04-01/Accounts/{}/Messages/{}.json", h.account_sid, h.sid),
                })
            }
        })
        .collect();
    entries.reverse();
    let key = if calls { "calls" } else { "messages" };
    let uri = format!("/2010-04-01/Accounts/{resource}?{query}");
    let n = entries.len();
    let page = serde_json::json!({
        key: entries,
        "end": n.saturating_sub(1),
        "first_page_uri": uri,
        "next_page_uri": null,
        "page": 0,
        "page_size": 1000,
        "previous_page_uri": null,
        "start": 0,
        "uri": uri,
    });
    ("200 OK", page.to_string())
}
