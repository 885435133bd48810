//! The store's role traits. Each is declared once, through `role_trait!`,
//! which also implements it for [`AnyStore`] by matching on the backend: a
//! signature is written once, and adding a method to a role needs no
//! forwarding code anywhere else.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use cobro_campaigns::book::AccountBook;
use cobro_campaigns::{Account, ChannelKind, PlannedContact};

use super::any::AnyStore;
use super::{
    AccountScan, AccountStatus, CheckQuery, ContactChecks, ContactRecord, ContactState,
    HistoryEntry, LedgerEntry, LedgerFilter, Reservation, ReservationRelease, ReserveOutcome,
    ScannedAccounts, StoreResult, Suppression, TaskLease, Transition, TransitionItem,
};
use crate::users::{Session, User};

/// Declares a role trait whose methods are all `async` and answer a
/// `StoreResult`, and implements it for `AnyStore` by handing each call to
/// the backend the value holds.
macro_rules! role_trait {
    (
        $(#[$meta:meta])*
        pub trait $name:ident {
            $(
                $(#[$fmeta:meta])*
                fn $method:ident(&self $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty;
            )*
        }
    ) => {
        $(#[$meta])*
        pub trait $name: Send + Sync + 'static {
            $(
                $(#[$fmeta])*
                fn $method(&self $(, $arg: $ty)*) -> impl Future<Output = StoreResult<$ret>> + Send;
            )*
        }

        impl $name for AnyStore {
            $(
                async fn $method(&self $(, $arg: $ty)*) -> StoreResult<$ret> {
                    match self {
                        AnyStore::Sqlite(store) => store.$method($($arg),*).await,
                        AnyStore::Redis(store) => store.$method($($arg),*).await,
                        AnyStore::Memory(store) => store.$method($($arg),*).await,
                    }
                }
            )*
        }
    };
}

role_trait! {
    /// Accounts and their status (what the pipeline checks before sending).
    pub trait AccountStore {
        /// Inserts or replaces accounts by id.
        fn put_accounts(&self, accounts: &[Account]) -> ();
        fn account(&self, id: &str) -> Option<(Account, AccountStatus)>;
        /// `account` for each id, in order, in one round trip.
        fn accounts(&self, ids: &[String]) -> Vec<Option<(Account, AccountStatus)>>;
        fn account_count(&self) -> u64;
        /// Records that the account stops or pauses the campaign (paid,
        /// promise, dispute, opt-out); the pipeline checks it before sending.
        fn set_account_status(&self, id: &str, status: AccountStatus) -> bool;
        /// Ids of accounts that listed `address` among their contact points
        /// when they were stored: an inbound STOP names only the number. May
        /// include accounts whose address has since changed, so callers check
        /// the account itself before acting.
        fn accounts_by_address(&self, address: &str) -> Vec<String>;
        /// What the expedientes list pages through: the accounts after
        /// `scan.after` that may match its filters, in id order, examining
        /// at most `scan.window` (see `AccountScan` and `ScannedAccounts`
        /// for what is promised; the list checks every filter again).
        fn scan_accounts(&self, scan: &AccountScan) -> ScannedAccounts;
    }
}

role_trait! {
    /// The contact plan: planned contacts, the feeder's claims and every
    /// move of a contact after its send (the moves are those of
    /// `cobro_campaigns::StateMove`; a store refuses any other).
    pub trait PlanStore {
        /// Adds contacts not already planned (by id); returns how many were new.
        /// Re-launching a campaign therefore adds nothing twice.
        fn add_contacts(&self, contacts: &[PlannedContact]) -> u64;
        fn contact(&self, id: &str) -> Option<ContactRecord>;
        /// Atomically moves up to `limit` pending contacts due at or before
        /// `now` to `queued` and returns them, so that two feeders never hand
        /// out the same contact. Ordered by due time.
        fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> Vec<ContactRecord>;
        /// The earliest due time among pending contacts (what a virtual clock
        /// jumps to next).
        fn next_due(&self) -> Option<DateTime<Utc>>;
        /// Moves a claimed contact on (back to pending at a new time, or to a
        /// terminal state) and appends its ledger rows, in one transaction.
        /// Returns false when the contact was not in a state that allows it
        /// (already finished, cancelled meanwhile).
        fn transition(&self, id: &str, to: Transition, ledger: &[LedgerEntry]) -> bool;
        /// `transition` for each item, in order, in one round trip; each item is
        /// atomic on its own exactly as `transition` (the batch as a whole is
        /// not). Returns what `transition` would have returned for each.
        fn transitions(&self, items: &[TransitionItem]) -> Vec<bool>;
        /// `add_contacts(plan)`, then `transitions(items)`: a batch's fallbacks
        /// and its writes, in one round trip where the backend can (Redis: one
        /// script, the additions first). A failure of the first is returned
        /// without making the second.
        fn plan_and_transitions(&self, plan: &[PlannedContact], items: &[TransitionItem]) -> Vec<bool>;
        /// Cancels the not-yet-sent contacts of an account, appending a
        /// `cancelled` ledger row to each, and returns their ids. With a channel
        /// (an opt-out of that channel) or an active account: every campaign's
        /// contacts (of that channel). Without, on a stopped account: those of
        /// the campaigns whose `stop_from` its status reaches.
        fn cancel_account_contacts(
            &self,
            account: &str,
            channel: Option<ChannelKind>,
            code: &str,
            detail: &str,
            at: DateTime<Utc>,
        ) -> Vec<String>;
        /// Crash recovery: `queued` contacts claimed before `queued_before` go
        /// back to pending; `sending` contacts older than `sending_before` become
        /// `unknown` (never resent automatically). Returns (requeued, unknown).
        fn recover_stale(&self, queued_before: DateTime<Utc>, sending_before: DateTime<Utc>) -> (u64, u64);
        /// Counts per state, for one campaign or all.
        fn counts(&self, campaign: Option<&str>) -> BTreeMap<ContactState, u64>;
        fn campaigns(&self) -> Vec<String>;
        /// Every contact of an account, in every campaign, sorted by id (the
        /// account view: what is pending and when it is due).
        fn account_contacts(&self, account: &str) -> Vec<ContactRecord>;
        /// The review queue: contacts in state `unknown` (every campaign),
        /// sorted by id, the first `limit` whose id is greater than `after`.
        /// An operator resolves each (`Transition::Finish(Delivered)` or
        /// `Transition::Requeue`), which takes it off the queue.
        fn unknown_contacts(&self, after: Option<&str>, limit: usize) -> Vec<ContactRecord>;
    }
}

role_trait! {
    /// Reconciliation: what a provider (a delivery report naming the
    /// contact, a lookup) or a worker's outcome journal says became of a
    /// send whose outcome was lost. Its own role so that each backend keeps
    /// it in a file of its own (`reconcile.rs`).
    pub trait ReconcileStore {
        /// Moves a `sending` or `unknown` contact to `to` (`sent`,
        /// `delivered`, `undelivered` or `failed`: `StateMove::Reconcile`)
        /// and appends its ledger rows, atomically. False, writing nothing,
        /// when the contact is in another state (a report or a worker got
        /// there first); an error for any other target.
        fn reconcile(&self, id: &str, to: ContactState, ledger: &[LedgerEntry]) -> bool;
    }
}

/// The refusal every `ReconcileStore` gives before touching anything: a
/// target `StateMove::Reconcile` cannot reach is the caller's error.
pub(crate) fn check_reconcile_target(id: &str, to: ContactState) -> super::StoreResult<()> {
    if super::StateMove::Reconcile.to_states().contains(&to) {
        Ok(())
    } else {
        Err(super::StoreError::Query(format!(
            "cannot reconcile contact {id} into {to}"
        )))
    }
}

role_trait! {
    /// The account book (payments, promises, plans, disputes, the debtor's
    /// preferences): one document per account with a version, written by
    /// compare-and-set so two processes recording payments for one account
    /// never lose one.
    pub trait BookStore {
        /// The book and its version (an account without one: an empty book,
        /// version 0).
        fn book(&self, account: &str) -> (AccountBook, u64);
        /// `book` for each account, in order, in one round trip (without
        /// versions: what the pipeline reads before deciding).
        fn books(&self, accounts: &[String]) -> Vec<AccountBook>;
        /// Writes the book when its version is still `version` and bumps it;
        /// returns false (writing nothing) when another writer got there
        /// first: read again and re-apply.
        fn put_book(&self, account: &str, book: &AccountBook, version: u64) -> bool;
        /// Accounts that have a book, sorted (reports and the review list).
        fn book_accounts(&self) -> Vec<String>;
    }
}

role_trait! {
    /// The people who log in: users by email, the current API token of
    /// each (by its hash) and browser sessions (by the hash of their id).
    pub trait UserStore {
        /// Inserts or replaces the user (by email).
        fn put_user(&self, user: &User) -> ();
        fn user(&self, email: &str) -> Option<User>;
        /// Every user, sorted by email.
        fn users(&self) -> Vec<User>;
        /// Makes `token_hash` the user's API token (the user record's
        /// `token_hash` is what makes it current; an old hash left in the
        /// index maps to a user whose record no longer names it).
        fn put_token(&self, token_hash: &str, email: &str) -> ();
        /// The email a token hash was issued to.
        fn token_email(&self, token_hash: &str) -> Option<String>;
        fn put_session(&self, session: &Session) -> ();
        fn session(&self, id_hash: &str) -> Option<Session>;
        fn delete_session(&self, id_hash: &str) -> ();
    }
}

role_trait! {
    /// What a worker reads and reserves right before a send: the checks the
    /// guard decides on, and the reservation that is the idempotency key
    /// and the cap slot in one step.
    pub trait ReservationStore {
        /// `is_suppressed` and `history` for each query, in order, in one round
        /// trip. Like the single calls, not atomic with later writes (the
        /// reservation compares the history version).
        fn contact_checks(&self, queries: &[CheckQuery]) -> Vec<ContactChecks>;
        /// Atomically checks that the contact is still `queued`, its account is
        /// still active, and the debtor's history is unchanged since the guard
        /// read it (`history_version`); then marks it `sending` and appends the
        /// attempt to the debtor's history. This is the idempotency key and the
        /// cap reservation in one step, across all workers.
        fn reserve(&self, reservation: &Reservation) -> ReserveOutcome;
        /// `reserve` for each reservation, in order, in one round trip; each is
        /// checked and applied exactly as `reserve` would (so a second
        /// reservation for a debtor the batch already reserved sees the bumped
        /// version and answers `HistoryChanged`).
        fn reserve_many(&self, reservations: &[Reservation]) -> Vec<ReserveOutcome>;
        /// Undoes each reservation that the store took but whose answer the
        /// worker never got (`StateMove::Release`): a contact reserved at
        /// exactly `reservation.at`, still `sending` or already `unknown`
        /// (lease recovery came first), goes back to `pending`,
        /// due at that instant with its attempt count kept, the history
        /// row the reservation added is removed (the version bumped) and
        /// the release's ledger row appended; anything else is left as it
        /// is. Each is atomic on its own; returns which applied.
        fn release(&self, releases: &[ReservationRelease]) -> Vec<bool>;
    }
}

role_trait! {
    /// Contact history per debtor: what frequency caps and cooldowns count.
    pub trait HistoryStore {
        /// Past contacts of a debtor and the version the reservation compares.
        fn history(&self, debtor_key: &str) -> (Vec<HistoryEntry>, u64);
        /// A conversation (right-party contact) starts cooldowns.
        fn record_conversation(
            &self,
            debtor_key: &str,
            account: &str,
            channel: ChannelKind,
            at: DateTime<Utc>,
        ) -> ();
    }
}

role_trait! {
    /// The ledger (gestiones): append-only, what a regulator reads.
    pub trait LedgerStore {
        fn append_ledger(&self, entries: &[LedgerEntry]) -> ();
        fn ledger(&self, filter: &LedgerFilter) -> Vec<LedgerEntry>;
        /// One page of a campaign's ledger rows, in append order, so reports
        /// and dashboards count millions of rows without holding them. Pass
        /// cursor 0 first, then the cursor each page returns; `None` when no
        /// row follows the page.
        fn campaign_ledger_page(&self, campaign: &str, cursor: u64, limit: usize) -> (Vec<LedgerEntry>, Option<u64>);
    }
}

role_trait! {
    /// Suppression lists: addresses nobody may contact.
    pub trait SuppressionStore {
        fn suppress(&self, entry: &Suppression) -> ();
        /// Removes an exact entry; returns whether one existed.
        fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> bool;
        fn suppressions(&self) -> Vec<Suppression>;
        /// True when the address is on a list for this channel or for all
        /// channels, exactly or by prefix.
        fn is_suppressed(&self, channel: ChannelKind, address: &str) -> bool;
    }
}

role_trait! {
    /// A campaign's settings and an operator's actions on it.
    pub trait CampaignStore {
        /// Records the account status from which a campaign's contacts stop
        /// (`AccountStatus::stop_from` of its strategy), so every worker, event
        /// and reservation applies the campaign's `stop_on`. A campaign never
        /// given one stops on every account event.
        fn set_campaign_stop_from(&self, campaign: &str, stop_from: AccountStatus) -> ();
        /// Pauses (or resumes) a campaign: while paused, `claim_due` hands out
        /// none of its contacts and `next_due` ignores them; they keep their
        /// due times and state. Returns whether the setting changed.
        fn set_campaign_paused(&self, campaign: &str, paused: bool) -> bool;
        fn paused_campaigns(&self) -> Vec<String>;
        /// Cancels every not-yet-sent (pending or queued) contact of a
        /// campaign, appending a `cancelled` ledger row to each. Returns the
        /// ids cancelled.
        fn cancel_campaign_contacts(&self, campaign: &str, code: &str, detail: &str, at: DateTime<Utc>) -> Vec<String>;
    }
}

role_trait! {
    /// The collectors' work queue. A contact with a team (an agent
    /// channel's) is never claimed by `claim_due` nor counted by
    /// `next_due`: collectors claim it here, by team, when they ask for
    /// work; a task handed out is leased to its collector, and the lease,
    /// not `recover_stale`, says when an unrecorded one goes back.
    pub trait WorkStore {
        /// `claim_due` for the agent contacts of `teams`: atomically moves
        /// up to `limit` pending ones due at or before `now` to `queued`
        /// (paused campaigns' are passed over), earliest first, ties by id.
        fn claim_work(&self, teams: &[String], now: DateTime<Utc>, limit: usize) -> Vec<ContactRecord>;
        /// The earliest due time among the pending agent contacts of
        /// `teams` (what a simulated collector waits for).
        fn next_work_due(&self, teams: &[String]) -> Option<DateTime<Utc>>;
        /// How many pending agent contacts of `team` are due at `now` (the
        /// queue's depth; the guard may still defer some when asked).
        fn work_depth(&self, team: &str, now: DateTime<Utc>) -> u64;
        /// Records (or replaces) the lease of a task.
        fn put_lease(&self, lease: &TaskLease) -> ();
        fn lease(&self, contact_id: &str) -> Option<TaskLease>;
        /// Open leases (of one collector, or all), sorted by contact id.
        fn leases(&self, collector: Option<&str>) -> Vec<TaskLease>;
        /// Open leases whose `until` is before `now`.
        fn expired_leases(&self, now: DateTime<Utc>) -> Vec<TaskLease>;
        /// Ends the lease if it is still `collector`'s (a reassigned or
        /// released task is not ended by its former holder); returns
        /// whether it did.
        fn end_lease(&self, contact_id: &str, collector: &str) -> bool;
    }
}

/// Everything the dispatcher persists: every role at once. Every method is
/// one round trip (or one transaction) so that a contact's checks cost a
/// bounded number of trips whatever the backend. Implemented for every
/// type that plays all the roles; generic code asks for `S: Store`.
pub trait Store:
    AccountStore
    + PlanStore
    + ReservationStore
    + HistoryStore
    + LedgerStore
    + SuppressionStore
    + CampaignStore
    + BookStore
    + UserStore
    + WorkStore
    + ReconcileStore
{
}

impl<S> Store for S where
    S: AccountStore
        + PlanStore
        + ReservationStore
        + HistoryStore
        + LedgerStore
        + SuppressionStore
        + CampaignStore
        + BookStore
        + UserStore
        + WorkStore
        + ReconcileStore
{
}
