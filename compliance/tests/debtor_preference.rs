//! Hours a debtor asked not to be contacted in (`DebtorProfile::avoid`):
//! closed for that debtor on top of every pack, exactly, in the debtor's
//! resolved zones. Instants are UTC; comments give the debtor's local time.
//! mx-profeco opens Mon–Fri 07:00–22:00 (end exclusive); Mexico City is
//! UTC-6 all year; 2026-12-14 is a Monday.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use cobro_campaigns::{AccountFlag, ChannelKind};
use cobro_compliance::{
    AvoidHours, AvoidHoursError, ComplianceGuard, ContactAttempt, DebtorProfile, Decision,
    ReasonCode, RulePack, Verdict,
};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn hm(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("time")
}

fn range(from: &str, to: &str) -> AvoidHours {
    AvoidHours::new(hm(from), hm(to)).expect("range")
}

fn mx_guard() -> ComplianceGuard {
    ComplianceGuard::with_packs(vec![RulePack::builtin("mx-profeco").expect("builtin")])
}

/// A pack open around the clock, so only the avoided hours (and the zone's
/// DST changes) shape the answer.
fn anytime_guard() -> ComplianceGuard {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| format!("{d} = [\"00:00-24:00\"]\n"))
        .collect::<String>();
    let p = RulePack::from_toml_str(&format!("id = \"anytime\"\n[windows]\n{days}"), "anytime")
        .expect("pack");
    ComplianceGuard::with_packs(vec![p])
}

fn cdmx(avoid: &[AvoidHours]) -> DebtorProfile {
    let mut d = DebtorProfile::in_country("MX");
    d.subdivision = Some("MX-CMX".into());
    d.avoid = avoid.to_vec();
    d
}

fn new_york(avoid: &[AvoidHours]) -> DebtorProfile {
    let mut d = DebtorProfile::in_country("US");
    d.timezone = Some("America/New_York".into());
    d.avoid = avoid.to_vec();
    d
}

fn sms() -> ContactAttempt {
    ContactAttempt {
        channel: ChannelKind::Sms,
        suppressed: false,
    }
}

/// Decides, and checks what must hold for every answer: the fast path
/// agrees; a deferral's `until` is allowed and (being the earliest) the
/// second before it is not, unless that second is before `now`.
fn decide(guard: &ComplianceGuard, d: &DebtorProfile, at: &str) -> Verdict {
    let now = t(at);
    let v = guard.decide(&sms(), d, &[], now);
    assert_eq!(
        guard.decision(&sms(), d, &[], now),
        v.decision,
        "fast path at {at}"
    );
    if let Decision::Defer { until } = v.decision {
        assert!(until > now, "{at}: defer must lie ahead");
        assert_eq!(
            guard.decision(&sms(), d, &[], until),
            Decision::Allow,
            "{at}: until {until} must be allowed"
        );
        let before = until - Duration::seconds(1);
        if before >= now {
            assert_ne!(
                guard.decision(&sms(), d, &[], before),
                Decision::Allow,
                "{at}: {before} is allowed, so {until} is not the earliest"
            );
        }
    }
    v
}

fn codes(v: &Verdict) -> Vec<ReasonCode> {
    v.reasons.iter().map(|r| r.code).collect()
}

fn defer(until: &str) -> Decision {
    Decision::Defer { until: t(until) }
}

#[test]
fn same_day_range_defers_to_its_end() {
    let g = mx_guard();
    let d = cdmx(&[range("12:00", "14:00")]);
    // Tue 12:30 -> Tue 14:00 (20:00Z); the pack allows both.
    let v = decide(&g, &d, "2026-12-15T18:30:00Z");
    assert_eq!(v.decision, defer("2026-12-15T20:00:00Z"));
    assert_eq!(codes(&v), vec![ReasonCode::DebtorPreference]);
    assert_eq!(v.reasons[0].rule, "debtor");
    assert_eq!(
        v.reasons[0].detail,
        "Tue 2026-12-15 12:30:00 (America/Mexico_City): the debtor asked not to be contacted 12:00–14:00 (start inclusive, end exclusive)"
    );
    // Outside the range the pack alone decides.
    assert_eq!(
        decide(&g, &d, "2026-12-15T16:00:00Z").decision,
        Decision::Allow
    );
}

#[test]
fn range_ending_at_the_window_end_defers_to_the_next_opening() {
    // Tue 18:30, avoid 18:00–22:00: 22:00 is where the pack closes (end
    // exclusive), so the first instant both allow is Wed 07:00 (13:00Z).
    let v = decide(
        &mx_guard(),
        &cdmx(&[range("18:00", "22:00")]),
        "2026-12-16T00:30:00Z",
    );
    assert_eq!(v.decision, defer("2026-12-16T13:00:00Z"));
    assert_eq!(codes(&v), vec![ReasonCode::DebtorPreference]);
}

#[test]
fn boundaries_from_is_avoided_to_is_allowed() {
    let g = mx_guard();
    let d = cdmx(&[range("12:00", "14:00")]);
    // 11:59:59 allowed, 12:00:00 avoided, 13:59:59 avoided, 14:00:00 allowed.
    assert_eq!(
        decide(&g, &d, "2026-12-15T17:59:59Z").decision,
        Decision::Allow
    );
    assert_eq!(
        decide(&g, &d, "2026-12-15T18:00:00Z").decision,
        defer("2026-12-15T20:00:00Z")
    );
    assert_eq!(
        decide(&g, &d, "2026-12-15T19:59:59Z").decision,
        defer("2026-12-15T20:00:00Z")
    );
    assert_eq!(
        decide(&g, &d, "2026-12-15T20:00:00Z").decision,
        Decision::Allow
    );
}

#[test]
fn wrap_around_range_covers_both_sides_of_midnight() {
    let g = mx_guard();
    let r = range("21:00", "08:00");
    assert!(r.wraps_midnight());
    let d = cdmx(&[r]);
    // Tue 21:30 (avoided, pack open) -> Wed 08:00 (14:00Z).
    let v = decide(&g, &d, "2026-12-16T03:30:00Z");
    assert_eq!(v.decision, defer("2026-12-16T14:00:00Z"));
    assert_eq!(codes(&v), vec![ReasonCode::DebtorPreference]);
    assert!(
        v.reasons[0].detail.contains("21:00–08:00") && v.reasons[0].detail.contains("midnight"),
        "{:?}",
        v.reasons
    );
    // Wed 07:30 (after the pack opens, before the range ends) -> 08:00.
    assert_eq!(
        decide(&g, &d, "2026-12-16T13:30:00Z").decision,
        defer("2026-12-16T14:00:00Z")
    );
    // Boundaries: 20:59:59 allowed, 21:00 avoided, 08:00 allowed.
    assert_eq!(
        decide(&g, &d, "2026-12-16T02:59:59Z").decision,
        Decision::Allow
    );
    assert_eq!(
        decide(&g, &d, "2026-12-16T03:00:00Z").decision,
        defer("2026-12-16T14:00:00Z")
    );
    assert_eq!(
        decide(&g, &d, "2026-12-16T14:00:00Z").decision,
        Decision::Allow
    );
    // A range to midnight ("00:00" as its end) wraps too: Tue 20:30 with
    // 20:00–00:00 avoided -> Wed 07:00, the pack being closed at midnight.
    assert_eq!(
        decide(
            &g,
            &cdmx(&[range("20:00", "00:00")]),
            "2026-12-16T02:30:00Z"
        )
        .decision,
        defer("2026-12-16T13:00:00Z")
    );
}

#[test]
fn pack_deferral_skips_avoided_hours() {
    // Tue 05:00: the pack opens at 07:00, but 07:00–09:00 is avoided, so
    // the deferral runs to 09:00 (15:00Z), not 07:00.
    let v = decide(
        &mx_guard(),
        &cdmx(&[range("07:00", "09:00")]),
        "2026-12-15T11:00:00Z",
    );
    assert_eq!(v.decision, defer("2026-12-15T15:00:00Z"));
    assert_eq!(
        codes(&v),
        vec![ReasonCode::OutsideHours, ReasonCode::DebtorPreference]
    );
    assert_eq!(v.reasons[0].rule, "mx-profeco");
    assert!(
        v.reasons[1]
            .detail
            .starts_with("Tue 2026-12-15 07:00:00 (America/Mexico_City): the debtor asked not to be contacted 07:00–09:00"),
        "{:?}",
        v.reasons
    );
    // Without the preference the same attempt defers to 07:00.
    let v = decide(&mx_guard(), &cdmx(&[]), "2026-12-15T11:00:00Z");
    assert_eq!(v.decision, defer("2026-12-15T13:00:00Z"));
    assert_eq!(codes(&v), vec![ReasonCode::OutsideHours]);
}

#[test]
fn closed_day_and_preference_both_reported() {
    // Sun 2026-12-13 18:30 (00:30Z Monday): closed day and avoided hour;
    // Mon 07:00 (13:00Z) is outside 18:00–22:00, so it is the answer.
    let v = decide(
        &mx_guard(),
        &cdmx(&[range("18:00", "22:00")]),
        "2026-12-14T00:30:00Z",
    );
    assert_eq!(v.decision, defer("2026-12-14T13:00:00Z"));
    assert_eq!(
        codes(&v),
        vec![ReasonCode::ClosedDay, ReasonCode::DebtorPreference]
    );
}

#[test]
fn several_ranges_are_jumped_in_turn() {
    // Tue 06:00: pack opens 07:00; 07:00–08:00 and 08:00–09:30 avoided
    // (touching ranges), so the first free instant is 09:30 (15:30Z).
    let d = cdmx(&[range("08:00", "09:30"), range("07:00", "08:00")]);
    let v = decide(&mx_guard(), &d, "2026-12-15T12:00:00Z");
    assert_eq!(v.decision, defer("2026-12-15T15:30:00Z"));
}

#[test]
fn every_zone_of_the_debtor_counts() {
    // A Mexican debtor without subdivision: every Mexican zone applies.
    // Tue 23:30Z is 18:30 in Cancún (UTC-5), 17:30 in Mexico City, 15:30
    // in Tijuana. 18:00–22:00 is avoided in some zone from 23:00Z until
    // 06:00Z, and the windows of all zones close at 03:00Z (22:00 Cancún),
    // so the next instant is Wed 07:00 Tijuana (15:00Z).
    let g = mx_guard();
    let mut d = DebtorProfile::in_country("MX");
    d.avoid = vec![range("18:00", "22:00")];
    assert_eq!(
        decide(&g, &d, "2026-12-15T22:59:59Z").decision,
        Decision::Allow
    );
    let v = decide(&g, &d, "2026-12-15T23:30:00Z");
    assert_eq!(v.decision, defer("2026-12-16T15:00:00Z"));
    assert_eq!(codes(&v), vec![ReasonCode::DebtorPreference]);
    assert!(
        v.reasons[0].detail.contains("(America/Cancun)"),
        "{:?}",
        v.reasons
    );
}

#[test]
fn blocks_win_over_a_preference() {
    let g = mx_guard();
    let mut minor = cdmx(&[range("18:00", "22:00")]);
    minor.flags.insert(AccountFlag::Minor);
    // Tue 18:30, avoided, but the debtor is a minor: block.
    let v = decide(&g, &minor, "2026-12-16T00:30:00Z");
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(codes(&v), vec![ReasonCode::Flagged]);

    let d = cdmx(&[range("18:00", "22:00")]);
    let suppressed = ContactAttempt {
        channel: ChannelKind::Sms,
        suppressed: true,
    };
    let v = g.decide(&suppressed, &d, &[], t("2026-12-16T00:30:00Z"));
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(codes(&v), vec![ReasonCode::Suppressed]);
    assert_eq!(
        g.decision(&suppressed, &d, &[], t("2026-12-16T00:30:00Z")),
        Decision::Block
    );
}

#[test]
fn preference_covering_every_open_hour_fails_closed() {
    // The pack's whole window is avoided: nothing in the horizon, block.
    let v = decide(
        &mx_guard(),
        &cdmx(&[range("07:00", "22:00")]),
        "2026-12-15T18:00:00Z",
    );
    assert_eq!(v.decision, Decision::Block);
    let last = v.reasons.last().expect("reason");
    assert_eq!(last.code, ReasonCode::OutsideHours);
    assert!(
        last.detail.ends_with("outside the debtor's avoided hours"),
        "{last:?}"
    );
    // Two ranges that together cover the clock.
    let v = decide(
        &anytime_guard(),
        &new_york(&[range("00:00", "12:00"), range("12:00", "00:00")]),
        "2026-06-01T12:00:00Z",
    );
    assert_eq!(v.decision, Decision::Block);
}

#[test]
fn fall_back_can_end_a_range_early() {
    // New York, 2026-11-01: at 06:00Z 02:00 EDT becomes 01:00 EST.
    let g = anytime_guard();
    let d = new_york(&[range("01:30", "03:00")]);
    // 01:45 EDT (05:45Z) is avoided; at 06:00Z the clock reads 01:00 EST,
    // outside the range: allowed until it reads 01:30 again (06:30Z).
    assert_eq!(
        decide(&g, &d, "2026-11-01T05:45:00Z").decision,
        defer("2026-11-01T06:00:00Z")
    );
    assert_eq!(
        decide(&g, &d, "2026-11-01T06:29:59Z").decision,
        Decision::Allow
    );
    // 01:30 EST (06:30Z), the repeated hour: avoided until 03:00 EST (08:00Z).
    assert_eq!(
        decide(&g, &d, "2026-11-01T06:30:00Z").decision,
        defer("2026-11-01T08:00:00Z")
    );
}

#[test]
fn range_ending_in_the_repeated_hour_is_avoided_twice() {
    // New York, 2026-11-01: 01:00–02:00 happens twice (EDT, then EST), so
    // 00:30–01:30 is avoided 04:30Z–05:30Z and again 06:00Z–06:30Z.
    let g = anytime_guard();
    let d = new_york(&[range("00:30", "01:30")]);
    assert_eq!(
        decide(&g, &d, "2026-11-01T05:15:00Z").decision,
        defer("2026-11-01T05:30:00Z")
    );
    assert_eq!(
        decide(&g, &d, "2026-11-01T05:59:59Z").decision,
        Decision::Allow
    );
    // 01:00 EST again: the end is the second 01:30 (06:30Z), not the first.
    assert_eq!(
        decide(&g, &d, "2026-11-01T06:00:00Z").decision,
        defer("2026-11-01T06:30:00Z")
    );
    assert_eq!(
        decide(&g, &d, "2026-11-01T06:15:00Z").decision,
        defer("2026-11-01T06:30:00Z")
    );
}

#[test]
fn range_ending_in_the_spring_forward_gap_ends_at_the_jump() {
    // New York, 2026-03-08: 02:00 EST (07:00Z) jumps to 03:00 EDT; 02:30
    // never happens, so 01:00–02:30 ends at the jump.
    let g = anytime_guard();
    let d = new_york(&[range("01:00", "02:30")]);
    assert_eq!(
        decide(&g, &d, "2026-03-08T06:30:00Z").decision,
        defer("2026-03-08T07:00:00Z")
    );
}

#[test]
fn avoided_hours_inside_closed_hours_change_no_decision() {
    // 22:30–06:30 lies wholly where mx-profeco is closed anyway: over a week
    // (17-minute steps, so every hour and weekday is hit) the decision is
    // the one without a preference; only the reasons may add the code.
    let g = mx_guard();
    let with = cdmx(&[range("22:30", "06:30")]);
    let without = cdmx(&[]);
    let start = t("2026-12-13T00:00:00Z");
    for i in 0..(7 * 24 * 60 / 17) {
        let now = start + Duration::minutes(17 * i);
        let a = g.decide(&sms(), &with, &[], now);
        let b = g.decide(&sms(), &without, &[], now);
        assert_eq!(a.decision, b.decision, "{now}");
        assert_eq!(g.decision(&sms(), &with, &[], now), a.decision, "{now}");
        assert!(!codes(&b).contains(&ReasonCode::DebtorPreference), "{now}");
    }
}

#[test]
fn explain_reports_the_preference() {
    let v = decide(
        &mx_guard(),
        &cdmx(&[range("18:00", "22:00")]),
        "2026-12-16T00:30:00Z",
    );
    let text = v.to_explain_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON"),
        v.to_explain_json()
    );
    assert!(
        text.starts_with(
            "{\"decision\":\"defer\",\"until\":\"2026-12-16T13:00:00Z\",\"timezones\":[\"America/Mexico_City\"],\"reasons\":[{\"rule\":\"debtor\",\"code\":\"debtor_preference\",\"detail\":\"Tue 2026-12-15 18:30:00 (America/Mexico_City): the debtor asked not to be contacted 18:00–22:00"
        ),
        "{text}"
    );
}

#[test]
fn reason_code_string_is_pinned() {
    assert_eq!(ReasonCode::DebtorPreference.as_str(), "debtor_preference");
    assert_eq!(
        "debtor_preference".parse::<ReasonCode>(),
        Ok(ReasonCode::DebtorPreference)
    );
    assert!(cobro_compliance::guard::ALL_CODES.contains(&ReasonCode::DebtorPreference));
    assert!(ReasonCode::DebtorPreference.is_temporary());
}

#[test]
fn serde_round_trip() {
    let json =
        r#"{"country":"MX","subdivision":"MX-CMX","avoid":[["18:00","22:00"],["22:30","07:00"]]}"#;
    let d: DebtorProfile = serde_json::from_str(json).expect("profile");
    assert_eq!(
        d.avoid,
        vec![range("18:00", "22:00"), range("22:30", "07:00")]
    );
    assert_eq!(d.avoid[1].from(), hm("22:30"));
    assert_eq!(d.avoid[1].to(), hm("07:00"));
    let back = serde_json::to_value(&d).expect("serialise");
    assert_eq!(
        back["avoid"],
        serde_json::json!([["18:00", "22:00"], ["22:30", "07:00"]])
    );
    let again: DebtorProfile = serde_json::from_value(back).expect("again");
    assert_eq!(again, d);
    // No preference: the key is left out, and a missing key means none.
    let plain = serde_json::to_value(cdmx(&[])).expect("serialise");
    assert!(plain.get("avoid").is_none(), "{plain}");
    let d: DebtorProfile = serde_json::from_str(r#"{"country":"MX"}"#).expect("profile");
    assert!(d.avoid.is_empty());
}

#[test]
fn equal_ends_and_bad_times_are_refused() {
    let err =
        serde_json::from_str::<DebtorProfile>(r#"{"country":"MX","avoid":[["18:00","18:00"]]}"#)
            .expect_err("from == to");
    let msg = err.to_string();
    assert!(
        msg.contains("avoided hours 18:00–18:00 are empty") && msg.contains("must differ"),
        "{msg}"
    );
    assert_eq!(
        AvoidHours::new(hm("09:00"), hm("09:00")),
        Err(AvoidHoursError::Empty("09:00".into()))
    );
    assert_eq!(
        AvoidHours::new(
            NaiveTime::from_hms_opt(9, 0, 30).expect("time"),
            hm("10:00")
        ),
        Err(AvoidHoursError::NotWholeMinute(
            NaiveTime::from_hms_opt(9, 0, 30).expect("time")
        ))
    );
    for bad in [
        r#"[["7:00","09:00"]]"#,
        r#"[["24:00","09:00"]]"#,
        r#"[["18:00","22:60"]]"#,
        r#"[["18:00"]]"#,
        r#"[["18:00","22:00","23:00"]]"#,
        r#"[["18:00:00","22:00"]]"#,
    ] {
        let json = format!(r#"{{"country":"MX","avoid":{bad}}}"#);
        assert!(
            serde_json::from_str::<DebtorProfile>(&json).is_err(),
            "{bad} must be refused"
        );
    }
    let err = AvoidHours::parse("7:00", "09:00").expect_err("bad time");
    assert_eq!(
        err.to_string(),
        "avoided hours: `7:00` is not a time of day (want \"HH:MM\", 00:00–23:59)"
    );
}
