//! Reconciliation (`ReconcileStore`): one script (`scripts/reconcile.lua`)
//! whose guard is the generated `FROM.reconcile` table.

use super::RedisStore;
use super::codec::ledger_args;
use super::scripts::scripts;
use crate::store::traits::check_reconcile_target;
use crate::store::{ContactState, LedgerEntry, ReconcileStore, StoreResult};

impl ReconcileStore for RedisStore {
    async fn reconcile(
        &self,
        id: &str,
        to: ContactState,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        check_reconcile_target(id, to)?;
        let mut inv = scripts().reconcile.prepare_invoke();
        inv.arg(&self.prefix).arg(id).arg(to.as_str());
        ledger_args(&mut inv, ledger)?;
        let moved: i64 = self.invoke(&inv).await?;
        Ok(moved == 1)
    }
}
