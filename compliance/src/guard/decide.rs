//! One decision for one contact at one instant: zones, suppression,
//! targets, consent, windows and holidays, then caps and cooldowns, the
//! most restrictive pack winning.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use cobro_campaigns::ChannelKind;

use super::caps::caps_free_at;
use super::{
    ComplianceGuard, ContactAttempt, DebtorProfile, Decision, PastContact, Reason, ReasonCode,
    Verdict,
};
use crate::pack::{RulePack, channel_index};
use crate::tz::{self, TzSource};
use crate::window;

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

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
        if !capped
            && packs().all(|p| {
                zones
                    .zones()
                    .iter()
                    .all(|z| window::status(p, *z, p.0.margins[ch], now).is_none())
            })
        {
            return Decision::Allow;
        }
        let mut it =
            packs().flat_map(|p| zones.zones().iter().map(move |z| (p, *z, p.0.margins[ch])));
        match window::earliest_common(&mut it, t0) {
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
        if reasons.is_empty() {
            return Verdict {
                decision: Decision::Allow,
                timezones: zone_vec,
                tz_source: src,
                rules,
                reasons,
            };
        }
        let mut it = packs
            .iter()
            .flat_map(|p| zl.iter().map(move |z| (*p, *z, p.0.margins[ch])));
        match window::earliest_common(&mut it, t0) {
            Some(until) => Verdict {
                decision: Decision::Defer { until },
                timezones: zone_vec,
                tz_source: src,
                rules,
                reasons,
            },
            None => {
                reasons.push(Reason {
                    rule: packs.iter().map(|p| p.id()).collect::<Vec<_>>().join("+"),
                    code: ReasonCode::OutsideHours,
                    detail: format!(
                        "no instant in the next {} days is allowed by every pack in every zone",
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
    let local = now.with_timezone(&z);
    let date = local.date_naive();
    let day = DAY_NAMES[date.weekday().num_days_from_monday() as usize];
    let when = format!(
        "{} {} {} ({})",
        day,
        date,
        local.format("%H:%M:%S"),
        z.name()
    );
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
