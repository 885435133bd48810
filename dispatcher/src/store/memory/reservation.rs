//! The reads before a send and the reservation: the idempotency key and
//! the cap slot in one step under the store's lock.

use super::state::State;
use super::{MemoryStore, ms, to_ms};
use crate::store::{
    CheckQuery, ContactChecks, ContactState, HistoryEntry, Reservation, ReservationRelease,
    ReservationStore, ReserveOutcome, StateMove, StoreResult,
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

    /// One release (see `Store::release`).
    fn release(&mut self, release: &ReservationRelease) -> bool {
        let r = &release.reservation;
        let reserved_at = ms(r.at);
        let Some(c) = self.contacts.get_mut(r.contact_id.as_str()) else {
            return false;
        };
        if c.claimed != Some(reserved_at)
            || !self
                .plan
                .apply(c, StateMove::Release, ContactState::Pending, |c| {
                    c.due = reserved_at;
                    c.claimed = None;
                })
        {
            return false;
        }
        let added = HistoryEntry {
            at: to_ms(r.at),
            channel: r.channel,
            account: r.account.clone(),
            conversation: false,
        };
        if let Some((entries, version)) = self.history.get_mut(&r.debtor_key)
            && let Some(position) = entries.iter().position(|e| *e == added)
        {
            entries.remove(position);
            *version += 1;
        }
        self.ledger.push(&release.ledger);
        true
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

    async fn release(&self, releases: &[ReservationRelease]) -> StoreResult<Vec<bool>> {
        let mut state = self.state()?;
        Ok(releases.iter().map(|r| state.release(r)).collect())
    }
}
