//! Reconciliation (`ReconcileStore`): one guarded `UPDATE` and the ledger
//! rows, in one transaction; the guard is `StateMove::Reconcile`'s list.

use super::guards::states_in;
use super::rows::insert_ledger;
use super::{SqliteStore, db};
use crate::store::{ContactState, LedgerEntry, ReconcileStore, StateMove, StoreError, StoreResult};

impl ReconcileStore for SqliteStore {
    async fn reconcile(
        &self,
        id: &str,
        to: ContactState,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        if !StateMove::Reconcile.to_states().contains(&to) {
            return Err(StoreError::Query(format!(
                "cannot reconcile contact {id} into {to}"
            )));
        }
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE contacts SET state = ? WHERE id = ? AND state IN ({})",
            states_in(StateMove::Reconcile)
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db("reconcile"))?;
        let moved = done.rows_affected() > 0;
        if moved {
            insert_ledger(&mut tx, ledger).await?;
        }
        tx.commit().await.map_err(db("reconcile"))?;
        Ok(moved)
    }
}
