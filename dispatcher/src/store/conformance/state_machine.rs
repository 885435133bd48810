//! Every pair of contact states, tried on the store: the store accepts
//! exactly the moves `cobro_campaigns::ContactState::can_move_to` allows,
//! each through the operation that performs it, and refuses the rest
//! without a write.

use cobro_campaigns::{ChannelKind, PlannedContact};

use super::fixtures::{at, sample_contact, state_of};
use crate::store::{
    ContactState, LedgerEntry, LedgerState, Reservation, ReservationRelease, ReserveOutcome,
    StateMove, Store, Transition,
};

/// Far enough from `at(0)` that no claim or recovery of a check reaches it.
const FAR: i64 = 10_000_000;

/// The ways a store performs a `StateMove` (a cancellation comes from an
/// account event or from an operator cancelling the campaign).
#[derive(Debug, Clone, Copy)]
enum Call {
    ClaimDue,
    Reserve,
    Reschedule,
    Finish(ContactState),
    CancelAccount,
    CancelCampaign,
    RecoverQueued,
    RecoverSending,
    Requeue,
    Reconcile(ContactState),
    Release,
}

fn calls(op: StateMove, to: ContactState) -> Vec<Call> {
    match op {
        StateMove::Claim => vec![Call::ClaimDue],
        StateMove::Reserve => vec![Call::Reserve],
        StateMove::Reschedule => vec![Call::Reschedule],
        StateMove::Finish | StateMove::Receipt => vec![Call::Finish(to)],
        StateMove::Cancel => vec![Call::CancelAccount, Call::CancelCampaign],
        StateMove::RecoverQueued => vec![Call::RecoverQueued],
        StateMove::RecoverSending => vec![Call::RecoverSending],
        StateMove::Requeue => vec![Call::Requeue],
        StateMove::Reconcile => vec![Call::Reconcile(to)],
        StateMove::Release => vec![Call::Release],
    }
}

/// Each check gets its own contact, account, debtor and campaign.
fn contact(n: usize) -> PlannedContact {
    sample_contact(
        &format!("sm{n}"),
        &format!("sm{n}"),
        "s",
        ChannelKind::Sms,
        at(0),
    )
}

fn reservation(c: &PlannedContact, version: u64) -> Reservation {
    Reservation {
        contact_id: c.id.clone(),
        account: c.account.clone(),
        debtor_key: format!("debtor-{}", c.account),
        channel: c.channel,
        at: at(100),
        history_version: version,
    }
}

/// Performs `call` on `c`; whether the store moved it.
async fn perform<S: Store>(store: &S, c: &PlannedContact, call: Call) -> bool {
    match call {
        Call::ClaimDue => {
            let claimed = store.claim_due(at(0), 10).await.expect("claim_due");
            claimed.iter().any(|r| r.contact.id == c.id)
        }
        Call::Reserve => {
            let (_, version) = store
                .history(&format!("debtor-{}", c.account))
                .await
                .expect("history");
            let outcome = store
                .reserve(&reservation(c, version))
                .await
                .expect("reserve");
            outcome == ReserveOutcome::Reserved
        }
        Call::Reschedule => store
            .transition(
                &c.id,
                Transition::Reschedule {
                    due_at: at(FAR),
                    attempt: 1,
                },
                &[],
            )
            .await
            .expect("transition"),
        Call::Requeue => store
            .transition(&c.id, Transition::Requeue { due_at: at(FAR) }, &[])
            .await
            .expect("transition"),
        Call::Finish(to) => store
            .transition(&c.id, Transition::Finish(to), &[])
            .await
            .expect("transition"),
        Call::Reconcile(to) => store.reconcile(&c.id, to, &[]).await.expect("reconcile"),
        // The instant every reservation of these checks is made at.
        Call::Release => {
            let (_, version) = store
                .history(&format!("debtor-{}", c.account))
                .await
                .expect("history");
            let release = ReservationRelease {
                reservation: reservation(c, version),
                ledger: LedgerEntry::for_contact(c, LedgerState::Deferred, at(100)),
            };
            store.release(&[release]).await.expect("release") == vec![true]
        }
        Call::CancelAccount => store
            .cancel_account_contacts(&c.account, None, "test", "state machine", at(200))
            .await
            .expect("cancel_account_contacts")
            .contains(&c.id),
        Call::CancelCampaign => store
            .cancel_campaign_contacts(&c.campaign, "test", "state machine", at(200))
            .await
            .expect("cancel_campaign_contacts")
            .contains(&c.id),
        Call::RecoverQueued => {
            let (requeued, _) = store
                .recover_stale(at(FAR), at(-FAR))
                .await
                .expect("recover_stale");
            requeued == 1
        }
        Call::RecoverSending => {
            let (_, unknown) = store
                .recover_stale(at(-FAR), at(FAR))
                .await
                .expect("recover_stale");
            unknown == 1
        }
    }
}

/// A new contact, brought to `state` through the store's own operations.
async fn contact_in<S: Store>(store: &S, n: usize, state: ContactState) -> PlannedContact {
    use ContactState::*;
    let c = contact(n);
    assert_eq!(
        store
            .add_contacts(std::slice::from_ref(&c))
            .await
            .expect("add"),
        1
    );
    let path: &[Call] = match state {
        Pending => &[],
        Queued => &[Call::ClaimDue],
        Sending => &[Call::ClaimDue, Call::Reserve],
        Sent => &[Call::ClaimDue, Call::Reserve, Call::Finish(Sent)],
        Delivered => &[
            Call::ClaimDue,
            Call::Reserve,
            Call::Finish(Sent),
            Call::Finish(Delivered),
        ],
        Undelivered => &[
            Call::ClaimDue,
            Call::Reserve,
            Call::Finish(Sent),
            Call::Finish(Undelivered),
        ],
        Blocked => &[Call::ClaimDue, Call::Finish(Blocked)],
        Cancelled => &[Call::CancelAccount],
        Failed => &[Call::ClaimDue, Call::Reserve, Call::Finish(Failed)],
        Unknown => &[Call::ClaimDue, Call::Reserve, Call::RecoverSending],
    };
    for call in path {
        assert!(
            perform(store, &c, *call).await,
            "{call:?} on the way to {state}"
        );
    }
    assert_eq!(state_of(store, &c.id).await, state, "set-up of {state}");
    c
}

/// Leaves no contact that a later claim or recovery could pick up.
async fn retire<S: Store>(store: &S, c: &PlannedContact) {
    match state_of(store, &c.id).await {
        ContactState::Pending | ContactState::Queued => {
            assert!(
                perform(store, c, Call::CancelAccount).await,
                "retire {}",
                c.id
            );
        }
        ContactState::Sending => {
            assert!(
                perform(store, c, Call::Finish(ContactState::Failed)).await,
                "retire {}",
                c.id
            );
        }
        _ => {}
    }
}

/// Every (from, to) pair: each operation that moves a contact into `to`
/// is tried on a contact in `from`; it succeeds exactly when the operation
/// moves from `from` (`StateMove::from_states`), the contact is then in
/// `to` (else still in `from`), and some operation succeeds exactly when
/// `from.can_move_to(to)`.
pub async fn state_machine_every_pair<S: Store>(store: &S) {
    let mut n = 0;
    for from in ContactState::ALL {
        for to in ContactState::ALL {
            let mut accepted_by_any = false;
            for op in StateMove::ALL {
                if !op.to_states().contains(&to) {
                    continue;
                }
                for call in calls(op, to) {
                    n += 1;
                    let c = contact_in(store, n, from).await;
                    let accepted = perform(store, &c, call).await;
                    assert_eq!(
                        accepted,
                        op.applies_to(from),
                        "{from} -> {to} through {call:?}: the store and StateMove disagree"
                    );
                    let now = state_of(store, &c.id).await;
                    if accepted {
                        assert_eq!(now, to, "{from} -> {to} through {call:?}");
                    } else {
                        assert_eq!(now, from, "{from} -> {to} refused through {call:?}");
                    }
                    accepted_by_any |= accepted;
                    retire(store, &c).await;
                }
            }
            assert_eq!(
                accepted_by_any,
                from.can_move_to(to),
                "{from} -> {to}: the store and ContactState::can_move_to disagree"
            );
        }
    }
}
