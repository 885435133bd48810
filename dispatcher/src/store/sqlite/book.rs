//! Account books: one JSON document per account, compare-and-set on its
//! version.

use cobro_campaigns::book::AccountBook;
use sqlx::Row;

use super::{SqliteStore, db};
use crate::store::{BookStore, StoreError, StoreResult};

fn decode(data: &str) -> StoreResult<AccountBook> {
    serde_json::from_str(data).map_err(|e| StoreError::json("book", e))
}

impl BookStore for SqliteStore {
    async fn book(&self, account: &str) -> StoreResult<(AccountBook, u64)> {
        let row = sqlx::query("SELECT version, data FROM books WHERE account = ?")
            .bind(account)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("book"))?;
        match row {
            None => Ok((AccountBook::default(), 0)),
            Some(row) => {
                let version: i64 = row.get(0);
                let data: String = row.get(1);
                Ok((decode(&data)?, u64::try_from(version).unwrap_or(0)))
            }
        }
    }

    async fn books(&self, accounts: &[String]) -> StoreResult<Vec<AccountBook>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = std::collections::HashMap::new();
        // SQLite caps bound parameters; 500 ids a query stays well under.
        for chunk in accounts.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT account, data FROM books WHERE account IN ({marks})");
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await.map_err(db("books"))? {
                let account: String = row.get(0);
                let data: String = row.get(1);
                found.insert(account, decode(&data)?);
            }
        }
        Ok(accounts
            .iter()
            .map(|id| found.get(id).cloned().unwrap_or_default())
            .collect())
    }

    async fn put_book(&self, account: &str, book: &AccountBook, version: u64) -> StoreResult<bool> {
        let data = serde_json::to_string(book).map_err(|e| StoreError::json("book", e))?;
        let version = i64::try_from(version).unwrap_or(i64::MAX);
        let done = if version == 0 {
            sqlx::query("INSERT OR IGNORE INTO books (account, version, data) VALUES (?, 1, ?)")
                .bind(account)
                .bind(data)
                .execute(&self.pool)
                .await
        } else {
            sqlx::query(
                "UPDATE books SET version = version + 1, data = ? WHERE account = ? AND version = ?",
            )
            .bind(data)
            .bind(account)
            .bind(version)
            .execute(&self.pool)
            .await
        }
        .map_err(db("put_book"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn book_accounts(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT account FROM books ORDER BY account")
            .fetch_all(&self.pool)
            .await
            .map_err(db("book_accounts"))
    }
}
