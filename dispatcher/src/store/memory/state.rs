//! What the in-memory store holds, and the one function that moves a
//! contact from state to state keeping every index and counter in step.
//!
//! The plan's indexes, each an ordered set so the next entry is a
//! `first()` away:
//! - `due_auto`: pending contacts without a team, by (due ms, id): what
//!   `claim_due` takes and `next_due` reads;
//! - `due_work[team]`: a team's pending agent contacts, the same way;
//! - `parked[campaign]`: a paused campaign's pending contacts (out of the
//!   two above until it resumes, so a claim never walks past them);
//! - `queued` / `sending`: by claim / reservation time (ms), what
//!   `recover_stale` compares (`sending` holds contacts without a team
//!   only: a collector's task is governed by its lease);
//! - `unknown`: the review queue, by id.
//!
//! Per campaign: its contact ids (sorted), the accounts it has contacts
//! for (the expedientes' campaign filter) and a counter per state.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cobro_campaigns::book::AccountBook;
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use foldhash::HashMap;

use super::ledger::Ledger;
use super::suppression::Suppressions;
use super::{from_ms, ms, to_ms};
use crate::store::{
    AccountStatus, ContactRecord, ContactState, HistoryEntry, LedgerEntry, LedgerState, StateMove,
    TaskLease,
};
use crate::users::{Session, User};

/// A contact id, shared by the contact and every index that names it.
pub(super) type Id = Arc<str>;

/// An index entry: (due or claim time in ms, contact id).
type Timed = (i64, Id);

/// What was planned for a contact, compact: the strings it shares with
/// every other contact of its campaign, step or account are one
/// allocation each (interned by the ledger, whose rows name them too),
/// where a `PlannedContact` copy held six `String`s per contact, a tenth
/// of a 100,000-account simulation's memory. Rebuilt as a
/// `PlannedContact` when read.
pub(super) struct Planned {
    pub campaign: Arc<str>,
    pub account: Arc<str>,
    pub step: Arc<str>,
    pub template: Arc<str>,
    pub team: Option<Arc<str>>,
    pub channel: ChannelKind,
    pub fallback: Option<ChannelKind>,
    /// As planned (ms), which `due` may have moved from.
    pub due_at: i64,
}

/// One planned contact and where it stands.
pub(super) struct Contact {
    pub id: Id,
    pub planned: Planned,
    pub state: ContactState,
    /// Current due time (ms).
    pub due: i64,
    pub attempt: u32,
    /// When it was claimed (queued) or reserved (sending), in ms.
    pub claimed: Option<i64>,
}

impl Contact {
    /// `intern` shares a string with every other use of it.
    pub fn new(planned: &PlannedContact, mut intern: impl FnMut(&str) -> Arc<str>) -> Contact {
        let due_at = ms(to_ms(planned.due_at));
        Contact {
            id: intern(&planned.id),
            planned: Planned {
                campaign: intern(&planned.campaign),
                account: intern(&planned.account),
                step: intern(&planned.step),
                template: intern(&planned.template),
                team: planned.team.as_deref().map(&mut intern),
                channel: planned.channel,
                fallback: planned.fallback,
                due_at,
            },
            due: due_at,
            state: ContactState::Pending,
            attempt: 0,
            claimed: None,
        }
    }

    /// The contact as planned.
    pub fn planned_contact(&self) -> PlannedContact {
        let p = &self.planned;
        PlannedContact {
            id: self.id.to_string(),
            campaign: p.campaign.to_string(),
            account: p.account.to_string(),
            step: p.step.to_string(),
            channel: p.channel,
            template: p.template.to_string(),
            fallback: p.fallback,
            due_at: from_ms(p.due_at),
            team: p.team.as_deref().map(str::to_string),
        }
    }

    pub fn record(&self) -> ContactRecord {
        ContactRecord {
            contact: self.planned_contact(),
            state: self.state,
            due_at: from_ms(self.due),
            attempt: self.attempt,
        }
    }

    fn due_key(&self) -> Timed {
        (self.due, self.id.clone())
    }

    fn claim_key(&self) -> Timed {
        (self.claimed.unwrap_or(i64::MIN), self.id.clone())
    }
}

/// An account, its status and what search looks in (folded once, when
/// stored).
pub(super) struct AccountEntry {
    pub account: Account,
    pub status: AccountStatus,
    pub search: String,
}

/// What the store knows of one campaign's plan.
#[derive(Default)]
pub(super) struct CampaignEntry {
    pub contacts: BTreeSet<Id>,
    pub accounts: BTreeSet<String>,
    counts: [u64; ContactState::ALL.len()],
}

impl CampaignEntry {
    pub fn counts(&self) -> impl Iterator<Item = (ContactState, u64)> + '_ {
        ContactState::ALL
            .into_iter()
            .zip(self.counts.iter().copied())
    }
}

fn slot(state: ContactState) -> usize {
    ContactState::ALL
        .iter()
        .position(|s| *s == state)
        .unwrap_or(0)
}

/// The plan's indexes (see the module docs).
#[derive(Default)]
pub(super) struct Plan {
    pub due_auto: BTreeSet<Timed>,
    pub due_work: HashMap<String, BTreeSet<Timed>>,
    pub parked: HashMap<String, BTreeSet<Timed>>,
    pub queued: BTreeSet<Timed>,
    pub sending: BTreeSet<Timed>,
    pub unknown: BTreeSet<Id>,
    pub paused: BTreeSet<String>,
    pub campaigns: BTreeMap<String, CampaignEntry>,
}

impl Plan {
    /// The due set a pending contact belongs in now.
    fn due_set(&mut self, c: &Contact) -> &mut BTreeSet<Timed> {
        let campaign = &*c.planned.campaign;
        if self.paused.contains(campaign) {
            return self.parked.entry(campaign.to_string()).or_default();
        }
        match c.planned.team.as_deref() {
            None => &mut self.due_auto,
            Some(team) => self.due_work.entry(team.to_string()).or_default(),
        }
    }

    /// Puts `c` in the index of its state.
    fn index(&mut self, c: &Contact) {
        match c.state {
            ContactState::Pending => {
                self.due_set(c).insert(c.due_key());
            }
            ContactState::Queued => {
                self.queued.insert(c.claim_key());
            }
            ContactState::Sending if c.planned.team.is_none() => {
                self.sending.insert(c.claim_key());
            }
            ContactState::Unknown => {
                self.unknown.insert(c.id.clone());
            }
            _ => {}
        }
    }

    /// Takes `c` out of the index of its state.
    fn unindex(&mut self, c: &Contact) {
        match c.state {
            ContactState::Pending => {
                self.due_set(c).remove(&c.due_key());
            }
            ContactState::Queued => {
                self.queued.remove(&c.claim_key());
            }
            ContactState::Sending if c.planned.team.is_none() => {
                self.sending.remove(&c.claim_key());
            }
            ContactState::Unknown => {
                self.unknown.remove(&c.id);
            }
            _ => {}
        }
    }

    /// Counts and indexes a contact just added (pending).
    pub fn add(&mut self, c: &Contact) {
        let entry = match self.campaigns.get_mut(&*c.planned.campaign) {
            Some(entry) => entry,
            None => self
                .campaigns
                .entry(c.planned.campaign.to_string())
                .or_default(),
        };
        entry.contacts.insert(c.id.clone());
        if !entry.accounts.contains(&*c.planned.account) {
            entry.accounts.insert(c.planned.account.to_string());
        }
        entry.counts[slot(c.state)] += 1;
        self.index(c);
    }

    /// Moves `c` into `to` through `op` when `op` moves from its state
    /// (`StateMove::from_states`) into `to`; `change` sets what the move
    /// changes besides the state (due time, attempt, claim time). Returns
    /// false, changing nothing, otherwise.
    pub fn apply(
        &mut self,
        c: &mut Contact,
        op: StateMove,
        to: ContactState,
        change: impl FnOnce(&mut Contact),
    ) -> bool {
        if !op.applies_to(c.state) || !op.to_states().contains(&to) {
            return false;
        }
        debug_assert!(c.state.can_move_to(to), "{} -> {to}", c.state);
        self.unindex(c);
        if let Some(entry) = self.campaigns.get_mut(&*c.planned.campaign) {
            entry.counts[slot(c.state)] = entry.counts[slot(c.state)].saturating_sub(1);
            entry.counts[slot(to)] += 1;
        }
        c.state = to;
        change(c);
        self.index(c);
        true
    }

    /// Pauses or resumes `campaign`, moving its pending contacts between
    /// the due sets and `parked`; whether the setting changed.
    pub fn set_paused(
        &mut self,
        contacts: &HashMap<Id, Contact>,
        campaign: &str,
        paused: bool,
    ) -> bool {
        if paused == self.paused.contains(campaign) {
            return false;
        }
        let pending: Vec<&Contact> = self
            .campaigns
            .get(campaign)
            .map(|entry| {
                entry
                    .contacts
                    .iter()
                    .filter_map(|id| contacts.get(id))
                    .filter(|c| c.state == ContactState::Pending)
                    .collect()
            })
            .unwrap_or_default();
        for c in &pending {
            self.unindex(c);
        }
        if paused {
            self.paused.insert(campaign.to_string());
        } else {
            self.paused.remove(campaign);
            self.parked.remove(campaign);
        }
        for c in &pending {
            self.index(c);
        }
        true
    }
}

/// Everything the store holds.
#[derive(Default)]
pub(super) struct State {
    pub accounts: BTreeMap<String, AccountEntry>,
    /// Creditor → its account ids (the expedientes walk them).
    pub by_creditor: HashMap<String, BTreeSet<String>>,
    /// Address → ids of the accounts that listed it (never pruned, like
    /// the other stores' address index).
    pub by_address: HashMap<String, BTreeSet<String>>,
    pub contacts: HashMap<Id, Contact>,
    /// Account → its contact ids, every campaign.
    pub by_account: HashMap<String, BTreeSet<Id>>,
    pub plan: Plan,
    pub stop_from: HashMap<String, AccountStatus>,
    /// Debtor → history (sorted by instant, ties in insertion order) and
    /// its version.
    pub history: HashMap<String, (Vec<HistoryEntry>, u64)>,
    pub ledger: Ledger,
    pub suppressions: Suppressions,
    pub books: BTreeMap<String, (AccountBook, u64)>,
    pub users: BTreeMap<String, User>,
    pub tokens: HashMap<String, String>,
    pub sessions: HashMap<String, Session>,
    pub leases: BTreeMap<String, TaskLease>,
}

impl State {
    /// The account's status (an unknown account is active).
    pub fn status(&self, account: &str) -> AccountStatus {
        self.accounts
            .get(account)
            .map_or(AccountStatus::Active, |a| a.status)
    }

    /// The status from which `campaign`'s contacts stop; a campaign never
    /// given one stops on every account event.
    pub fn stop_from(&self, campaign: &str) -> AccountStatus {
        self.stop_from
            .get(campaign)
            .copied()
            .unwrap_or(AccountStatus::PromiseToPay)
    }

    /// Appends an entry to a debtor's history (kept sorted by instant,
    /// ties in insertion order) and bumps its version.
    pub fn push_history(&mut self, debtor_key: &str, entry: HistoryEntry) {
        let (entries, version) = self.history.entry(debtor_key.to_string()).or_default();
        let at = entry.at;
        let position = entries.partition_point(|e| e.at <= at);
        entries.insert(position, entry);
        *version += 1;
    }

    /// Cancels the contact `id` when `StateMove::Cancel` moves from its
    /// state, appending its `cancelled` row; whether it did.
    pub fn cancel(&mut self, id: &str, code: &str, detail: &str, at: DateTime<Utc>) -> bool {
        let Some(c) = self.contacts.get_mut(id) else {
            return false;
        };
        if !self
            .plan
            .apply(c, StateMove::Cancel, ContactState::Cancelled, |_| {})
        {
            return false;
        }
        let mut row = LedgerEntry::for_contact(&c.planned_contact(), LedgerState::Cancelled, at);
        row.code = Some(code.to_string());
        row.detail = Some(detail.to_string());
        row.attempt = c.attempt;
        self.ledger.push(&row);
        true
    }
}
