//! The guard: one decision for one contact at one instant. Pure, no I/O;
//! the dispatcher hands in the suppression result and the contact history.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use cobro_campaigns::{
    Account, AccountFlag, ChannelKind, Consent, ContactFlag, ContactPoint, ContactRole, Provenance,
};
use serde::{Deserialize, Serialize};

use crate::pack::{Cap, CapPeriod, CapScope, RulePack, channel_index};
use crate::tz::{self, TzSource};
use crate::window::{self, add_days, start_of_day};

/// The contact about to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactAttempt {
    /// The channel the contact would use.
    pub channel: ChannelKind,
    /// The dispatcher checked its suppression lists (STOP, unsubscribe,
    /// regulator lists) and found the address; the guard blocks.
    pub suppressed: bool,
}

fn default_role() -> ContactRole {
    ContactRole::Debtor
}
fn default_provenance() -> Provenance {
    Provenance::CreditorFile
}

/// What the guard needs to know about the person at the other end: where
/// they are (for local time), what is flagged on the account, and who the
/// contact point belongs to. Also the `--debtor` JSON of `cobro rules explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebtorProfile {
    /// ISO 3166-1 alpha-2; selects the packs and the zones.
    pub country: String,
    #[serde(default)]
    /// ISO 3166-2 (`MX-BCN`); pins the zone in multi-zone countries.
    pub subdivision: Option<String>,
    #[serde(default)]
    /// Explicit IANA zone; wins over subdivision and country.
    pub timezone: Option<String>,
    #[serde(default)]
    /// Account flags (minor, sued…) that packs may block on.
    pub flags: BTreeSet<AccountFlag>,
    #[serde(default = "default_role")]
    /// Who the contact point belongs to.
    pub role: ContactRole,
    #[serde(default = "default_provenance")]
    /// Where the contact point came from.
    pub provenance: Provenance,
    #[serde(default)]
    /// Consent recorded per channel.
    pub consent: Consent,
    #[serde(default)]
    /// Flags of the contact point (employer email…).
    pub contact_flags: BTreeSet<ContactFlag>,
}

impl DebtorProfile {
    /// The profile for contacting `point` about `account`.
    pub fn from_account(account: &Account, point: &ContactPoint) -> Self {
        DebtorProfile {
            country: account.country.clone(),
            subdivision: account.subdivision.clone(),
            timezone: account.timezone.clone(),
            flags: account.flags.clone(),
            role: point.role,
            provenance: point.provenance,
            consent: point.consent,
            contact_flags: point.flags.clone(),
        }
    }

    /// A debtor located by country only (handy in tests and tools).
    pub fn in_country(country: &str) -> Self {
        DebtorProfile {
            country: country.to_string(),
            subdivision: None,
            timezone: None,
            flags: BTreeSet::new(),
            role: ContactRole::Debtor,
            provenance: Provenance::CreditorFile,
            consent: Consent::default(),
            contact_flags: BTreeSet::new(),
        }
    }
}

/// Whether a past contact was an attempt (counts against caps) or a
/// conversation (starts cooldowns). A call that reached the debtor is
/// recorded as both an attempt and a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PastContactKind {
    #[default]
    /// A contact attempt (counts against caps).
    Attempt,
    /// A conversation with the debtor (starts cooldowns).
    Conversation,
}

fn yes() -> bool {
    true
}

/// One earlier contact of the same debtor, from the ledger. Debtor-scope
/// caps count every entry; account-scope caps only `same_account` ones.
/// Entries after `now` are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastContact {
    /// When the contact happened.
    pub at: DateTime<Utc>,
    /// The channel it used.
    pub channel: ChannelKind,
    #[serde(default)]
    /// Attempt (default) or conversation.
    pub kind: PastContactKind,
    #[serde(default = "yes")]
    /// Whether it was about the same account (default true).
    pub same_account: bool,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send now.
    Allow,
    /// Not now; `until` is the earliest instant every rule allows.
    Defer {
        /// Earliest instant (UTC) at or after `now` that every rule allows.
        until: DateTime<Utc>,
    },
    /// Never (for this contact as it stands).
    Block,
}

impl Decision {
    /// The deferral instant, when deferred.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            Decision::Defer { until } => Some(*until),
            _ => None,
        }
    }

    /// `allow`, `defer` or `block`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Defer { .. } => "defer",
            Decision::Block => "block",
        }
    }
}

/// Machine codes of DESIGN.md §9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Outside the day's windows (or within the channel's end margin).
    OutsideHours,
    /// The weekday has no window.
    ClosedDay,
    /// A holiday the pack closes.
    Holiday,
    /// A frequency cap is reached.
    FrequencyCap,
    /// A cooldown after a conversation is running.
    Cooldown,
    /// The address is on a suppression list.
    Suppressed,
    /// Consent is missing or refused for the channel.
    NoConsent,
    /// The contact point's role, provenance or flags are not allowed.
    TargetNotAllowed,
    /// The account carries a blocking flag.
    Flagged,
    /// The debtor's zone (or country) cannot be resolved.
    UnknownTimezone,
}

impl ReasonCode {
    /// The snake_case code used in JSON, the ledger and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::OutsideHours => "outside_hours",
            ReasonCode::ClosedDay => "closed_day",
            ReasonCode::Holiday => "holiday",
            ReasonCode::FrequencyCap => "frequency_cap",
            ReasonCode::Cooldown => "cooldown",
            ReasonCode::Suppressed => "suppressed",
            ReasonCode::NoConsent => "no_consent",
            ReasonCode::TargetNotAllowed => "target_not_allowed",
            ReasonCode::Flagged => "flagged",
            ReasonCode::UnknownTimezone => "unknown_timezone",
        }
    }

    /// True for codes that pass with time (the contact is deferred).
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            ReasonCode::OutsideHours
                | ReasonCode::ClosedDay
                | ReasonCode::Holiday
                | ReasonCode::FrequencyCap
                | ReasonCode::Cooldown
        )
    }
}

impl std::str::FromStr for ReasonCode {
    type Err = String;
    /// Parses the snake_case code (as stored in the ledger).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_CODES
            .iter()
            .copied()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| format!("unknown reason code `{s}`"))
    }
}

/// Every reason code, in DESIGN.md §9 order.
pub const ALL_CODES: [ReasonCode; 10] = [
    ReasonCode::OutsideHours,
    ReasonCode::ClosedDay,
    ReasonCode::Holiday,
    ReasonCode::FrequencyCap,
    ReasonCode::Cooldown,
    ReasonCode::Suppressed,
    ReasonCode::NoConsent,
    ReasonCode::TargetNotAllowed,
    ReasonCode::Flagged,
    ReasonCode::UnknownTimezone,
];

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule that stood in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Pack id (or `suppression`, `consent`, `timezone`, `guard`).
    pub rule: String,
    /// Machine code.
    pub code: ReasonCode,
    /// Human explanation (local time, zone, window or cap).
    pub detail: String,
}

/// A decision with everything needed to explain and audit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Allow, defer or block.
    pub decision: Decision,
    /// The zones the decision was evaluated in.
    pub timezones: Vec<Tz>,
    /// Where the zones came from (`None` when they could not be resolved).
    pub tz_source: Option<TzSource>,
    /// Ids of the packs applied.
    pub rules: Vec<String>,
    /// Empty for `Allow`.
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// The JSON object of `cobro rules explain` (DESIGN.md §9): `decision`,
    /// `until` (only with defer), `timezones`, `reasons`.
    pub fn to_explain_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("decision".into(), self.decision.as_str().into());
        if let Decision::Defer { until } = self.decision {
            m.insert(
                "until".into(),
                until.to_rfc3339_opts(SecondsFormat::AutoSi, true).into(),
            );
        }
        m.insert(
            "timezones".into(),
            self.timezones
                .iter()
                .map(|z| z.name())
                .collect::<Vec<_>>()
                .into(),
        );
        m.insert(
            "reasons".into(),
            self.reasons
                .iter()
                .map(|r| {
                    serde_json::json!({"rule": r.rule, "code": r.code.as_str(), "detail": r.detail})
                })
                .collect::<Vec<_>>()
                .into(),
        );
        serde_json::Value::Object(m)
    }
}

impl Verdict {
    /// [`Verdict::to_explain_json`] as compact text with the keys in the
    /// order DESIGN.md §9 shows them (`decision`, `until`, `timezones`,
    /// `reasons`; each reason `rule`, `code`, `detail`), which
    /// `serde_json::Value` (a sorted map) cannot keep.
    pub fn to_explain_string(&self) -> String {
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let mut out = format!("{{\"decision\":{}", q(self.decision.as_str()));
        if let Decision::Defer { until } = self.decision {
            out.push_str(&format!(
                ",\"until\":{}",
                q(&until.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            ));
        }
        let zones: Vec<String> = self.timezones.iter().map(|z| q(z.name())).collect();
        out.push_str(&format!(",\"timezones\":[{}]", zones.join(",")));
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|r| {
                format!(
                    "{{\"rule\":{},\"code\":{},\"detail\":{}}}",
                    q(&r.rule),
                    q(r.code.as_str()),
                    q(&r.detail)
                )
            })
            .collect();
        out.push_str(&format!(",\"reasons\":[{}]}}", reasons.join(",")));
        out
    }
}

/// Decides contacts under a campaign's packs: country packs (or the
/// default for unmapped countries) stacked with house packs; the most
/// restrictive wins.
#[derive(Debug, Clone, Default)]
pub struct ComplianceGuard {
    by_country: BTreeMap<String, Vec<RulePack>>,
    default: Vec<RulePack>,
    house: Vec<RulePack>,
}

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
    /// `packs_by_country`: ISO country → packs; `default`: packs for
    /// countries not listed; `house`: packs applied to everyone.
    pub fn new(
        packs_by_country: BTreeMap<String, Vec<RulePack>>,
        default: Vec<RulePack>,
        house: Vec<RulePack>,
    ) -> Self {
        let by_country = packs_by_country
            .into_iter()
            .map(|(k, v)| (k.trim().to_ascii_uppercase(), v))
            .collect();
        ComplianceGuard {
            by_country,
            default,
            house,
        }
    }

    /// The same packs for every debtor (used by `rules explain`).
    pub fn with_packs(packs: Vec<RulePack>) -> Self {
        ComplianceGuard {
            by_country: BTreeMap::new(),
            default: packs,
            house: Vec::new(),
        }
    }

    fn country_packs(&self, country: &str) -> &[RulePack] {
        let c = country.trim();
        let mut buf = [0u8; 8];
        let found = if c.len() <= buf.len() {
            for (i, b) in c.bytes().enumerate() {
                buf[i] = b.to_ascii_uppercase();
            }
            std::str::from_utf8(&buf[..c.len()])
                .ok()
                .and_then(|k| self.by_country.get(k))
        } else {
            self.by_country.get(&c.to_ascii_uppercase())
        };
        found.map_or(&self.default[..], |v| &v[..])
    }

    /// Packs that apply to a debtor of `country`: its country packs (or the
    /// default), then the house packs.
    pub fn packs_for(&self, country: &str) -> Vec<&RulePack> {
        self.country_packs(country)
            .iter()
            .chain(self.house.iter())
            .collect()
    }

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

fn channels_text(bits: u8) -> String {
    ChannelKind::ALL
        .iter()
        .filter(|c| bits & (1 << channel_index(**c)) != 0)
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// The instant at which all caps and cooldowns of a pack free this contact,
/// or `None` when none binds now. Caps only ever free with time (the
/// history is in the past), so everything at or after that instant passes.
fn caps_free_at(
    p: &RulePack,
    channel: ChannelKind,
    history: &[PastContact],
    zones: &[Tz],
    now: DateTime<Utc>,
    out: &mut Option<Vec<Reason>>,
) -> Option<DateTime<Utc>> {
    let bit = 1u8 << channel_index(channel);
    let mut free: Option<DateTime<Utc>> = None;
    for cap in &p.0.caps {
        if cap.channels & bit == 0 {
            continue;
        }
        if let Some((f, detail)) = cap_free_at(cap, channel, history, zones, now, out.is_some()) {
            free = Some(free.map_or(f, |x| x.max(f)));
            if let Some(v) = out.as_mut() {
                v.push(Reason {
                    rule: p.id().to_string(),
                    code: ReasonCode::FrequencyCap,
                    detail,
                });
            }
        }
    }
    for cd in &p.0.cooldowns {
        if cd.channels & bit == 0 {
            continue;
        }
        let mut last: Option<DateTime<Utc>> = None;
        for h in history {
            if h.kind == PastContactKind::Conversation
                && h.at <= now
                && (cd.scope == CapScope::Debtor || h.same_account)
                && last.is_none_or(|l| h.at > l)
            {
                last = Some(h.at);
            }
        }
        let Some(last) = last else { continue };
        let mut f_max: Option<DateTime<Utc>> = None;
        for z in zones {
            let d = last.with_timezone(z).date_naive();
            let f = start_of_day(*z, add_days(d, cd.days as i64));
            if f > now {
                f_max = Some(f_max.map_or(f, |x| x.max(f)));
            }
        }
        if let Some(f) = f_max {
            free = Some(free.map_or(f, |x| x.max(f)));
            if let Some(v) = out.as_mut() {
                v.push(Reason {
                    rule: p.id().to_string(),
                    code: ReasonCode::Cooldown,
                    detail: format!(
                        "{}: no {} within {} days after the conversation of {} (conversation day is day 1); free from {}",
                        cd.id,
                        channels_text(cd.channels),
                        cd.days,
                        last.to_rfc3339_opts(SecondsFormat::Secs, true),
                        f.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                });
            }
        }
    }
    free
}

fn cap_free_at(
    cap: &Cap,
    channel: ChannelKind,
    history: &[PastContact],
    zones: &[Tz],
    now: DateTime<Utc>,
    explain: bool,
) -> Option<(DateTime<Utc>, String)> {
    let counts = |h: &PastContact| {
        h.kind == PastContactKind::Attempt
            && h.at <= now
            && (cap.scope == CapScope::Debtor || h.same_account)
            && if cap.per_channel {
                h.channel == channel
            } else {
                cap.channels & (1 << channel_index(h.channel)) != 0
            }
    };
    let mut free: Option<DateTime<Utc>> = None;
    let mut why = String::new();
    let scope = match cap.scope {
        CapScope::Debtor => "debtor",
        CapScope::Account => "account",
    };
    let what = if cap.per_channel {
        channel.as_str().to_string()
    } else {
        channels_text(cap.channels)
    };
    let mut bump = |f: DateTime<Utc>, text: &dyn Fn() -> String, why: &mut String| {
        if f > now && free.is_none_or(|x| f > x) {
            free = Some(f);
            if explain {
                *why = text();
            }
        }
    };
    for z in zones {
        let today = now.with_timezone(z).date_naive();
        if let Some(max) = cap.max {
            match cap.period {
                CapPeriod::CalendarDay | CapPeriod::CalendarWeek => {
                    let (first, len, label) = if cap.period == CapPeriod::CalendarDay {
                        (today, 1, "calendar day")
                    } else {
                        let monday =
                            add_days(today, -(today.weekday().num_days_from_monday() as i64));
                        (monday, 7, "calendar week (Mon–Sun)")
                    };
                    let end = add_days(first, len);
                    let n = history
                        .iter()
                        .filter(|h| counts(h))
                        .filter(|h| {
                            let d = h.at.with_timezone(z).date_naive();
                            d >= first && d < end
                        })
                        .count() as u32;
                    if n >= max {
                        let f = start_of_day(*z, end);
                        bump(
                            f,
                            &|| {
                                format!(
                                    "{n} {what} contact(s) this {label} in {} (max {max} per {scope})",
                                    z.name()
                                )
                            },
                            &mut why,
                        );
                    }
                }
                CapPeriod::Rolling(days) => {
                    let mut expiries: Vec<DateTime<Utc>> = history
                        .iter()
                        .filter(|h| counts(h))
                        .map(|h| {
                            let l = h.at.with_timezone(z).naive_local();
                            let e = add_days(l.date(), days as i64).and_time(l.time());
                            window::earliest_at_or_after_local(*z, e)
                        })
                        .filter(|e| *e > now)
                        .collect();
                    let n = expiries.len() as u32;
                    if n >= max {
                        expiries.sort_unstable();
                        let f = expiries[(n - max) as usize];
                        bump(
                            f,
                            &|| {
                                format!(
                                    "{n} {what} contact(s) in the last {days} days (max {max} per {scope}, rolling)"
                                )
                            },
                            &mut why,
                        );
                    }
                }
            }
        }
        if let Some(gap) = cap.min_gap_days {
            let last = history
                .iter()
                .filter(|h| counts(h))
                .map(|h| h.at.with_timezone(z).date_naive())
                .max();
            if let Some(last) = last {
                let ok_from: NaiveDate = add_days(last, gap as i64);
                if today < ok_from {
                    let f = start_of_day(*z, ok_from);
                    bump(
                        f,
                        &|| {
                            format!(
                                "last {what} contact on {last} ({}); {gap} calendar days must pass",
                                z.name()
                            )
                        },
                        &mut why,
                    );
                }
            }
        }
    }
    let f = free?;
    if !explain {
        return Some((f, String::new()));
    }
    Some((
        f,
        format!(
            "{}: {why}; free from {}",
            cap.id,
            f.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    ))
}
