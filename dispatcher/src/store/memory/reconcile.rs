//! Reconciliation (`ReconcileStore`): a lost outcome learned later, moved
//! through `Plan::apply` like every other move.

use super::MemoryStore;
use crate::store::traits::check_reconcile_target;
use crate::store::{ContactState, LedgerEntry, ReconcileStore, StateMove, StoreResult};

impl ReconcileStore for MemoryStore {
    async fn reconcile(
        &self,
        id: &str,
        to: ContactState,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        check_reconcile_target(id, to)?;
        let mut state = self.state()?;
        let state = &mut *state;
        let Some(c) = state.contacts.get_mut(id) else {
            return Ok(false);
        };
        let done = state.plan.apply(c, StateMove::Reconcile, to, |_| {});
        if done {
            state.ledger.extend(ledger);
        }
        Ok(done)
    }
}
