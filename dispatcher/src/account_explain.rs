//! "Why would (or wouldn't) this expediente be contacted now?": the
//! guard's verdict for an account in the store on a channel at an
//! instant, built from what a worker gives the guard — the account's
//! place and flags, the contact point of the channel, its suppression,
//! the debtor's avoided hours and the debtor's ledger history — so the
//! explanation is the decision a worker would make at that instant.
//!
//! A hypothetical debtor (`cobro rules explain --debtor` JSON) may replace
//! the account's profile, keeping its history and suppression.

use chrono::{DateTime, Utc};
use cobro_campaigns::{Account, ChannelKind, debtor_key};
use cobro_compliance::{ComplianceGuard, ContactAttempt, DebtorProfile, PastContact, Verdict};

use crate::engine::{avoided_hours, past_contacts};
use crate::store::StoreError;
use crate::store::any::AnyStore;
use crate::store::prelude::*;

/// The inputs the guard was given and its verdict.
#[derive(Debug, Clone)]
pub struct AccountExplain {
    pub account: Option<Account>,
    pub channel: ChannelKind,
    pub at: DateTime<Utc>,
    /// The address the contact would use; `None` when the account has no
    /// usable one (a worker would then block without asking the guard).
    pub address: Option<String>,
    pub suppressed: bool,
    pub profile: DebtorProfile,
    pub history: Vec<PastContact>,
    pub verdict: Verdict,
}

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("account {0} is not in the store")]
    UnknownAccount(String),
    #[error("neither an account nor a debtor profile to explain")]
    NothingToExplain,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ExplainError {
    pub fn is_unknown_account(&self) -> bool {
        matches!(self, ExplainError::UnknownAccount(_))
    }
}

/// The guard's verdict for `account` (an id in the store, already checked
/// visible by the caller) and/or a hypothetical `debtor` on `channel` at
/// `at`, under `guard`.
pub async fn explain_account(
    store: &AnyStore,
    guard: &ComplianceGuard,
    account: Option<&str>,
    debtor: Option<DebtorProfile>,
    channel: ChannelKind,
    at: DateTime<Utc>,
) -> Result<AccountExplain, ExplainError> {
    let Some(id) = account else {
        let profile = debtor.ok_or(ExplainError::NothingToExplain)?;
        let verdict = guard.decide(
            &ContactAttempt {
                channel,
                suppressed: false,
            },
            &profile,
            &[],
            at,
        );
        return Ok(AccountExplain {
            account: None,
            channel,
            at,
            address: None,
            suppressed: false,
            profile,
            history: Vec::new(),
            verdict,
        });
    };
    let Some((acc, _status)) = store.account(id).await? else {
        return Err(ExplainError::UnknownAccount(id.to_string()));
    };
    let point = acc.contact_point_for(channel).cloned();
    let suppressed = match &point {
        Some(p) => store.is_suppressed(channel, &p.address).await?,
        None => false,
    };
    let profile = match (debtor, &point) {
        (Some(d), _) => d,
        (None, Some(p)) => {
            let mut profile = DebtorProfile::from_account(&acc, p);
            let (book, _) = store.book(&acc.id).await?;
            profile.avoid = avoided_hours(&book);
            profile
        }
        (None, None) => {
            // No contact point: the account's own place and flags with the
            // defaults of a debtor's own address.
            let mut profile = DebtorProfile::in_country(&acc.country);
            profile.subdivision = acc.subdivision.clone();
            profile.timezone = acc.timezone.clone();
            profile.flags = acc.flags.clone();
            let (book, _) = store.book(&acc.id).await?;
            profile.avoid = avoided_hours(&book);
            profile
        }
    };
    let (entries, _) = store.history(&debtor_key(&acc)).await?;
    let history = past_contacts(&entries, &acc.id);
    let verdict = guard.decide(
        &ContactAttempt {
            channel,
            suppressed,
        },
        &profile,
        &history,
        at,
    );
    Ok(AccountExplain {
        address: point.map(|p| p.address),
        account: Some(acc),
        channel,
        at,
        suppressed,
        profile,
        history,
        verdict,
    })
}
