//! Golden, table-driven decisions per built-in pack (the "Must show" list of
//! issue 3). Instants are UTC; comments give the debtor's local time.

use chrono::{DateTime, Utc};
use cobro_campaigns::{
    AccountFlag, ChannelKind, ContactFlag, ContactRole, Provenance, TemplateElement,
};
use cobro_compliance::{
    ComplianceGuard, ContactAttempt, DebtorProfile, Decision, PastContact, PastContactKind,
    ReasonCode, RulePack,
};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn pack(name: &str) -> RulePack {
    RulePack::builtin(name).unwrap_or_else(|| panic!("builtin {name}"))
}

fn debtor(country: &str, sub: Option<&str>) -> DebtorProfile {
    let mut d = DebtorProfile::in_country(country);
    d.subdivision = sub.map(str::to_string);
    d
}

fn consenting(mut d: DebtorProfile) -> DebtorProfile {
    d.consent.email = Some(true);
    d.consent.sms = Some(true);
    d.consent.voice = Some(true);
    d
}

fn attempt(ch: ChannelKind) -> ContactAttempt {
    ContactAttempt {
        channel: ch,
        suppressed: false,
    }
}

fn past(at: &str, ch: ChannelKind) -> PastContact {
    PastContact {
        at: t(at),
        channel: ch,
        kind: PastContactKind::Attempt,
        same_account: true,
    }
}

fn conversation(at: &str) -> PastContact {
    PastContact {
        at: t(at),
        channel: ChannelKind::Voice,
        kind: PastContactKind::Conversation,
        same_account: true,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Allow,
    Defer(&'static str),
    Block,
}

struct Case {
    name: &'static str,
    packs: &'static [&'static str],
    debtor: DebtorProfile,
    channel: ChannelKind,
    history: Vec<PastContact>,
    at: &'static str,
    want: Want,
    code: Option<ReasonCode>,
}

fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in cases {
        let guard = ComplianceGuard::with_packs(c.packs.iter().map(|n| pack(n)).collect());
        let v = guard.decide(&attempt(c.channel), &c.debtor, &c.history, t(c.at));
        let got = match v.decision {
            Decision::Allow => Want::Allow,
            Decision::Defer { until } => {
                let want = match c.want {
                    Want::Defer(u) => Some(t(u)),
                    _ => None,
                };
                if Some(until) == want {
                    c.want
                } else {
                    failures.push(format!(
                        "{}: got defer until {until}, want {:?}; {:?}",
                        c.name, c.want, v.reasons
                    ));
                    continue;
                }
            }
            Decision::Block => Want::Block,
        };
        if got != c.want {
            failures.push(format!(
                "{}: got {got:?}, want {:?}; {:?}",
                c.name, c.want, v.reasons
            ));
            continue;
        }
        // The fast path agrees with the explained one.
        let fast = guard.decision(&attempt(c.channel), &c.debtor, &c.history, t(c.at));
        if fast != v.decision {
            failures.push(format!(
                "{}: fast path {fast:?} != {:?}",
                c.name, v.decision
            ));
        }
        if got == Want::Allow && !v.reasons.is_empty() {
            failures.push(format!("{}: allow with reasons {:?}", c.name, v.reasons));
        }
        if let Some(code) = c.code
            && !v.reasons.iter().any(|r| r.code == code)
        {
            failures.push(format!(
                "{}: no reason with code {code}; {:?}",
                c.name, v.reasons
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

use ChannelKind::{Email, Sms, Voice};

fn case(
    name: &'static str,
    packs: &'static [&'static str],
    debtor: DebtorProfile,
    channel: ChannelKind,
    at: &'static str,
    want: Want,
    code: Option<ReasonCode>,
) -> Case {
    Case {
        name,
        packs,
        debtor,
        channel,
        history: Vec::new(),
        at,
        want,
        code,
    }
}

#[test]
fn mx_profeco() {
    let cdmx = || debtor("MX", Some("MX-CMX"));
    let tij = || debtor("MX", Some("MX-BCN"));
    let mx = &["mx-profeco"];
    run(vec![
        // Monday 2026-12-14, Mexico City is UTC-6 all year since 2022.
        case(
            "06:59:59 defers",
            mx,
            cdmx(),
            Voice,
            "2026-12-14T12:59:59Z",
            Want::Defer("2026-12-14T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "07:00:00 allowed",
            mx,
            cdmx(),
            Voice,
            "2026-12-14T13:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "21:59:59 allowed",
            mx,
            cdmx(),
            Voice,
            "2026-12-15T03:59:59Z",
            Want::Allow,
            None,
        ),
        case(
            "22:00:00 defers to next day 07:00",
            mx,
            cdmx(),
            Voice,
            "2026-12-15T04:00:00Z",
            Want::Defer("2026-12-15T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // A send at 21:59 is allowed; its retry at 22:01 waits for 07:00.
        case(
            "send at 21:59",
            mx,
            cdmx(),
            Sms,
            "2026-12-15T03:59:00Z",
            Want::Allow,
            None,
        ),
        case(
            "retry at 22:01",
            mx,
            cdmx(),
            Sms,
            "2026-12-15T04:01:00Z",
            Want::Defer("2026-12-15T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // Friday 22:00 defers over the weekend to Monday 07:00.
        case(
            "Friday night to Monday",
            mx,
            cdmx(),
            Email,
            "2026-12-12T04:00:00Z",
            Want::Defer("2026-12-14T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "Saturday closed",
            mx,
            cdmx(),
            Email,
            "2026-12-12T18:00:00Z",
            Want::Defer("2026-12-14T13:00:00Z"),
            Some(ReasonCode::ClosedDay),
        ),
        case(
            "Sunday closed",
            mx,
            cdmx(),
            Email,
            "2026-12-13T18:00:00Z",
            Want::Defer("2026-12-14T13:00:00Z"),
            Some(ReasonCode::ClosedDay),
        ),
        // Monday 2026-11-16 is Revolution Day (third Monday of November).
        case(
            "holiday",
            mx,
            cdmx(),
            Email,
            "2026-11-16T18:00:00Z",
            Want::Defer("2026-11-17T13:00:00Z"),
            Some(ReasonCode::Holiday),
        ),
        // Oct 1 2030: transmission of the federal executive (Tuesday).
        case(
            "inauguration day 2030",
            mx,
            cdmx(),
            Email,
            "2030-10-01T18:00:00Z",
            Want::Defer("2030-10-02T13:00:00Z"),
            Some(ReasonCode::Holiday),
        ),
        // Same summer instant, Wednesday 2026-07-15 13:30Z: 07:30 in Mexico
        // City (UTC-6), 06:30 in Tijuana (PDT, UTC-7).
        case(
            "CDMX at 07:30",
            mx,
            cdmx(),
            Voice,
            "2026-07-15T13:30:00Z",
            Want::Allow,
            None,
        ),
        case(
            "Tijuana at 06:30",
            mx,
            tij(),
            Voice,
            "2026-07-15T13:30:00Z",
            Want::Defer("2026-07-15T14:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // Winter: Tijuana is PST (UTC-8).
        case(
            "Tijuana winter 07:00",
            mx,
            tij(),
            Voice,
            "2026-12-14T15:00:00Z",
            Want::Allow,
            None,
        ),
        // No subdivision: every Mexican zone must allow. Earliest is 07:00
        // in Tijuana/Hermosillo/Mazatlán (14:00Z in July) and the latest end
        // 22:00 in Cancún (UTC-5) = 03:00Z.
        case(
            "MX all zones, morning",
            mx,
            debtor("MX", None),
            Voice,
            "2026-07-15T13:30:00Z",
            Want::Defer("2026-07-15T14:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "MX all zones, 14:00Z",
            mx,
            debtor("MX", None),
            Voice,
            "2026-07-15T14:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "MX all zones, Cancún 21:59:59",
            mx,
            debtor("MX", None),
            Voice,
            "2026-07-16T02:59:59Z",
            Want::Allow,
            None,
        ),
        case(
            "MX all zones, Cancún 22:00",
            mx,
            debtor("MX", None),
            Voice,
            "2026-07-16T03:00:00Z",
            Want::Defer("2026-07-16T14:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // Explicit zone wins.
        case(
            "explicit zone",
            mx,
            DebtorProfile {
                timezone: Some("America/Cancun".into()),
                ..debtor("MX", Some("MX-BCN"))
            },
            Voice,
            "2026-07-15T12:00:00Z",
            Want::Allow,
            None,
        ),
    ]);
}

#[test]
fn mx_profeco_targets() {
    let mx = &["mx-profeco"];
    let at = "2026-12-14T18:00:00Z";
    let base = || debtor("MX", Some("MX-JAL"));
    run(vec![
        case("debtor ok", mx, base(), Email, at, Want::Allow, None),
        case(
            "guarantor ok",
            mx,
            DebtorProfile {
                role: ContactRole::Guarantor,
                ..base()
            },
            Email,
            at,
            Want::Allow,
            None,
        ),
        case(
            "co-obligor ok",
            mx,
            DebtorProfile {
                role: ContactRole::CoObligor,
                ..base()
            },
            Email,
            at,
            Want::Allow,
            None,
        ),
        case(
            "reference blocked",
            mx,
            DebtorProfile {
                role: ContactRole::Reference,
                ..base()
            },
            Email,
            at,
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
        case(
            "employer blocked",
            mx,
            DebtorProfile {
                role: ContactRole::Employer,
                ..base()
            },
            Email,
            at,
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
        case(
            "skip-traced blocked",
            mx,
            DebtorProfile {
                provenance: Provenance::SkipTraced,
                ..base()
            },
            Sms,
            at,
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
        case(
            "debtor-provided ok",
            mx,
            DebtorProfile {
                provenance: Provenance::DebtorProvided,
                ..base()
            },
            Sms,
            at,
            Want::Allow,
            None,
        ),
        case(
            "minor blocked",
            mx,
            DebtorProfile {
                flags: [AccountFlag::Minor].into(),
                ..base()
            },
            Voice,
            at,
            Want::Block,
            Some(ReasonCode::Flagged),
        ),
        // A block wins over a window: blocked even on a Sunday.
        case(
            "minor on Sunday blocked",
            mx,
            DebtorProfile {
                flags: [AccountFlag::Minor].into(),
                ..base()
            },
            Voice,
            "2026-12-13T18:00:00Z",
            Want::Block,
            Some(ReasonCode::Flagged),
        ),
        case(
            "refused consent blocked",
            mx,
            DebtorProfile {
                consent: cobro_campaigns::Consent {
                    sms: Some(false),
                    ..Default::default()
                },
                ..base()
            },
            Sms,
            at,
            Want::Block,
            Some(ReasonCode::NoConsent),
        ),
    ]);
    let p = pack("mx-profeco");
    for ch in ChannelKind::AUTOMATED {
        assert_eq!(
            p.required_elements(ch),
            vec![TemplateElement::CollectorId, TemplateElement::CreditorId]
        );
    }
}

#[test]
fn co_ley2300() {
    let co = &["co-ley2300"];
    let bog = || consenting(debtor("CO", None));
    // Bogotá is UTC-5, no DST.
    run(vec![
        case(
            "weekday 06:59:59",
            co,
            bog(),
            Voice,
            "2026-12-16T11:59:59Z",
            Want::Defer("2026-12-16T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "weekday 07:00",
            co,
            bog(),
            Voice,
            "2026-12-16T12:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "weekday 18:59:59",
            co,
            bog(),
            Voice,
            "2026-12-16T23:59:59Z",
            Want::Allow,
            None,
        ),
        case(
            "weekday 19:00",
            co,
            bog(),
            Voice,
            "2026-12-17T00:00:00Z",
            Want::Defer("2026-12-17T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "Saturday 07:59",
            co,
            bog(),
            Voice,
            "2026-12-19T12:59:00Z",
            Want::Defer("2026-12-19T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "Saturday 08:00",
            co,
            bog(),
            Voice,
            "2026-12-19T13:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "Saturday 14:59:59",
            co,
            bog(),
            Voice,
            "2026-12-19T19:59:59Z",
            Want::Allow,
            None,
        ),
        case(
            "Saturday 15:00 to Monday",
            co,
            bog(),
            Voice,
            "2026-12-19T20:00:00Z",
            Want::Defer("2026-12-21T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "Sunday",
            co,
            bog(),
            Voice,
            "2026-12-20T15:00:00Z",
            Want::Defer("2026-12-21T12:00:00Z"),
            Some(ReasonCode::ClosedDay),
        ),
        // Epiphany (Tue 2026-01-06) moves to Monday 2026-01-12.
        case(
            "Jan 6 is a working day",
            co,
            bog(),
            Email,
            "2026-01-06T15:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "moved holiday Monday Jan 12",
            co,
            bog(),
            Email,
            "2026-01-12T15:00:00Z",
            Want::Defer("2026-01-13T12:00:00Z"),
            Some(ReasonCode::Holiday),
        ),
        // Christmas Friday 2026-12-25 -> Saturday 08:00.
        case(
            "Christmas",
            co,
            bog(),
            Email,
            "2026-12-25T15:00:00Z",
            Want::Defer("2026-12-26T13:00:00Z"),
            Some(ReasonCode::Holiday),
        ),
        case(
            "no consent",
            co,
            debtor("CO", None),
            Email,
            "2026-12-16T15:00:00Z",
            Want::Block,
            Some(ReasonCode::NoConsent),
        ),
        case(
            "reference blocked",
            co,
            DebtorProfile {
                role: ContactRole::Reference,
                ..bog()
            },
            Email,
            "2026-12-16T15:00:00Z",
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
        case(
            "third party blocked",
            co,
            DebtorProfile {
                role: ContactRole::ThirdParty,
                ..bog()
            },
            Email,
            "2026-12-16T15:00:00Z",
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
    ]);
}

#[test]
fn co_ley2300_caps() {
    let co = &["co-ley2300"];
    let bog = || consenting(debtor("CO", None));
    let with = |name, ch, history: Vec<PastContact>, at, want, code| Case {
        name,
        packs: co,
        debtor: bog(),
        channel: ch,
        history,
        at,
        want,
        code,
    };
    // Week of Monday 2026-12-14; Wednesday 16th 10:00 local = 15:00Z.
    run(vec![
        with(
            "no history",
            Sms,
            vec![],
            "2026-12-16T15:00:00Z",
            Want::Allow,
            None,
        ),
        // ≤1 per calendar day: one today (at the limit) defers to tomorrow 07:00.
        with(
            "second contact same day",
            Sms,
            vec![past("2026-12-16T13:00:00Z", Email)],
            "2026-12-16T15:00:00Z",
            Want::Defer("2026-12-17T12:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        // Yesterday's contact is another local day (23:30 Tuesday local = 04:30Z Wed).
        with(
            "contact late yesterday local",
            Sms,
            vec![past("2026-12-16T04:30:00Z", Email)],
            "2026-12-16T15:00:00Z",
            Want::Allow,
            None,
        ),
        // ≤1 per channel per week: an email on Monday defers Wednesday's email to next Monday.
        with(
            "second email this week",
            Email,
            vec![past("2026-12-14T15:00:00Z", Email)],
            "2026-12-16T15:00:00Z",
            Want::Defer("2026-12-21T12:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        with(
            "sms after Monday email",
            Sms,
            vec![past("2026-12-14T15:00:00Z", Email)],
            "2026-12-16T15:00:00Z",
            Want::Allow,
            None,
        ),
        // ≤2 per week in all: at the limit (2) the third waits for Monday.
        with(
            "third contact this week",
            Voice,
            vec![
                past("2026-12-14T15:00:00Z", Email),
                past("2026-12-15T15:00:00Z", Sms),
            ],
            "2026-12-16T15:00:00Z",
            Want::Defer("2026-12-21T12:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        // Last week's contacts do not count.
        with(
            "last week's contacts",
            Voice,
            vec![
                past("2026-12-10T15:00:00Z", Voice),
                past("2026-12-11T15:00:00Z", Sms),
            ],
            "2026-12-16T15:00:00Z",
            Want::Allow,
            None,
        ),
    ]);
}

#[test]
fn cl_ley21320() {
    let cl = &["cl-ley21320"];
    // Santiago in August 2026 is UTC-4 (standard time).
    let stgo = || debtor("CL", Some("CL-RM"));
    let with = |name, ch, history: Vec<PastContact>, at, want, code| Case {
        name,
        packs: cl,
        debtor: stgo(),
        channel: ch,
        history,
        at,
        want,
        code,
    };
    run(vec![
        with(
            "weekday 07:59:59",
            Sms,
            vec![],
            "2026-08-18T11:59:59Z",
            Want::Defer("2026-08-18T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        with(
            "weekday 08:00",
            Sms,
            vec![],
            "2026-08-18T12:00:00Z",
            Want::Allow,
            None,
        ),
        with(
            "weekday 19:59:59",
            Sms,
            vec![],
            "2026-08-18T23:59:59Z",
            Want::Allow,
            None,
        ),
        with(
            "weekday 20:00",
            Sms,
            vec![],
            "2026-08-19T00:00:00Z",
            Want::Defer("2026-08-19T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        with(
            "ordinary Saturday",
            Sms,
            vec![],
            "2026-08-22T16:00:00Z",
            Want::Allow,
            None,
        ),
        // Saturday 2026-08-15 is Asunción de la Virgen: closed; Sunday closed; Monday 08:00.
        with(
            "holiday on a Saturday",
            Sms,
            vec![],
            "2026-08-15T16:00:00Z",
            Want::Defer("2026-08-17T12:00:00Z"),
            Some(ReasonCode::Holiday),
        ),
        with(
            "Sunday",
            Sms,
            vec![],
            "2026-08-16T16:00:00Z",
            Want::Defer("2026-08-17T12:00:00Z"),
            Some(ReasonCode::ClosedDay),
        ),
        // Second SMS: first on Monday 17th 10:00 local (14:00Z).
        with(
            "second SMS one day later",
            Sms,
            vec![past("2026-08-17T14:00:00Z", Sms)],
            "2026-08-18T14:00:00Z",
            Want::Defer("2026-08-19T12:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        with(
            "second SMS two days later",
            Sms,
            vec![past("2026-08-17T14:00:00Z", Sms)],
            "2026-08-19T14:00:00Z",
            Want::Allow,
            None,
        ),
        // Email and SMS share the cap: third written contact in 7 days waits
        // for the first to age out (same local time 7 days later).
        with(
            "third written in 7 days",
            Email,
            vec![
                past("2026-08-17T14:00:00Z", Sms),
                past("2026-08-19T14:00:00Z", Email),
            ],
            "2026-08-21T14:00:00Z",
            Want::Defer("2026-08-24T14:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        // Voice ≤1 per rolling 7 days.
        with(
            "second call in 7 days",
            Voice,
            vec![past("2026-08-17T14:00:00Z", Voice)],
            "2026-08-21T14:00:00Z",
            Want::Defer("2026-08-24T14:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        with(
            "call after 7 days",
            Voice,
            vec![past("2026-08-17T14:00:00Z", Voice)],
            "2026-08-24T14:00:00Z",
            Want::Allow,
            None,
        ),
        with(
            "call does not cap SMS",
            Sms,
            vec![past("2026-08-17T14:00:00Z", Voice)],
            "2026-08-18T14:00:00Z",
            Want::Allow,
            None,
        ),
    ]);
    run(vec![
        case(
            "sued blocked",
            cl,
            DebtorProfile {
                flags: [AccountFlag::Sued].into(),
                ..stgo()
            },
            Sms,
            "2026-08-18T14:00:00Z",
            Want::Block,
            Some(ReasonCode::Flagged),
        ),
        case(
            "third party blocked",
            cl,
            DebtorProfile {
                role: ContactRole::ThirdParty,
                ..stgo()
            },
            Sms,
            "2026-08-18T14:00:00Z",
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
        // Magallanes keeps UTC-3 all year: 08:00 there is 11:00Z.
        case(
            "Punta Arenas 08:00",
            cl,
            debtor("CL", Some("CL-MA")),
            Sms,
            "2026-08-18T11:00:00Z",
            Want::Allow,
            None,
        ),
        // No subdivision: Easter Island (UTC-6 in August) must allow too.
        case(
            "CL all zones",
            cl,
            debtor("CL", None),
            Sms,
            "2026-08-18T12:00:00Z",
            Want::Defer("2026-08-18T14:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
    ]);
}

#[test]
fn pe_consumidor() {
    let pe = &["pe-consumidor"];
    let lima = || debtor("PE", None);
    // Lima is UTC-5.
    run(vec![
        case(
            "06:59:59",
            pe,
            lima(),
            Voice,
            "2026-12-16T11:59:59Z",
            Want::Defer("2026-12-16T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "07:00",
            pe,
            lima(),
            Voice,
            "2026-12-16T12:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "19:59:59",
            pe,
            lima(),
            Voice,
            "2026-12-17T00:59:59Z",
            Want::Allow,
            None,
        ),
        case(
            "20:00",
            pe,
            lima(),
            Voice,
            "2026-12-17T01:00:00Z",
            Want::Defer("2026-12-17T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "Saturday",
            pe,
            lima(),
            Voice,
            "2026-12-19T15:00:00Z",
            Want::Defer("2026-12-21T12:00:00Z"),
            Some(ReasonCode::ClosedDay),
        ),
        // Tue 2026-12-08 and Wed 12-09 are holidays.
        case(
            "Immaculate Conception + Ayacucho",
            pe,
            lima(),
            Voice,
            "2026-12-08T15:00:00Z",
            Want::Defer("2026-12-10T12:00:00Z"),
            Some(ReasonCode::Holiday),
        ),
        case(
            "third party blocked",
            pe,
            DebtorProfile {
                role: ContactRole::ThirdParty,
                ..lima()
            },
            Voice,
            "2026-12-16T15:00:00Z",
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
    ]);
}

#[test]
fn us_regf() {
    let us = &["us-regf"];
    let ny = || debtor("US", Some("US-NY"));
    run(vec![
        case(
            "Sunday 08:00 EST",
            us,
            ny(),
            Voice,
            "2026-12-13T13:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "20:59:59 EST",
            us,
            ny(),
            Voice,
            "2026-12-14T01:59:59Z",
            Want::Allow,
            None,
        ),
        case(
            "21:00 EST",
            us,
            ny(),
            Voice,
            "2026-12-14T02:00:00Z",
            Want::Defer("2026-12-14T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // Spring forward Sunday 2026-03-08: 08:00 EDT is 12:00Z (13:00Z the day before).
        case(
            "spring-forward night",
            us,
            ny(),
            Voice,
            "2026-03-08T05:00:00Z",
            Want::Defer("2026-03-08T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "day before spring-forward",
            us,
            ny(),
            Voice,
            "2026-03-07T05:00:00Z",
            Want::Defer("2026-03-07T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "spring-forward 08:00 EDT",
            us,
            ny(),
            Voice,
            "2026-03-08T12:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "spring-forward 20:59 EDT",
            us,
            ny(),
            Voice,
            "2026-03-09T00:59:00Z",
            Want::Allow,
            None,
        ),
        case(
            "spring-forward 21:00 EDT",
            us,
            ny(),
            Voice,
            "2026-03-09T01:00:00Z",
            Want::Defer("2026-03-09T12:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // Fall back Sunday 2026-11-01: 01:30 happens twice; 08:00 EST is 13:00Z.
        case(
            "fall-back first 01:30",
            us,
            ny(),
            Voice,
            "2026-11-01T05:30:00Z",
            Want::Defer("2026-11-01T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "fall-back second 01:30",
            us,
            ny(),
            Voice,
            "2026-11-01T06:30:00Z",
            Want::Defer("2026-11-01T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "fall-back 07:59:59 EST",
            us,
            ny(),
            Voice,
            "2026-11-01T12:59:59Z",
            Want::Defer("2026-11-01T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "fall-back 08:00 EST",
            us,
            ny(),
            Voice,
            "2026-11-01T13:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "fall-back 21:00 EST",
            us,
            ny(),
            Voice,
            "2026-11-02T02:00:00Z",
            Want::Defer("2026-11-02T13:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        // Holidays do not close under Reg F.
        case(
            "Christmas open",
            us,
            ny(),
            Voice,
            "2026-12-25T15:00:00Z",
            Want::Allow,
            None,
        ),
        // Arizona (Phoenix, no DST) stacked with the Navajo Nation (Denver).
        case(
            "Arizona summer",
            us,
            debtor("US", Some("US-AZ")),
            Voice,
            "2026-07-15T14:30:00Z",
            Want::Defer("2026-07-15T15:00:00Z"),
            Some(ReasonCode::OutsideHours),
        ),
        case(
            "employer email blocked",
            us,
            DebtorProfile {
                contact_flags: [ContactFlag::EmployerEmail].into(),
                ..ny()
            },
            Email,
            "2026-12-14T15:00:00Z",
            Want::Block,
            Some(ReasonCode::TargetNotAllowed),
        ),
        case(
            "employer email flag irrelevant for sms",
            us,
            DebtorProfile {
                contact_flags: [ContactFlag::EmployerEmail].into(),
                ..ny()
            },
            Sms,
            "2026-12-14T15:00:00Z",
            Want::Allow,
            None,
        ),
        case(
            "cease communication",
            us,
            DebtorProfile {
                flags: [AccountFlag::CeaseCommunication].into(),
                ..ny()
            },
            Email,
            "2026-12-14T15:00:00Z",
            Want::Block,
            Some(ReasonCode::Flagged),
        ),
    ]);
    let p = pack("us-regf");
    assert_eq!(p.required_elements(Email), vec![TemplateElement::OptOut]);
    assert_eq!(p.required_elements(Sms), vec![TemplateElement::OptOut]);
    assert!(p.required_elements(Voice).is_empty());
}

#[test]
fn us_regf_caps_and_cooldown() {
    let us = &["us-regf"];
    let ny = || debtor("US", Some("US-NY"));
    let with = |name, history: Vec<PastContact>, at, want, code| Case {
        name,
        packs: us,
        debtor: ny(),
        channel: Voice,
        history,
        at,
        want,
        code,
    };
    // One call a day at 10:00 EDT (14:00Z) from Monday 2026-06-01.
    let calls = |n: usize| -> Vec<PastContact> {
        (0..n)
            .map(|i| PastContact {
                at: t("2026-06-01T14:00:00Z") + chrono::Duration::days(i as i64),
                channel: Voice,
                kind: PastContactKind::Attempt,
                same_account: true,
            })
            .collect()
    };
    run(vec![
        with(
            "seventh call in 7 days",
            calls(6),
            "2026-06-07T19:00:00Z",
            Want::Allow,
            None,
        ),
        with(
            "eighth call in 7 days",
            calls(7),
            "2026-06-07T19:00:00Z",
            Want::Defer("2026-06-08T14:00:00Z"),
            Some(ReasonCode::FrequencyCap),
        ),
        with(
            "eighth call after the first ages out",
            calls(7),
            "2026-06-08T14:00:00Z",
            Want::Allow,
            None,
        ),
        // Calls about another account do not count (account scope).
        with(
            "other account's calls",
            calls(7)
                .into_iter()
                .map(|mut c| {
                    c.same_account = false;
                    c
                })
                .collect(),
            "2026-06-07T19:00:00Z",
            Want::Allow,
            None,
        ),
        // Conversation Monday 2026-06-01 10:00 EDT (day 1).
        with(
            "call 6 days after a conversation",
            vec![conversation("2026-06-01T14:00:00Z")],
            "2026-06-07T14:00:00Z",
            Want::Defer("2026-06-08T12:00:00Z"),
            Some(ReasonCode::Cooldown),
        ),
        with(
            "call 7 days after a conversation",
            vec![conversation("2026-06-01T14:00:00Z")],
            "2026-06-08T14:00:00Z",
            Want::Allow,
            None,
        ),
        // Evening conversation (19:59 EDT on day 1): day 8 is free from its first minute.
        with(
            "conversation evening, day 7 early",
            vec![conversation("2026-06-01T23:59:00Z")],
            "2026-06-08T12:00:00Z",
            Want::Allow,
            None,
        ),
    ]);
    // Email is not subject to the voice cooldown.
    let guard = ComplianceGuard::with_packs(vec![pack("us-regf")]);
    let v = guard.decide(
        &attempt(Email),
        &ny(),
        &[conversation("2026-06-01T14:00:00Z")],
        t("2026-06-02T14:00:00Z"),
    );
    assert_eq!(v.decision, Decision::Allow);
}

#[test]
fn fail_closed_and_suppression() {
    let guard = ComplianceGuard::with_packs(vec![pack("mx-profeco")]);
    let at = t("2026-12-14T18:00:00Z");
    let v = guard.decide(
        &attempt(Email),
        &DebtorProfile {
            timezone: Some("Mars/Olympus".into()),
            ..debtor("MX", None)
        },
        &[],
        at,
    );
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(v.reasons[0].code, ReasonCode::UnknownTimezone);
    let v = guard.decide(&attempt(Email), &debtor("ZZ", None), &[], at);
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(v.reasons[0].code, ReasonCode::UnknownTimezone);
    let v = guard.decide(&attempt(Email), &debtor("MX", Some("MX-XXX")), &[], at);
    assert_eq!(v.reasons[0].code, ReasonCode::UnknownTimezone);
    let v = guard.decide(
        &ContactAttempt {
            channel: Email,
            suppressed: true,
        },
        &debtor("MX", Some("MX-CMX")),
        &[],
        at,
    );
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(v.reasons[0].code, ReasonCode::Suppressed);
    // A country with no pack and no default is not contacted.
    let guard = ComplianceGuard::new(
        [("MX".to_string(), vec![pack("mx-profeco")])].into(),
        vec![],
        vec![],
    );
    let v = guard.decide(&attempt(Email), &debtor("CO", None), &[], at);
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(guard.packs_for("mx").len(), 1);
    assert!(guard.packs_for("CO").is_empty());
}

#[test]
fn stacked_packs_most_restrictive_wins() {
    let house = RulePack::from_toml_str(
        r#"
id = "house"
[windows]
mon = ["09:00-18:00"]
tue = ["09:00-18:00"]
wed = ["09:00-18:00"]
thu = ["09:00-18:00"]
fri = ["09:00-18:00"]
sat = []
sun = []
[margins]
voice = 30
"#,
        "house.toml",
    )
    .expect("house pack");
    let guard = ComplianceGuard::new(
        [("MX".to_string(), vec![pack("mx-profeco")])].into(),
        vec![],
        vec![house],
    );
    let cdmx = debtor("MX", Some("MX-CMX"));
    // 08:00 Mexico City: mx allows, house does not -> 09:00.
    let v = guard.decide(&attempt(Email), &cdmx, &[], t("2026-12-14T14:00:00Z"));
    assert_eq!(
        v.decision,
        Decision::Defer {
            until: t("2026-12-14T15:00:00Z")
        }
    );
    assert_eq!(v.rules, vec!["mx-profeco", "house"]);
    assert!(v.reasons.iter().all(|r| r.rule == "house"));
    // 17:45: email ok, voice within the 30-minute margin -> next day 09:00.
    let at = t("2026-12-14T23:45:00Z");
    assert_eq!(
        guard.decide(&attempt(Email), &cdmx, &[], at).decision,
        Decision::Allow
    );
    assert_eq!(
        guard.decide(&attempt(Voice), &cdmx, &[], at).decision,
        Decision::Defer {
            until: t("2026-12-15T15:00:00Z")
        }
    );
    // Explain JSON contract.
    let j = guard
        .decide(&attempt(Voice), &cdmx, &[], at)
        .to_explain_json();
    assert_eq!(j["decision"], "defer");
    assert_eq!(j["until"], "2026-12-15T15:00:00Z");
    assert_eq!(j["timezones"], serde_json::json!(["America/Mexico_City"]));
    assert_eq!(j["reasons"][0]["code"], "outside_hours");
    assert_eq!(j.as_object().map(|o| o.len()), Some(4));
    let j = guard
        .decide(&attempt(Email), &cdmx, &[], at)
        .to_explain_json();
    assert_eq!(
        j,
        serde_json::json!({"decision": "allow", "timezones": ["America/Mexico_City"], "reasons": []})
    );
}

#[test]
fn dst_gap_window_start() {
    // A window opening inside the spring-forward gap (02:30 does not exist
    // in New York on 2026-03-08) opens when the clock jumps to 03:00 EDT.
    let p = RulePack::from_toml_str(
        r#"
id = "night"
[windows]
mon = ["02:30-04:00"]
tue = ["02:30-04:00"]
wed = ["02:30-04:00"]
thu = ["02:30-04:00"]
fri = ["02:30-04:00"]
sat = ["02:30-04:00"]
sun = ["02:30-04:00"]
"#,
        "night.toml",
    )
    .expect("pack");
    let guard = ComplianceGuard::with_packs(vec![p]);
    let ny = DebtorProfile {
        timezone: Some("America/New_York".into()),
        ..debtor("US", None)
    };
    let v = guard.decide(&attempt(Voice), &ny, &[], t("2026-03-08T05:00:00Z"));
    // 03:00 EDT = 07:00Z.
    assert_eq!(
        v.decision,
        Decision::Defer {
            until: t("2026-03-08T07:00:00Z")
        }
    );
}

#[test]
fn explain_string_keeps_contract_order_and_matches_json() {
    let guard = ComplianceGuard::with_packs(vec![pack("mx-profeco")]);
    let cdmx = debtor("MX", Some("MX-CMX"));
    for at in ["2026-12-14T04:30:00Z", "2026-12-14T18:00:00Z"] {
        let v = guard.decide(&attempt(Voice), &cdmx, &[], t(at));
        let text = v.to_explain_string();
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed, v.to_explain_json());
        assert!(text.starts_with("{\"decision\":"), "{text}");
    }
    let v = guard.decide(&attempt(Voice), &cdmx, &[], t("2026-12-14T04:30:00Z"));
    let text = v.to_explain_string();
    assert!(text.starts_with("{\"decision\":\"defer\",\"until\":\"2026-12-14T13:00:00Z\",\"timezones\":[\"America/Mexico_City\"],\"reasons\":[{\"rule\":\"mx-profeco\",\"code\":\"closed_day\",\"detail\":"), "{text}");
}

#[test]
fn reason_codes_round_trip() {
    for c in cobro_compliance::guard::ALL_CODES {
        assert_eq!(c.as_str().parse::<ReasonCode>(), Ok(c));
    }
    assert!("nope".parse::<ReasonCode>().is_err());
}

#[test]
fn calendar_intersects_all_mexican_zones() {
    let zones = cobro_compliance::resolve_timezones("MX", None, None)
        .expect("zones")
        .zones;
    let days = cobro_compliance::month_calendar(&[pack("mx-profeco")], &zones, Voice, 2026, 12);
    assert_eq!(days.len(), 31);
    // Tuesday Dec 1: 07:00 Tijuana (PST) = 09:00 Mexico City; 22:00 Cancún = 21:00 Mexico City.
    let d1 = &days[0];
    assert_eq!(
        d1.allowed_utc,
        vec![(t("2026-12-01T15:00:00Z"), t("2026-12-02T03:00:00Z"))]
    );
    let cdmx = d1
        .zones
        .iter()
        .find(|z| z.zone.name() == "America/Mexico_City")
        .expect("cdmx");
    assert_eq!(cdmx.windows[0].0.format("%H:%M").to_string(), "09:00");
    assert_eq!(cdmx.windows[0].1.format("%H:%M").to_string(), "21:00");
    // Saturday closed; Christmas (Friday) closed with its name.
    assert!(days[4].allowed_utc.is_empty());
    assert!(days[24].allowed_utc.is_empty());
    assert_eq!(
        days[24].holidays,
        vec![("mx-profeco".to_string(), "Navidad".to_string())]
    );
}

#[test]
fn profile_from_account_and_contact_point() {
    let account: cobro_campaigns::Account = serde_json::from_value(serde_json::json!({
        "id": "A1", "creditor": "Banco", "debtor_name": "Ana", "amount_due": "100.00",
        "currency": "MXN", "due_date": "2026-10-01", "language": "es-MX", "country": "MX",
        "subdivision": "MX-BCN", "flags": ["disputed"],
        "contact_points": [{"kind": "phone", "address": "+526641234567", "role": "guarantor",
            "provenance": "skip_traced", "consent": {"sms": true}, "flags": ["landline"]}]
    }))
    .expect("account");
    let point = &account.contact_points[0];
    let d = DebtorProfile::from_account(&account, point);
    assert_eq!(d.country, "MX");
    assert_eq!(d.subdivision.as_deref(), Some("MX-BCN"));
    assert_eq!(d.role, ContactRole::Guarantor);
    assert_eq!(d.provenance, Provenance::SkipTraced);
    assert_eq!(d.consent.sms, Some(true));
    assert!(d.flags.contains(&AccountFlag::Disputed));
    assert!(d.contact_flags.contains(&ContactFlag::Landline));
    // mx-profeco refuses the skip-traced number.
    let guard = ComplianceGuard::with_packs(vec![pack("mx-profeco")]);
    let v = guard.decide(&attempt(Sms), &d, &[], t("2026-12-14T18:00:00Z"));
    assert_eq!(v.decision, Decision::Block);
    assert_eq!(v.reasons[0].code, ReasonCode::TargetNotAllowed);
}
