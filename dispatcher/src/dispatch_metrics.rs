//! What this process's workers did, as Prometheus series (issue 6 item 6):
//! provider latency and errors measured around every transport, and the
//! decisions the pipeline recorded, by rule and code.
//!
//! In-process and lock-light on purpose: a send records into atomics of a
//! series registered once when the channel set is built, so the hot path
//! neither allocates nor takes a lock; decisions take one short lock per
//! recorded row. Counters start at zero with the process (Prometheus'
//! `rate()` and `increase()` handle restarts); the ledger-wide totals stay
//! the store-derived `cobro_decisions` gauge of `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cobro_campaigns::ChannelKind;
use cobro_channels::{Channel, ChannelError, OutboundMessage, Receipt};
use cobro_compliance::ReasonCode;
use futures::future::BoxFuture;

use crate::store::{LedgerEntry, LedgerState};

/// Upper bounds (seconds) of the latency histogram: from an outbox write
/// (about a millisecond) to a provider API at its timeout (30 s).
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How a provider call ended: `ok` or the `ChannelError` class, which is
/// what the pipeline branches on (retry, fallback, suppress).
pub const OUTCOMES: [&str; 5] = ["ok", "transient", "throttled", "permanent", "opted_out"];

/// The ledger states that are decisions about a contact (the guard's, or
/// the pipeline's when it cancels or gives up), as opposed to provider
/// outcomes (`sent`, `delivered`…) and notes. The same set as the
/// store-derived `cobro_decisions` gauge, so both read alike.
pub fn is_decision(state: LedgerState) -> bool {
    matches!(
        state,
        LedgerState::Allowed
            | LedgerState::Deferred
            | LedgerState::Blocked
            | LedgerState::Failed
            | LedgerState::Cancelled
    )
}

/// Rules the guard names in reasons without being rule packs.
const GUARD_RULES: [&str; 4] = ["timezone", "guard", "suppression", "consent"];

/// The rule a decision row is attributed to, for the `rule` label.
///
/// A deferral or block by the guard carries the first reason's code, and
/// its detail starts with that reason's rule (`mx-profeco: …`, written by
/// the pipeline's `verdict_row`): that rule is the one that stood in the
/// way. An allowed row is attributed to the packs that allowed it (joined
/// with `+`, as the guard joins packs in a reason). Anything else (unknown
/// account, template error, provider failure, account paid) was decided by
/// the pipeline, not a rule: `none`.
pub fn decision_rule(row: &LedgerEntry) -> String {
    let packs = row.rules.join("+");
    if let (Some(code), Some(detail)) = (row.code.as_deref(), row.detail.as_deref())
        && matches!(row.state, LedgerState::Deferred | LedgerState::Blocked)
        && ReasonCode::from_str(code).is_ok()
        && let Some((rule, _)) = detail.split_once(": ")
        // Only a name the guard could have written: a detail of another
        // shape must not invent label values.
        && (row.rules.iter().any(|r| r == rule) || GUARD_RULES.contains(&rule) || rule == packs)
    {
        return rule.to_string();
    }
    if row.state == LedgerState::Allowed && !packs.is_empty() {
        return packs;
    }
    "none".to_string()
}

/// A Prometheus histogram over [`LATENCY_BUCKETS`] in atomics.
#[derive(Default)]
struct Histogram {
    /// Per bucket (not cumulative); rendering accumulates.
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|le| secs <= *le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// The series of one provider on one channel.
struct ProviderSeries {
    provider: String,
    channel: ChannelKind,
    /// Indexed like [`OUTCOMES`].
    latency: [Histogram; OUTCOMES.len()],
}

fn outcome_index(result: &Result<Receipt, ChannelError>) -> usize {
    let class = match result {
        Ok(_) => "ok",
        Err(e) => e.class(),
    };
    OUTCOMES.iter().position(|o| *o == class).unwrap_or(0)
}

/// `cobro_decisions_total` labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct DecisionKey {
    campaign: String,
    channel: ChannelKind,
    decision: &'static str,
    code: String,
    rule: String,
}

/// The registry one worker process (or `cobro serve --workers`) shares
/// between its transports, its pipeline and its `/metrics`.
#[derive(Default)]
pub struct DispatchMetrics {
    providers: Mutex<Vec<Arc<ProviderSeries>>>,
    decisions: Mutex<BTreeMap<DecisionKey, u64>>,
}

/// A poisoned lock only means a panic elsewhere mid-update of a counter;
/// the counts are still the best we have.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Escapes a label value (Prometheus text format 0.0.4).
pub fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl DispatchMetrics {
    pub fn new() -> Arc<DispatchMetrics> {
        Arc::new(DispatchMetrics::default())
    }

    /// The series of `provider` on `channel`, registered on first use so
    /// that wrapping one transport twice shares its counts.
    fn series(&self, provider: &str, channel: ChannelKind) -> Arc<ProviderSeries> {
        let mut providers = lock(&self.providers);
        if let Some(s) = providers
            .iter()
            .find(|s| s.provider == provider && s.channel == channel)
        {
            return s.clone();
        }
        let series = Arc::new(ProviderSeries {
            provider: provider.to_string(),
            channel,
            latency: Default::default(),
        });
        providers.push(series.clone());
        series
    }

    /// Wraps `transport` (serving `channel`) so that every send is timed
    /// and classified here.
    pub fn meter(
        self: &Arc<Self>,
        channel: ChannelKind,
        transport: Arc<dyn Channel>,
    ) -> Arc<dyn Channel> {
        let series = self.series(transport.name(), channel);
        Arc::new(MeteredChannel {
            inner: transport,
            series,
        })
    }

    /// Counts the decision rows among `rows`, which the store has just
    /// recorded.
    pub fn record_rows(&self, rows: &[LedgerEntry]) {
        let mut keys: Vec<DecisionKey> = rows
            .iter()
            .filter(|row| is_decision(row.state))
            .map(|row| DecisionKey {
                campaign: row.campaign.clone(),
                channel: row.channel,
                decision: row.state.as_str(),
                code: row.code.clone().unwrap_or_default(),
                rule: decision_rule(row),
            })
            .collect();
        if keys.is_empty() {
            return;
        }
        let mut decisions = lock(&self.decisions);
        for key in keys.drain(..) {
            *decisions.entry(key).or_default() += 1;
        }
    }

    /// Appends the three families in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let mut providers: Vec<Arc<ProviderSeries>> = lock(&self.providers).clone();
        providers.sort_by(|a, b| (&a.provider, a.channel).cmp(&(&b.provider, b.channel)));

        out.push_str(
            "# HELP cobro_provider_request_duration_seconds Time a provider took to accept or refuse one message, by provider, channel and outcome (ok or the error class), in this process.\n\
             # TYPE cobro_provider_request_duration_seconds histogram\n",
        );
        for s in &providers {
            for (outcome, h) in OUTCOMES.iter().zip(&s.latency) {
                let count = h.count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let labels = format!(
                    "provider=\"{}\",channel=\"{}\",outcome=\"{outcome}\"",
                    label(&s.provider),
                    s.channel
                );
                let mut cumulative = 0;
                for (le, bucket) in LATENCY_BUCKETS.iter().zip(&h.buckets) {
                    cumulative += bucket.load(Ordering::Relaxed);
                    let _ = writeln!(
                        out,
                        "cobro_provider_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "cobro_provider_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
                );
                let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
                let _ = writeln!(
                    out,
                    "cobro_provider_request_duration_seconds_sum{{{labels}}} {sum}"
                );
                let _ = writeln!(
                    out,
                    "cobro_provider_request_duration_seconds_count{{{labels}}} {count}"
                );
            }
        }

        out.push_str(
            "# HELP cobro_provider_errors_total Provider calls that failed, by provider, channel and error class, in this process.\n\
             # TYPE cobro_provider_errors_total counter\n",
        );
        for s in &providers {
            // Every class is written once the provider has been used, so
            // that an alert on a class sees 0 before the first error.
            if s.latency
                .iter()
                .all(|h| h.count.load(Ordering::Relaxed) == 0)
            {
                continue;
            }
            for (class, h) in OUTCOMES.iter().zip(&s.latency).skip(1) {
                let _ = writeln!(
                    out,
                    "cobro_provider_errors_total{{provider=\"{}\",channel=\"{}\",class=\"{class}\"}} {}",
                    label(&s.provider),
                    s.channel,
                    h.count.load(Ordering::Relaxed)
                );
            }
        }

        out.push_str(
            "# HELP cobro_decisions_total Decisions this process recorded in the ledger, by campaign, channel, decision, reason code and the rule that made it (none: decided by the pipeline).\n\
             # TYPE cobro_decisions_total counter\n",
        );
        for (k, n) in lock(&self.decisions).iter() {
            let _ = writeln!(
                out,
                "cobro_decisions_total{{campaign=\"{}\",channel=\"{}\",decision=\"{}\",code=\"{}\",rule=\"{}\"}} {n}",
                label(&k.campaign),
                k.channel,
                k.decision,
                label(&k.code),
                label(&k.rule)
            );
        }
    }
}

/// A transport that times every send into its series. It answers to the
/// same name, so rate limits and receipts are unchanged.
struct MeteredChannel {
    inner: Arc<dyn Channel>,
    series: Arc<ProviderSeries>,
}

impl Channel for MeteredChannel {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn send<'a>(
        &'a self,
        msg: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<Receipt, ChannelError>> {
        Box::pin(async move {
            let started = Instant::now();
            let result = self.inner.send(msg).await;
            self.series.latency[outcome_index(&result)].observe(started.elapsed());
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cobro_campaigns::PlannedContact;
    use cobro_channels::null::NullChannel;

    fn row(state: LedgerState, code: Option<&str>, detail: Option<&str>) -> LedgerEntry {
        let contact = PlannedContact {
            id: "c/A/s1".into(),
            campaign: "c".into(),
            account: "A".into(),
            step: "s1".into(),
            channel: ChannelKind::Sms,
            template: "t".into(),
            fallback: None,
            due_at: chrono::Utc::now(),
        };
        let mut row = LedgerEntry::for_contact(&contact, state, chrono::Utc::now());
        row.rules = vec!["mx-profeco".into(), "house".into()];
        row.code = code.map(str::to_string);
        row.detail = detail.map(str::to_string);
        row
    }

    #[test]
    fn rule_is_the_reason_rule_the_packs_or_none() {
        let blocked = row(
            LedgerState::Blocked,
            Some("target_not_allowed"),
            Some("mx-profeco: role third_party is not allowed; house: x"),
        );
        assert_eq!(decision_rule(&blocked), "mx-profeco");
        let suppressed = row(
            LedgerState::Blocked,
            Some("suppressed"),
            Some("suppression: the sms address is on a suppression list"),
        );
        assert_eq!(decision_rule(&suppressed), "suppression");
        assert_eq!(
            decision_rule(&row(LedgerState::Allowed, None, None)),
            "mx-profeco+house"
        );
        // Not a guard code, or a detail naming no rule the row applied.
        let paid = row(
            LedgerState::Cancelled,
            Some("paid"),
            Some("account is paid"),
        );
        assert_eq!(decision_rule(&paid), "none");
        let odd = row(
            LedgerState::Blocked,
            Some("outside_hours"),
            Some("somebody: said so"),
        );
        assert_eq!(decision_rule(&odd), "none");
    }

    #[tokio::test]
    async fn a_metered_send_is_timed_under_its_outcome() {
        let metrics = DispatchMetrics::new();
        let channel = metrics.meter(ChannelKind::Email, Arc::new(NullChannel::new()));
        assert_eq!(channel.name(), NullChannel::new().name());
        let msg = OutboundMessage {
            contact_id: "c/A/s1".into(),
            channel: ChannelKind::Email,
            to: "ana@example.com".into(),
            from: String::new(),
            language: "es-MX".into(),
            subject: Some("s".into()),
            text: "t".into(),
            html: None,
            unsubscribe_url: None,
            status_callback: None,
            voice: None,
            sent_at: None,
        };
        channel.send(&msg).await.expect("null accepts");
        metrics.record_rows(&[
            row(LedgerState::Allowed, None, None),
            row(LedgerState::Sent, None, None),
        ]);
        let mut text = String::new();
        metrics.render(&mut text);
        let name = NullChannel::new().name().to_string();
        for line in [
            format!(
                "cobro_provider_request_duration_seconds_count{{provider=\"{name}\",channel=\"email\",outcome=\"ok\"}} 1"
            ),
            format!(
                "cobro_provider_request_duration_seconds_bucket{{provider=\"{name}\",channel=\"email\",outcome=\"ok\",le=\"+Inf\"}} 1"
            ),
            format!(
                "cobro_provider_errors_total{{provider=\"{name}\",channel=\"email\",class=\"transient\"}} 0"
            ),
            "cobro_decisions_total{campaign=\"c\",channel=\"sms\",decision=\"allowed\",code=\"\",rule=\"mx-profeco+house\"} 1".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
        }
        assert!(!text.contains("decision=\"sent\""), "sent is an outcome");
    }
}
