//! The accounts' list columns (`creditor`, `debtor_name`, … `search`) on a
//! database created before they existed: added, then filled from each
//! account's JSON, once, at connect time. The expedientes scan filters on
//! them instead of decoding every account's JSON.

use cobro_campaigns::Account;
use rusqlite::{Connection, params};

use super::db;
use crate::store::{AccountRow, StoreError, StoreResult};

/// The list columns and their definitions (as in `schema.rs`).
pub(super) const LIST_COLUMNS: [(&str, &str); 9] = [
    ("creditor", "TEXT NOT NULL DEFAULT ''"),
    ("debtor_name", "TEXT NOT NULL DEFAULT ''"),
    ("tax_id", "TEXT"),
    ("amount_due", "TEXT NOT NULL DEFAULT '0'"),
    ("currency", "TEXT NOT NULL DEFAULT ''"),
    ("due_date", "TEXT NOT NULL DEFAULT ''"),
    ("country", "TEXT NOT NULL DEFAULT ''"),
    ("segment", "TEXT"),
    ("search", "TEXT NOT NULL DEFAULT ''"),
];

/// The column names of `table`.
fn columns(conn: &Connection, table: &str, op: &'static str) -> StoreResult<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .map_err(db(op))?;
    let names = stmt
        .query_map([table], |row| row.get::<_, String>(0))
        .map_err(db(op))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db(op))?;
    Ok(names)
}

/// `contacts.team` (the collectors' work queue) on a database from before
/// it: every contact planned then was a provider's (no team).
pub(super) fn add_team_column(conn: &Connection) -> StoreResult<()> {
    let names = columns(conn, "contacts", "migrate contacts")?;
    if !names.iter().any(|n| n == "team") {
        conn.execute("ALTER TABLE contacts ADD COLUMN team TEXT", [])
            .map_err(db("migrate contacts"))?;
    }
    Ok(())
}

/// Accounts filled per transaction.
const BATCH: i64 = 2_000;

/// Adds and fills the list columns when the table lacks them.
pub(super) fn add_list_columns(conn: &mut Connection) -> StoreResult<()> {
    let op = "migrate accounts";
    let names = columns(conn, "accounts", op)?;
    if names.iter().any(|n| n == "search") {
        return Ok(());
    }
    for (name, definition) in LIST_COLUMNS {
        if names.iter().any(|n| n == name) {
            continue;
        }
        conn.execute(
            &format!("ALTER TABLE accounts ADD COLUMN {name} {definition}"),
            [],
        )
        .map_err(db(op))?;
    }
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String)> = {
            let mut stmt = conn
                .prepare("SELECT id, data FROM accounts WHERE id > ? ORDER BY id LIMIT ?")
                .map_err(db(op))?;
            stmt.query_map(params![after, BATCH], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(db(op))?
                .collect::<Result<_, _>>()
                .map_err(db(op))?
        };
        let Some((last, _)) = rows.last() else {
            return Ok(());
        };
        after = last.clone();
        let tx = conn.transaction().map_err(db(op))?;
        {
            let mut update = tx
                .prepare(
                    "UPDATE accounts SET creditor = ?, debtor_name = ?, tax_id = ?, amount_due = ?, \
                     currency = ?, due_date = ?, country = ?, segment = ?, search = ? WHERE id = ?",
                )
                .map_err(db(op))?;
            for (id, data) in &rows {
                let account: Account = serde_json::from_str(data)
                    .map_err(|e| StoreError::json(format!("account {id}"), e))?;
                let row = AccountRow::new(&account, crate::store::AccountStatus::Active);
                update
                    .execute(params![
                        row.creditor,
                        row.debtor_name,
                        row.tax_id,
                        row.amount_due.to_string(),
                        row.currency,
                        row.due_date.format("%Y-%m-%d").to_string(),
                        row.country,
                        row.segment,
                        row.search_text(),
                        id,
                    ])
                    .map_err(db(op))?;
            }
        }
        tx.commit().map_err(db(op))?;
    }
}
