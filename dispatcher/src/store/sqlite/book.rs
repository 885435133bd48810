//! Account books: one JSON document per account, compare-and-set on its
//! version.

use std::collections::HashMap;

use cobro_campaigns::book::AccountBook;
use rusqlite::{OptionalExtension, params, params_from_iter};

use super::rows::{collect, get};
use super::{SqliteStore, db};
use crate::store::{BookStore, StoreError, StoreResult};

fn decode(data: &str) -> StoreResult<AccountBook> {
    serde_json::from_str(data).map_err(|e| StoreError::json("book", e))
}

impl BookStore for SqliteStore {
    async fn book(&self, account: &str) -> StoreResult<(AccountBook, u64)> {
        let account = account.to_string();
        self.db
            .run("book", move |conn| {
                let row: Option<(i64, String)> = conn
                    .prepare_cached("SELECT version, data FROM books WHERE account = ?")
                    .and_then(|mut s| {
                        s.query_row([account], |row| Ok((row.get(0)?, row.get(1)?)))
                            .optional()
                    })
                    .map_err(db("book"))?;
                match row {
                    None => Ok((AccountBook::default(), 0)),
                    Some((version, data)) => {
                        Ok((decode(&data)?, u64::try_from(version).unwrap_or(0)))
                    }
                }
            })
            .await
    }

    async fn books(&self, accounts: &[String]) -> StoreResult<Vec<AccountBook>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let accounts = accounts.to_vec();
        self.db
            .run("books", move |conn| {
                let op = "books";
                let mut found = HashMap::new();
                // SQLite caps bound parameters; 500 ids a query stays well under.
                for chunk in accounts.chunks(500) {
                    let marks = vec!["?"; chunk.len()].join(",");
                    let sql = format!("SELECT account, data FROM books WHERE account IN ({marks})");
                    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
                    let rows = collect(&mut stmt, params_from_iter(chunk), op, |row| {
                        Ok((get::<String>(row, 0, op)?, get::<String>(row, 1, op)?))
                    })?;
                    for (account, data) in rows {
                        found.insert(account, decode(&data)?);
                    }
                }
                Ok(accounts
                    .iter()
                    .map(|id| found.get(id).cloned().unwrap_or_default())
                    .collect())
            })
            .await
    }

    async fn put_book(&self, account: &str, book: &AccountBook, version: u64) -> StoreResult<bool> {
        let data = serde_json::to_string(book).map_err(|e| StoreError::json("book", e))?;
        let account = account.to_string();
        let version = i64::try_from(version).unwrap_or(i64::MAX);
        self.db
            .run("put_book", move |conn| {
                let done = if version == 0 {
                    conn.prepare_cached(
                        "INSERT OR IGNORE INTO books (account, version, data) VALUES (?, 1, ?)",
                    )
                    .and_then(|mut s| s.execute(params![account, data]))
                } else {
                    conn.prepare_cached(
                        "UPDATE books SET version = version + 1, data = ? WHERE account = ? AND version = ?",
                    )
                    .and_then(|mut s| s.execute(params![data, account, version]))
                }
                .map_err(db("put_book"))?;
                Ok(done == 1)
            })
            .await
    }

    async fn book_accounts(&self) -> StoreResult<Vec<String>> {
        self.db
            .run("book_accounts", |conn| {
                let op = "book_accounts";
                let mut stmt = conn
                    .prepare_cached("SELECT account FROM books ORDER BY account")
                    .map_err(db(op))?;
                collect(&mut stmt, [], op, |row| get(row, 0, op))
            })
            .await
    }
}
