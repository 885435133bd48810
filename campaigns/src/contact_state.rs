//! The one definition of a planned contact's life: its states, which moves
//! between them exist, and which states end it. Both stores take their
//! guards from here (the SQL `WHERE state IN (…)` lists and the Lua tables
//! are generated from [`StateMove::from_states`]), and the store
//! conformance suite tries every pair of states on each backend against
//! [`ContactState::can_move_to`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a planned contact is in its life (see ARCHITECTURE.md). Every
/// contact ends in exactly one terminal state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    /// Planned, waiting for its due time.
    Pending,
    /// Claimed by a feeder and handed to a worker.
    Queued,
    /// Reserved and handed to the provider; the answer is not recorded yet.
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Blocked,
    Cancelled,
    Failed,
    /// The process died between handing the message over and recording the
    /// answer: never resent automatically, listed for review.
    Unknown,
}

use ContactState::*;

impl ContactState {
    pub const ALL: [ContactState; 10] = [
        Pending,
        Queued,
        Sending,
        Sent,
        Delivered,
        Undelivered,
        Blocked,
        Cancelled,
        Failed,
        Unknown,
    ];

    /// The states a contact ends in. `sent` and `unknown` are terminal for
    /// the plan (nothing sends again) even though a delivery receipt may
    /// still refine them into `delivered` / `undelivered`.
    pub const TERMINAL: [ContactState; 7] = [
        Sent,
        Delivered,
        Undelivered,
        Blocked,
        Cancelled,
        Failed,
        Unknown,
    ];

    /// Every allowed move, by the state it leaves: the union of what the
    /// store operations in [`StateMove`] do (a unit test keeps the two
    /// equal).
    pub const TRANSITIONS: [(ContactState, &'static [ContactState]); 10] = [
        (Pending, &[Queued, Cancelled]),
        (
            Queued,
            &[Pending, Sending, Sent, Blocked, Cancelled, Failed, Unknown],
        ),
        (
            Sending,
            &[
                Pending,
                Sent,
                Delivered,
                Undelivered,
                Blocked,
                Cancelled,
                Failed,
                Unknown,
            ],
        ),
        (Sent, &[Delivered, Undelivered]),
        (Delivered, &[]),
        (Undelivered, &[]),
        (Blocked, &[]),
        (Cancelled, &[]),
        (Failed, &[]),
        (Unknown, &[Pending, Sent, Delivered, Undelivered, Failed]),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Pending => "pending",
            Queued => "queued",
            Sending => "sending",
            Sent => "sent",
            Delivered => "delivered",
            Undelivered => "undelivered",
            Blocked => "blocked",
            Cancelled => "cancelled",
            Failed => "failed",
            Unknown => "unknown",
        }
    }

    pub fn is_terminal(self) -> bool {
        Self::TERMINAL.contains(&self)
    }

    /// Whether a contact in `self` may move to `to`.
    pub fn can_move_to(self, to: ContactState) -> bool {
        Self::TRANSITIONS
            .iter()
            .any(|(from, targets)| *from == self && targets.contains(&to))
    }
}

impl fmt::Display for ContactState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContactState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContactState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown contact state '{s}'"))
    }
}

/// The store operations that move a contact, each with the states it moves
/// from. A store applies an operation only to a contact in one of
/// [`StateMove::from_states`]; anything else is refused without a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateMove {
    /// A feeder claims a due contact: to `queued`.
    Claim,
    /// The reservation before a send: to `sending`.
    Reserve,
    /// A deferral or a retry: back to `pending` at a new due time.
    Reschedule,
    /// The outcome of the attempt: to a terminal state other than a
    /// delivery receipt's.
    Finish,
    /// A delivery receipt: to `delivered` or `undelivered`, after the send
    /// was recorded (or its outcome was lost).
    Receipt,
    /// An account event, an opt-out or an operator: to `cancelled` while
    /// nothing has gone out.
    Cancel,
    /// Crash recovery of a claim nobody worked: back to `pending`.
    RecoverQueued,
    /// Crash recovery of a send whose outcome was never recorded: to
    /// `unknown`.
    RecoverSending,
    /// An operator's review of an `unknown` contact found that its message
    /// never went out: back to `pending`, so the feeder claims it again and
    /// the guard decides it afresh. Only an operator does this (a worker's
    /// late retry must never resend what may have been sent).
    Requeue,
    /// The provider (a delivery report naming the contact, a lookup) or
    /// the worker's own outcome journal says what became of a send whose
    /// outcome was lost: a `sending` or `unknown` contact becomes `sent`,
    /// `delivered`, `undelivered` or `failed`, with a ledger row saying it
    /// was reconciled. Never back to the plan: only an operator's review
    /// (`Requeue`) or a lookup that found no message does that.
    Reconcile,
    /// The worker's own outcome journal says the store took a reservation
    /// whose answer never reached the worker (the connection dropped
    /// mid-call): nothing was sent, so a contact reserved at exactly that
    /// instant — still `sending`, or `unknown` if lease recovery got there
    /// first — goes back to `pending` and its history row goes away.
    /// Matching the instant is what makes it safe: a contact another
    /// worker reserved since is left alone.
    Release,
}

impl StateMove {
    pub const ALL: [StateMove; 11] = [
        StateMove::Claim,
        StateMove::Reserve,
        StateMove::Reschedule,
        StateMove::Finish,
        StateMove::Receipt,
        StateMove::Cancel,
        StateMove::RecoverQueued,
        StateMove::RecoverSending,
        StateMove::Requeue,
        StateMove::Reconcile,
        StateMove::Release,
    ];

    /// The states this operation moves a contact from.
    pub const fn from_states(self) -> &'static [ContactState] {
        match self {
            StateMove::Claim => &[Pending],
            StateMove::Reserve => &[Queued],
            StateMove::Reschedule => &[Queued, Sending],
            StateMove::Finish => &[Queued, Sending],
            StateMove::Receipt => &[Sent, Sending, Unknown],
            StateMove::Cancel => &[Pending, Queued],
            StateMove::RecoverQueued => &[Queued],
            StateMove::RecoverSending => &[Sending],
            StateMove::Requeue => &[Unknown],
            StateMove::Reconcile => &[Sending, Unknown],
            StateMove::Release => &[Sending, Unknown],
        }
    }

    /// The states this operation moves a contact to.
    pub const fn to_states(self) -> &'static [ContactState] {
        match self {
            StateMove::Claim => &[Queued],
            StateMove::Reserve => &[Sending],
            StateMove::Reschedule
            | StateMove::RecoverQueued
            | StateMove::Requeue
            | StateMove::Release => &[Pending],
            StateMove::Finish => &[Sent, Blocked, Cancelled, Failed, Unknown],
            StateMove::Receipt => &[Delivered, Undelivered],
            StateMove::Cancel => &[Cancelled],
            StateMove::RecoverSending => &[Unknown],
            StateMove::Reconcile => &[Sent, Delivered, Undelivered, Failed],
        }
    }

    /// The operation that finishes a contact into terminal state `to`
    /// (`Receipt` for a delivery receipt, else `Finish`); `None` for a
    /// state that is not terminal.
    pub fn finishing_into(to: ContactState) -> Option<StateMove> {
        match to {
            Delivered | Undelivered => Some(StateMove::Receipt),
            to if to.is_terminal() => Some(StateMove::Finish),
            _ => None,
        }
    }

    /// Whether this operation may move a contact from `from`.
    pub fn applies_to(self, from: ContactState) -> bool {
        self.from_states().contains(&from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_union_of_the_store_operations() {
        for from in ContactState::ALL {
            for to in ContactState::ALL {
                let by_operation = StateMove::ALL
                    .iter()
                    .any(|m| m.applies_to(from) && m.to_states().contains(&to));
                assert_eq!(
                    by_operation,
                    from.can_move_to(to),
                    "{from} -> {to}: operations and table disagree"
                );
            }
        }
    }

    #[test]
    fn terminal_states_only_move_on_receipts_reconciliation_or_an_operators_requeue() {
        for from in ContactState::TERMINAL {
            for to in ContactState::ALL {
                if from.can_move_to(to) {
                    assert!(matches!(from, Sent | Unknown), "{from} -> {to}");
                    if to == Pending {
                        assert_eq!(from, Unknown, "only a reviewed unknown contact goes back");
                        continue;
                    }
                    if matches!(to, Sent | Failed) {
                        assert_eq!(from, Unknown, "only a lost outcome is reconciled");
                        assert!(StateMove::Reconcile.applies_to(from));
                        continue;
                    }
                    assert!(matches!(to, Delivered | Undelivered), "{from} -> {to}");
                }
            }
        }
        assert_eq!(StateMove::Requeue.from_states(), &[Unknown]);
        assert!(!Pending.is_terminal() && !Queued.is_terminal() && !Sending.is_terminal());
        assert_eq!(ContactState::TRANSITIONS.len(), ContactState::ALL.len());
    }

    #[test]
    fn names_round_trip() {
        for state in ContactState::ALL {
            assert_eq!(state.as_str().parse::<ContactState>(), Ok(state));
            let json = serde_json::to_string(&state).expect("serialise");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }
}
