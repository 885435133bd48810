//! Events that change the plan of an account: a payment,
//! promise or dispute stops the sequence of every campaign whose strategy's
//! `stop_on` covers it (`AccountStatus::stops`); an opt-out suppresses the
//! address and stops that channel (or all, in every campaign); a
//! conversation starts cooldowns.

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, debtor_key};

use super::LedgerCode;
use crate::store::{AccountStatus, Store, StoreError, Suppression};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEvent {
    Payment,
    PromiseToPay,
    Dispute,
    /// `None`: every channel.
    OptOut(Option<ChannelKind>),
    Conversation(ChannelKind),
}

impl AccountEvent {
    pub fn parse(kind: &str, channel: Option<ChannelKind>) -> Result<Self, String> {
        Ok(
            match kind.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "payment" | "paid" | "pago" => AccountEvent::Payment,
                "promise_to_pay" | "promise" | "promesa" => AccountEvent::PromiseToPay,
                "dispute" | "disputa" => AccountEvent::Dispute,
                "opt_out" | "optout" | "baja" => AccountEvent::OptOut(channel),
                "conversation" => AccountEvent::Conversation(channel.unwrap_or(ChannelKind::Voice)),
                other => {
                    return Err(format!(
                        "unknown event '{other}' (payment, promise_to_pay, dispute, opt_out, conversation)"
                    ));
                }
            },
        )
    }
}

/// Applies the event; returns the contact ids it cancelled, or `None` when
/// the account does not exist.
pub async fn apply_event<S: Store>(
    store: &S,
    account_id: &str,
    event: AccountEvent,
    at: DateTime<Utc>,
) -> Result<Option<Vec<String>>, StoreError> {
    let Some((account, current)) = store.account(account_id).await? else {
        return Ok(None);
    };
    let stop =
        |status: AccountStatus, code: LedgerCode, detail: &'static str| (status, code, detail);
    let (status, code, detail) = match event {
        AccountEvent::Payment => stop(AccountStatus::Paid, LedgerCode::Paid, "the debtor paid"),
        AccountEvent::PromiseToPay => stop(
            AccountStatus::PromiseToPay,
            LedgerCode::PromiseToPay,
            "the debtor promised to pay",
        ),
        AccountEvent::Dispute => stop(
            AccountStatus::Disputed,
            LedgerCode::Dispute,
            "the debtor disputes the debt",
        ),
        AccountEvent::OptOut(channel) => {
            for point in &account.contact_points {
                if channel.is_none_or(|c| point.serves(c)) {
                    store
                        .suppress(&Suppression {
                            channel,
                            address: point.address.clone(),
                            prefix: false,
                            source: "opt_out".into(),
                            at,
                        })
                        .await?;
                }
            }
            if channel.is_none() {
                store
                    .set_account_status(account_id, AccountStatus::OptedOut)
                    .await?;
            }
            let ids = store
                .cancel_account_contacts(
                    account_id,
                    channel,
                    LedgerCode::OptOut.as_str(),
                    "the debtor asked not to be contacted",
                    at,
                )
                .await?;
            return Ok(Some(ids));
        }
        AccountEvent::Conversation(channel) => {
            store
                .record_conversation(&debtor_key(&account), account_id, channel, at)
                .await?;
            return Ok(Some(Vec::new()));
        }
    };
    // A status only rises (AccountStatus::rank): a promise after a payment
    // changes nothing, and what the payment cancelled stays cancelled.
    if status.rank() <= current.rank() {
        return Ok(Some(Vec::new()));
    }
    store.set_account_status(account_id, status).await?;
    // Cancels the contacts of the campaigns whose stop_on covers `status`.
    Ok(Some(
        store
            .cancel_account_contacts(account_id, None, code.as_str(), detail, at)
            .await?,
    ))
}
