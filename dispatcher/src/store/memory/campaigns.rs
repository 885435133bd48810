//! A campaign's `stop_from`, pausing, and cancelling it whole.

use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::store::{AccountStatus, CampaignStore, StoreResult};

impl CampaignStore for MemoryStore {
    async fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> StoreResult<()> {
        self.state()?
            .stop_from
            .insert(campaign.to_string(), stop_from);
        Ok(())
    }

    async fn set_campaign_paused(&self, campaign: &str, paused: bool) -> StoreResult<bool> {
        let mut state = self.state()?;
        let state = &mut *state;
        Ok(state.plan.set_paused(&state.contacts, campaign, paused))
    }

    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        Ok(self.state()?.plan.paused.iter().cloned().collect())
    }

    async fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut state = self.state()?;
        let ids: Vec<_> = state
            .plan
            .campaigns
            .get(campaign)
            .map(|entry| entry.contacts.iter().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for id in ids {
            if state.cancel(&id, code, detail, at) {
                out.push(id.to_string());
            }
        }
        Ok(out)
    }
}
