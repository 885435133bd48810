//! One decision for one contact at one instant: zones, suppression,
//! targets, consent, windows and holidays, then caps and cooldowns, the
//! most restrictive pack winning, and last the hours the debtor asked not
//! to be contacted in (closed for that debtor whatever the packs allow).

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use cobro_campaigns::ChannelKind;

use super::avoid::skip_avoided;
use super::caps::caps_free_at;
use super::{
    AvoidHours, ComplianceGuard, ContactAttempt, DebtorProfile, Decision, PastContact, Reason,
    ReasonCode, Verdict,
};
use crate::pack::{RulePack, channel_index};
use crate::tz::{self, TzSource};
use crate::window;

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The `rule` of reasons that come from the debtor's own preferences.
const DEBTOR_RULE: &str = "debtor";

/// Bound on the rounds of the search for an instant outside the debtor's
/// avoided hours (each round jumps past one avoided stretch). The horizon
/// ends the search long before in any real profile; this only keeps a
/// pathological one (thousands of ranges) from spinning: fail closed.
const MAX_SKIPS: usize = 100_000;

/// A range of avoided hours the deferral search jumped over: the range,
/// the zone it was read in, and the instant it avoided.
type Skipped = (AvoidHours, Tz, DateTime<Utc>);

/// The earliest instant `>= t0` allowed by every `(pack, zone, margin)`
/// constraint that no avoided range covers in any zone, or `None` when
/// there is none within the horizon (the caller blocks). The packs are asked first; when their
/// instant is avoided, the search jumps past the avoided stretch and asks
/// the packs again, so neither can overrule the other. With no ranges this
/// is exactly [`window::earliest_common`] from `t0`. `skipped`, when
/// given, collects the ranges jumped over (for the explanation).
fn earliest_outside_avoided(
    constraints: &[(&RulePack, Tz, u32)],
    avoid: &[AvoidHours],
    zones: &[Tz],
    t0: DateTime<Utc>,
    skipped: &mut Option<Vec<Skipped>>,
) -> Option<DateTime<Utc>> {
    let limit = t0 + chrono::Duration::days(window::HORIZON_DAYS as i64);
    let mut t = t0;
    for _ in 0..MAX_SKIPS {
        t = window::earliest_common(&mut constraints.iter().copied(), t)?;
        let Some(next) = skip_avoided(avoid, zones, t) else {
            return Some(t);
        };
        if let Some(out) = skipped.as_mut() {
            for r in avoid {
                if let Some(z) = zones.iter().find(|z| r.avoids(**z, t))
                    && !out.iter().any(|(seen, _, _)| seen == r)
                {
                    out.push((*r, *z, t));
                }
            }
        }
        t = next;
        if t > limit {
            return None;
        }
    }
    None
}

/// `Mon 2026-12-14 07:00:00 (America/Mexico_City)`: an instant as the
/// debtor's clock shows it, for details.
fn local_when(z: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&z);
    let date = local.date_naive();
    format!(
        "{} {} {} ({})",
        DAY_NAMES[date.weekday().num_days_from_monday() as usize],
        date,
        local.format("%H:%M:%S"),
        z.name()
    )
}

fn avoid_kind(r: &AvoidHours) -> &'static str {
    if r.wraps_midnight() {
        "start inclusive, end exclusive, across midnight"
    } else {
        "start inclusive, end exclusive"
    }
}

fn hhmm(secs: u32) -> String {
    if secs.is_multiple_of(60) {
        format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
    } else {
        format!(
            "{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl ComplianceGuard {
    /// Allocation-free decision without explanation: the same answer as
    /// [`ComplianceGuard::decide`] for the dispatcher's hot path.
    pub fn decision(
        &self,
        attempt: &ContactAttempt,
        debtor: &DebtorProfile,
        history: &[PastContact],
        now: DateTime<Utc>,
    ) -> Decision {
        let cpacks = self.country_packs(&debtor.country);
        let Ok(zones) = tz::resolve(
            &debtor.country,
            debtor.subdivision.as_deref(),
            debtor.timezone.as_deref(),
        ) else {
            return Decision::Block;
        };
        if cpacks.is_empty()
            || attempt.suppressed
            || debtor.consent.get(attempt.channel) == Some(false)
        {
            return Decision::Block;
        }
        let packs = || cpacks.iter().chain(self.house.iter());
        if packs().any(|p| target_violation(p, attempt.channel, debtor, &mut None)) {
            return Decision::Block;
        }
        let mut t0 = now;
        let mut capped = false;
        for p in packs() {
            if let Some(free) =
                caps_free_at(p, attempt.channel, history, zones.zones(), now, &mut None)
            {
                t0 = t0.max(free);
                capped = true;
            }
        }
        let ch = channel_index(attempt.channel);
        let avoid = &debtor.avoid[..];
        if !capped
            && packs().all(|p| {
                zones
                    .zones()
                    .iter()
                    .all(|z| window::status(p, *z, p.0.margins[ch], now).is_none())
            })
            && skip_avoided(avoid, zones.zones(), now).is_none()
        {
            return Decision::Allow;
        }
        let found = if avoid.is_empty() {
            let mut it =
                packs().flat_map(|p| zones.zones().iter().map(move |z| (p, *z, p.0.margins[ch])));
            window::earliest_common(&mut it, t0)
        } else {
            let list: Vec<(&RulePack, Tz, u32)> = packs()
                .flat_map(|p| zones.zones().iter().map(move |z| (p, *z, p.0.margins[ch])))
                .collect();
            earliest_outside_avoided(&list, avoid, zones.zones(), t0, &mut None)
        };
        match found {
            Some(until) => Decision::Defer { until },
            None => Decision::Block,
        }
    }

    /// The decision with zones, packs and reasons, for the ledger and for
    /// `cobro rules explain`.
    pub fn decide(
        &self,
        attempt: &ContactAttempt,
        debtor: &DebtorProfile,
        history: &[PastContact],
        now: DateTime<Utc>,
    ) -> Verdict {
        let cpacks = self.country_packs(&debtor.country);
        let packs: Vec<&RulePack> = cpacks.iter().chain(self.house.iter()).collect();
        let rules: Vec<String> = packs.iter().map(|p| p.id().to_string()).collect();
        let block = |reasons: Vec<Reason>, zones: Vec<Tz>, src: Option<TzSource>| Verdict {
            decision: Decision::Block,
            timezones: zones,
            tz_source: src,
            rules: rules.clone(),
            reasons,
        };
        let zones = match tz::resolve(
            &debtor.country,
            debtor.subdivision.as_deref(),
            debtor.timezone.as_deref(),
        ) {
            Ok(z) => z,
            Err(e) => {
                return block(
                    vec![Reason {
                        rule: "timezone".into(),
                        code: ReasonCode::UnknownTimezone,
                        detail: format!("{e}; not sent (fail closed)"),
                    }],
                    Vec::new(),
                    None,
                );
            }
        };
        let zl = zones.zones();
        let zone_vec = zl.to_vec();
        let src = Some(zones.source);
        let channel = attempt.channel;
        let mut reasons = Vec::new();
        if cpacks.is_empty() {
            reasons.push(Reason {
                rule: "guard".into(),
                code: ReasonCode::TargetNotAllowed,
                detail: format!(
                    "no rules pack applies to country `{}`; not sent (fail closed)",
                    debtor.country
                ),
            });
        }
        if attempt.suppressed {
            reasons.push(Reason {
                rule: "suppression".into(),
                code: ReasonCode::Suppressed,
                detail: format!("the {channel} address is on a suppression list"),
            });
        }
        if debtor.consent.get(channel) == Some(false) {
            reasons.push(Reason {
                rule: "consent".into(),
                code: ReasonCode::NoConsent,
                detail: format!("the debtor refused {channel} contact"),
            });
        }
        for p in &packs {
            let mut out = Some(Vec::new());
            target_violation(p, channel, debtor, &mut out);
            reasons.extend(out.into_iter().flatten());
        }
        if !reasons.is_empty() {
            return block(reasons, zone_vec, src);
        }

        let mut t0 = now;
        for p in &packs {
            let mut out = Some(Vec::new());
            if let Some(free) = caps_free_at(p, channel, history, zl, now, &mut out) {
                t0 = t0.max(free);
            }
            reasons.extend(out.into_iter().flatten());
        }
        let ch = channel_index(channel);
        for p in &packs {
            // One reason per pack and code; other zones that fail the same
            // way are named after the first one's detail.
            let mut by_code: Vec<(ReasonCode, Tz, Vec<&str>)> = Vec::new();
            for z in zl {
                let margin = p.0.margins[ch];
                if let Some(code) = window::status(p, *z, margin, now) {
                    match by_code.iter_mut().find(|(c, _, _)| *c == code) {
                        Some((_, _, others)) => others.push(z.name()),
                        None => by_code.push((code, *z, Vec::new())),
                    }
                }
            }
            for (code, z, others) in by_code {
                let mut detail = window_detail(p, z, channel, code, now);
                if !others.is_empty() {
                    detail.push_str(&format!("; likewise in {}", others.join(", ")));
                }
                reasons.push(Reason {
                    rule: p.id().to_string(),
                    code,
                    detail,
                });
            }
        }
        let avoid = &debtor.avoid[..];
        // The debtor's avoided hours, after the packs' reasons: one reason
        // per range, naming the other zones it also avoids `now` in.
        for r in avoid {
            let mut hit = zl.iter().filter(|z| r.avoids(**z, now));
            if let Some(z) = hit.next() {
                let others: Vec<&str> = hit.map(|z| z.name()).collect();
                let mut detail = format!(
                    "{}: the debtor asked not to be contacted {r} ({})",
                    local_when(*z, now),
                    avoid_kind(r)
                );
                if !others.is_empty() {
                    detail.push_str(&format!("; likewise in {}", others.join(", ")));
                }
                reasons.push(Reason {
                    rule: DEBTOR_RULE.into(),
                    code: ReasonCode::DebtorPreference,
                    detail,
                });
            }
        }
        if reasons.is_empty() {
            return Verdict {
                decision: Decision::Allow,
                timezones: zone_vec,
                tz_source: src,
                rules,
                reasons,
            };
        }
        let mut skipped = Some(Vec::new());
        let found = if avoid.is_empty() {
            let mut it = packs
                .iter()
                .flat_map(|p| zl.iter().map(move |z| (*p, *z, p.0.margins[ch])));
            window::earliest_common(&mut it, t0)
        } else {
            let list: Vec<(&RulePack, Tz, u32)> = packs
                .iter()
                .flat_map(|p| zl.iter().map(move |z| (*p, *z, p.0.margins[ch])))
                .collect();
            earliest_outside_avoided(&list, avoid, zl, t0, &mut skipped)
        };
        match found {
            Some(until) => {
                // Ranges the deferral had to jump over although `now` is
                // outside them (a pack opening inside avoided hours): say
                // so, or `until` would look later than the packs allow.
                for (r, z, at) in skipped.into_iter().flatten() {
                    if zl.iter().all(|zz| !r.avoids(*zz, now)) {
                        reasons.push(Reason {
                            rule: DEBTOR_RULE.into(),
                            code: ReasonCode::DebtorPreference,
                            detail: format!(
                                "{}: the debtor asked not to be contacted {r} ({}); the deferral skips those hours",
                                local_when(z, at),
                                avoid_kind(&r)
                            ),
                        });
                    }
                }
                Verdict {
                    decision: Decision::Defer { until },
                    timezones: zone_vec,
                    tz_source: src,
                    rules,
                    reasons,
                }
            }
            None => {
                let outside = if avoid.is_empty() {
                    ""
                } else {
                    " outside the debtor's avoided hours"
                };
                reasons.push(Reason {
                    rule: packs.iter().map(|p| p.id()).collect::<Vec<_>>().join("+"),
                    code: ReasonCode::OutsideHours,
                    detail: format!(
                        "no instant in the next {} days is allowed by every pack in every zone{outside}",
                        window::HORIZON_DAYS
                    ),
                });
                block(reasons, zone_vec, src)
            }
        }
    }
}

fn window_detail(
    p: &RulePack,
    z: Tz,
    channel: ChannelKind,
    code: ReasonCode,
    now: DateTime<Utc>,
) -> String {
    let date = now.with_timezone(&z).date_naive();
    let day = DAY_NAMES[date.weekday().num_days_from_monday() as usize];
    let when = local_when(z, now);
    match code {
        ReasonCode::Holiday => format!(
            "{when}: holiday ({}), no {channel} contact",
            p.holiday_name(date).unwrap_or_else(|| "holiday".into())
        ),
        ReasonCode::ClosedDay => format!("{when}: no {channel} contact on {day}"),
        _ => {
            let wins = p
                .windows_on(date, channel)
                .unwrap_or_default()
                .iter()
                .map(|(s, e)| format!("{}–{}", hhmm(*s), hhmm(*e)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{when}: outside the {channel} window {wins} (start inclusive, end exclusive)")
        }
    }
}

/// Returns true when the pack forbids this target; with `out`, collects
/// every reason.
fn target_violation(
    p: &RulePack,
    channel: ChannelKind,
    d: &DebtorProfile,
    out: &mut Option<Vec<Reason>>,
) -> bool {
    let t = &p.0.targets;
    let mut hit = false;
    // Details are only formatted when asked for: the fast path must not
    // allocate.
    let mut push = |code: ReasonCode, detail: &dyn Fn() -> String| {
        hit = true;
        if let Some(v) = out.as_mut() {
            v.push(Reason {
                rule: p.id().to_string(),
                code,
                detail: detail(),
            });
        }
    };
    if let Some(roles) = &t.allowed_roles
        && !roles.contains(&d.role)
    {
        push(ReasonCode::TargetNotAllowed, &|| {
            format!("role `{}` may not be contacted", d.role.as_str())
        });
    }
    if t.blocked_provenance.contains(&d.provenance) {
        push(ReasonCode::TargetNotAllowed, &|| {
            format!(
                "contact points of provenance `{}` may not be used",
                d.provenance.as_str()
            )
        });
    }
    let cf = &t.blocked_contact_flags[channel_index(channel)];
    if !cf.is_empty() {
        for f in &d.contact_flags {
            if cf.contains(f) {
                push(ReasonCode::TargetNotAllowed, &|| {
                    format!(
                        "a contact point flagged `{}` may not receive {channel}",
                        f.as_str()
                    )
                });
            }
        }
    }
    if !t.blocked_flags.is_empty() {
        for f in &d.flags {
            if t.blocked_flags.contains(f) {
                push(ReasonCode::Flagged, &|| {
                    format!("account flagged `{}`: no contact", f.as_str())
                });
            }
        }
    }
    if t.consent_required & (1 << channel_index(channel)) != 0
        && d.consent.get(channel) != Some(true)
    {
        push(ReasonCode::NoConsent, &|| {
            format!("no recorded consent for {channel}")
        });
    }
    hit
}
