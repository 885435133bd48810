//! The behaviour every `Store` must have, as async checks any backend's
//! tests call (see `tests/store_*.rs`). Each check assumes an empty store
//! of its own, because the plan is global (a claim takes due contacts of
//! every campaign); `store_conformance_tests!` turns them into one test
//! each, and `run_all` runs them in sequence over fresh stores.
//!
//! One file per topic; `state_machine.rs` tries every pair of contact
//! states against the one definition in cobro-campaigns.
//!
//! The contract pinned here, beyond the trait docs:
//! - `put_accounts` on an existing id replaces the account but keeps its
//!   status (a re-import must not revive a paid account); a new account is
//!   `active`; `set_account_status` on an unknown id returns false.
//! - `claim_due(now, _)` takes contacts with `due_at <= now`, earliest first
//!   (ties by id), and records `now` as the claim time that
//!   `recover_stale` compares (strictly earlier than `queued_before`).
//! - `transition`: `Reschedule` only from `queued` or `sending`; `Finish`
//!   into `delivered`/`undelivered` from `sent`, `sending` or `unknown`;
//!   `Finish` into any other terminal state only from `queued` or
//!   `sending`; `Requeue` only from `unknown`. Otherwise it returns false and appends no ledger row.
//!   `Finish` into a non-terminal state is an error.
//! - `reserve` checks, in order: contact `queued` (else `NotQueued`),
//!   account status `active` or unknown account (else `AccountStopped`),
//!   history version (else `HistoryChanged`). Reserving appends a
//!   non-conversation history entry at `reservation.at` and bumps the
//!   version by one; so does `record_conversation` (with `conversation`).
//! - `cancel_account_contacts` cancels `pending` and `queued` contacts
//!   only (a `sending` one is already with the provider), returns their
//!   ids sorted, and appends one `cancelled` row each with the given code,
//!   detail and instant and the contact's attempt.
//! - `recover_stale`: `sending` contacts reserved strictly before
//!   `sending_before` become `unknown`, with an `unknown` ledger row dated
//!   at the reservation instant.
//! - `unknown_contacts` lists the `unknown` contacts by id (the review
//!   queue); `Requeue` moves only an `unknown` contact back to `pending` at
//!   its `due_at`, keeping its attempt count.
//! - `counts` may omit states with no contacts.
//! - Suppression entries are keyed by (channel, address); an exact entry
//!   matches the same address only; a prefix entry matches addresses that
//!   start with it, except that a prefix entry starting with `@` matches
//!   addresses that end with it (a whole email domain). An entry with no
//!   channel applies to every channel. Matching is byte-exact (callers
//!   normalise addresses).
//! - `ledger` returns rows sorted by `at`, rows with the same instant in
//!   append order; `since` is inclusive.

use std::future::Future;

use super::Store;

mod account_scan;
mod accounts;
mod batch;
mod book;
mod campaigns;
mod fixtures;
mod ledger;
mod plan;
mod reconcile;
mod reservation;
mod state_machine;
mod suppression;
mod users;
mod work;

pub use account_scan::account_scan_filters;
pub use accounts::{accounts, accounts_by_address};
pub use batch::{batch_forms_match_single_calls, long_calls_stay_consistent};
pub use book::{account_contacts_list_every_campaign, books_compare_and_set};
pub use campaigns::{campaign_pause_resume_cancel, campaign_stop_from, cancel_account_contacts};
pub use fixtures::{at, sample_account, sample_contact, t0};
pub use ledger::{campaign_ledger_pages, ledger_filters};
pub use plan::{
    add_contacts_is_idempotent, claim_due_concurrent_never_duplicates,
    claim_due_respects_time_limit_and_order, counts_sum_to_plan, delivery_status_after_sent,
    finish_is_terminal, recover_stale, reschedule_returns_to_pending, review_queue,
};
pub use reconcile::reconcile_lost_outcomes;
pub use reservation::{history_and_conversations, release_lost_reservations, reserve_outcomes};
pub use state_machine::state_machine_every_pair;
pub use suppression::suppression;
pub use users::users_tokens_and_sessions;
pub use work::{
    cancel_campaign_cancels_work, claim_work_by_team, claim_work_skips_paused_campaigns,
    recover_stale_leaves_work, reschedule_returns_to_work_queue, task_leases, work_due_and_depth,
};

/// Every check, each against a fresh empty store from `fresh`.
pub async fn run_all<S, F, Fut>(mut fresh: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    accounts(&fresh().await).await;
    add_contacts_is_idempotent(&fresh().await).await;
    claim_due_respects_time_limit_and_order(&fresh().await).await;
    claim_due_concurrent_never_duplicates(&fresh().await).await;
    reschedule_returns_to_pending(&fresh().await).await;
    finish_is_terminal(&fresh().await).await;
    delivery_status_after_sent(&fresh().await).await;
    reserve_outcomes(&fresh().await).await;
    release_lost_reservations(&fresh().await).await;
    cancel_account_contacts(&fresh().await).await;
    campaign_stop_from(&fresh().await).await;
    recover_stale(&fresh().await).await;
    review_queue(&fresh().await).await;
    counts_sum_to_plan(&fresh().await).await;
    suppression(&fresh().await).await;
    ledger_filters(&fresh().await).await;
    campaign_ledger_pages(&fresh().await).await;
    history_and_conversations(&fresh().await).await;
    accounts_by_address(&fresh().await).await;
    account_scan_filters(&fresh().await).await;
    campaign_pause_resume_cancel(&fresh().await).await;
    batch_forms_match_single_calls(&fresh().await).await;
    long_calls_stay_consistent(&fresh().await).await;
    state_machine_every_pair(&fresh().await).await;
    reconcile_lost_outcomes(&fresh().await).await;
    books_compare_and_set(&fresh().await).await;
    account_contacts_list_every_campaign(&fresh().await).await;
    users_tokens_and_sessions(&fresh().await).await;
    claim_work_by_team(&fresh().await).await;
    work_due_and_depth(&fresh().await).await;
    reschedule_returns_to_work_queue(&fresh().await).await;
    claim_work_skips_paused_campaigns(&fresh().await).await;
    cancel_campaign_cancels_work(&fresh().await).await;
    recover_stale_leaves_work(&fresh().await).await;
    task_leases(&fresh().await).await;
}

/// One `#[tokio::test]` per conformance check. `$make` is an async fn
/// returning `(guard, store)`: the guard (a server, a temp dir) lives as
/// long as the test, and every test gets a fresh empty store.
///
/// ```text
/// async fn fresh() -> (RedisServer, RedisStore) { ... }
/// cobro_dispatcher::store_conformance_tests!(fresh);
/// ```
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:path) => {
        $crate::store_conformance_tests!(@each $make;
            accounts,
            add_contacts_is_idempotent,
            claim_due_respects_time_limit_and_order,
            claim_due_concurrent_never_duplicates,
            reschedule_returns_to_pending,
            finish_is_terminal,
            delivery_status_after_sent,
            reserve_outcomes,
            release_lost_reservations,
            cancel_account_contacts,
            campaign_stop_from,
            recover_stale,
            review_queue,
            counts_sum_to_plan,
            suppression,
            ledger_filters,
            campaign_ledger_pages,
            history_and_conversations,
            accounts_by_address,
            account_scan_filters,
            campaign_pause_resume_cancel,
            batch_forms_match_single_calls,
            long_calls_stay_consistent,
            state_machine_every_pair,
            reconcile_lost_outcomes,
            books_compare_and_set,
            account_contacts_list_every_campaign,
            users_tokens_and_sessions,
            claim_work_by_team,
            work_due_and_depth,
            reschedule_returns_to_work_queue,
            claim_work_skips_paused_campaigns,
            cancel_campaign_cancels_work,
            recover_stale_leaves_work,
            task_leases
        );
    };
    (@each $make:path; $($check:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (_guard, store) = $make().await;
                $crate::store::conformance::$check(&store).await;
            }
        )*
    };
}
