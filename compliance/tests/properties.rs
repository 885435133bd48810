//! Property tests of the guard against an independent oracle built from the
//! public pack API (`windows_on`) and chrono-tz conversions:
//! - an `Allow` is inside a window of every pack in every zone;
//! - `Defer.until` is allowed (caps aside) and no sampled instant in
//!   `[now, until)` is;
//! - with a history, deciding again at `until` allows (caps free exactly
//!   there or earlier);
//! - the allocation-free fast path agrees with `decide`.

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use cobro_campaigns::ChannelKind;
use cobro_compliance::{
    ComplianceGuard, ContactAttempt, DebtorProfile, Decision, PastContact, PastContactKind,
    RulePack, resolve_timezones,
};
use proptest::prelude::*;

const DEBTORS: &[(&str, Option<&str>, Option<&str>)] = &[
    ("MX", Some("MX-CMX"), None),
    ("MX", Some("MX-BCN"), None),
    ("MX", Some("MX-CHH"), None),
    ("MX", None, None),
    ("CO", None, None),
    ("CL", Some("CL-RM"), None),
    ("CL", None, None),
    ("PE", None, None),
    ("US", Some("US-NY"), None),
    ("US", Some("US-AZ"), None),
    ("US", None, None),
    ("ES", Some("ES-CN"), None),
    ("AR", None, None),
    ("BR", None, None),
    ("MX", None, Some("Europe/Madrid")),
];

const PACK_SETS: &[&[&str]] = &[
    &["mx-profeco"],
    &["co-ley2300"],
    &["cl-ley21320"],
    &["pe-consumidor"],
    &["us-regf"],
    &["mx-profeco", "us-regf"],
    &["co-ley2300", "cl-ley21320"],
];

fn packs(i: usize) -> Vec<RulePack> {
    PACK_SETS[i]
        .iter()
        .map(|n| RulePack::builtin(n).expect("builtin"))
        .collect()
}

fn debtor(i: usize) -> DebtorProfile {
    let (c, s, z) = DEBTORS[i];
    let mut d = DebtorProfile::in_country(c);
    d.subdivision = s.map(str::to_string);
    d.timezone = z.map(str::to_string);
    // Consent everywhere so co-ley2300 does not block.
    d.consent.email = Some(true);
    d.consent.sms = Some(true);
    d.consent.voice = Some(true);
    d
}

fn zones(d: &DebtorProfile) -> Vec<Tz> {
    resolve_timezones(&d.country, d.subdivision.as_deref(), d.timezone.as_deref())
        .expect("zones")
        .zones
}

fn oracle(packs: &[RulePack], zones: &[Tz], ch: ChannelKind, t: DateTime<Utc>) -> bool {
    packs.iter().all(|p| {
        zones.iter().all(|z| {
            let local = t.with_timezone(z);
            let secs = local.time().num_seconds_from_midnight();
            match p.windows_on(local.date_naive(), ch) {
                None => true,
                Some(w) => w.iter().any(|&(s, e)| s <= secs && secs < e),
            }
        })
    })
}

fn channel(i: usize) -> ChannelKind {
    ChannelKind::AUTOMATED[i % 3]
}

// 2024-01-01 .. 2032-12-31
const FROM: i64 = 1_704_067_200;
const TO: i64 = 1_988_150_400;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn allow_is_inside_every_window_and_defer_is_exact(
        secs in FROM..TO,
        di in 0..DEBTORS.len(),
        pi in 0..PACK_SETS.len(),
        ci in 0..3usize,
        samples in proptest::collection::vec(0.0f64..1.0, 64),
    ) {
        let now = DateTime::<Utc>::from_timestamp(secs, 0).expect("instant");
        let packs = packs(pi);
        let d = debtor(di);
        let zones = zones(&d);
        let ch = channel(ci);
        let guard = ComplianceGuard::with_packs(packs.clone());
        let attempt = ContactAttempt { channel: ch, suppressed: false };
        let v = guard.decide(&attempt, &d, &[], now);
        prop_assert_eq!(guard.decision(&attempt, &d, &[], now), v.decision);
        match v.decision {
            Decision::Allow => prop_assert!(oracle(&packs, &zones, ch, now), "allowed outside a window at {}", now),
            Decision::Defer { until } => {
                prop_assert!(until > now);
                prop_assert!(oracle(&packs, &zones, ch, until), "until {} not allowed", until);
                prop_assert!(!oracle(&packs, &zones, ch, until - Duration::seconds(1)), "{} allowed before until", until - Duration::seconds(1));
                prop_assert!(!oracle(&packs, &zones, ch, now));
                let span = (until - now).num_seconds();
                for f in samples {
                    let s = now + Duration::seconds((span as f64 * f) as i64);
                    if s < until {
                        prop_assert!(!oracle(&packs, &zones, ch, s), "{} allowed in [now, until)", s);
                    }
                }
                // Decisions at until allow (no caps here).
                prop_assert_eq!(guard.decision(&attempt, &d, &[], until), Decision::Allow);
            }
            Decision::Block => prop_assert!(false, "unexpected block {:?}", v.reasons),
        }
    }

    #[test]
    fn deferral_with_history_frees_exactly(
        secs in FROM..TO,
        di in 0..DEBTORS.len(),
        pi in 0..PACK_SETS.len(),
        ci in 0..3usize,
        hist in proptest::collection::vec((0i64..10 * 86_400, 0..3usize, any::<bool>(), any::<bool>()), 0..20),
    ) {
        let now = DateTime::<Utc>::from_timestamp(secs, 0).expect("instant");
        let history: Vec<PastContact> = hist
            .into_iter()
            .map(|(ago, c, conv, same)| PastContact {
                at: now - Duration::seconds(ago),
                channel: channel(c),
                kind: if conv { PastContactKind::Conversation } else { PastContactKind::Attempt },
                same_account: same,
            })
            .collect();
        let packs = packs(pi);
        let d = debtor(di);
        let zones = zones(&d);
        let ch = channel(ci);
        let guard = ComplianceGuard::with_packs(packs.clone());
        let attempt = ContactAttempt { channel: ch, suppressed: false };
        let v = guard.decide(&attempt, &d, &history, now);
        prop_assert_eq!(guard.decision(&attempt, &d, &history, now), v.decision);
        match v.decision {
            Decision::Allow => prop_assert!(oracle(&packs, &zones, ch, now)),
            Decision::Defer { until } => {
                prop_assert!(until > now);
                let again = guard.decide(&attempt, &d, &history, until);
                prop_assert_eq!(again.decision, Decision::Allow, "at until {}: {:?}", until, again.reasons);
                // One second earlier something still stands in the way.
                let before = guard.decision(&attempt, &d, &history, until - Duration::seconds(1));
                prop_assert_ne!(before, Decision::Allow);
            }
            Decision::Block => prop_assert!(false, "unexpected block {:?}", v.reasons),
        }
    }
}

/// A pack whose windows sit on DST transitions (gaps, repeated hours, and
/// midnight transitions such as Chile's).
const ODD: &str = r#"
id = "odd"
[windows]
mon = ["00:00-01:30", "02:30-03:30", "23:00-24:00"]
tue = ["01:15-02:45"]
wed = ["08:00-09:00"]
thu = ["00:00-00:30", "12:00-12:01"]
fri = ["23:59-24:00"]
sat = ["00:30-02:10", "23:00-24:00"]
sun = ["00:00-01:30", "01:45-03:15", "23:30-24:00"]
[margins]
voice = 10
"#;

const DST_ZONES: &[&str] = &[
    "America/New_York",
    "America/Santiago",
    "Europe/Madrid",
    "America/Ciudad_Juarez",
    "Pacific/Easter",
    "America/Havana",
    "Australia/Lord_Howe",
    "America/Asuncion",
];

/// Instants within two days of the DST transitions of 2024–2032 in the
/// zones above (computed as the days where the offset changes).
fn near_transition(zone: usize, year: i32, nth: usize, offset_secs: i64) -> DateTime<Utc> {
    let tz: Tz = DST_ZONES[zone].parse().expect("zone");
    let mut transitions = Vec::new();
    let mut prev = None;
    let start = DateTime::<Utc>::from_timestamp(
        chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("t")
            .and_utc()
            .timestamp(),
        0,
    )
    .expect("start");
    for h in 0..(366 * 24) {
        let u = start + Duration::hours(h);
        let off = chrono::Offset::fix(&chrono::TimeZone::offset_from_utc_datetime(
            &tz,
            &u.naive_utc(),
        ))
        .local_minus_utc();
        if prev.is_some_and(|p| p != off) {
            transitions.push(u);
        }
        prev = Some(off);
    }
    let base = transitions
        .get(nth % transitions.len().max(1))
        .copied()
        .unwrap_or(start);
    base + Duration::seconds(offset_secs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn dst_transitions_are_exact(
        zone in 0..DST_ZONES.len(),
        year in 2024i32..=2032,
        nth in 0usize..2,
        offset in -2 * 86_400i64..2 * 86_400,
        ci in 0..3usize,
        builtin in any::<bool>(),
    ) {
        let now = near_transition(zone, year, nth, offset);
        let pack = if builtin {
            RulePack::builtin("cl-ley21320").expect("builtin")
        } else {
            RulePack::from_toml_str(ODD, "odd.toml").expect("odd pack")
        };
        let packs = vec![pack];
        let mut d = debtor(0);
        d.timezone = Some(DST_ZONES[zone].to_string());
        let zones = zones(&d);
        let ch = channel(ci);
        let guard = ComplianceGuard::with_packs(packs.clone());
        let attempt = ContactAttempt { channel: ch, suppressed: false };
        match guard.decision(&attempt, &d, &[], now) {
            Decision::Allow => prop_assert!(oracle(&packs, &zones, ch, now)),
            Decision::Defer { until } => {
                prop_assert!(until > now);
                prop_assert!(oracle(&packs, &zones, ch, until), "until {} not allowed", until);
                // Walk every second of [now, until) when short, else sample.
                let span = (until - now).num_seconds();
                let step = (span / 20_000).max(1);
                let mut s = now;
                while s < until {
                    prop_assert!(!oracle(&packs, &zones, ch, s), "{} allowed before until {}", s, until);
                    s += Duration::seconds(step);
                }
                prop_assert!(!oracle(&packs, &zones, ch, until - Duration::seconds(1)));
            }
            Decision::Block => prop_assert!(false, "unexpected block"),
        }
    }
}
