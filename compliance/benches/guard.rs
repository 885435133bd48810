//! Guard throughput on one core (`cargo bench -p cobro-compliance`).
//!
//! 1M distinct debtors spread over the five built-in packs (MX, CO, CL, PE,
//! US, by subdivision, explicit zone or country only), each decided at its
//! own instant. Measures:
//! 1. window/holiday/target decisions (`ComplianceGuard::decision`, no
//!    history) at instants inside business hours: the dispatcher's common
//!    case, since contacts are planned into windows;
//! 2. the same at uniformly random instants (a third or more defer, which
//!    computes the exact `until`);
//! 3. `decide` with the full explanation (allocates reasons) at random
//!    instants;
//! 4. cap evaluation with 20 past contacts per debtor.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use cobro_campaigns::{AccountFlag, ChannelKind, ContactRole};
use cobro_compliance::{
    ComplianceGuard, ContactAttempt, DebtorProfile, Decision, PastContact, PastContactKind,
    RulePack,
};

const N: usize = 1_000_000;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PLACES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("MX", Some("MX-CMX"), None),
    ("MX", Some("MX-JAL"), None),
    ("MX", Some("MX-NLE"), None),
    ("MX", Some("MX-BCN"), None),
    ("MX", Some("MX-ROO"), None),
    ("MX", None, Some("America/Mexico_City")),
    ("CO", None, None),
    ("CO", Some("CO-ANT"), None),
    ("CL", Some("CL-RM"), None),
    ("CL", Some("CL-BI"), None),
    ("PE", None, None),
    ("US", Some("US-NY"), None),
    ("US", Some("US-CA"), None),
    ("US", Some("US-IL"), None),
    ("US", Some("US-TX"), None),
    ("US", Some("US-FL"), None),
    ("MX", None, None),
    ("US", None, None),
];

fn debtors(rng: &mut Lcg) -> Vec<DebtorProfile> {
    (0..N)
        .map(|_| {
            let (c, s, z) = PLACES[rng.below(PLACES.len() as u64) as usize];
            let mut d = DebtorProfile::in_country(c);
            d.subdivision = s.map(str::to_string);
            d.timezone = z.map(str::to_string);
            d.consent.email = Some(rng.below(10) != 0);
            d.consent.sms = Some(true);
            d.consent.voice = Some(rng.below(20) != 0);
            if rng.below(50) == 0 {
                d.flags.insert(AccountFlag::ALL[rng.below(6) as usize]);
            }
            if rng.below(30) == 0 {
                d.role = ContactRole::Reference;
            }
            d
        })
        .collect()
}

fn report(label: &str, n: usize, secs: f64, outcomes: [usize; 3]) -> f64 {
    let rate = n as f64 / secs;
    println!(
        "{label:<58} {n:>8} in {secs:>7.3} s = {rate:>12.0}/s  (allow {}, defer {}, block {})",
        outcomes[0], outcomes[1], outcomes[2]
    );
    rate
}

fn tally(o: &mut [usize; 3], d: Decision) {
    match d {
        Decision::Allow => o[0] += 1,
        Decision::Defer { .. } => o[1] += 1,
        Decision::Block => o[2] += 1,
    }
}

fn main() {
    let pack = |n: &str| RulePack::builtin(n).expect("builtin pack");
    let guard = ComplianceGuard::new(
        BTreeMap::from([
            ("MX".to_string(), vec![pack("mx-profeco")]),
            ("CO".to_string(), vec![pack("co-ley2300")]),
            ("CL".to_string(), vec![pack("cl-ley21320")]),
            ("PE".to_string(), vec![pack("pe-consumidor")]),
            ("US".to_string(), vec![pack("us-regf")]),
        ]),
        vec![],
        vec![],
    );
    let mut rng = Lcg(42);
    let debtors = debtors(&mut rng);
    let base: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().expect("base");
    let channels = ChannelKind::AUTOMATED;

    // 1. Business hours: a weekday (Mon-Thu of some week in 2026) between
    //    16:00Z and 22:00Z, inside every pack's window in the Americas.
    let business: Vec<DateTime<Utc>> = (0..N)
        .map(|_| {
            let week = rng.below(50) as i64;
            let day = rng.below(4) as i64;
            let sec = 16 * 3600 + rng.below(6 * 3600) as i64;
            base + Duration::days(week * 7 + day) + Duration::seconds(sec)
        })
        .collect();
    let random: Vec<DateTime<Utc>> = (0..N)
        .map(|_| base + Duration::seconds(rng.below(365 * 86_400) as i64))
        .collect();
    let attempts: Vec<ContactAttempt> = (0..N)
        .map(|_| ContactAttempt {
            channel: channels[rng.below(3) as usize],
            suppressed: rng.below(1000) == 0,
        })
        .collect();

    println!("cobro-compliance guard benchmark, 1 thread, {N} distinct debtors over 5 packs");
    let mut best = 0.0f64;
    for round in 0..3 {
        let mut o = [0; 3];
        let start = Instant::now();
        for i in 0..N {
            let d = guard.decision(&attempts[i], &debtors[i], &[], business[i]);
            tally(&mut o, black_box(d));
        }
        let r = report(
            &format!("[{round}] window/holiday/target, business hours"),
            N,
            start.elapsed().as_secs_f64(),
            o,
        );
        best = best.max(r);
    }
    println!("best: {best:.0} decisions/s");

    let mut o = [0; 3];
    let start = Instant::now();
    for i in 0..N {
        tally(
            &mut o,
            black_box(guard.decision(&attempts[i], &debtors[i], &[], random[i])),
        );
    }
    report(
        "window/holiday/target, random instants (exact defer)",
        N,
        start.elapsed().as_secs_f64(),
        o,
    );

    let m = N / 4;
    let mut o = [0; 3];
    let start = Instant::now();
    for i in 0..m {
        let v = guard.decide(&attempts[i], &debtors[i], &[], random[i]);
        tally(&mut o, black_box(v).decision);
    }
    report(
        "decide() with explanation, random instants",
        m,
        start.elapsed().as_secs_f64(),
        o,
    );

    // 4. Caps: 20 past contacts each over the previous 10 days.
    let m = N / 4;
    let histories: Vec<Vec<PastContact>> = (0..m)
        .map(|i| {
            (0..20)
                .map(|_| PastContact {
                    at: business[i] - Duration::seconds(rng.below(10 * 86_400) as i64),
                    channel: channels[rng.below(3) as usize],
                    kind: if rng.below(10) == 0 {
                        PastContactKind::Conversation
                    } else {
                        PastContactKind::Attempt
                    },
                    same_account: rng.below(4) != 0,
                })
                .collect()
        })
        .collect();
    let mut o = [0; 3];
    let start = Instant::now();
    for i in 0..m {
        tally(
            &mut o,
            black_box(guard.decision(&attempts[i], &debtors[i], &histories[i], business[i])),
        );
    }
    report(
        "caps with 20 past contacts, business hours",
        m,
        start.elapsed().as_secs_f64(),
        o,
    );
}
