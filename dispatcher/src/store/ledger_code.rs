//! The machine codes cobro writes in a ledger row's `code` column.
//!
//! The strings are a contract: the gestiones export, the report's
//! "by reason" tables, the HTTP API and the metrics' `reason` label all
//! carry them, so a variant's string never changes (the test below pins
//! each). The store keeps plain strings; this enum is where a code is
//! chosen. A provider's own error code (`twilio_21610`, a status like
//! `undelivered`) is not one of ours: it is written as the provider gave it.

use cobro_compliance::ReasonCode;

use crate::store::AccountStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerCode {
    /// The guard's first reason for a deferral or a block.
    Guard(ReasonCode),
    /// The contact's account is not in the store.
    UnknownAccount,
    /// The account has no usable address for the contact's channel.
    NoAddress,
    /// The account's status stops this campaign's contacts (the code is
    /// the status: `paid`, `promise_to_pay`, `disputed`, `opted_out`).
    AccountStopped(AccountStatus),
    /// The template did not render (strict undefined variables, syntax).
    TemplateError,
    /// The provider refused the address because its owner opted out there
    /// (e.g. Twilio 21610); the address is suppressed.
    ProviderOptedOut,
    /// Cancelled by a payment event.
    Paid,
    /// Cancelled by a promise-to-pay event.
    PromiseToPay,
    /// Cancelled by a dispute event.
    Dispute,
    /// The debtor opted out of a channel (an event, an inbound STOP, the
    /// one-click unsubscribe link).
    OptOut,
    /// An inbound message opting out of every channel.
    OptOutAll,
    /// An inbound message opting back in.
    OptIn,
    /// An inbound message with no intent cobro acts on.
    InboundMessage,
    /// An operator cancelled the campaign.
    CampaignCancelled,
    /// The process died while the contact was `sending` (crash recovery).
    Interrupted,
    /// The engine gave up on the contact after an error of its own (the
    /// queue job failed for good).
    InternalError,
    /// Deferred: the debtor promised to pay (or agreed a plan) and the
    /// promise is still open; contacts wait for its deadline.
    PromiseHold,
    /// Deferred: the debtor disputes the debt; nothing goes out until the
    /// dispute is resolved (checked again each day).
    DisputeHold,
    /// Cancelled: the step is for broken promises and none broke.
    NoBrokenPromise,
    /// An operator resolved an `unknown` contact after reviewing its
    /// evidence (delivered, or not sent and back to the plan); the row's
    /// detail names who.
    OperatorReview,
    /// Deferred: a collector's task of a campaign whose file this server
    /// was not given, so no rules to decide it with (fail closed).
    NoCampaignRules,
    /// A collector's task went back to its queue: its lease ended with
    /// no outcome recorded.
    LeaseExpired,
    /// A supervisor put a leased task back in its queue.
    TaskReleased,
    /// A supervisor gave a leased task to another collector.
    TaskReassigned,
    /// What a collector recorded for a task (`call_no_answer`,
    /// `call_promise`…); the row's `provider` is the collector.
    Call(crate::work_queue::Outcome),
    /// The guard, asked again when the outcome was recorded, would not
    /// have allowed the call at that instant: the outcome is kept and
    /// flagged for compliance review.
    LateOutcome,
    /// A send whose outcome was lost (`unknown`, or `sending` when the
    /// report came first) resolved from what the provider said (a delivery
    /// report naming the contact, a lookup: `cobro reconcile`) or from the
    /// worker's outcome journal; the row's detail says which, and its
    /// provider id is the provider's.
    Reconciled,
    /// Deferred: the store took the reservation but its answer never
    /// reached the worker (the connection dropped mid-call), so nothing
    /// was sent; the contact went back to the plan and the guard decides
    /// it again (`StateMove::Release`, from the worker's outcome journal).
    ReservationUnanswered,
}

impl LedgerCode {
    /// The code as stored, exported and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerCode::Guard(reason) => reason.as_str(),
            LedgerCode::UnknownAccount => "unknown_account",
            LedgerCode::NoAddress => "no_address",
            LedgerCode::AccountStopped(status) => status.as_str(),
            LedgerCode::TemplateError => "template_error",
            LedgerCode::ProviderOptedOut => "opted_out",
            LedgerCode::Paid => "paid",
            LedgerCode::PromiseToPay => "promise_to_pay",
            LedgerCode::Dispute => "dispute",
            LedgerCode::OptOut => "opt_out",
            LedgerCode::OptOutAll => "opt_out_all",
            LedgerCode::OptIn => "opt_in",
            LedgerCode::InboundMessage => "message",
            LedgerCode::CampaignCancelled => "campaign_cancelled",
            LedgerCode::Interrupted => "interrupted",
            LedgerCode::InternalError => "internal_error",
            LedgerCode::PromiseHold => "promise_hold",
            LedgerCode::DisputeHold => "dispute_hold",
            LedgerCode::NoBrokenPromise => "no_broken_promise",
            LedgerCode::OperatorReview => "operator_review",
            LedgerCode::NoCampaignRules => "no_campaign_rules",
            LedgerCode::LeaseExpired => "lease_expired",
            LedgerCode::TaskReleased => "task_released",
            LedgerCode::TaskReassigned => "task_reassigned",
            LedgerCode::Call(outcome) => outcome.code(),
            LedgerCode::LateOutcome => "late_outcome",
            LedgerCode::Reconciled => "reconciled",
            LedgerCode::ReservationUnanswered => "reservation_unanswered",
        }
    }
}

impl From<ReasonCode> for LedgerCode {
    fn from(reason: ReasonCode) -> Self {
        LedgerCode::Guard(reason)
    }
}

impl From<LedgerCode> for String {
    fn from(code: LedgerCode) -> Self {
        code.as_str().to_string()
    }
}

impl std::fmt::Display for LedgerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings of the ledgers already written and exported.
    #[test]
    fn codes_keep_their_strings() {
        let expected = [
            (LedgerCode::Guard(ReasonCode::OutsideHours), "outside_hours"),
            (LedgerCode::Guard(ReasonCode::FrequencyCap), "frequency_cap"),
            (LedgerCode::UnknownAccount, "unknown_account"),
            (LedgerCode::NoAddress, "no_address"),
            (LedgerCode::AccountStopped(AccountStatus::Paid), "paid"),
            (
                LedgerCode::AccountStopped(AccountStatus::PromiseToPay),
                "promise_to_pay",
            ),
            (
                LedgerCode::AccountStopped(AccountStatus::Disputed),
                "disputed",
            ),
            (
                LedgerCode::AccountStopped(AccountStatus::OptedOut),
                "opted_out",
            ),
            (LedgerCode::TemplateError, "template_error"),
            (LedgerCode::ProviderOptedOut, "opted_out"),
            (LedgerCode::Paid, "paid"),
            (LedgerCode::PromiseToPay, "promise_to_pay"),
            (LedgerCode::Dispute, "dispute"),
            (LedgerCode::OptOut, "opt_out"),
            (LedgerCode::OptOutAll, "opt_out_all"),
            (LedgerCode::OptIn, "opt_in"),
            (LedgerCode::InboundMessage, "message"),
            (LedgerCode::CampaignCancelled, "campaign_cancelled"),
            (LedgerCode::Interrupted, "interrupted"),
            (LedgerCode::InternalError, "internal_error"),
            (LedgerCode::PromiseHold, "promise_hold"),
            (LedgerCode::DisputeHold, "dispute_hold"),
            (LedgerCode::NoBrokenPromise, "no_broken_promise"),
            (LedgerCode::OperatorReview, "operator_review"),
            (LedgerCode::NoCampaignRules, "no_campaign_rules"),
            (LedgerCode::LeaseExpired, "lease_expired"),
            (LedgerCode::TaskReleased, "task_released"),
            (LedgerCode::TaskReassigned, "task_reassigned"),
            (
                LedgerCode::Call(crate::work_queue::Outcome::WrongNumber),
                "call_wrong_number",
            ),
            (LedgerCode::LateOutcome, "late_outcome"),
            (LedgerCode::Reconciled, "reconciled"),
            (LedgerCode::ReservationUnanswered, "reservation_unanswered"),
        ];
        for (code, s) in expected {
            assert_eq!(code.as_str(), s);
            assert_eq!(String::from(code), s);
            assert_eq!(code.to_string(), s);
        }
        assert_eq!(
            LedgerCode::from(ReasonCode::Holiday),
            LedgerCode::Guard(ReasonCode::Holiday)
        );
    }
}
