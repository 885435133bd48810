//! What a debtor's reply means. Opt-out keywords must be recognised however
//! they are typed ("Baja", " BAJA. ", "no molestar", "No Molestár"):
//! missing one is a compliance failure, so matching is generous about case,
//! accents, spaces and punctuation, and looks at the first word(s) too
//! ("BAJA por favor").

use chrono::{DateTime, Utc};
use cobro_campaigns::ChannelKind;
use cobro_channels::mask_address;

use super::HttpError;
use crate::engine::LedgerCode;
use crate::events::{AccountEvent, apply_event};
use crate::store::any::AnyStore;
use crate::store::{LedgerEntry, LedgerFilter, LedgerState, Suppression, prelude::*};

/// The meaning of an inbound text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundIntent {
    /// Stop messages on the channel it came in on; `all_channels` for STOPALL.
    OptOut { all_channels: bool },
    /// START / ALTA / UNSTOP: messages may resume.
    OptIn,
    /// Anything else: a human should read it.
    Message,
}

const OPT_OUT: &[&str] = &[
    "stop",
    "baja",
    "alto",
    "cancelar",
    "nomolestar",
    "unsubscribe",
    "darmedebaja",
    "desuscribir",
];
/// Twilio's English extras, only as the whole message: as a first word
/// ("End of the month I pay") they are too common.
const OPT_OUT_WHOLE: &[&str] = &["cancel", "end", "quit", "stopstop"];
const OPT_OUT_ALL: &[&str] = &["stopall"];
const OPT_IN: &[&str] = &["start", "alta", "unstop"];

/// Lower-case ASCII letters and digits of a word, accents folded.
fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Classifies a reply. The whole text, or its first one, two or three
/// words joined, must be a keyword ("NO MOLESTAR", "dar de baja").
pub fn parse_keyword(text: &str) -> InboundIntent {
    let words: Vec<String> = text
        .split_whitespace()
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    let mut candidates: Vec<String> = Vec::new();
    for n in 1..=3.min(words.len()) {
        candidates.push(words[..n].concat());
    }
    let is = |set: &[&str]| candidates.iter().any(|c| set.contains(&c.as_str()));
    let whole = words.concat();
    if is(OPT_OUT_ALL) {
        InboundIntent::OptOut { all_channels: true }
    } else if is(OPT_OUT) || OPT_OUT_WHOLE.contains(&whole.as_str()) {
        InboundIntent::OptOut {
            all_channels: false,
        }
    } else if is(OPT_IN) {
        InboundIntent::OptIn
    } else {
        InboundIntent::Message
    }
}

/// E.164 with a leading `+` (Vonage and Infobip send `525512345678`).
pub fn normalise_number(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if raw.contains('@') {
        raw.trim().to_lowercase()
    } else {
        format!("+{digits}")
    }
}

/// One inbound message, whatever the provider.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub provider: &'static str,
    pub message_id: Option<String>,
    pub from: String,
    pub text: String,
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
    let intent = parse_keyword(&msg.text);
    let intent_name = match intent {
        InboundIntent::OptOut { all_channels: true } => LedgerCode::OptOutAll.as_str(),
        InboundIntent::OptOut {
            all_channels: false,
        } => LedgerCode::OptOut.as_str(),
        InboundIntent::OptIn => LedgerCode::OptIn.as_str(),
        InboundIntent::Message => LedgerCode::InboundMessage.as_str(),
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
        InboundIntent::OptOut { all_channels } => {
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
        InboundIntent::OptIn => {
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
        InboundIntent::Message => {}
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
    fn keywords_in_any_case_accent_and_spacing() {
        for text in [
            "STOP",
            " stop ",
            "Stop.",
            "BAJA",
            "baja por favor",
            "Alto",
            "CANCELAR",
            "NO MOLESTAR",
            "no  molestar!",
            "No Molestár",
            "unsubscribe",
            "UnSubScribe",
            "báJa",
            "END",
            "Quit",
        ] {
            assert_eq!(
                parse_keyword(text),
                InboundIntent::OptOut {
                    all_channels: false
                },
                "{text}"
            );
        }
        for text in ["STOPALL", "stopall", " StopAll "] {
            assert_eq!(
                parse_keyword(text),
                InboundIntent::OptOut { all_channels: true },
                "{text}"
            );
        }
        for text in ["START", "alta", "Unstop", " ÁLTA "] {
            assert_eq!(parse_keyword(text), InboundIntent::OptIn, "{text}");
        }
        for text in [
            "",
            "hola, ya pagué",
            "¿cuánto debo?",
            "no puedo pagar",
            "stopping by later? no",
            "end of month I pay",
        ] {
            assert_eq!(parse_keyword(text), InboundIntent::Message, "{text}");
        }
    }

    #[test]
    fn numbers_get_a_plus() {
        assert_eq!(normalise_number("525512345678"), "+525512345678");
        assert_eq!(normalise_number("+52 55 1234-5678"), "+525512345678");
    }
}
