//! The expedientes scan on SQLite: every filter but the balance in one
//! statement over the accounts' list columns, within a window of ids, so
//! SQLite walks one `(column, id)` index over a bounded id range and only
//! matching rows come back.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, db};
use crate::store::{
    AccountRow, AccountScan, AccountStatus, ScannedAccounts, StoreError, StoreResult,
};

/// The columns `decode` reads, in a statement's select list.
pub(super) const ROW_COLUMNS: &str =
    "id, creditor, debtor_name, tax_id, amount_due, currency, due_date, country, segment, status";

/// One bound value of the statement being built.
enum Arg {
    Text(String),
    Real(f64),
}

pub(super) fn decode(row: &SqliteRow) -> StoreResult<AccountRow> {
    let op = "scan_accounts";
    let id: String = row.try_get("id").map_err(db(op))?;
    let corrupt =
        |what: &str, value: &str| StoreError::Corrupt(format!("account {id}: {what} '{value}'"));
    let amount: String = row.try_get("amount_due").map_err(db(op))?;
    let due: String = row.try_get("due_date").map_err(db(op))?;
    let status: String = row.try_get("status").map_err(db(op))?;
    Ok(AccountRow {
        creditor: row.try_get("creditor").map_err(db(op))?,
        debtor_name: row.try_get("debtor_name").map_err(db(op))?,
        tax_id: row.try_get("tax_id").map_err(db(op))?,
        amount_due: Decimal::from_str(&amount).map_err(|_| corrupt("amount_due", &amount))?,
        currency: row.try_get("currency").map_err(db(op))?,
        due_date: NaiveDate::parse_from_str(&due, "%Y-%m-%d")
            .map_err(|_| corrupt("due_date", &due))?,
        country: row.try_get("country").map_err(db(op))?,
        segment: row.try_get("segment").map_err(db(op))?,
        status: AccountStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        id,
    })
}

impl SqliteStore {
    pub(super) async fn scan(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        let window = i64::try_from(scan.window.max(1)).unwrap_or(i64::MAX);
        let after = scan.after.as_deref().unwrap_or("");
        // The window's last id: the creditor's own ids when one is given
        // (its index walks them), otherwise all ids.
        let bound: Option<String> = match scan.creditor.as_deref() {
            None => sqlx::query_scalar(
                "SELECT id FROM accounts WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?",
            )
            .bind(after)
            .bind(window - 1)
            .fetch_optional(&self.pool)
            .await,
            Some(c) => sqlx::query_scalar(
                "SELECT id FROM accounts WHERE creditor = ? AND id > ? ORDER BY id LIMIT 1 OFFSET ?",
            )
            .bind(c)
            .bind(after)
            .bind(window - 1)
            .fetch_optional(&self.pool)
            .await,
        }
        .map_err(db("scan_accounts"))?;

        let mut sql = format!("SELECT {ROW_COLUMNS} FROM accounts WHERE id > ?");
        let mut args = vec![Arg::Text(after.to_string())];
        let mut cond = |clause: &str, arg: Arg| {
            sql.push_str(" AND ");
            sql.push_str(clause);
            args.push(arg);
        };
        if let Some(b) = &bound {
            cond("id <= ?", Arg::Text(b.clone()));
        }
        if let Some(c) = &scan.creditor {
            cond("creditor = ?", Arg::Text(c.clone()));
        }
        if let Some(s) = scan.status {
            cond("status = ?", Arg::Text(s.as_str().to_string()));
        }
        if let Some(c) = &scan.country {
            cond("country = ? COLLATE NOCASE", Arg::Text(c.clone()));
        }
        if let Some(s) = &scan.segment {
            cond("segment = ? COLLATE NOCASE", Arg::Text(s.clone()));
        }
        if let Some(d) = scan.due_from {
            cond("due_date >= ?", Arg::Text(d.format("%Y-%m-%d").to_string()));
        }
        if let Some(d) = scan.due_to {
            cond("due_date <= ?", Arg::Text(d.format("%Y-%m-%d").to_string()));
        }
        if let Some(m) = scan.amount_due_min.and_then(|m| m.to_f64()) {
            // A REAL floor a hair below, so rounding never drops a match
            // (the list compares exactly).
            cond(
                "CAST(amount_due AS REAL) >= ?",
                Arg::Real(m - m.abs() * 1e-9 - 1e-9),
            );
        }
        if let Some(q) = &scan.q {
            cond("instr(search, ?) > 0", Arg::Text(q.clone()));
        }
        if let Some(c) = &scan.campaign {
            cond(
                "EXISTS (SELECT 1 FROM contacts WHERE contacts.account = accounts.id AND contacts.campaign = ?)",
                Arg::Text(c.clone()),
            );
        }
        sql.push_str(" ORDER BY id");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for arg in args {
            query = match arg {
                Arg::Text(t) => query.bind(t),
                Arg::Real(r) => query.bind(r),
            };
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(db("scan_accounts"))?;
        let rows = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
        Ok(ScannedAccounts { rows, next: bound })
    }
}
