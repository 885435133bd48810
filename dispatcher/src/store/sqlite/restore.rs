//! Writes a `StoreSnapshot` into an empty SQLite store: the plan, the
//! histories, the ledger and the books in one transaction (they are
//! nearly all of it), the few other records through the store's own
//! calls.

use cobro_campaigns::ChannelKind;
use rusqlite::params;

use super::rows::{insert_ledger, ms};
use super::{SqliteStore, db};
use crate::store::snapshot::StoreSnapshot;
use crate::store::{
    AccountStatus, AccountStore, CampaignStore, StoreError, StoreResult, SuppressionStore,
    UserStore, WorkStore,
};

impl SqliteStore {
    /// Records `snapshot` in this store, which must hold no account,
    /// contact or ledger row yet (a restore never merges).
    pub async fn restore(&self, snapshot: StoreSnapshot) -> StoreResult<()> {
        let StoreSnapshot {
            accounts,
            stop_from,
            paused,
            contacts,
            history,
            ledger,
            suppressions,
            books,
            users,
            tokens,
            sessions,
            leases,
        } = snapshot;
        let empty = self
            .db
            .run("restore", |conn| {
                conn.query_row(
                    "SELECT NOT EXISTS (SELECT 1 FROM accounts) AND NOT EXISTS (SELECT 1 FROM contacts) \
                     AND NOT EXISTS (SELECT 1 FROM ledger)",
                    [],
                    |row| row.get::<_, bool>(0),
                )
                .map_err(db("restore"))
            })
            .await?;
        if !empty {
            return Err(StoreError::Query(
                "restore needs an empty store: this one already holds accounts, contacts or ledger rows".into(),
            ));
        }
        let plain: Vec<_> = accounts.iter().map(|(a, _)| a.clone()).collect();
        self.put_accounts(&plain).await?;
        for (account, status) in &accounts {
            if *status != AccountStatus::Active {
                self.set_account_status(&account.id, *status).await?;
            }
        }
        for (campaign, status) in &stop_from {
            self.set_campaign_stop_from(campaign, *status).await?;
        }
        for campaign in &paused {
            self.set_campaign_paused(campaign, true).await?;
        }
        for entry in &suppressions {
            self.suppress(entry).await?;
        }
        for user in &users {
            self.put_user(user).await?;
        }
        for (hash, email) in &tokens {
            self.put_token(hash, email).await?;
        }
        for session in &sessions {
            self.put_session(session).await?;
        }
        for lease in &leases {
            self.put_lease(lease).await?;
        }
        self.db
            .atomic("restore", move |tx| {
                let op = "restore";
                let mut stmt = tx
                    .prepare_cached(
                        "INSERT INTO contacts (id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt, claimed_at, team) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .map_err(db(op))?;
                for (record, claimed_at) in &contacts {
                    let c = &record.contact;
                    stmt.execute(params![
                        c.id,
                        c.campaign,
                        c.account,
                        c.step,
                        c.channel.as_str(),
                        c.template,
                        c.fallback.map(ChannelKind::as_str),
                        ms(c.due_at),
                        ms(record.due_at),
                        record.state.as_str(),
                        i64::from(record.attempt),
                        claimed_at.map(ms),
                        c.team,
                    ])
                    .map_err(db(op))?;
                }
                let mut row = tx
                    .prepare_cached(
                        "INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, ?)",
                    )
                    .map_err(db(op))?;
                let mut version = tx
                    .prepare_cached("INSERT INTO history_version (debtor_key, version) VALUES (?, ?)")
                    .map_err(db(op))?;
                for (key, entries, v) in &history {
                    for e in entries {
                        row.execute(params![
                            key,
                            ms(e.at),
                            e.channel.as_str(),
                            e.account,
                            e.conversation
                        ])
                        .map_err(db(op))?;
                    }
                    version
                        .execute(params![key, i64::try_from(*v).unwrap_or(i64::MAX)])
                        .map_err(db(op))?;
                }
                insert_ledger(tx, &ledger)?;
                let mut book = tx
                    .prepare_cached("INSERT INTO books (account, version, data) VALUES (?, ?, ?)")
                    .map_err(db(op))?;
                for (account, b, v) in &books {
                    let data =
                        serde_json::to_string(b).map_err(|e| StoreError::json("book", e))?;
                    book.execute(params![account, i64::try_from(*v).unwrap_or(i64::MAX), data])
                        .map_err(db(op))?;
                }
                Ok(())
            })
            .await
    }
}
