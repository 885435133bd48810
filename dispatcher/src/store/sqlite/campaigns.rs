//! A campaign's `stop_from`, pausing, and cancelling it whole.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::guards::states_in;
use super::plan::record_cancellations;
use super::rows::{CONTACT_COLUMNS, collect, contact_from_row, get};
use super::{SqliteStore, db};
use crate::store::{AccountStatus, CampaignStore, StateMove, StoreResult};

impl CampaignStore for SqliteStore {
    async fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> StoreResult<()> {
        let campaign = campaign.to_string();
        self.db
            .run("set_campaign_stop_from", move |conn| {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO campaign_stop_from (campaign, status) VALUES (?, ?)",
                )
                .and_then(|mut s| s.execute(params![campaign, stop_from.as_str()]))
                .map_err(db("set_campaign_stop_from"))?;
                Ok(())
            })
            .await
    }

    async fn set_campaign_paused(&self, campaign: &str, paused: bool) -> StoreResult<bool> {
        let campaign = campaign.to_string();
        self.db
            .run("set_campaign_paused", move |conn| {
                let sql = if paused {
                    "INSERT OR IGNORE INTO paused_campaigns (campaign) VALUES (?)"
                } else {
                    "DELETE FROM paused_campaigns WHERE campaign = ?"
                };
                let done = conn
                    .prepare_cached(sql)
                    .and_then(|mut s| s.execute([campaign]))
                    .map_err(db("set_campaign_paused"))?;
                Ok(done > 0)
            })
            .await
    }

    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        self.db
            .run("paused_campaigns", |conn| {
                let op = "paused_campaigns";
                let mut stmt = conn
                    .prepare_cached("SELECT campaign FROM paused_campaigns ORDER BY campaign")
                    .map_err(db(op))?;
                collect(&mut stmt, [], op, |row| get(row, 0, op))
            })
            .await
    }

    async fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let (campaign, code, detail) = (campaign.to_string(), code.to_string(), detail.to_string());
        self.db
            .atomic("cancel_campaign_contacts", move |tx| {
                let sql = format!(
                    "UPDATE contacts SET state = 'cancelled' WHERE campaign = ? AND state IN ({from}) RETURNING {CONTACT_COLUMNS}",
                    from = states_in(StateMove::Cancel)
                );
                let records = {
                    let mut stmt = tx.prepare_cached(&sql).map_err(db("cancel_campaign_contacts"))?;
                    collect(&mut stmt, [campaign], "cancel_campaign_contacts", contact_from_row)?
                };
                record_cancellations(tx, records, &code, &detail, at)
            })
            .await
    }
}

/// The status from which `campaign`'s contacts stop; a campaign launched
/// without one stops on every account event.
pub(super) fn stop_from_in(conn: &Connection, campaign: &str) -> StoreResult<AccountStatus> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT status FROM campaign_stop_from WHERE campaign = ?")
        .and_then(|mut s| s.query_row([campaign], |row| row.get(0)).optional())
        .map_err(db("stop_from_in"))?;
    Ok(stored
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::PromiseToPay))
}
