use std::collections::BTreeMap;

use chrono::NaiveDate;
use cobro_campaigns::Account;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Who is collecting, as the campaign configures it. Every message must
/// identify the collector (agency) and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderIdentity {
    /// The collection agency's name (Mexico: the *despacho*).
    pub collector: String,
    pub collector_phone: String,
    /// Payment page; the account id is appended as a path segment unless
    /// the account carries its own `payment_link` attribute.
    pub payment_base_url: String,
    /// One-click unsubscribe URL for this contact, when already known.
    /// Usually per contact (a signed token), see
    /// [`MessageContext::with_unsubscribe_url`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
    /// Reply keyword that stops messages; default `BAJA` for Spanish and
    /// `STOP` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out_keyword: Option<String>,
}

/// The variables a template sees. Optional values are left out when
/// absent (not rendered as `none`), so a template that uses one without
/// `is defined` fails to render instead of sending a broken message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageContext {
    pub debtor_name: String,
    pub creditor: String,
    pub collector: String,
    pub collector_phone: String,
    /// Exact decimal, rendered as a string; format with `|money`.
    pub amount_due: Decimal,
    pub currency: String,
    /// Format with `|date`.
    pub due_date: NaiveDate,
    pub days_past_due: i64,
    pub payment_link: String,
    /// The debtor's personal page (signed, expiring, bound to the
    /// account): pay, promise, agree a plan, dispute, choose how to be
    /// contacted. Set per message by the dispatcher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
    pub opt_out_keyword: String,
    pub account_id: String,
    pub language: String,
    pub attributes: BTreeMap<String, String>,
}

/// Percent-encodes a path segment (RFC 3986 unreserved characters stay).
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The default opt-out keyword for a language.
pub fn default_opt_out_keyword(language: &str) -> &'static str {
    if language.to_ascii_lowercase().starts_with("es") {
        "BAJA"
    } else {
        "STOP"
    }
}

impl MessageContext {
    /// Builds the context of one message about `account` on `today` (the
    /// debtor's local date, for days past due).
    pub fn from_account(account: &Account, sender: &SenderIdentity, today: NaiveDate) -> Self {
        let payment_link = account
            .attributes
            .get("payment_link")
            .cloned()
            .unwrap_or_else(|| {
                format!(
                    "{}/{}",
                    sender.payment_base_url.trim_end_matches('/'),
                    path_segment(&account.id)
                )
            });
        MessageContext {
            debtor_name: account.debtor_name.clone(),
            creditor: account.creditor.clone(),
            collector: sender.collector.clone(),
            collector_phone: sender.collector_phone.clone(),
            amount_due: account.amount_due,
            currency: account.currency.clone(),
            due_date: account.due_date,
            days_past_due: account.days_past_due(today),
            payment_link,
            portal_link: None,
            unsubscribe_url: sender.unsubscribe_url.clone(),
            opt_out_keyword: sender
                .opt_out_keyword
                .clone()
                .unwrap_or_else(|| default_opt_out_keyword(&account.language).to_string()),
            account_id: account.id.clone(),
            language: account.language.clone(),
            attributes: account.attributes.clone(),
        }
    }

    pub fn with_portal_link(mut self, url: impl Into<String>) -> Self {
        self.portal_link = Some(url.into());
        self
    }

    pub fn with_unsubscribe_url(mut self, url: impl Into<String>) -> Self {
        self.unsubscribe_url = Some(url.into());
        self
    }
}
