//! The expedientes scan on SQLite: every filter but the balance in one
//! statement over the accounts' list columns, within a window of ids, so
//! SQLite walks one `(column, id)` index over a bounded id range and only
//! matching rows come back.

use std::str::FromStr;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::rows::{collect, get};
use super::{SqliteStore, db};
use crate::store::{
    AccountRow, AccountScan, AccountStatus, ScannedAccounts, StoreError, StoreResult,
};

/// The columns `decode` reads, in a statement's select list.
pub(super) const ROW_COLUMNS: &str =
    "id, creditor, debtor_name, tax_id, amount_due, currency, due_date, country, segment, status";

/// An account row from `ROW_COLUMNS`, by index.
pub(super) fn decode(row: &Row<'_>) -> StoreResult<AccountRow> {
    let op = "scan_accounts";
    let id: String = get(row, 0, op)?;
    let corrupt =
        |what: &str, value: &str| StoreError::Corrupt(format!("account {id}: {what} '{value}'"));
    let amount: String = get(row, 4, op)?;
    let due: String = get(row, 6, op)?;
    let status: String = get(row, 9, op)?;
    Ok(AccountRow {
        creditor: get(row, 1, op)?,
        debtor_name: get(row, 2, op)?,
        tax_id: get(row, 3, op)?,
        amount_due: Decimal::from_str(&amount).map_err(|_| corrupt("amount_due", &amount))?,
        currency: get(row, 5, op)?,
        due_date: NaiveDate::parse_from_str(&due, "%Y-%m-%d")
            .map_err(|_| corrupt("due_date", &due))?,
        country: get(row, 7, op)?,
        segment: get(row, 8, op)?,
        status: AccountStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        id,
    })
}

impl SqliteStore {
    pub(super) async fn scan(&self, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
        let scan = scan.clone();
        self.db
            .run("scan_accounts", move |conn| scan_in(conn, &scan))
            .await
    }
}

fn scan_in(conn: &Connection, scan: &AccountScan) -> StoreResult<ScannedAccounts> {
    let op = "scan_accounts";
    let window = i64::try_from(scan.window.max(1)).unwrap_or(i64::MAX);
    let after = scan.after.as_deref().unwrap_or("");
    // The window's last id: the creditor's own ids when one is given
    // (its index walks them), otherwise all ids.
    let bound: Option<String> = match scan.creditor.as_deref() {
        None => conn
            .prepare_cached("SELECT id FROM accounts WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?")
            .and_then(|mut s| {
                s.query_row(params![after, window - 1], |row| row.get(0))
                    .optional()
            }),
        Some(c) => conn
            .prepare_cached(
                "SELECT id FROM accounts WHERE creditor = ? AND id > ? ORDER BY id LIMIT 1 OFFSET ?",
            )
            .and_then(|mut s| {
                s.query_row(params![c, after, window - 1], |row| row.get(0))
                    .optional()
            }),
    }
    .map_err(db(op))?;

    let mut sql = format!("SELECT {ROW_COLUMNS} FROM accounts WHERE id > ?");
    let mut args = vec![Value::Text(after.to_string())];
    let mut cond = |clause: &str, arg: Value| {
        sql.push_str(" AND ");
        sql.push_str(clause);
        args.push(arg);
    };
    if let Some(b) = &bound {
        cond("id <= ?", Value::Text(b.clone()));
    }
    if let Some(c) = &scan.creditor {
        cond("creditor = ?", Value::Text(c.clone()));
    }
    if let Some(s) = scan.status {
        cond("status = ?", Value::Text(s.as_str().to_string()));
    }
    if let Some(c) = &scan.country {
        cond("country = ? COLLATE NOCASE", Value::Text(c.clone()));
    }
    if let Some(s) = &scan.segment {
        cond("segment = ? COLLATE NOCASE", Value::Text(s.clone()));
    }
    if let Some(d) = scan.due_from {
        cond(
            "due_date >= ?",
            Value::Text(d.format("%Y-%m-%d").to_string()),
        );
    }
    if let Some(d) = scan.due_to {
        cond(
            "due_date <= ?",
            Value::Text(d.format("%Y-%m-%d").to_string()),
        );
    }
    if let Some(m) = scan.amount_due_min.and_then(|m| m.to_f64()) {
        // A REAL floor a hair below, so rounding never drops a match
        // (the list compares exactly).
        cond(
            "CAST(amount_due AS REAL) >= ?",
            Value::Real(m - m.abs() * 1e-9 - 1e-9),
        );
    }
    if let Some(q) = &scan.q {
        cond("instr(search, ?) > 0", Value::Text(q.clone()));
    }
    if let Some(c) = &scan.campaign {
        cond(
            "EXISTS (SELECT 1 FROM contacts WHERE contacts.account = accounts.id AND contacts.campaign = ?)",
            Value::Text(c.clone()),
        );
    }
    sql.push_str(" ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
    let rows = collect(&mut stmt, params_from_iter(args), op, decode)?;
    Ok(ScannedAccounts { rows, next: bound })
}
