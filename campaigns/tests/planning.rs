//! Planning: due instants (DST included), filters, reachability, and the
//! properties that planning is deterministic and complete.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use cobro_campaigns::planning::{due_instant, local_to_utc, plan, plan_account, step_day};
use cobro_campaigns::strategy::{Step, StepFilter, StepTrigger, Strategy as Plan};
use cobro_campaigns::{
    Account, AddressKind, Campaign, ChannelKind, Consent, ContactFlag, ContactPoint, ContactRole,
    PlannedContact, Provenance,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}
fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}
fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn cp(kind: AddressKind, address: &str, flags: &[ContactFlag]) -> ContactPoint {
    ContactPoint {
        kind,
        address: address.into(),
        role: ContactRole::Debtor,
        provenance: Provenance::CreditorFile,
        consent: Consent::default(),
        flags: flags.iter().copied().collect(),
    }
}

fn account(id: &str) -> Account {
    Account {
        id: id.into(),
        creditor: "Tiendas Aurora".into(),
        debtor_name: "Ana".into(),
        tax_id: None,
        amount_due: Decimal::new(150_000, 2),
        currency: "MXN".into(),
        due_date: d(2026, 11, 1),
        segment: Some("media".into()),
        language: "es-MX".into(),
        country: "MX".into(),
        subdivision: None,
        timezone: None,
        flags: BTreeSet::new(),
        contact_points: vec![
            cp(AddressKind::Phone, "+525512345678", &[]),
            cp(AddressKind::Email, "ana@example.com", &[]),
        ],
        attributes: BTreeMap::new(),
    }
}

fn step(id: &str, trigger: StepTrigger, channel: ChannelKind) -> Step {
    Step {
        id: id.into(),
        trigger,
        channel,
        template: format!("tpl_{id}"),
        send_at: t(9, 0),
        when: StepFilter::default(),
        fallback: None,
        team: channel.is_agent().then(|| "general".to_string()),
    }
}

fn campaign() -> Campaign {
    Campaign {
        id: "2026-12-mensual".into(),
        start_date: d(2026, 12, 1),
    }
}

// --- due instants and DST ----------------------------------------------------

#[test]
fn send_hour_is_local_to_the_debtor() {
    let z = [Tz::America__Mexico_City];
    assert_eq!(
        due_instant(d(2026, 12, 1), t(9, 0), &z),
        utc("2026-12-01T15:00:00Z")
    );
    // Mexico City has had no DST since 2022: same offset in July.
    assert_eq!(
        due_instant(d(2026, 7, 1), t(9, 0), &z),
        utc("2026-07-01T15:00:00Z")
    );
    // Tijuana kept US DST.
    let z = [Tz::America__Tijuana];
    assert_eq!(
        due_instant(d(2026, 7, 1), t(9, 0), &z),
        utc("2026-07-01T16:00:00Z")
    );
    assert_eq!(
        due_instant(d(2026, 12, 1), t(9, 0), &z),
        utc("2026-12-01T17:00:00Z")
    );
}

#[test]
fn several_zones_take_the_latest_instant() {
    let zones = [
        Tz::America__Mexico_City,
        Tz::America__Tijuana,
        Tz::America__Cancun,
    ];
    let at = due_instant(d(2026, 12, 1), t(9, 0), &zones);
    assert_eq!(at, utc("2026-12-01T17:00:00Z"));
    for z in zones {
        assert!(at.with_timezone(&z).time() >= t(9, 0), "{z}");
    }
}

#[test]
fn no_zone_means_utc() {
    assert_eq!(
        due_instant(d(2026, 12, 1), t(9, 0), &[]),
        utc("2026-12-01T09:00:00Z")
    );
}

#[test]
fn nonexistent_local_time_moves_to_the_jump() {
    // New York springs forward 2026-03-08 02:00 -> 03:00 EDT (07:00Z).
    let ny = Tz::America__New_York;
    let local = d(2026, 3, 8).and_time(t(2, 30));
    assert_eq!(local_to_utc(ny, local), utc("2026-03-08T07:00:00Z"));
    // Santiago springs forward 2026-09-06 00:00 -> 01:00 (-03, 04:00Z).
    let scl = Tz::America__Santiago;
    assert_eq!(
        local_to_utc(scl, d(2026, 9, 6).and_time(t(0, 15))),
        utc("2026-09-06T04:00:00Z")
    );
    // Seconds inside the gap do not leak into the result.
    let local = d(2026, 3, 8).and_hms_opt(2, 30, 45).expect("t");
    assert_eq!(local_to_utc(ny, local), utc("2026-03-08T07:00:00Z"));
}

#[test]
fn ambiguous_local_time_takes_the_earlier_instant() {
    // New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 twice.
    let ny = Tz::America__New_York;
    assert_eq!(
        local_to_utc(ny, d(2026, 11, 1).and_time(t(1, 30))),
        utc("2026-11-01T05:30:00Z")
    );
    // Santiago falls back 2026-04-05 00:00 -> 2026-04-04 23:00.
    let scl = Tz::America__Santiago;
    assert_eq!(
        local_to_utc(scl, d(2026, 4, 4).and_time(t(23, 30))),
        utc("2026-04-05T02:30:00Z")
    );
}

#[test]
fn dst_day_send_hour_in_the_gap_across_zones() {
    // A step at 02:30 on the US spring-forward day, debtor in several US
    // zones: every zone gets a valid instant at or after 02:30 local.
    let zones = [
        Tz::America__New_York,
        Tz::America__Chicago,
        Tz::America__Phoenix,
    ];
    let at = due_instant(d(2026, 3, 8), t(2, 30), &zones);
    // Phoenix has no DST: 02:30 MST = 09:30Z is the latest.
    assert_eq!(at, utc("2026-03-08T09:30:00Z"));
    for z in zones {
        assert!(
            at.with_timezone(&z).naive_local() >= d(2026, 3, 8).and_time(t(2, 30)),
            "{z}"
        );
    }
}

// --- days, filters, reachability ----------------------------------------------

#[test]
fn step_days() {
    let c = campaign();
    let a = account("A1"); // due 2026-11-01, 30 dpd on the start date
    assert_eq!(
        step_day(
            &c,
            &step("s", StepTrigger::DayOffset(3), ChannelKind::Sms),
            &a
        ),
        d(2026, 12, 4)
    );
    assert_eq!(
        step_day(
            &c,
            &step("s", StepTrigger::DaysPastDue(45), ChannelKind::Sms),
            &a
        ),
        d(2026, 12, 16)
    );
    // Already past the trigger: the first campaign day, never before.
    assert_eq!(
        step_day(
            &c,
            &step("s", StepTrigger::DaysPastDue(10), ChannelKind::Sms),
            &a
        ),
        d(2026, 12, 1)
    );
}

fn strategy(steps: Vec<Step>) -> Plan {
    Plan {
        id: "s".into(),
        steps,
        stop_on: vec![],
    }
}

#[test]
fn contacts_have_stable_ids_and_come_in_due_order() {
    let mut late = step("d0-late", StepTrigger::DayOffset(0), ChannelKind::Email);
    late.send_at = t(18, 0);
    let s = strategy(vec![
        step("d3", StepTrigger::DayOffset(3), ChannelKind::Sms),
        late,
        step("d0", StepTrigger::DayOffset(0), ChannelKind::Email),
    ]);
    let z = [Tz::America__Mexico_City];
    let got = plan_account(&campaign(), &s, &account("A1"), &z);
    let ids: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "2026-12-mensual/A1/d0",
            "2026-12-mensual/A1/d0-late",
            "2026-12-mensual/A1/d3"
        ]
    );
    assert_eq!(got[2].template, "tpl_d3");
    assert_eq!(got[2].due_at, utc("2026-12-04T15:00:00Z"));
}

#[test]
fn filters_by_segment_dpd_on_the_step_day_and_amount() {
    let c = campaign();
    let a = account("A1"); // media, 1500.00, 30 dpd on 2026-12-01
    let z = [Tz::America__Mexico_City];
    let with = |f: StepFilter, trig: StepTrigger| {
        let mut st = step("x", trig, ChannelKind::Email);
        st.when = f;
        plan_account(&c, &strategy(vec![st]), &a, &z).len()
    };
    let day0 = StepTrigger::DayOffset(0);
    assert_eq!(
        with(
            StepFilter {
                segments: vec!["media".into()],
                ..Default::default()
            },
            day0
        ),
        1
    );
    assert_eq!(
        with(
            StepFilter {
                segments: vec!["temprana".into()],
                ..Default::default()
            },
            day0
        ),
        0
    );
    assert_eq!(
        with(
            StepFilter {
                dpd_min: Some(30),
                dpd_max: Some(30),
                ..Default::default()
            },
            day0
        ),
        1
    );
    assert_eq!(
        with(
            StepFilter {
                dpd_min: Some(31),
                ..Default::default()
            },
            day0
        ),
        0
    );
    // On day 5 the debt is 35 days past due.
    assert_eq!(
        with(
            StepFilter {
                dpd_min: Some(35),
                ..Default::default()
            },
            StepTrigger::DayOffset(5)
        ),
        1
    );
    assert_eq!(
        with(
            StepFilter {
                amount_min: Some(Decimal::from(1500)),
                amount_max: Some(Decimal::from(1500)),
                ..Default::default()
            },
            day0
        ),
        1
    );
    assert_eq!(
        with(
            StepFilter {
                amount_min: Some(Decimal::new(150001, 2)),
                ..Default::default()
            },
            day0
        ),
        0
    );
    assert_eq!(
        with(
            StepFilter {
                amount_max: Some(Decimal::from(1000)),
                ..Default::default()
            },
            day0
        ),
        0
    );
}

#[test]
fn a_step_needs_an_address_on_its_channel_or_its_fallback() {
    let c = campaign();
    let z = [Tz::America__Mexico_City];
    let mut a = account("A1");
    a.contact_points = vec![cp(
        AddressKind::Phone,
        "+525512345678",
        &[ContactFlag::Landline],
    )];
    let sms = step("sms", StepTrigger::DayOffset(0), ChannelKind::Sms);
    let email = step("email", StepTrigger::DayOffset(0), ChannelKind::Email);
    let mut sms_or_voice = step("sms-voice", StepTrigger::DayOffset(0), ChannelKind::Sms);
    sms_or_voice.fallback = Some(ChannelKind::Voice);
    let mut email_or_sms = step("email-sms", StepTrigger::DayOffset(0), ChannelKind::Email);
    email_or_sms.fallback = Some(ChannelKind::Sms);
    let got = plan_account(
        &c,
        &strategy(vec![sms, email, sms_or_voice, email_or_sms]),
        &a,
        &z,
    );
    let steps: Vec<&str> = got.iter().map(|c| c.step.as_str()).collect();
    // Landline: no SMS; no email at all; voice reaches the landline.
    assert_eq!(steps, ["sms-voice"]);
    assert_eq!(got[0].channel, ChannelKind::Sms);
    assert_eq!(got[0].fallback, Some(ChannelKind::Voice));
}

#[test]
fn plan_orders_everything_by_due_then_id() {
    let s = strategy(vec![step(
        "d0",
        StepTrigger::DayOffset(0),
        ChannelKind::Email,
    )]);
    let accounts = vec![account("B"), account("A")];
    let zones_of = |a: &Account| {
        if a.id == "B" {
            vec![Tz::America__Cancun]
        } else {
            vec![Tz::America__Tijuana]
        }
    };
    let got = plan(&campaign(), &s, &accounts, zones_of);
    let ids: Vec<&str> = got.iter().map(|c| c.account.as_str()).collect();
    assert_eq!(ids, ["B", "A"]); // Cancún 09:00 (14:00Z) before Tijuana 09:00 (17:00Z)
}

// --- properties -----------------------------------------------------------------

const ZONES: [&[Tz]; 5] = [
    &[Tz::America__Mexico_City],
    &[
        Tz::America__New_York,
        Tz::America__Chicago,
        Tz::America__Los_Angeles,
    ],
    &[Tz::America__Santiago, Tz::Pacific__Easter],
    &[],
    &[Tz::America__Bogota],
];

fn zones_for(a: &Account) -> Vec<Tz> {
    let n: usize = a.id.trim_start_matches('A').parse().unwrap_or(0);
    ZONES[n % ZONES.len()].to_vec()
}

fn arb_channel() -> impl Strategy<Value = ChannelKind> {
    prop::sample::select(ChannelKind::AUTOMATED.to_vec())
}

fn arb_segment() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(vec![
        "temprana".to_string(),
        "media".into(),
        "tardia".into(),
    ]))
}

prop_compose! {
    fn arb_account(i: usize)(
        segment in arb_segment(),
        cents in 100i64..10_000_000,
        due_offset in -200i64..30,
        phone in prop::option::of(any::<bool>()),
        email in any::<bool>(),
    ) -> Account {
        let mut a = account(&format!("A{i}"));
        a.segment = segment;
        a.amount_due = Decimal::new(cents, 2);
        a.due_date = d(2026, 12, 1) + Duration::days(due_offset);
        a.contact_points.clear();
        if let Some(landline) = phone {
            let flags: &[ContactFlag] = if landline { &[ContactFlag::Landline] } else { &[] };
            a.contact_points.push(cp(AddressKind::Phone, "+525512345678", flags));
        }
        if email {
            a.contact_points.push(cp(AddressKind::Email, "a@example.com", &[]));
        }
        a
    }
}

fn arb_accounts() -> impl Strategy<Value = Vec<Account>> {
    (1usize..25).prop_flat_map(|n| (0..n).map(arb_account).collect::<Vec<_>>())
}

prop_compose! {
    fn arb_step(i: usize)(
        by_dpd in any::<bool>(),
        n in 0u32..60,
        channel in arb_channel(),
        fallback in prop::option::of(arb_channel()),
        hour in 0u32..24,
        minute in prop::sample::select(vec![0u32, 15, 30, 59]),
        segments in prop::collection::vec(prop::sample::select(vec!["temprana".to_string(), "media".into(), "tardia".into()]), 0..2),
        dpd in prop::option::of((0u32..100, 0u32..100)),
        amount in prop::option::of((0i64..5_000_000, 0i64..5_000_000)),
    ) -> Step {
        let mut s = step(&format!("s{i}"), if by_dpd { StepTrigger::DaysPastDue(n) } else { StepTrigger::DayOffset(n) }, channel);
        s.fallback = fallback.filter(|f| *f != channel);
        s.send_at = t(hour, minute);
        s.when.segments = segments;
        if let Some((a, b)) = dpd { s.when.dpd_min = Some(a.min(b)); s.when.dpd_max = Some(a.max(b)); }
        if let Some((a, b)) = amount { s.when.amount_min = Some(Decimal::new(a.min(b), 2)); s.when.amount_max = Some(Decimal::new(a.max(b), 2)); }
        s
    }
}

fn arb_strategy() -> impl Strategy<Value = Plan> {
    (1usize..6)
        .prop_flat_map(|n| (0..n).map(arb_step).collect::<Vec<_>>())
        .prop_map(strategy)
}

/// An independent statement of which (account, step) pairs must yield a
/// contact, and on which day.
fn oracle(c: &Campaign, s: &Plan, a: &Account, st: &Step) -> Option<NaiveDate> {
    let day = match st.trigger {
        StepTrigger::DayOffset(n) => c.start_date + Duration::days(n.into()),
        StepTrigger::DaysPastDue(n) => {
            std::cmp::max(a.due_date + Duration::days(n.into()), c.start_date)
        }
    };
    let _ = s;
    let dpd = (day - a.due_date).num_days().max(0);
    let f = &st.when;
    let seg_ok =
        f.segments.is_empty() || a.segment.as_ref().is_some_and(|g| f.segments.contains(g));
    let dpd_ok =
        f.dpd_min.is_none_or(|m| dpd >= m.into()) && f.dpd_max.is_none_or(|m| dpd <= m.into());
    let amt_ok = f.amount_min.is_none_or(|m| a.amount_due >= m)
        && f.amount_max.is_none_or(|m| a.amount_due <= m);
    let can = |ch: ChannelKind| {
        a.contact_points.iter().any(|p| match ch {
            ChannelKind::Email => p.kind == AddressKind::Email,
            ChannelKind::Voice | ChannelKind::AgentCall | ChannelKind::AgentTask => {
                p.kind == AddressKind::Phone
            }
            ChannelKind::Sms => {
                p.kind == AddressKind::Phone && !p.flags.contains(&ContactFlag::Landline)
            }
        })
    };
    let reach = can(st.channel) || st.fallback.is_some_and(can);
    (seg_ok && dpd_ok && amt_ok && reach).then_some(day)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn planning_is_deterministic(
        accounts in arb_accounts(),
        s in arb_strategy(),
        seed in any::<u64>(),
    ) {
        let c = campaign();
        let first = plan(&c, &s, &accounts, zones_for);
        let again = plan(&c, &s, &accounts, zones_for);
        prop_assert_eq!(&first, &again);
        // Any order of the accounts gives the same plan.
        let mut shuffled = accounts.clone();
        let len = shuffled.len();
        for i in 0..len {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % len as u64) as usize;
            shuffled.swap(i, j);
        }
        shuffled.reverse();
        prop_assert_eq!(&first, &plan(&c, &s, &shuffled, zones_for));
        // And it is sorted by (due_at, id).
        prop_assert!(first.windows(2).all(|w| (w[0].due_at, &w[0].id) <= (w[1].due_at, &w[1].id)));
    }

    #[test]
    fn planning_is_complete(accounts in arb_accounts(), s in arb_strategy()) {
        let c = campaign();
        let got = plan(&c, &s, &accounts, zones_for);
        let by_id: BTreeMap<&str, &PlannedContact> = got.iter().map(|p| (p.id.as_str(), p)).collect();
        prop_assert_eq!(by_id.len(), got.len(), "ids are unique");
        let mut expected = 0;
        for a in &accounts {
            for st in &s.steps {
                let id = PlannedContact::make_id(&c.id, &a.id, &st.id);
                match oracle(&c, &s, a, st) {
                    None => prop_assert!(!by_id.contains_key(id.as_str()), "unexpected {}", id),
                    Some(day) => {
                        expected += 1;
                        let p = by_id.get(id.as_str());
                        prop_assert!(p.is_some(), "missing {}", id);
                        let p = p.expect("checked");
                        prop_assert_eq!((&p.campaign, &p.account, &p.step), (&c.id, &a.id, &st.id));
                        prop_assert_eq!((p.channel, p.fallback, &p.template), (st.channel, st.fallback, &st.template));
                        let zones = zones_for(a);
                        prop_assert_eq!(p.due_at, due_instant(day, st.send_at, &zones));
                        let target = day.and_time(st.send_at);
                        for z in &zones {
                            prop_assert!(p.due_at.with_timezone(z).naive_local() >= target, "{} before {} in {}", p.due_at, target, z);
                        }
                        if zones.is_empty() {
                            prop_assert_eq!(p.due_at, Utc.from_utc_datetime(&target));
                        }
                    }
                }
            }
        }
        prop_assert_eq!(got.len(), expected);
    }
}
