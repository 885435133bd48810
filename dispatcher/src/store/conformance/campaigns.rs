//! Account events and operator actions on campaigns: `stop_from`,
//! cancellations, pause and resume.

use cobro_campaigns::{ChannelKind, PlannedContact};

use crate::store::{
    AccountStatus, ContactState, LedgerFilter, LedgerState, Reservation, ReserveOutcome, Store,
    Transition,
};

use super::fixtures::*;

/// Cancelling an account's contacts stops only what has not gone out.
/// A strategy's `stop_on` is the campaign's: an account event cancels and
/// refuses to reserve the contacts of the campaigns that stop on it, and
/// leaves the others (a campaign never given a threshold stops on all).
pub async fn campaign_stop_from<S: Store>(store: &S) {
    store
        .put_accounts(&[sample_account("sa")])
        .await
        .expect("put");
    let a1 = sample_contact("SA", "sa", "s1", ChannelKind::Sms, at(0));
    let a2 = sample_contact("SA", "sa", "s2", ChannelKind::Email, at(0));
    let a3 = sample_contact("SA", "sa", "s3", ChannelKind::Voice, at(0));
    let b1 = sample_contact("SB", "sa", "s1", ChannelKind::Sms, at(0));
    store
        .set_campaign_stop_from("SA", AccountStatus::Paid)
        .await
        .expect("stop_from");
    store
        .add_contacts(&[a1.clone(), a2.clone(), a3.clone(), b1.clone()])
        .await
        .expect("add");
    store
        .set_account_status("sa", AccountStatus::PromiseToPay)
        .await
        .expect("status");
    let cancelled = store
        .cancel_account_contacts("sa", None, "promise_to_pay", "promised", at(1))
        .await
        .expect("cancel");
    assert_eq!(cancelled, vec![b1.id.clone()], "only SB stops on a promise");
    assert_eq!(
        store
            .cancel_account_contacts("sa", Some(ChannelKind::Voice), "opt_out", "STOP", at(1))
            .await
            .expect("cancel"),
        vec![a3.id.clone()],
        "a channel opt-out stops that channel in every campaign"
    );
    let claimed = store.claim_due(at(2), 10).await.expect("claim");
    assert_eq!(claimed.len(), 2, "SA's two contacts are still due");
    let reserve = |c: &PlannedContact, version| Reservation {
        contact_id: c.id.clone(),
        account: "sa".into(),
        debtor_key: "debtor-sa".into(),
        channel: c.channel,
        at: at(3),
        history_version: version,
    };
    assert_eq!(
        store.reserve(&reserve(&a1, 0)).await.expect("reserve"),
        ReserveOutcome::Reserved,
        "a promise does not stop a campaign that stops from paid"
    );
    store
        .set_account_status("sa", AccountStatus::Paid)
        .await
        .expect("status");
    assert_eq!(
        store
            .reserve_many(&[reserve(&a2, 1)])
            .await
            .expect("reserve"),
        vec![ReserveOutcome::AccountStopped(AccountStatus::Paid)]
    );
    assert_eq!(
        store
            .cancel_account_contacts("sa", None, "paid", "paid", at(4))
            .await
            .expect("cancel"),
        vec![a2.id.clone()],
        "the payment cancels what SA had left"
    );
    let counts = store.counts(Some("SA")).await.expect("counts");
    assert_eq!(counts.get(&ContactState::Cancelled), Some(&2));
    assert_eq!(counts.get(&ContactState::Sending), Some(&1));
}

pub async fn cancel_account_contacts<S: Store>(store: &S) {
    let email = sample_contact("x", "acc", "s1", ChannelKind::Email, at(100));
    let sms_pending = sample_contact("x", "acc", "s2", ChannelKind::Sms, at(100));
    let sms_queued = sample_contact("x", "acc", "s0", ChannelKind::Sms, at(0));
    let voice_sending = sample_contact("x", "acc", "s3", ChannelKind::Voice, at(0));
    let sent = sample_contact("x", "acc", "s4", ChannelKind::Sms, at(0));
    let other = sample_contact("x", "other", "s1", ChannelKind::Sms, at(100));
    store
        .add_contacts(&[
            email.clone(),
            sms_pending.clone(),
            sms_queued.clone(),
            voice_sending.clone(),
            sent.clone(),
            other.clone(),
        ])
        .await
        .expect("add");
    store.claim_due(at(0), 10).await.expect("claim");
    let reserve = |c: &PlannedContact, version| Reservation {
        contact_id: c.id.clone(),
        account: "acc".into(),
        debtor_key: "debtor-acc".into(),
        channel: c.channel,
        at: at(1),
        history_version: version,
    };
    assert_eq!(
        store
            .reserve(&reserve(&voice_sending, 0))
            .await
            .expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert_eq!(
        store.reserve(&reserve(&sent, 1)).await.expect("reserve"),
        ReserveOutcome::Reserved
    );
    assert!(
        store
            .transition(&sent.id, Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("sent")
    );

    let cancelled = store
        .cancel_account_contacts(
            "acc",
            Some(ChannelKind::Sms),
            "opt_out",
            "STOP by SMS",
            at(50),
        )
        .await
        .expect("cancel sms");
    let mut expected = vec![sms_queued.id.clone(), sms_pending.id.clone()];
    expected.sort();
    assert_eq!(cancelled, expected, "only the not-yet-sent SMS contacts");
    assert_eq!(state_of(store, &email.id).await, ContactState::Pending);
    assert_eq!(
        state_of(store, &sms_pending.id).await,
        ContactState::Cancelled
    );
    assert_eq!(
        state_of(store, &sms_queued.id).await,
        ContactState::Cancelled
    );
    assert_eq!(state_of(store, &sent.id).await, ContactState::Sent);

    let cancelled = store
        .cancel_account_contacts("acc", None, "paid", "payment received", at(60))
        .await
        .expect("cancel");
    assert_eq!(
        cancelled,
        vec![email.id.clone()],
        "sending and finished contacts are left alone"
    );
    assert_eq!(
        state_of(store, &voice_sending.id).await,
        ContactState::Sending
    );
    assert_eq!(
        state_of(store, &other.id).await,
        ContactState::Pending,
        "other accounts untouched"
    );
    assert!(
        store
            .cancel_account_contacts("acc", None, "paid", "again", at(70))
            .await
            .expect("cancel")
            .is_empty()
    );
    assert!(
        store
            .cancel_account_contacts("nobody", None, "paid", "none", at(70))
            .await
            .expect("cancel")
            .is_empty()
    );

    let rows = store
        .ledger(&LedgerFilter {
            account: Some("acc".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 3, "one row per cancelled contact: {rows:?}");
    for r in &rows {
        assert_eq!(r.state, LedgerState::Cancelled);
        assert_eq!(r.campaign, "x");
        assert_eq!(r.account, "acc");
    }
    let sms_row = rows
        .iter()
        .find(|r| r.contact_id == sms_pending.id)
        .expect("row for the pending sms");
    assert_eq!(sms_row.code.as_deref(), Some("opt_out"));
    assert_eq!(sms_row.detail.as_deref(), Some("STOP by SMS"));
    assert_eq!(sms_row.at, at(50));
    assert_eq!(sms_row.step, "s2");
    assert_eq!(sms_row.channel, ChannelKind::Sms);
    let email_row = rows
        .iter()
        .find(|r| r.contact_id == email.id)
        .expect("row for the email");
    assert_eq!(email_row.code.as_deref(), Some("paid"));
    assert_eq!(email_row.at, at(60));
    assert!(
        store
            .claim_due(at(1000), 10)
            .await
            .expect("claim")
            .iter()
            .all(|r| r.contact.account != "acc")
    );
    let counts = store.counts(Some("x")).await.expect("counts");
    assert_eq!(
        count(&counts, ContactState::Cancelled),
        3,
        "counts: {counts:?}"
    );
}

/// A paused campaign's contacts are not claimed until it resumes; other
/// campaigns are unaffected; cancelling a campaign cancels only its open
/// contacts, with ledger rows.
pub async fn campaign_pause_resume_cancel<S: Store>(store: &S) {
    let p1 = sample_contact("paused", "a1", "s1", ChannelKind::Sms, at(0));
    let p2 = sample_contact("paused", "a2", "s1", ChannelKind::Sms, at(10));
    let o1 = sample_contact("other", "a1", "s1", ChannelKind::Sms, at(5));
    store
        .add_contacts(&[p1.clone(), p2.clone(), o1.clone()])
        .await
        .expect("add");
    assert!(
        store
            .set_campaign_paused("paused", true)
            .await
            .expect("pause")
    );
    assert!(
        !store
            .set_campaign_paused("paused", true)
            .await
            .expect("pause again"),
        "already paused"
    );
    assert_eq!(
        store.paused_campaigns().await.expect("list"),
        vec!["paused".to_string()]
    );
    let claimed = store.claim_due(at(100), 10).await.expect("claim");
    assert_eq!(
        ids(&claimed),
        vec![o1.id.clone()],
        "only the running campaign is claimed"
    );
    assert_eq!(state_of(store, &p1.id).await, ContactState::Pending);
    assert_eq!(store.claim_due(at(100), 10).await.expect("claim").len(), 0);
    assert!(
        store
            .set_campaign_paused("paused", false)
            .await
            .expect("resume")
    );
    assert!(
        !store
            .set_campaign_paused("paused", false)
            .await
            .expect("resume again")
    );
    assert!(store.paused_campaigns().await.expect("list").is_empty());
    let claimed = store.claim_due(at(100), 1).await.expect("claim");
    assert_eq!(
        ids(&claimed),
        vec![p1.id.clone()],
        "resumed contacts keep their due order"
    );
    let cancelled = store
        .cancel_campaign_contacts(
            "paused",
            "campaign_cancelled",
            "stopped by operator",
            at(200),
        )
        .await
        .expect("cancel");
    assert_eq!(cancelled, vec![p1.id.clone(), p2.id.clone()]);
    assert_eq!(state_of(store, &p1.id).await, ContactState::Cancelled);
    assert_eq!(state_of(store, &p2.id).await, ContactState::Cancelled);
    assert_eq!(
        state_of(store, &o1.id).await,
        ContactState::Queued,
        "other campaign untouched"
    );
    let rows = store
        .ledger(&LedgerFilter {
            campaign: Some("paused".into()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.state == LedgerState::Cancelled
            && r.code.as_deref() == Some("campaign_cancelled"))
    );
    let counts = store.counts(Some("paused")).await.expect("counts");
    assert_eq!(count(&counts, ContactState::Cancelled), 2);
    assert_eq!(count(&counts, ContactState::Pending), 0);
    assert!(
        store
            .cancel_campaign_contacts("paused", "campaign_cancelled", "again", at(300))
            .await
            .expect("cancel")
            .is_empty()
    );
}
