//! Accounts, their status, and the address index inbound replies use.

use std::collections::HashMap;

use cobro_campaigns::Account;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, db};
use crate::store::{
    AccountRow, AccountScan, AccountStatus, AccountStore, ScannedAccounts, StoreError, StoreResult,
};

/// An `id, data, status` row: its id, the account and its status.
fn decode_row(row: &SqliteRow, op: &'static str) -> StoreResult<(String, Account, AccountStatus)> {
    let id: String = row.try_get("id").map_err(db(op))?;
    let data: String = row.try_get("data").map_err(db(op))?;
    let status: String = row.try_get("status").map_err(db(op))?;
    let account: Account =
        serde_json::from_str(&data).map_err(|e| StoreError::json(format!("account {id}"), e))?;
    let status = AccountStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("account {id}: status '{status}'")))?;
    Ok((id, account, status))
}

impl AccountStore for SqliteStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for account in accounts {
            let data =
                serde_json::to_string(account).map_err(|e| StoreError::json("account", e))?;
            // The list columns follow the account; the status stays (a
            // re-import must not revive a paid account).
            let row = AccountRow::new(account, AccountStatus::Active);
            sqlx::query(
                "INSERT INTO accounts (id, data, creditor, debtor_name, tax_id, amount_due, currency, due_date, country, segment, search) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT(id) DO UPDATE SET data = excluded.data, creditor = excluded.creditor, \
                 debtor_name = excluded.debtor_name, tax_id = excluded.tax_id, amount_due = excluded.amount_due, \
                 currency = excluded.currency, due_date = excluded.due_date, country = excluded.country, \
                 segment = excluded.segment, search = excluded.search",
            )
            .bind(&account.id)
            .bind(data)
            .bind(&row.creditor)
            .bind(&row.debtor_name)
            .bind(&row.tax_id)
            .bind(row.amount_due.to_string())
            .bind(&row.currency)
            .bind(row.due_date.format("%Y-%m-%d").to_string())
            .bind(&row.country)
            .bind(&row.segment)
            .bind(row.search_text())
            .execute(&mut *tx)
            .await
            .map_err(db("put_accounts"))?;
            for point in &account.contact_points {
                sqlx::query(
                    "INSERT OR IGNORE INTO account_addresses (address, account) VALUES (?, ?)",
                )
                .bind(&point.address)
                .bind(&account.id)
                .execute(&mut *tx)
                .await
                .map_err(db("put_accounts"))?;
            }
        }
        tx.commit().await.map_err(db("put_accounts"))
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        Ok(self.accounts(&[id.to_string()]).await?.pop().flatten())
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
        let rows = query.fetch_all(&self.pool).await.map_err(db("accounts"))?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let (id, account, status) = decode_row(row, "accounts")?;
            found.insert(id, (account, status));
        }
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    async fn scan_accounts(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        self.scan(scan).await
    }

    async fn account_count(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await
            .map_err(db("account_count"))?;
        Ok(n as u64)
    }

    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE accounts SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db("set_account_status"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT account FROM account_addresses WHERE address = ? ORDER BY account",
        )
        .bind(address)
        .fetch_all(&self.pool)
        .await
        .map_err(db("accounts_by_address"))
    }
}
