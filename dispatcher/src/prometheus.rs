//! The Prometheus series cobro exposes ([`FAMILIES`]: name, type, help
//! text, as the README's "Metrics and health" table lists them) and
//! [`Registry`], one `metrics-exporter-prometheus` recorder that the
//! `metrics` macros write into.
//!
//! A registry belongs to its owner (the HTTP state, a worker process's
//! dispatch metrics, one scrape's store gauges), never to the process: the
//! facade's global recorder can be installed once per process, while tests
//! build several services in one binary and must not see each other's
//! counts. Code records through [`Registry::scope`], which makes the
//! registry the macros' local recorder for the duration of a closure.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Upper bounds (seconds) of the provider latency histogram: from an
/// outbox write (about a millisecond) to a provider API at its timeout
/// (30 s).
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A series family's Prometheus type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One family of series: what `# HELP` and `# TYPE` say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

const fn family(name: &'static str, kind: Kind, help: &'static str) -> Family {
    Family { name, kind, help }
}

pub const CONTACTS: Family = family(
    "cobro_contacts",
    Kind::Gauge,
    "Planned contacts by campaign and state.",
);
pub const DECISIONS: Family = family(
    "cobro_decisions",
    Kind::Gauge,
    "Ledger decisions and outcomes by campaign, state and reason code (all processes; a snapshot, see cobro_decisions_snapshot_age_seconds).",
);
pub const DECISIONS_SNAPSHOT_AGE: Family = family(
    "cobro_decisions_snapshot_age_seconds",
    Kind::Gauge,
    "Age of the cobro_decisions snapshot.",
);
pub const QUEUE_DEPTH: Family = family(
    "cobro_queue_depth",
    Kind::Gauge,
    "Contacts claimed from the plan and not yet started (store state `queued`, all processes).",
);
pub const CAMPAIGN_PAUSED: Family = family(
    "cobro_campaign_paused",
    Kind::Gauge,
    "1 while a campaign is paused.",
);
pub const SUPPRESSIONS: Family = family(
    "cobro_suppressions",
    Kind::Gauge,
    "Entries on suppression lists.",
);
pub const WEBHOOKS: Family = family(
    "cobro_webhooks_total",
    Kind::Counter,
    "Webhook calls handled by this process.",
);
pub const PROVIDER_LATENCY: Family = family(
    "cobro_provider_request_duration_seconds",
    Kind::Histogram,
    "Time a provider took to accept or refuse one message, by provider, channel and outcome (ok or the error class), in this process.",
);
pub const PROVIDER_ERRORS: Family = family(
    "cobro_provider_errors_total",
    Kind::Counter,
    "Provider calls that failed, by provider, channel and error class, in this process.",
);
pub const DECISIONS_TOTAL: Family = family(
    "cobro_decisions_total",
    Kind::Counter,
    "Decisions this process recorded in the ledger, by campaign, channel, decision, reason code and the rule that made it (none: decided by the pipeline).",
);
pub const QUEUE_UP: Family = family(
    "cobro_queue_up",
    Kind::Gauge,
    "1 when the apalis queue answered this scrape.",
);
pub const QUEUE_JOBS: Family = family(
    "cobro_queue_jobs",
    Kind::Gauge,
    "Jobs in the apalis queue by state, read from the queue backend (a job carries up to worker.batch_size contacts).",
);

/// Every family, in the order `/metrics` writes them.
pub const FAMILIES: [Family; 12] = [
    CONTACTS,
    DECISIONS,
    DECISIONS_SNAPSHOT_AGE,
    QUEUE_DEPTH,
    CAMPAIGN_PAUSED,
    SUPPRESSIONS,
    WEBHOOKS,
    PROVIDER_LATENCY,
    PROVIDER_ERRORS,
    DECISIONS_TOTAL,
    QUEUE_UP,
    QUEUE_JOBS,
];

/// How often a registry drains recorded latencies into its buckets when
/// nobody scrapes: the exporter keeps raw samples until then, and a worker
/// without `--metrics-bind` is never scraped.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// A recorder and the handle that renders it, for a fixed set of families.
pub struct Registry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    families: Vec<Family>,
}

impl Registry {
    /// A registry for `families`: each is described (its help text) and is
    /// written with its header even while it has no series, so that an
    /// alert on a family sees it before the first sample.
    pub fn new(families: &[Family]) -> Registry {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(PROVIDER_LATENCY.name.to_string()),
                &LATENCY_BUCKETS,
            )
            // Only an empty bucket list is refused; this one is constant.
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        let registry = Registry {
            recorder,
            handle,
            families: families.to_vec(),
        };
        registry.scope(|| {
            for f in families {
                match f.kind {
                    Kind::Counter => ::metrics::describe_counter!(f.name, f.help),
                    Kind::Gauge => ::metrics::describe_gauge!(f.name, f.help),
                    Kind::Histogram => ::metrics::describe_histogram!(f.name, f.help),
                }
            }
        });
        registry
    }

    /// Runs `record` with this registry as the `metrics` macros' recorder
    /// (on this thread, for the closure only). Handles registered inside
    /// (`counter!`, `histogram!`…) keep recording here afterwards.
    pub fn scope<T>(&self, record: impl FnOnce() -> T) -> T {
        ::metrics::with_local_recorder(&self.recorder, record)
    }

    /// Drains recorded histogram samples every [`UPKEEP_INTERVAL`] while
    /// the registry lives, when called inside a tokio runtime (else the
    /// next render drains them).
    pub fn keep_up(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<Registry> = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(registry) => registry.handle.run_upkeep(),
                    None => break,
                }
            }
        });
    }

    /// The exposition text (format 0.0.4): this registry's families in
    /// [`FAMILIES`] order, series sorted by their labels so that two
    /// scrapes read alike (the exporter keeps them in hash maps).
    pub fn render(&self) -> String {
        let rendered = self.handle.render();
        let mut blocks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut current: Option<&str> = None;
        for line in rendered.lines() {
            if line.is_empty() {
                current = None;
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                current = rest.split_whitespace().next();
            } else if !line.starts_with('#')
                && let Some(name) = current
            {
                blocks.entry(name).or_default().push(line);
            }
        }
        let mut out = String::new();
        for f in FAMILIES
            .iter()
            .filter(|f| self.families.iter().any(|own| own.name == f.name))
        {
            let kind = match f.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Histogram => "histogram",
            };
            out.push_str(&format!(
                "# HELP {} {}\n# TYPE {} {kind}\n",
                f.name, f.help, f.name
            ));
            let samples = blocks.remove(f.name).unwrap_or_default();
            for line in sorted_samples(f, samples) {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// Sample lines sorted by labels. A histogram's lines stay in groups of
/// one series (buckets, sum, count), in bucket order within each.
fn sorted_samples<'a>(family: &Family, lines: Vec<&'a str>) -> Vec<&'a str> {
    if family.kind != Kind::Histogram {
        let mut lines = lines;
        lines.sort_unstable();
        return lines;
    }
    let count_prefix = format!("{}_count", family.name);
    let mut groups: Vec<Vec<&str>> = Vec::new();
    let mut group = Vec::new();
    for line in lines {
        group.push(line);
        if line.starts_with(&count_prefix) {
            groups.push(std::mem::take(&mut group));
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups.sort();
    groups.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_registries_do_not_share_counts() {
        let a = Registry::new(&[WEBHOOKS]);
        let b = Registry::new(&[WEBHOOKS]);
        a.scope(|| ::metrics::counter!(WEBHOOKS.name, "provider" => "x").increment(2));
        assert!(
            a.render()
                .contains("cobro_webhooks_total{provider=\"x\"} 2")
        );
        let text = b.render();
        assert!(!text.contains("provider"), "{text}");
        assert!(
            text.contains("# TYPE cobro_webhooks_total counter"),
            "{text}"
        );
    }

    #[test]
    fn latency_uses_the_buckets_and_keeps_series_together() {
        let r = Registry::new(&[PROVIDER_LATENCY]);
        r.scope(|| {
            ::metrics::histogram!(PROVIDER_LATENCY.name, "provider" => "b").record(0.2);
            ::metrics::histogram!(PROVIDER_LATENCY.name, "provider" => "a").record(40.0);
        });
        let text = r.render();
        let lines: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(lines.len(), 2 * (LATENCY_BUCKETS.len() + 3), "{text}");
        assert_eq!(
            lines[0],
            "cobro_provider_request_duration_seconds_bucket{provider=\"a\",le=\"0.001\"} 0"
        );
        assert!(lines.contains(
            &"cobro_provider_request_duration_seconds_bucket{provider=\"b\",le=\"0.25\"} 1"
        ));
        assert!(lines.contains(
            &"cobro_provider_request_duration_seconds_bucket{provider=\"a\",le=\"+Inf\"} 1"
        ));
        assert!(
            lines[LATENCY_BUCKETS.len() + 2]
                .starts_with("cobro_provider_request_duration_seconds_count{provider=\"a\"}")
        );
    }
}
