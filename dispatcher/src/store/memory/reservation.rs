//! The reads before a send and the reservation: the idempotency key and
//! the cap slot in one step under the store's lock.

use super::state::State;
use super::{MemoryStore, ms, to_ms};
use crate::store::{
    CheckQuery, ContactChecks, ContactState, HistoryEntry, Reservation, ReservationStore,
    ReserveOutcome, StateMove, StoreResult,
};

impl State {
    /// One reservation: reads first, writes only when every check passed.
    fn reserve(&mut self, r: &Reservation) -> ReserveOutcome {
        let Some(c) = self.contacts.get(r.contact_id.as_str()) else {
            return ReserveOutcome::NotQueued;
        };
        if !StateMove::Reserve.applies_to(c.state) {
            return ReserveOutcome::NotQueued;
        }
        let status = self.status(&r.account);
        if status.stops(self.stop_from(&c.planned.campaign)) {
            return ReserveOutcome::AccountStopped(status);
        }
        let version = self.history.get(&r.debtor_key).map_or(0, |(_, v)| *v);
        if version != r.history_version {
            return ReserveOutcome::HistoryChanged;
        }
        let reserved_at = ms(r.at);
        let moved = match self.contacts.get_mut(r.contact_id.as_str()) {
            Some(c) => self
                .plan
                .apply(c, StateMove::Reserve, ContactState::Sending, |c| {
                    c.claimed = Some(reserved_at)
                }),
            None => false,
        };
        if !moved {
            return ReserveOutcome::NotQueued;
        }
        self.push_history(
            &r.debtor_key,
            HistoryEntry {
                at: to_ms(r.at),
                channel: r.channel,
                account: r.account.clone(),
                conversation: false,
            },
        );
        ReserveOutcome::Reserved
    }
}

impl ReservationStore for MemoryStore {
    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        let state = self.state()?;
        Ok(queries
            .iter()
            .map(|q| {
                let (history, version) = state
                    .history
                    .get(&q.debtor_key)
                    .map(|(h, v)| (h.clone(), *v))
                    .unwrap_or_default();
                ContactChecks {
                    suppressed: state.suppressions.matches(q.channel, &q.address),
                    history,
                    version,
                }
            })
            .collect())
    }

    async fn reserve(&self, reservation: &Reservation) -> StoreResult<ReserveOutcome> {
        Ok(self.state()?.reserve(reservation))
    }

    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        let mut state = self.state()?;
        Ok(reservations.iter().map(|r| state.reserve(r)).collect())
    }
}
