//! Reconciliation (`ReconcileStore`): one guarded `UPDATE` and the ledger
//! rows, in one transaction; the guard is `StateMove::Reconcile`'s list.

use rusqlite::params;

use super::guards::states_in;
use super::rows::insert_ledger;
use super::{SqliteStore, db};
use crate::store::traits::check_reconcile_target;
use crate::store::{ContactState, LedgerEntry, ReconcileStore, StateMove, StoreResult};

impl ReconcileStore for SqliteStore {
    async fn reconcile(
        &self,
        id: &str,
        to: ContactState,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        check_reconcile_target(id, to)?;
        let id = id.to_string();
        let ledger = ledger.to_vec();
        self.db
            .atomic("reconcile", move |tx| {
                let sql = format!(
                    "UPDATE contacts SET state = ? WHERE id = ? AND state IN ({})",
                    states_in(StateMove::Reconcile)
                );
                let moved = tx
                    .prepare_cached(&sql)
                    .and_then(|mut s| s.execute(params![to.as_str(), id]))
                    .map_err(db("reconcile"))?
                    > 0;
                if moved {
                    insert_ledger(tx, &ledger)?;
                }
                Ok(moved)
            })
            .await
    }
}
