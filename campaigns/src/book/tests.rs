use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}
fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
const DUE: &str = "1000.00";

fn apply(book: &mut AccountBook, action: BookAction, now: &str) -> Result<Applied, BookError> {
    book.apply(
        &action,
        EventSource::Cli,
        dec(DUE),
        2,
        at(now),
        &BookLimits::default(),
    )
}

fn pay(book: &mut AccountBook, amount: &str, when: &str, reference: &str) -> Applied {
    apply(
        book,
        BookAction::Payment {
            amount: dec(amount),
            at: at(when),
            reference: reference.into(),
        },
        when,
    )
    .unwrap()
}

#[test]
fn partial_payments_lower_the_balance_and_a_reference_counts_once() {
    let mut book = AccountBook::default();
    assert!(pay(&mut book, "400.00", "2026-12-01T10:00:00Z", "r1").changed);
    assert!(!pay(&mut book, "400.00", "2026-12-01T10:00:00Z", "r1").changed);
    assert_eq!(book.balance(dec(DUE)), dec("600.00"));
    let last = pay(&mut book, "600.00", "2026-12-02T10:00:00Z", "r2");
    assert!(last.became_paid);
    assert_eq!(book.balance(dec(DUE)), Decimal::ZERO);
    assert_eq!(book.events.len(), 2);
}

#[test]
fn a_promise_holds_until_its_date_plus_grace_then_breaks_unless_paid() {
    let mut book = AccountBook::default();
    let promise = BookAction::Promise {
        date: d("2026-12-10"),
        amount: dec("500.00"),
    };
    assert!(
        apply(&mut book, promise.clone(), "2026-12-01T12:00:00Z")
            .unwrap()
            .changed
    );
    assert!(
        !apply(&mut book, promise, "2026-12-01T12:05:00Z")
            .unwrap()
            .changed,
        "a repeat"
    );
    let until = at("2026-12-14T00:00:00Z"); // 10th + 3 grace days, end of day
    assert_eq!(
        book.hold(at("2026-12-05T00:00:00Z"), 3),
        Some(Hold::Promise { until })
    );
    assert_eq!(
        book.promise_state(0, at("2026-12-13T23:59:59Z"), 3),
        PromiseState::Open
    );
    assert_eq!(book.promise_state(0, until, 3), PromiseState::Broken);
    assert_eq!(
        book.hold(until, 3),
        None,
        "a broken promise releases the hold"
    );
    assert!(book.has_broken_promise(until, 3));

    let mut kept = book.clone();
    pay(&mut kept, "500.00", "2026-12-12T09:00:00Z", "r");
    assert_eq!(kept.promise_state(0, until, 3), PromiseState::Kept);
    assert!(!kept.has_broken_promise(until, 3));
}

#[test]
fn a_promise_is_refused_past_the_house_limit_or_above_the_balance() {
    let mut book = AccountBook::default();
    let now = "2026-12-01T12:00:00Z";
    let far = BookAction::Promise {
        date: d("2027-01-15"),
        amount: dec("10"),
    };
    assert_eq!(apply(&mut book, far, now).unwrap_err().field(), "date");
    let past = BookAction::Promise {
        date: d("2026-11-30"),
        amount: dec("10"),
    };
    assert!(matches!(
        apply(&mut book, past, now),
        Err(BookError::DateInPast { .. })
    ));
    let big = BookAction::Promise {
        date: d("2026-12-05"),
        amount: dec("1000.01"),
    };
    assert_eq!(apply(&mut book, big, now).unwrap_err().field(), "amount");
    assert!(book.is_empty());
}

#[test]
fn a_plan_is_one_promise_per_instalment_and_a_missed_one_breaks_the_plan() {
    let mut book = AccountBook::default();
    let plan = BookAction::Plan {
        instalments: 3,
        first_date: d("2026-12-10"),
    };
    apply(&mut book, plan, "2026-12-01T12:00:00Z").unwrap();
    let amounts: Vec<_> = book.promises.iter().map(|p| p.amount).collect();
    assert_eq!(amounts, [dec("333.33"), dec("333.33"), dec("333.34")]);
    let dates: Vec<_> = book.promises.iter().map(|p| p.date).collect();
    assert_eq!(dates, [d("2026-12-10"), d("2027-01-10"), d("2027-02-10")]);
    pay(&mut book, "333.33", "2026-12-09T12:00:00Z", "i1");
    let jan = at("2027-01-05T00:00:00Z");
    assert_eq!(book.promise_state(0, jan, 3), PromiseState::Kept);
    assert_eq!(book.promise_state(1, jan, 3), PromiseState::Open);
    // The second instalment is missed: it and the third are broken.
    let feb = at("2027-01-20T00:00:00Z");
    assert_eq!(book.promise_state(1, feb, 3), PromiseState::Broken);
    assert_eq!(book.promise_state(2, feb, 3), PromiseState::Broken);
    assert_eq!(book.hold(feb, 3), None);
    let too_many = BookAction::Plan {
        instalments: 13,
        first_date: d("2027-01-25"),
    };
    assert_eq!(
        apply(&mut book, too_many, "2027-01-20T00:00:00Z")
            .unwrap_err()
            .field(),
        "instalments"
    );
}

#[test]
fn a_dispute_holds_everything_until_resolved() {
    let mut book = AccountBook::default();
    let dispute = BookAction::Dispute {
        reason: "not_mine".into(),
        text: "no reconozco".into(),
    };
    apply(&mut book, dispute.clone(), "2026-12-01T12:00:00Z").unwrap();
    assert!(
        !apply(&mut book, dispute, "2026-12-01T13:00:00Z")
            .unwrap()
            .changed
    );
    assert_eq!(
        book.hold(at("2026-12-20T00:00:00Z"), 3),
        Some(Hold::Dispute)
    );
    apply(
        &mut book,
        BookAction::DisputeResolved,
        "2026-12-05T12:00:00Z",
    )
    .unwrap();
    assert_eq!(book.hold(at("2026-12-20T00:00:00Z"), 3), None);
    assert_eq!(
        apply(
            &mut book,
            BookAction::DisputeResolved,
            "2026-12-06T12:00:00Z"
        ),
        Err(BookError::NoOpenDispute)
    );
}

#[test]
fn the_book_round_trips_through_json() {
    let mut book = AccountBook::default();
    pay(&mut book, "1.50", "2026-12-01T10:00:00Z", "r1");
    apply(
        &mut book,
        BookAction::Preferences {
            optout: Some(ChannelKind::Sms),
            prefer: Some(ChannelKind::Email),
            avoid: Some((
                chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                chrono::NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            )),
        },
        "2026-12-01T10:00:00Z",
    )
    .unwrap();
    let json = serde_json::to_string(&book).unwrap();
    assert_eq!(serde_json::from_str::<AccountBook>(&json).unwrap(), book);
}
