//! What this process's workers did, as Prometheus series (issue 6 item 6):
//! provider latency and errors measured around every transport, and the
//! decisions the pipeline recorded, by rule and code.
//!
//! Recorded through the `metrics` macros into this registry's own recorder
//! ([`Registry`]). The hot path stays lock-free: a metered channel
//! registers its series' handles on first use and then only records into
//! them. Counters start at zero with the process (Prometheus' `rate()` and
//! `increase()` handle restarts); the ledger-wide totals stay the
//! store-derived `cobro_decisions` gauge of `/metrics`.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use cobro_campaigns::ChannelKind;
use cobro_channels::{Channel, ChannelError, OutboundMessage, Receipt};
use cobro_compliance::ReasonCode;
use futures::future::BoxFuture;

pub use crate::prometheus::LATENCY_BUCKETS;
use crate::prometheus::{DECISIONS_TOTAL, PROVIDER_ERRORS, PROVIDER_LATENCY, Registry};
use crate::store::{LedgerEntry, LedgerState};

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

fn outcome_index(result: &Result<Receipt, ChannelError>) -> usize {
    let class = match result {
        Ok(_) => "ok",
        Err(e) => e.class(),
    };
    OUTCOMES.iter().position(|o| *o == class).unwrap_or(0)
}

/// The registry one worker process (or `cobro serve --workers`) shares
/// between its transports, its pipeline and its `/metrics`.
pub struct DispatchMetrics {
    registry: Arc<Registry>,
}

impl Default for DispatchMetrics {
    fn default() -> Self {
        let registry = Arc::new(Registry::new(&[
            PROVIDER_LATENCY,
            PROVIDER_ERRORS,
            DECISIONS_TOTAL,
        ]));
        registry.keep_up();
        DispatchMetrics { registry }
    }
}

impl DispatchMetrics {
    pub fn new() -> Arc<DispatchMetrics> {
        Arc::new(DispatchMetrics::default())
    }

    /// Wraps `transport` (serving `channel`) so that every send is timed
    /// and classified here. Wrapping one transport twice shares its series:
    /// the recorder keys them by name and labels.
    pub fn meter(
        self: &Arc<Self>,
        channel: ChannelKind,
        transport: Arc<dyn Channel>,
    ) -> Arc<dyn Channel> {
        Arc::new(MeteredChannel {
            provider: transport.name().to_string(),
            inner: transport,
            channel,
            registry: self.registry.clone(),
            latency: Default::default(),
            errors: OnceLock::new(),
        })
    }

    /// Counts the decision rows among `rows`, which the store has just
    /// recorded.
    pub fn record_rows(&self, rows: &[LedgerEntry]) {
        let decisions = rows.iter().filter(|row| is_decision(row.state));
        self.registry.scope(|| {
            for row in decisions {
                ::metrics::counter!(
                    DECISIONS_TOTAL.name,
                    "campaign" => row.campaign.clone(),
                    "channel" => row.channel.as_str(),
                    "decision" => row.state.as_str(),
                    "code" => row.code.clone().unwrap_or_default(),
                    "rule" => decision_rule(row),
                )
                .increment(1);
            }
        });
    }

    /// Appends the three families in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str(&self.registry.render());
    }
}

/// A transport that times every send into its series. It answers to the
/// same name, so rate limits and receipts are unchanged.
struct MeteredChannel {
    inner: Arc<dyn Channel>,
    provider: String,
    channel: ChannelKind,
    registry: Arc<Registry>,
    /// Indexed like [`OUTCOMES`]; registered on the first send with that
    /// outcome, so that an outcome never seen has no series.
    latency: [OnceLock<::metrics::Histogram>; OUTCOMES.len()],
    /// Indexed like `OUTCOMES[1..]`; every class is registered on the
    /// first send of any outcome, so that an alert on a class sees 0
    /// before the first error.
    errors: OnceLock<Vec<::metrics::Counter>>,
}

impl MeteredChannel {
    fn observe(&self, outcome: usize, elapsed: std::time::Duration) {
        let errors = self.errors.get_or_init(|| {
            self.registry.scope(|| {
                OUTCOMES[1..]
                    .iter()
                    .map(|class| {
                        ::metrics::counter!(
                            PROVIDER_ERRORS.name,
                            "provider" => self.provider.clone(),
                            "channel" => self.channel.as_str(),
                            "class" => *class,
                        )
                    })
                    .collect()
            })
        });
        let latency = self.latency[outcome].get_or_init(|| {
            self.registry.scope(|| {
                ::metrics::histogram!(
                    PROVIDER_LATENCY.name,
                    "provider" => self.provider.clone(),
                    "channel" => self.channel.as_str(),
                    "outcome" => OUTCOMES[outcome],
                )
            })
        });
        latency.record(elapsed);
        if let Some(errors) = outcome.checked_sub(1).and_then(|i| errors.get(i)) {
            errors.increment(1);
        }
    }
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
            self.observe(outcome_index(&result), started.elapsed());
            result
        })
    }
    fn lookup<'a>(
        &'a self,
        query: &'a cobro_channels::LookupQuery,
    ) -> Option<BoxFuture<'a, Result<cobro_channels::LookupAnswer, ChannelError>>> {
        self.inner.lookup(query)
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
            team: None,
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
            reference: None,
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
