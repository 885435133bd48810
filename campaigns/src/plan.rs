use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ChannelKind;

/// `campaign/account/step`, or `campaign/account/step+channel` for a
/// fallback. Stable across re-planning: it is the idempotency key of a send.
pub type ContactId = String;

/// One contact a campaign intends to make: what, to whom, and from when.
/// The guard decides at send time whether `due_at` actually works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedContact {
    pub id: ContactId,
    pub campaign: String,
    pub account: String,
    pub step: String,
    pub channel: ChannelKind,
    pub template: String,
    pub fallback: Option<ChannelKind>,
    pub due_at: DateTime<Utc>,
    /// The collectors' team whose queue holds it (agent channels only):
    /// the store keeps those contacts out of the workers' claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

impl PlannedContact {
    pub fn make_id(campaign: &str, account: &str, step: &str) -> ContactId {
        // Built by hand: planning makes millions of these.
        let mut id = String::with_capacity(campaign.len() + account.len() + step.len() + 2);
        id.push_str(campaign);
        id.push('/');
        id.push_str(account);
        id.push('/');
        id.push_str(step);
        id
    }
}
