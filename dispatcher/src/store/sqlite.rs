//! SQLite store: the embedded default (`sqlite://cobro.db`). One file, no
//! server. Atomic steps are single transactions taken with
//! `BEGIN IMMEDIATE`, so concurrent workers in one process (or several
//! processes on one machine) never interleave a claim or a reservation.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use super::{
    AccountStatus, CheckQuery, ContactChecks, ContactRecord, ContactState, HistoryEntry,
    LedgerEntry, LedgerFilter, LedgerState, Reservation, ReserveOutcome, Store, StoreError,
    StoreResult, Suppression, Transition, TransitionItem,
};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active'
);
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    campaign TEXT NOT NULL,
    account TEXT NOT NULL,
    step TEXT NOT NULL,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    fallback TEXT,
    planned_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    claimed_at INTEGER
);
CREATE INDEX IF NOT EXISTS contacts_due ON contacts (state, due_at);
CREATE INDEX IF NOT EXISTS contacts_account ON contacts (account);
CREATE INDEX IF NOT EXISTS contacts_campaign ON contacts (campaign, state);
CREATE TABLE IF NOT EXISTS history (
    debtor_key TEXT NOT NULL,
    at INTEGER NOT NULL,
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    conversation INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS history_debtor ON history (debtor_key, at);
CREATE TABLE IF NOT EXISTS history_version (
    debtor_key TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id TEXT NOT NULL,
    campaign TEXT NOT NULL,
    account TEXT NOT NULL,
    step TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    at INTEGER NOT NULL,
    timezones TEXT NOT NULL,
    rules TEXT NOT NULL,
    code TEXT,
    detail TEXT,
    provider TEXT,
    provider_id TEXT,
    attempt INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_campaign ON ledger (campaign, seq);
CREATE INDEX IF NOT EXISTS ledger_account ON ledger (account, seq);
CREATE INDEX IF NOT EXISTS ledger_contact ON ledger (contact_id, seq);
CREATE INDEX IF NOT EXISTS ledger_provider_id ON ledger (provider_id);
CREATE TABLE IF NOT EXISTS suppressions (
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    prefix INTEGER NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
);
CREATE TABLE IF NOT EXISTS account_addresses (
    address TEXT NOT NULL,
    account TEXT NOT NULL,
    PRIMARY KEY (address, account)
);
CREATE TABLE IF NOT EXISTS paused_campaigns (
    campaign TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS campaign_stop_from (
    campaign TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
"#;

/// The embedded store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn db_err(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            StoreError::Connection(err.to_string())
        }
        other => StoreError::Query(other.to_string()),
    }
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(value: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(value)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {value} out of range")))
}

fn channel_from(value: &str) -> StoreResult<ChannelKind> {
    ChannelKind::from_str(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `''` stands for "all channels" in the suppression table's key.
fn channel_key(channel: Option<ChannelKind>) -> &'static str {
    channel.map(ChannelKind::as_str).unwrap_or("")
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
        let options = if path == ":memory:" {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(db_err)?
        } else {
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
        }
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
        // One connection: SQLite has one writer anyway, and a single
        // connection makes every transaction strictly serial.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // Never recycle the connection: an in-memory database lives
            // exactly as long as its one connection.
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connection(format!("{path}: {e}")))?;
        for statement in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&pool)
                .await
                .map_err(db_err)?;
        }
        Ok(SqliteStore { pool })
    }

    /// The history and history version of each debtor, in two statements
    /// whatever their number; a debtor never contacted gets nothing here
    /// (callers read that as an empty history at version 0).
    async fn histories<'k>(
        &self,
        debtor_keys: &[&'k str],
    ) -> StoreResult<HashMap<&'k str, (Vec<HistoryEntry>, u64)>> {
        let mut out: HashMap<&'k str, (Vec<HistoryEntry>, u64)> = HashMap::new();
        if debtor_keys.is_empty() {
            return Ok(out);
        }
        let placeholders = vec!["?"; debtor_keys.len()].join(", ");
        let by_key: HashMap<&str, &'k str> = debtor_keys.iter().map(|k| (*k, *k)).collect();
        let sql = format!(
            "SELECT debtor_key, at, channel, account, conversation FROM history \
             WHERE debtor_key IN ({placeholders}) ORDER BY at, rowid"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in debtor_keys {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&self.pool).await.map_err(db_err)? {
            let key: String = row.try_get("debtor_key").map_err(db_err)?;
            let Some(key) = by_key.get(key.as_str()) else {
                continue;
            };
            out.entry(key).or_default().0.push(HistoryEntry {
                at: from_ms(row.try_get("at").map_err(db_err)?)?,
                channel: channel_from(&row.try_get::<String, _>("channel").map_err(db_err)?)?,
                account: row.try_get("account").map_err(db_err)?,
                conversation: row.try_get::<i64, _>("conversation").map_err(db_err)? != 0,
            });
        }
        let sql = format!(
            "SELECT debtor_key, version FROM history_version WHERE debtor_key IN ({placeholders})"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in debtor_keys {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&self.pool).await.map_err(db_err)? {
            let key: String = row.try_get("debtor_key").map_err(db_err)?;
            if let Some(key) = by_key.get(key.as_str()) {
                out.entry(key).or_default().1 =
                    u64::try_from(row.try_get::<i64, _>("version").map_err(db_err)?).unwrap_or(0);
            }
        }
        Ok(out)
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)
    }
}

fn contact_from_row(row: &SqliteRow) -> StoreResult<ContactRecord> {
    let get_s =
        |name: &str| -> StoreResult<String> { row.try_get::<String, _>(name).map_err(db_err) };
    let fallback: Option<String> = row.try_get("fallback").map_err(db_err)?;
    let state = get_s("state")?;
    Ok(ContactRecord {
        contact: PlannedContact {
            id: get_s("id")?,
            campaign: get_s("campaign")?,
            account: get_s("account")?,
            step: get_s("step")?,
            channel: channel_from(&get_s("channel")?)?,
            template: get_s("template")?,
            fallback: fallback.as_deref().map(channel_from).transpose()?,
            due_at: from_ms(row.try_get("planned_at").map_err(db_err)?)?,
        },
        state: ContactState::from_str(&state).map_err(StoreError::Corrupt)?,
        due_at: from_ms(row.try_get("due_at").map_err(db_err)?)?,
        attempt: u32::try_from(row.try_get::<i64, _>("attempt").map_err(db_err)?)
            .unwrap_or(u32::MAX),
    })
}

fn ledger_from_row(row: &SqliteRow) -> StoreResult<LedgerEntry> {
    let get_s =
        |name: &str| -> StoreResult<String> { row.try_get::<String, _>(name).map_err(db_err) };
    let get_o = |name: &str| -> StoreResult<Option<String>> {
        row.try_get::<Option<String>, _>(name).map_err(db_err)
    };
    let split = |value: String| -> Vec<String> {
        if value.is_empty() {
            Vec::new()
        } else {
            value.split(';').map(str::to_string).collect()
        }
    };
    Ok(LedgerEntry {
        contact_id: get_s("contact_id")?,
        campaign: get_s("campaign")?,
        account: get_s("account")?,
        step: get_s("step")?,
        channel: channel_from(&get_s("channel")?)?,
        state: LedgerState::from_str(&get_s("state")?).map_err(StoreError::Corrupt)?,
        at: from_ms(row.try_get("at").map_err(db_err)?)?,
        timezones: split(get_s("timezones")?),
        rules: split(get_s("rules")?),
        code: get_o("code")?,
        detail: get_o("detail")?,
        provider: get_o("provider")?,
        provider_id: get_o("provider_id")?,
        attempt: u32::try_from(row.try_get::<i64, _>("attempt").map_err(db_err)?)
            .unwrap_or(u32::MAX),
    })
}

async fn insert_ledger(
    tx: &mut Transaction<'static, Sqlite>,
    entries: &[LedgerEntry],
) -> StoreResult<()> {
    for e in entries {
        sqlx::query(
            "INSERT INTO ledger (contact_id, campaign, account, step, channel, state, at, timezones, rules, code, detail, provider, provider_id, attempt) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.contact_id)
        .bind(&e.campaign)
        .bind(&e.account)
        .bind(&e.step)
        .bind(e.channel.as_str())
        .bind(e.state.as_str())
        .bind(ms(e.at))
        .bind(e.timezones.join(";"))
        .bind(e.rules.join(";"))
        .bind(&e.code)
        .bind(&e.detail)
        .bind(&e.provider)
        .bind(&e.provider_id)
        .bind(i64::from(e.attempt))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

const CONTACT_COLUMNS: &str =
    "id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt";

impl Store for SqliteStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for account in accounts {
            let data =
                serde_json::to_string(account).map_err(|e| StoreError::Query(e.to_string()))?;
            sqlx::query(
                "INSERT INTO accounts (id, data) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            )
            .bind(&account.id)
            .bind(data)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            for point in &account.contact_points {
                sqlx::query(
                    "INSERT OR IGNORE INTO account_addresses (address, account) VALUES (?, ?)",
                )
                .bind(&point.address)
                .bind(&account.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)
    }

    // The batch forms answer exactly what the single calls would, in
    // order. The writes share one transaction: one commit (one WAL sync
    // point) per batch instead of one per contact, and a later item sees
    // what an earlier one wrote, as it would one call later.
    async fn accounts(&self, ids: &[String]) -> StoreResult<Vec<Option<(Account, AccountStatus)>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement for the batch (SQLite allows 32,766 parameters;
        // a batch is a queue job's few dozen contacts).
        let placeholders = vec!["?"; ids.len()].join(", ");
        let sql = format!("SELECT id, data, status FROM accounts WHERE id IN ({placeholders})");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id").map_err(db_err)?;
            let data: String = row.try_get("data").map_err(db_err)?;
            let status: String = row.try_get("status").map_err(db_err)?;
            let account: Account = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("account {id}: {e}")))?;
            let status = AccountStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("account {id}: status '{status}'")))?;
            found.insert(id, (account, status));
        }
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        let keys: Vec<&str> = queries.iter().map(|q| q.debtor_key.as_str()).collect();
        let mut histories = self.histories(&keys).await?;
        let mut out = Vec::with_capacity(queries.len());
        for q in queries {
            let suppressed = self.is_suppressed(q.channel, &q.address).await?;
            let (history, version) = histories
                .get_mut(q.debtor_key.as_str())
                .map(|(h, v)| (h.clone(), *v))
                .unwrap_or_default();
            out.push(ContactChecks {
                suppressed,
                history,
                version,
            });
        }
        Ok(out)
    }

    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(reservations.len());
        for r in reservations {
            out.push(reserve_in(&mut tx, r).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(transition_in(&mut tx, &item.id, &item.to, &item.ledger).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        Ok(self.accounts(&[id.to_string()]).await?.pop().flatten())
    }

    async fn account_count(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(n as u64)
    }

    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE accounts SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut added = 0;
        for c in contacts {
            let done = sqlx::query(
                "INSERT OR IGNORE INTO contacts (id, campaign, account, step, channel, template, fallback, planned_at, due_at, state, attempt) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0)",
            )
            .bind(&c.id)
            .bind(&c.campaign)
            .bind(&c.account)
            .bind(&c.step)
            .bind(c.channel.as_str())
            .bind(&c.template)
            .bind(c.fallback.map(ChannelKind::as_str))
            .bind(ms(c.due_at))
            .bind(ms(c.due_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            added += done.rows_affected();
        }
        tx.commit().await.map_err(db_err)?;
        Ok(added)
    }

    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(contact_from_row).transpose()
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        let sql = format!(
            "UPDATE contacts SET state = 'queued', claimed_at = ?1 WHERE id IN \
             (SELECT id FROM contacts WHERE state = 'pending' AND due_at <= ?2 \
             AND campaign NOT IN (SELECT campaign FROM paused_campaigns) ORDER BY due_at, id LIMIT ?3) \
             RETURNING {CONTACT_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(ms(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let mut records = rows
            .iter()
            .map(contact_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        records.sort_by(|a, b| (a.due_at, &a.contact.id).cmp(&(b.due_at, &b.contact.id)));
        Ok(records)
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let value: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(due_at) FROM contacts WHERE state = 'pending' AND campaign NOT IN (SELECT campaign FROM paused_campaigns)",
        )
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        value.map(from_ms).transpose()
    }

    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let done = transition_in(&mut tx, id, &to, ledger).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(done)
    }

    async fn reserve(&self, r: &Reservation) -> StoreResult<ReserveOutcome> {
        let mut tx = self.begin().await?;
        let outcome = reserve_in(&mut tx, r).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut tx = self.begin().await?;
        // A channel opt-out (the only caller naming a channel) and an active
        // account cancel every campaign's contacts; a stopped account those
        // of the campaigns that stop on its status.
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM accounts WHERE id = ?")
            .bind(account)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let status = status
            .as_deref()
            .and_then(AccountStatus::parse)
            .unwrap_or(AccountStatus::Active);
        let campaigns: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT campaign FROM contacts WHERE account = ?1 AND state IN ('pending', 'queued') \
             AND (?2 IS NULL OR channel = ?2)",
        )
        .bind(account)
        .bind(channel.map(ChannelKind::as_str))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut rows = Vec::new();
        for campaign in campaigns {
            if channel.is_none()
                && status != AccountStatus::Active
                && !status.stops(stop_from_in(&mut tx, &campaign).await?)
            {
                continue;
            }
            let sql = format!(
                "UPDATE contacts SET state = 'cancelled' WHERE account = ?1 AND campaign = ?3 \
                 AND state IN ('pending', 'queued') AND (?2 IS NULL OR channel = ?2) RETURNING {CONTACT_COLUMNS}"
            );
            rows.extend(
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(account)
                    .bind(channel.map(ChannelKind::as_str))
                    .bind(&campaign)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?,
            );
        }
        let ids = record_cancellations(&mut tx, &rows, code, detail, at).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(ids)
    }

    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        let mut tx = self.begin().await?;
        let requeued = sqlx::query(
            "UPDATE contacts SET state = 'pending', claimed_at = NULL WHERE state = 'queued' AND claimed_at < ?",
        )
        .bind(ms(queued_before))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        let sql = format!(
            "UPDATE contacts SET state = 'unknown' WHERE state = 'sending' AND claimed_at < ? RETURNING {CONTACT_COLUMNS}, claimed_at"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(sending_before))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = contact_from_row(row)?;
            let reserved_at = from_ms(row.try_get("claimed_at").map_err(db_err)?)?;
            entries.push((record, reserved_at));
        }
        let records: Vec<ContactRecord> = entries.iter().map(|(r, _)| r.clone()).collect();
        let entries: Vec<LedgerEntry> = entries
            .iter()
            .map(|(r, reserved_at)| {
                let mut e = LedgerEntry::for_contact(&r.contact, LedgerState::Unknown, *reserved_at);
                e.code = Some("interrupted".into());
                e.detail = Some("the worker stopped between handing the message over and recording the answer; not resent".into());
                e.attempt = r.attempt;
                e
            })
            .collect();
        insert_ledger(&mut tx, &entries).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((requeued, records.len() as u64))
    }

    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM contacts WHERE (?1 IS NULL OR campaign = ?1) GROUP BY state")
            .bind(campaign)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut counts = BTreeMap::new();
        for row in rows {
            let state: String = row.try_get("state").map_err(db_err)?;
            let n: i64 = row.try_get("n").map_err(db_err)?;
            counts.insert(
                ContactState::from_str(&state).map_err(StoreError::Corrupt)?,
                n as u64,
            );
        }
        Ok(counts)
    }

    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT campaign FROM contacts ORDER BY campaign")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)
    }

    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        Ok(self
            .histories(&[debtor_key])
            .await?
            .remove(debtor_key)
            .unwrap_or_default())
    }

    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, 1)")
            .bind(debtor_key)
            .bind(ms(at))
            .bind(channel.as_str())
            .bind(account)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        bump_version(&mut tx, debtor_key).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_ledger(&mut tx, entries).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM ledger WHERE (?1 IS NULL OR campaign = ?1) AND (?2 IS NULL OR account = ?2) \
             AND (?3 IS NULL OR contact_id = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR provider_id = ?5) ORDER BY at, seq",
        )
        .bind(&filter.campaign)
        .bind(&filter.account)
        .bind(&filter.contact_id)
        .bind(filter.since.map(ms))
        .bind(&filter.provider_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(ledger_from_row).collect()
    }

    // The cursor is the last row's `seq`.
    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        let limit = limit.max(1);
        let rows =
            sqlx::query("SELECT * FROM ledger WHERE campaign = ? AND seq > ? ORDER BY seq LIMIT ?")
                .bind(campaign)
                .bind(i64::try_from(cursor).unwrap_or(i64::MAX))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        let next = match rows.last() {
            Some(last) if rows.len() == limit => {
                let seq: i64 = last.try_get("seq").map_err(db_err)?;
                Some(u64::try_from(seq).unwrap_or(0))
            }
            _ => None,
        };
        let rows = rows
            .iter()
            .map(ledger_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((rows, next))
    }

    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO suppressions (channel, address, prefix, source, at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT(channel, address) DO UPDATE SET prefix = excluded.prefix, source = excluded.source, at = excluded.at",
        )
        .bind(channel_key(entry.channel))
        .bind(&entry.address)
        .bind(i64::from(entry.prefix))
        .bind(&entry.source)
        .bind(ms(entry.at))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM suppressions WHERE channel = ? AND address = ?")
            .bind(channel_key(channel))
            .bind(address)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        let rows = sqlx::query("SELECT channel, address, prefix, source, at FROM suppressions ORDER BY address, channel")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let channel: String = row.try_get("channel").map_err(db_err)?;
                Ok(Suppression {
                    channel: if channel.is_empty() {
                        None
                    } else {
                        Some(channel_from(&channel)?)
                    },
                    address: row.try_get("address").map_err(db_err)?,
                    prefix: row.try_get::<i64, _>("prefix").map_err(db_err)? != 0,
                    source: row.try_get("source").map_err(db_err)?,
                    at: from_ms(row.try_get("at").map_err(db_err)?)?,
                })
            })
            .collect()
    }

    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        // Exact entries, prefixes (number ranges) and '@domain' suffixes.
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM suppressions WHERE channel IN ('', ?1) AND ( \
               (prefix = 0 AND address = ?2) \
               OR (prefix = 1 AND substr(address, 1, 1) <> '@' AND substr(?2, 1, length(address)) = address) \
               OR (prefix = 1 AND substr(address, 1, 1) = '@' AND length(?2) >= length(address) AND substr(?2, -length(address)) = address) \
             ) LIMIT 1",
        )
        .bind(channel.as_str())
        .bind(address)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(hit.is_some())
    }

    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT account FROM account_addresses WHERE address = ? ORDER BY account",
        )
        .bind(address)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)
    }

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
            .map_err(db_err)?;
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
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT campaign FROM paused_campaigns ORDER BY campaign")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)
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
            "UPDATE contacts SET state = 'cancelled' WHERE campaign = ? AND state IN ('pending', 'queued') RETURNING {CONTACT_COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(campaign)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let ids = record_cancellations(&mut tx, &rows, code, detail, at).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(ids)
    }
}

/// Appends a `cancelled` ledger row for each contact a cancelling
/// `UPDATE … RETURNING` touched; returns their ids, sorted.
/// One contact's transition and its ledger rows inside `tx`. Nothing is
/// written when the contact is not in a state the transition moves from,
/// so several of them can share one transaction.
async fn transition_in(
    tx: &mut Transaction<'static, Sqlite>,
    id: &str,
    to: &Transition,
    ledger: &[LedgerEntry],
) -> StoreResult<bool> {
    let done = match &to {
        Transition::Reschedule { due_at, attempt } => sqlx::query(
            "UPDATE contacts SET state = 'pending', due_at = ?, attempt = ?, claimed_at = NULL \
             WHERE id = ? AND state IN ('queued', 'sending')",
        )
        .bind(ms(*due_at))
        .bind(i64::from(*attempt))
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?,
        Transition::Finish(state) if !state.is_terminal() => {
            return Err(StoreError::Query(format!("cannot finish contact {id} into non-terminal state {state}")));
        }
        // Delivery receipts arrive after the send was recorded.
        Transition::Finish(state @ (ContactState::Delivered | ContactState::Undelivered)) => sqlx::query(
            "UPDATE contacts SET state = ? WHERE id = ? AND state IN ('sent', 'sending', 'unknown')",
        )
        .bind(state.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?,
        Transition::Finish(state) => sqlx::query(
            "UPDATE contacts SET state = ? WHERE id = ? AND state IN ('queued', 'sending')",
        )
        .bind(state.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?,
    };
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    insert_ledger(tx, ledger).await?;
    Ok(true)
}

/// One reservation inside `tx`: reads first, writes only when every check
/// passed, so a refused reservation leaves the transaction untouched.
async fn reserve_in(
    tx: &mut Transaction<'static, Sqlite>,
    r: &Reservation,
) -> StoreResult<ReserveOutcome> {
    let contact: Option<(String, String)> =
        sqlx::query_as("SELECT state, campaign FROM contacts WHERE id = ?")
            .bind(&r.contact_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
    let Some((state, campaign)) = contact else {
        return Ok(ReserveOutcome::NotQueued);
    };
    if state != "queued" {
        return Ok(ReserveOutcome::NotQueued);
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM accounts WHERE id = ?")
        .bind(&r.account)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
    let status = status
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::Active);
    if status.stops(stop_from_in(tx, &campaign).await?) {
        return Ok(ReserveOutcome::AccountStopped(status));
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM history_version WHERE debtor_key = ?")
            .bind(&r.debtor_key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
    if version.unwrap_or(0) as u64 != r.history_version {
        return Ok(ReserveOutcome::HistoryChanged);
    }
    sqlx::query("UPDATE contacts SET state = 'sending', claimed_at = ? WHERE id = ?")
        .bind(ms(r.at))
        .bind(&r.contact_id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    sqlx::query("INSERT INTO history (debtor_key, at, channel, account, conversation) VALUES (?, ?, ?, ?, 0)")
        .bind(&r.debtor_key)
        .bind(ms(r.at))
        .bind(r.channel.as_str())
        .bind(&r.account)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    bump_version(tx, &r.debtor_key).await?;
    Ok(ReserveOutcome::Reserved)
}

/// The status from which `campaign`'s contacts stop; a campaign launched
/// without one stops on every account event.
async fn stop_from_in(
    tx: &mut Transaction<'static, Sqlite>,
    campaign: &str,
) -> StoreResult<AccountStatus> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT status FROM campaign_stop_from WHERE campaign = ?")
            .bind(campaign)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
    Ok(stored
        .as_deref()
        .and_then(AccountStatus::parse)
        .unwrap_or(AccountStatus::PromiseToPay))
}

async fn record_cancellations(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[SqliteRow],
    code: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let records = rows
        .iter()
        .map(contact_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let entries: Vec<LedgerEntry> = records
        .iter()
        .map(|r| {
            let mut e = LedgerEntry::for_contact(&r.contact, LedgerState::Cancelled, at);
            e.code = Some(code.to_string());
            e.detail = Some(detail.to_string());
            e.attempt = r.attempt;
            e
        })
        .collect();
    insert_ledger(tx, &entries).await?;
    let mut ids: Vec<String> = records.into_iter().map(|r| r.contact.id).collect();
    ids.sort();
    Ok(ids)
}

async fn bump_version(tx: &mut Transaction<'static, Sqlite>, debtor_key: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO history_version (debtor_key, version) VALUES (?, 1) \
         ON CONFLICT(debtor_key) DO UPDATE SET version = version + 1",
    )
    .bind(debtor_key)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}
