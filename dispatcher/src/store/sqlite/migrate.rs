//! The accounts' list columns (`creditor`, `debtor_name`, … `search`) on a
//! database created before they existed: added, then filled from each
//! account's JSON, once, at connect time. The expedientes scan filters on
//! them instead of decoding every account's JSON.

use cobro_campaigns::Account;
use sqlx::SqlitePool;

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

/// `contacts.team` (the collectors' work queue) on a database from before
/// it: every contact planned then was a provider's (no team).
pub(super) async fn add_team_column(pool: &SqlitePool) -> StoreResult<()> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('contacts')")
        .fetch_all(pool)
        .await
        .map_err(db("migrate contacts"))?;
    if !names.iter().any(|n| n == "team") {
        sqlx::query("ALTER TABLE contacts ADD COLUMN team TEXT")
            .execute(pool)
            .await
            .map_err(db("migrate contacts"))?;
    }
    Ok(())
}

/// Accounts filled per transaction.
const BATCH: i64 = 2_000;

/// Adds and fills the list columns when the table lacks them.
pub(super) async fn add_list_columns(pool: &SqlitePool) -> StoreResult<()> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('accounts')")
        .fetch_all(pool)
        .await
        .map_err(db("migrate accounts"))?;
    if names.iter().any(|n| n == "search") {
        return Ok(());
    }
    for (name, definition) in LIST_COLUMNS {
        if names.iter().any(|n| n == name) {
            continue;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE accounts ADD COLUMN {name} {definition}"
        )))
        .execute(pool)
        .await
        .map_err(db("migrate accounts"))?;
    }
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, data FROM accounts WHERE id > ? ORDER BY id LIMIT ?")
                .bind(&after)
                .bind(BATCH)
                .fetch_all(pool)
                .await
                .map_err(db("migrate accounts"))?;
        let Some((last, _)) = rows.last() else {
            return Ok(());
        };
        after = last.clone();
        let mut tx = pool.begin().await.map_err(db("migrate accounts"))?;
        for (id, data) in &rows {
            let account: Account = serde_json::from_str(data)
                .map_err(|e| StoreError::json(format!("account {id}"), e))?;
            let row = AccountRow::new(&account, crate::store::AccountStatus::Active);
            sqlx::query(
                "UPDATE accounts SET creditor = ?, debtor_name = ?, tax_id = ?, amount_due = ?, \
                 currency = ?, due_date = ?, country = ?, segment = ?, search = ? WHERE id = ?",
            )
            .bind(&row.creditor)
            .bind(&row.debtor_name)
            .bind(&row.tax_id)
            .bind(row.amount_due.to_string())
            .bind(&row.currency)
            .bind(row.due_date.format("%Y-%m-%d").to_string())
            .bind(&row.country)
            .bind(&row.segment)
            .bind(row.search_text())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db("migrate accounts"))?;
        }
        tx.commit().await.map_err(db("migrate accounts"))?;
    }
}
