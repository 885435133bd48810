//! A campaign's `stop_from`, pausing, and cancelling it whole.

use chrono::{DateTime, Utc};

use super::RedisStore;
use super::codec::{redis_err, rfc3339};
use super::scripts::scripts;
use crate::store::{AccountStatus, CampaignStore, StoreResult};

impl CampaignStore for RedisStore {
    async fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> StoreResult<()> {
        redis::cmd("HSET")
            .arg(self.key("stop_from"))
            .arg(campaign)
            .arg(stop_from.as_str())
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("set_campaign_stop_from"))
    }

    async fn set_campaign_paused(&self, campaign: &str, paused: bool) -> StoreResult<bool> {
        if paused {
            let added: i64 = redis::cmd("SADD")
                .arg(self.key("paused"))
                .arg(campaign)
                .query_async(&mut self.conn())
                .await
                .map_err(redis_err("set_campaign_paused"))?;
            return Ok(added == 1);
        }
        let mut inv = scripts().resume.prepare_invoke();
        inv.arg(&self.prefix).arg(campaign);
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }

    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        let mut out: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key("paused"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("paused_campaigns"))?;
        out.sort();
        Ok(out)
    }

    async fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut inv = scripts().cancel_campaign.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(campaign)
            .arg(code)
            .arg(detail)
            .arg(rfc3339(at));
        self.invoke(&inv).await
    }
}
