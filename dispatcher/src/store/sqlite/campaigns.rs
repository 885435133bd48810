//! A campaign's `stop_from`, pausing, and cancelling it whole.

use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

use super::guards::states_in;
use super::plan::record_cancellations;
use super::rows::CONTACT_COLUMNS;
use super::{SqliteStore, db};
use crate::store::{AccountStatus, CampaignStore, StateMove, StoreResult};

impl CampaignStore for SqliteStore {
    async fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> StoreResult<()> {
        sqlx::query("INSERT OR REPLACE INTO campaign_stop_from (campaign, status) VALUES (?, ?)")
            .bind(campaign)
            .bind(stop_from.as_str())
            .execute(&self.pool)
            .await
            .map_err(db("set_campaign_stop_from"))?;
        Ok(())
    }

    async fn set_campaign_paused(&self, campaign: &str, paused: bool) -> StoreResult<bool> {
        let sql = if paused {
            "INSERT OR IGNORE INTO paused_campaigns (campaign) VALUES (?)"
        } else {
            "DELETE FROM paused_campaigns WHERE campaign = ?"
        };
        let done = sqlx::query(sql)
            .bind(campaign)
            .execute(&self.pool)
            .await
            .map_err(db("set_campaign_paused"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT campaign FROM paused_campaigns ORDER BY campaign")
            .fetch_all(&self.pool)
            .await
            .map_err(db("paused_campaigns"))
    }

    async fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE contacts SET state = 'cancelled' WHERE campaign = ? AND state IN ({from}) RETURNING {CONTACT_COLUMNS}",
            from = states_in(StateMove::Cancel)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(campaign)
            .fetch_all(&mut *tx)
            .await
            .map_err(db("cancel_campaign_contacts"))?;
        let ids = record_cancellations(&mut tx, &rows, code, detail, at).await?;
        tx.commit().await.map_err(db("cancel_campaign_contacts"))?;
        Ok(ids)
    }
}

/// The status from which `campaign`'s contacts stop; a campaign launched
/// without one stops on every account event.
pub(super) async fn stop_from_in(
    tx: &mut Transaction<'static, Sqlite>,
    campaign: &str,
) -> StoreResult<AccountStatus> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT status FROM campaign_stop_from WHERE campaign = ?")
            .bind(campaign)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db("stop_from_in"))?;
    Ok(stored
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::PromiseToPay))
}
