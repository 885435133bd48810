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
    let mut creditors = Vec::new();
    for id in store.accounts_by_address(&address).await? {
        if let Some((account, _)) = store.account(&id).await?
            && account.contact_points.iter().any(|p| p.address == address)
        {
            accounts.push(id);
            creditors.push(account.creditor);
        }
    }
    let answered = answered_creditor(store, &accounts, &creditors, channel).await?;
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
    // The reply's words stay with the creditor it answered; another
    // creditor's account with the same number gets the row (its opt-out
    // applies to them too) without the text, and when no creditor can be
    // told, the text goes to a row of no account, which only staff read.
    let text: String = msg.text.chars().take(1000).collect();
    let mut rows: Vec<(String, Option<String>)> = accounts
        .iter()
        .zip(&creditors)
        .map(|(account, creditor)| {
            let mine = answered.as_deref() == Some(creditor.as_str());
            (account.clone(), mine.then(|| text.clone()))
        })
        .collect();
    if answered.is_none() {
        rows.push((String::new(), Some(text.clone())));
    }
    let rows: Vec<LedgerEntry> = rows
        .into_iter()
        .map(|(account, detail)| LedgerEntry {
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
            detail,
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

/// The creditor a reply on `channel` answers: the creditor of the account
/// among `accounts` that was last sent a message on that channel, or the
/// only creditor when they all share one; `None` when it cannot be told.
async fn answered_creditor(
    store: &AnyStore,
    accounts: &[String],
    creditors: &[String],
    channel: ChannelKind,
) -> Result<Option<String>, HttpError> {
    let mut distinct: Vec<&String> = creditors.iter().collect();
    distinct.sort();
    distinct.dedup();
    match distinct.as_slice() {
        [] => return Ok(None),
        [only] => return Ok(Some((*only).clone())),
        _ => {}
    }
    let mut last: Option<(DateTime<Utc>, &String)> = None;
    for (account, creditor) in accounts.iter().zip(creditors) {
        let rows = store
            .ledger(&LedgerFilter {
                account: Some(account.clone()),
                ..Default::default()
            })
            .await?;
        let sent = rows
            .iter()
            .filter(|r| {
                r.channel == channel
                    && matches!(r.state, LedgerState::Sent | LedgerState::Delivered)
            })
            .map(|r| r.at)
            .max();
        if let Some(at) = sent
            && last.is_none_or(|(t, _)| at > t)
        {
            last = Some((at, creditor));
        }
    }
    Ok(last.map(|(_, c)| c.clone()))
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
