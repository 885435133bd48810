//! Applying a debtor's reply: an opt-out suppresses the address and
//! cancels what is left, an opt-in lifts what a reply put there, anything
//! else is recorded for a human. What the words mean is a compliance rule
//! ([`cobro_compliance::optout_words`]).

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;
use cobro_channels::{InboundMessage, mask_address};
use cobro_compliance::{ReplyIntent, classify_reply};

use super::HttpError;
use crate::engine::LedgerCode;
use crate::engine::events::{AccountEvent, apply_event};
use crate::store::any::AnyStore;
use crate::store::{LedgerEntry, LedgerFilter, LedgerState, Suppression, prelude::*};

/// E.164 with a leading `+` (Vonage and Infobip send `525512345678`).
pub fn normalise_number(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if raw.contains('@') {
        raw.trim().to_lowercase()
    } else {
        format!("+{digits}")
    }
}

/// What handling an inbound message did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InboundOutcome {
    pub intent: &'static str,
    pub accounts: Vec<String>,
    pub cancelled: usize,
    pub duplicate: bool,
}

/// Applies an inbound message: suppression and cancellation for an
/// opt-out, lifting our own suppression for an opt-in, a ledger row for a
/// human otherwise. Replays of the same provider message id do nothing.
pub async fn handle(
    store: &AnyStore,
    msg: &InboundMessage,
    now: DateTime<Utc>,
) -> Result<InboundOutcome, HttpError> {
    let channel = ChannelKind::Sms;
    let address = normalise_number(&msg.from);
    let intent = classify_reply(&msg.text);
    let intent_name = match intent {
        ReplyIntent::OptOut { all_channels: true } => LedgerCode::OptOutAll.as_str(),
        ReplyIntent::OptOut {
            all_channels: false,
        } => LedgerCode::OptOut.as_str(),
        ReplyIntent::OptIn => LedgerCode::OptIn.as_str(),
        ReplyIntent::Message => LedgerCode::InboundMessage.as_str(),
    };
    if let Some(id) = &msg.message_id {
        let seen = store
            .ledger(&LedgerFilter {
                provider_id: Some(id.clone()),
                ..Default::default()
            })
            .await?;
        if seen
            .iter()
            .any(|r| r.state == LedgerState::Inbound && r.provider_id.as_deref() == Some(id))
        {
            return Ok(InboundOutcome {
                intent: intent_name,
                accounts: Vec::new(),
                cancelled: 0,
                duplicate: true,
            });
        }
    }
    // The index may name accounts whose numbers changed since: check.
    let mut accounts = Vec::new();
    for id in store.accounts_by_address(&address).await? {
        if let Some((account, _)) = store.account(&id).await?
            && account.contact_points.iter().any(|p| p.address == address)
        {
            accounts.push(id);
        }
    }
    tracing::info!(from = %mask_address(&address), intent = intent_name, accounts = accounts.len(), provider = msg.provider, "inbound message");

    let mut cancelled = 0;
    match intent {
        ReplyIntent::OptOut { all_channels } => {
            let scope = if all_channels { None } else { Some(channel) };
            for account in &accounts {
                if let Some(ids) =
                    apply_event(store, account, AccountEvent::OptOut(scope), now).await?
                {
                    cancelled += ids.len();
                }
            }
            // Written last so the entry names the inbound reply as its
            // source (an opt-in may lift only what a reply put there).
            store
                .suppress(&Suppression {
                    channel: scope,
                    address: address.clone(),
                    prefix: false,
                    source: format!("inbound:{}", msg.provider),
                    at: now,
                })
                .await?;
        }
        ReplyIntent::OptIn => {
            store.unsuppress(Some(channel), &address).await?;
            // An all-channel entry is lifted only when a debtor's own
            // reply (STOPALL) or opt-out event put it there; a regulator's
            // or an officer's entry stays.
            let all = store.suppressions().await?;
            if all.iter().any(|s| {
                s.channel.is_none()
                    && s.address == address
                    && (s.source.starts_with("inbound:") || s.source == "opt_out")
            }) {
                store.unsuppress(None, &address).await?;
            }
        }
        ReplyIntent::Message => {}
    }
    let rows: Vec<LedgerEntry> = if accounts.is_empty() {
        vec![String::new()]
    } else {
        accounts.clone()
    }
    .into_iter()
    .map(|account| LedgerEntry {
        contact_id: format!(
            "inbound/{}",
            msg.message_id
                .clone()
                .unwrap_or_else(|| now.timestamp_millis().to_string())
        ),
        campaign: String::new(),
        account,
        step: "inbound".into(),
        channel,
        state: LedgerState::Inbound,
        at: now,
        timezones: Vec::new(),
        rules: Vec::new(),
        code: Some(intent_name.to_string()),
        detail: Some(msg.text.chars().take(1000).collect()),
        provider: Some(msg.provider.to_string()),
        provider_id: msg.message_id.clone(),
        attempt: 0,
    })
    .collect();
    store.append_ledger(&rows).await?;
    Ok(InboundOutcome {
        intent: intent_name,
        accounts,
        cancelled,
        duplicate: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_a_plus() {
        assert_eq!(normalise_number("525512345678"), "+525512345678");
        assert_eq!(normalise_number("+52 55 1234-5678"), "+525512345678");
    }
}
