//! The contact plan: adding, claiming and moving contacts. Every move goes
//! through `Plan::apply`, whose guard is `StateMove::applies_to`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use chrono::{DateTime, Utc};
use cobro_campaigns::{ChannelKind, PlannedContact};

use super::state::{Contact, Id, State};
use super::{MemoryStore, from_ms, ms};
use crate::store::{
    AccountStatus, ContactRecord, ContactState, LedgerCode, LedgerEntry, LedgerState, PlanStore,
    StateMove, StoreError, StoreResult, Transition, TransitionItem,
};

impl State {
    pub(super) fn add_contacts(&mut self, contacts: &[PlannedContact]) -> u64 {
        let mut added = 0;
        for planned in contacts {
            if self.contacts.contains_key(planned.id.as_str()) {
                continue;
            }
            let ledger = &mut self.ledger;
            let c = Contact::new(planned, |s| ledger.intern(s));
            self.plan.add(&c);
            match self.by_account.get_mut(planned.account.as_str()) {
                Some(ids) => {
                    ids.insert(c.id.clone());
                }
                None => {
                    self.by_account
                        .insert(planned.account.clone(), BTreeSet::from([c.id.clone()]));
                }
            }
            self.contacts.insert(c.id.clone(), c);
            added += 1;
        }
        added
    }

    /// Moves the contacts `ids` (read off a due set, in due order) to
    /// `queued`, claimed at `now`.
    pub(super) fn claim(&mut self, ids: Vec<Id>, now: DateTime<Utc>) -> Vec<ContactRecord> {
        let claimed_at = ms(now);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(c) = self.contacts.get_mut(&id) else {
                continue;
            };
            if self
                .plan
                .apply(c, StateMove::Claim, ContactState::Queued, |c| {
                    c.claimed = Some(claimed_at)
                })
            {
                out.push(c.record());
            }
        }
        out
    }

    /// A finish into a state that is not terminal is a caller's error,
    /// refused before anything of the call is applied.
    fn check(to: &Transition, id: &str) -> StoreResult<()> {
        match to {
            Transition::Finish(state) if StateMove::finishing_into(*state).is_none() => {
                Err(StoreError::Query(format!(
                    "cannot finish contact {id} into non-terminal state {state}"
                )))
            }
            _ => Ok(()),
        }
    }

    fn transition(&mut self, id: &str, to: &Transition, ledger: &[LedgerEntry]) -> bool {
        let Some(c) = self.contacts.get_mut(id) else {
            return false;
        };
        let done = match to {
            Transition::Reschedule { due_at, attempt } => {
                let (due, attempt) = (ms(*due_at), *attempt);
                self.plan
                    .apply(c, StateMove::Reschedule, ContactState::Pending, |c| {
                        c.due = due;
                        c.attempt = attempt;
                        c.claimed = None;
                    })
            }
            Transition::Requeue { due_at } => {
                let due = ms(*due_at);
                self.plan
                    .apply(c, StateMove::Requeue, ContactState::Pending, |c| {
                        c.due = due;
                        c.claimed = None;
                    })
            }
            Transition::Finish(state) => match StateMove::finishing_into(*state) {
                Some(op) => self.plan.apply(c, op, *state, |_| {}),
                None => false,
            },
        };
        if done {
            self.ledger.extend(ledger);
        }
        done
    }

    pub(super) fn transitions(&mut self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        for item in items {
            State::check(&item.to, &item.id)?;
        }
        Ok(items
            .iter()
            .map(|item| self.transition(&item.id, &item.to, &item.ledger))
            .collect())
    }

    fn cancel_account(
        &mut self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Vec<String> {
        // A channel opt-out and an active account cancel every campaign's
        // contacts; a stopped account those of the campaigns that stop on
        // its status.
        let status = self.status(account);
        let candidates: Vec<Id> = self
            .by_account
            .get(account)
            .map(|ids| {
                ids.iter()
                    .filter(|id| {
                        self.contacts.get(*id).is_some_and(|c| {
                            StateMove::Cancel.applies_to(c.state)
                                && channel.is_none_or(|ch| c.planned.channel == ch)
                                && (channel.is_some()
                                    || status == AccountStatus::Active
                                    || status.stops(self.stop_from(&c.planned.campaign)))
                        })
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::with_capacity(candidates.len());
        for id in candidates {
            if self.cancel(&id, code, detail, at) {
                out.push(id.to_string());
            }
        }
        out
    }

    fn recover_stale(
        &mut self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> (u64, u64) {
        let stale = |index: &BTreeSet<(i64, Id)>, before: i64| {
            index
                .iter()
                .take_while(|(at, _)| *at < before)
                .map(|(_, id)| id.clone())
                .collect::<Vec<_>>()
        };
        let queued = stale(&self.plan.queued, ms(queued_before));
        let mut requeued = 0;
        for id in queued {
            if let Some(c) = self.contacts.get_mut(&id)
                && self
                    .plan
                    .apply(c, StateMove::RecoverQueued, ContactState::Pending, |c| {
                        c.claimed = None
                    })
            {
                requeued += 1;
            }
        }
        let sending = stale(&self.plan.sending, ms(sending_before));
        let mut unknown = 0;
        for id in sending {
            let Some(c) = self.contacts.get_mut(&id) else {
                continue;
            };
            if c.planned.team.is_some()
                || !self
                    .plan
                    .apply(c, StateMove::RecoverSending, ContactState::Unknown, |_| {})
            {
                continue;
            }
            let reserved_at = from_ms(c.claimed.unwrap_or_default());
            let mut row =
                LedgerEntry::for_contact(&c.planned_contact(), LedgerState::Unknown, reserved_at);
            row.code = Some(LedgerCode::Interrupted.as_str().into());
            row.detail = Some("the worker stopped between handing the message over and recording the answer; not resent".into());
            row.attempt = c.attempt;
            self.ledger.push(&row);
            unknown += 1;
        }
        (requeued, unknown)
    }

    fn records(&self, ids: impl Iterator<Item = impl AsRef<str>>) -> Vec<ContactRecord> {
        ids.filter_map(|id| self.contacts.get(id.as_ref()).map(Contact::record))
            .collect()
    }
}

impl PlanStore for MemoryStore {
    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        Ok(self.state()?.add_contacts(contacts))
    }

    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        Ok(self.state()?.contacts.get(id).map(Contact::record))
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        let mut state = self.state()?;
        let now_ms = ms(now);
        let ids = state
            .plan
            .due_auto
            .iter()
            .take_while(|(due, _)| *due <= now_ms)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect();
        Ok(state.claim(ids, now))
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self
            .state()?
            .plan
            .due_auto
            .first()
            .map(|(due, _)| from_ms(*due)))
    }

    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        State::check(&to, id)?;
        Ok(self.state()?.transition(id, &to, ledger))
    }

    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        self.state()?.transitions(items)
    }

    async fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> StoreResult<Vec<bool>> {
        let mut state = self.state()?;
        state.add_contacts(plan);
        state.transitions(items)
    }

    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        Ok(self
            .state()?
            .cancel_account(account, channel, code, detail, at))
    }

    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        Ok(self.state()?.recover_stale(queued_before, sending_before))
    }

    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        let state = self.state()?;
        let mut out = BTreeMap::new();
        let entries = state
            .plan
            .campaigns
            .iter()
            .filter(|(name, _)| campaign.is_none_or(|c| c == name.as_str()));
        for (_, entry) in entries {
            for (s, n) in entry.counts() {
                if n > 0 {
                    *out.entry(s).or_insert(0) += n;
                }
            }
        }
        Ok(out)
    }

    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        Ok(self.state()?.plan.campaigns.keys().cloned().collect())
    }

    async fn account_contacts(&self, account: &str) -> StoreResult<Vec<ContactRecord>> {
        let state = self.state()?;
        Ok(match state.by_account.get(account) {
            Some(ids) => state.records(ids.iter()),
            None => Vec::new(),
        })
    }

    async fn unknown_contacts(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<ContactRecord>> {
        let state = self.state()?;
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        let ids = state
            .plan
            .unknown
            .range::<str, _>((lower, Bound::Unbounded))
            .take(limit);
        Ok(state.records(ids))
    }
}
