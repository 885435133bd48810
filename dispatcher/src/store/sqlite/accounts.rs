//! Accounts, their status, and the address index inbound replies use.

use std::collections::HashMap;

use cobro_campaigns::Account;
use rusqlite::{params, params_from_iter};

use super::rows::{collect, get};
use super::{SqliteStore, db};
use crate::store::{
    AccountRow, AccountScan, AccountStatus, AccountStore, ScannedAccounts, StoreError, StoreResult,
};

/// Ids per `IN (...)` statement (SQLite allows 32,766 parameters).
const IDS_PER_STATEMENT: usize = 500;

impl AccountStore for SqliteStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        // Encoded here, on the caller's thread, not on the connection's.
        let rows = accounts
            .iter()
            .map(|account| {
                let data =
                    serde_json::to_string(account).map_err(|e| StoreError::json("account", e))?;
                let addresses: Vec<String> = account
                    .contact_points
                    .iter()
                    .map(|p| p.address.clone())
                    .collect();
                // The list columns follow the account; the status stays (a
                // re-import must not revive a paid account).
                Ok((
                    data,
                    AccountRow::new(account, AccountStatus::Active),
                    addresses,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.db
            .atomic("put_accounts", move |tx| {
                let op = "put_accounts";
                let mut upsert = tx
                    .prepare_cached(
                        "INSERT INTO accounts (id, data, creditor, debtor_name, tax_id, amount_due, currency, due_date, country, segment, search) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT(id) DO UPDATE SET data = excluded.data, creditor = excluded.creditor, \
                         debtor_name = excluded.debtor_name, tax_id = excluded.tax_id, amount_due = excluded.amount_due, \
                         currency = excluded.currency, due_date = excluded.due_date, country = excluded.country, \
                         segment = excluded.segment, search = excluded.search",
                    )
                    .map_err(db(op))?;
                let mut address = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO account_addresses (address, account) VALUES (?, ?)",
                    )
                    .map_err(db(op))?;
                for (data, row, addresses) in &rows {
                    upsert
                        .execute(params![
                            row.id,
                            data,
                            row.creditor,
                            row.debtor_name,
                            row.tax_id,
                            row.amount_due.to_string(),
                            row.currency,
                            row.due_date.format("%Y-%m-%d").to_string(),
                            row.country,
                            row.segment,
                            row.search_text(),
                        ])
                        .map_err(db(op))?;
                    for a in addresses {
                        address.execute(params![a, row.id]).map_err(db(op))?;
                    }
                }
                Ok(())
            })
            .await
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
        let ids = ids.to_vec();
        // The rows are read on the connection thread; their JSON decoded
        // here, off it.
        let rows = self
            .db
            .run("accounts", move |conn| {
                let op = "accounts";
                let mut rows = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let placeholders = vec!["?"; chunk.len()].join(", ");
                    let sql = format!(
                        "SELECT id, data, status FROM accounts WHERE id IN ({placeholders})"
                    );
                    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
                    rows.extend(collect(&mut stmt, params_from_iter(chunk), op, |row| {
                        Ok((
                            get::<String>(row, 0, op)?,
                            get::<String>(row, 1, op)?,
                            get::<String>(row, 2, op)?,
                        ))
                    })?);
                }
                Ok((ids, rows))
            })
            .await?;
        let (ids, rows) = rows;
        let mut found = HashMap::with_capacity(rows.len());
        for (id, data, status) in rows {
            let account: Account = serde_json::from_str(&data)
                .map_err(|e| StoreError::json(format!("account {id}"), e))?;
            let status = AccountStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("account {id}: status '{status}'")))?;
            found.insert(id, (account, status));
        }
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    async fn scan_accounts(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        self.scan(scan).await
    }

    async fn account_count(&self) -> StoreResult<u64> {
        self.db
            .run("account_count", |conn| {
                let n: i64 = conn
                    .prepare_cached("SELECT COUNT(*) FROM accounts")
                    .and_then(|mut s| s.query_row([], |row| row.get(0)))
                    .map_err(db("account_count"))?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }

    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        let id = id.to_string();
        self.db
            .run("set_account_status", move |conn| {
                let done = conn
                    .prepare_cached("UPDATE accounts SET status = ? WHERE id = ?")
                    .and_then(|mut s| s.execute(params![status.as_str(), id]))
                    .map_err(db("set_account_status"))?;
                Ok(done > 0)
            })
            .await
    }

    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        let address = address.to_string();
        self.db
            .run("accounts_by_address", move |conn| {
                let op = "accounts_by_address";
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT account FROM account_addresses WHERE address = ? ORDER BY account",
                    )
                    .map_err(db(op))?;
                collect(&mut stmt, [address], op, |row| get(row, 0, op))
            })
            .await
    }
}
