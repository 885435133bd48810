//! The tables and indexes of the SQLite store, created at connect time.

use rusqlite::Connection;

use super::db;
use crate::store::StoreResult;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    creditor TEXT NOT NULL DEFAULT '',
    debtor_name TEXT NOT NULL DEFAULT '',
    tax_id TEXT,
    amount_due TEXT NOT NULL DEFAULT '0',
    currency TEXT NOT NULL DEFAULT '',
    due_date TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    segment TEXT,
    search TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS books (
    account TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    data TEXT NOT NULL
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
    claimed_at INTEGER,
    team TEXT
);
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
CREATE INDEX IF NOT EXISTS suppressions_prefix ON suppressions (channel) WHERE prefix = 1;
CREATE TABLE IF NOT EXISTS account_addresses (
    address TEXT NOT NULL,
    account TEXT NOT NULL,
    PRIMARY KEY (address, account)
);
CREATE TABLE IF NOT EXISTS work_leases (
    contact_id TEXT PRIMARY KEY,
    collector TEXT NOT NULL,
    team TEXT NOT NULL,
    leased_at INTEGER NOT NULL,
    until INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS work_leases_until ON work_leases (until);
CREATE INDEX IF NOT EXISTS work_leases_collector ON work_leases (collector, contact_id);
CREATE TABLE IF NOT EXISTS paused_campaigns (
    campaign TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS campaign_stop_from (
    campaign TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
"#;

/// The expedientes list's indexes, once the list columns exist (a database
/// from before them gets them in `migrate.rs` first). Each is `(column,
/// id)`, so a filter walks one index over a window of ids in id order; the
/// creditor index on the JSON that the list columns replace is dropped.
const ACCOUNT_INDEXES: &str = r#"
DROP INDEX IF EXISTS accounts_creditor;
CREATE INDEX IF NOT EXISTS accounts_creditor_id ON accounts (creditor, id);
CREATE INDEX IF NOT EXISTS accounts_status_id ON accounts (status, id);
CREATE INDEX IF NOT EXISTS accounts_country_id ON accounts (country COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS accounts_segment_id ON accounts (segment COLLATE NOCASE, id);
"#;

/// The plan's due indexes, once `contacts.team` exists (`migrate.rs` adds
/// it to a database from before the work queue): the workers' claims walk
/// the contacts without a team, the collectors' those of their teams. They
/// end in `id` because a claim takes `ORDER BY due_at, id LIMIT n`: with
/// `(state, due_at)` alone SQLite sorted every contact due at the first
/// instant to take n of them, so a claim read the whole batch of contacts
/// due at 09:00 (a quarter of a portfolio) each time.
const CONTACT_INDEXES: &str = r#"
DROP INDEX IF EXISTS contacts_due;
DROP INDEX IF EXISTS contacts_due_auto;
DROP INDEX IF EXISTS contacts_due_work;
CREATE INDEX IF NOT EXISTS contacts_due_auto_id ON contacts (state, due_at, id) WHERE team IS NULL;
CREATE INDEX IF NOT EXISTS contacts_due_work_id ON contacts (team, state, due_at, id) WHERE team IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_state ON contacts (state);
"#;

/// Creates what does not exist yet (every statement is `IF NOT EXISTS`),
/// migrating a database from an earlier version on the way.
pub(super) fn create(conn: &mut Connection) -> StoreResult<()> {
    run(conn, SCHEMA)?;
    super::migrate::add_list_columns(conn)?;
    super::migrate::add_team_column(conn)?;
    run(conn, CONTACT_INDEXES)?;
    run(conn, ACCOUNT_INDEXES)
}

fn run(conn: &Connection, script: &str) -> StoreResult<()> {
    conn.execute_batch(script).map_err(db("create schema"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan SQLite picks for `sql`, one line per step.
    fn query_plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let unbound = vec![rusqlite::types::Null; stmt.parameter_count()];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(unbound), |row| {
                row.get::<_, String>(3)
            })
            .expect("plan rows");
        rows.map(|r| r.expect("plan row"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The statements run for every contact never read a whole table and
    /// never sort: each is a walk of an index. (A suppression check once
    /// read every entry, and a claim sorted every contact due at the same
    /// instant; both made the cost grow faster than the portfolio.)
    #[test]
    fn the_per_contact_statements_walk_an_index() {
        let mut conn = Connection::open_in_memory().expect("open");
        create(&mut conn).expect("schema");
        for (name, sql, walks) in [
            (
                "exact suppression",
                super::super::suppression::SUPPRESSED_EXACTLY.to_string(),
                "(channel=? AND address=?)",
            ),
            (
                // only the prefix entries, not every entry of the channel
                "prefix suppression",
                super::super::suppression::SUPPRESSED_BY_PREFIX.to_string(),
                "USING INDEX suppressions_prefix",
            ),
            (
                "claim",
                super::super::plan::claim_due_sql(),
                "USING INDEX contacts_due_auto_id (state=? AND due_at<?)",
            ),
        ] {
            let plan = query_plan(&conn, &sql);
            assert!(
                plan.contains(walks),
                "{name} does not walk {walks}:\n{plan}"
            );
            assert!(
                !plan.contains("SCAN suppressions") && !plan.contains("SCAN contacts"),
                "{name} reads a whole table:\n{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{name} sorts:\n{plan}");
        }
    }
}
