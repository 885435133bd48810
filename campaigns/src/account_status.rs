//! Whether an account still wants contacts, and how account events stop a
//! campaign's contacts: the order of the events and the `stop_on` rule
//! both stores apply.

use serde::{Deserialize, Serialize};

use crate::strategy::StopEvent;

/// Whether the account still wants contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Paid,
    PromiseToPay,
    Disputed,
    OptedOut,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 5] = [
        AccountStatus::Active,
        AccountStatus::Paid,
        AccountStatus::PromiseToPay,
        AccountStatus::Disputed,
        AccountStatus::OptedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Paid => "paid",
            AccountStatus::PromiseToPay => "promise_to_pay",
            AccountStatus::Disputed => "disputed",
            AccountStatus::OptedOut => "opted_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        AccountStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
    }

    /// How far an account has gone from "keep contacting": a status only
    /// ever rises (a promise after a payment changes nothing), and a
    /// strategy that stops on one event stops on every stronger one.
    pub fn rank(self) -> u8 {
        match self {
            AccountStatus::Active => 0,
            AccountStatus::PromiseToPay => 1,
            AccountStatus::Disputed => 2,
            AccountStatus::Paid => 3,
            AccountStatus::OptedOut => 4,
        }
    }

    /// Whether a contact of a campaign whose strategy stops from
    /// `stop_from` (see [`AccountStatus::stop_from`]) must not go to an
    /// account in this status. An opt-out always stops: nobody who said
    /// STOP hears from us again, whatever the strategy lists.
    pub fn stops(self, stop_from: AccountStatus) -> bool {
        match self {
            AccountStatus::Active => false,
            AccountStatus::OptedOut => true,
            status => status.rank() >= stop_from.rank().max(1),
        }
    }

    /// The weakest account status a strategy's `stop_on` lists: its
    /// contacts stop from that status up. Listing nothing but `opt_out`
    /// (or nothing) stops only on opt-outs.
    pub fn stop_from(stop_on: &[StopEvent]) -> AccountStatus {
        stop_on
            .iter()
            .map(|event| AccountStatus::from(*event))
            .min_by_key(|status| status.rank())
            .unwrap_or(AccountStatus::OptedOut)
    }
}

/// The status an account event leaves the account in.
impl From<StopEvent> for AccountStatus {
    fn from(event: StopEvent) -> Self {
        match event {
            StopEvent::PromiseToPay => AccountStatus::PromiseToPay,
            StopEvent::Dispute => AccountStatus::Disputed,
            StopEvent::Paid => AccountStatus::Paid,
            StopEvent::OptOut => AccountStatus::OptedOut,
        }
    }
}

#[cfg(test)]
mod stop_tests {
    use super::*;

    #[test]
    fn a_strategy_stops_from_the_weakest_event_it_lists_and_always_on_opt_out() {
        use AccountStatus::*;
        let from = AccountStatus::stop_from(&[StopEvent::Paid, StopEvent::OptOut]);
        assert_eq!(from, Paid);
        assert!(!PromiseToPay.stops(from), "a promise does not stop it");
        assert!(!Disputed.stops(from));
        assert!(Paid.stops(from));
        assert!(OptedOut.stops(from));
        assert!(!Active.stops(from));
        // Listing only opt_out (or nothing): only an opt-out stops.
        for from in [
            AccountStatus::stop_from(&[StopEvent::OptOut]),
            AccountStatus::stop_from(&[]),
        ] {
            assert_eq!(from, OptedOut);
            assert!(!Paid.stops(from) && OptedOut.stops(from));
        }
        // The weakest listed event wins; stronger ones stop too.
        let from = AccountStatus::stop_from(&[StopEvent::Paid, StopEvent::PromiseToPay]);
        assert_eq!(from, PromiseToPay);
        assert!(PromiseToPay.stops(from) && Disputed.stops(from) && Paid.stops(from));
        // A threshold of Active (never stored by cobro) still needs an event.
        assert!(!Active.stops(Active) && PromiseToPay.stops(Active));
    }
}
