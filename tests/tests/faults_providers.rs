//! Fault case: real provider transports in front of doubles that fail 30 %
//! of the time (seeded): a Twilio REST double for SMS and voice answering
//! 500, 429 with `Retry-After: 1`, a 201 only after the client's timeout,
//! or closing the connection; and for email postfix's `smtp-sink` behind a
//! proxy that answers 451, 421-and-close, stalls past the timeout, or drops
//! the connection. Afterwards every contact is in exactly one terminal
//! state; at the doubles, no contact was accepted twice; every contact
//! recorded `sent` was accepted exactly once and everything accepted but not
//! recorded `sent` is `unknown` (never resent); no send fell outside its
//! window; and transient faults were retried.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cobro_compliance::RulePack;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{RedisServer, SmtpSink};
use cobro_tests::{
    Fault, FaultySmtpProxy, FaultyTwilio, LedgerFigures, assert_ledger_consistent,
    assert_sent_inside_windows, contact_counts, export_rows, launch_ok, record_figures,
    spawn_worker_with_env, terminate_child, wait_campaign_done,
};

const SEED: u64 = 0x5EED_0006;
const TOKEN: &str = "faults-twilio-token";

#[test]
fn providers_failing_30_percent_of_the_time_never_cause_a_duplicate_or_a_lost_contact() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();

    let twilio = FaultyTwilio::start(SEED, 0.3, Duration::from_millis(3500));
    let sink = SmtpSink::start(&[]);
    let proxy = FaultySmtpProxy::start(sink.port, SEED ^ 1, 0.3, Duration::from_millis(3500));
    let mut settings = String::from(
        "[worker]\nconcurrency = 16\nbatch_size = 4\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 10\nretry_base_backoff_secs = 1\nmax_attempts = 4\n",
    );
    for kind in ["sms", "voice"] {
        settings.push_str(&format!(
            "\n[channels.{kind}]\nprovider = \"twilio\"\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token = \"${{TWILIO_AUTH_TOKEN}}\"\nbase_url = \"{}\"\ntimeout = \"2s\"\n",
            twilio.base_url()
        ));
    }
    settings.push_str(&format!(
        "\n[channels.email]\nprovider = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Cobranzas Andinas <avisos@cobranzas.example>\"\ntimeout = \"2s\"\nmax_concurrent = 8\n",
        proxy.port
    ));
    std::fs::write(dir.join("cobro.toml"), settings).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 150, SEED);
    launch_ok(dir, &campaign, &store);

    let start = Instant::now();
    let env = [("TWILIO_AUTH_TOKEN", TOKEN)];
    let mut workers = [
        spawn_worker_with_env(dir, &store, &campaign, "w0.log", &env),
        spawn_worker_with_env(dir, &store, &campaign, "w1.log", &env),
    ];
    let total = wait_campaign_done(dir, &store, "now", Duration::from_secs(120));
    for w in &mut workers {
        terminate_child(w);
    }
    let rows = export_rows(dir, &store, "now");
    let sent = assert_ledger_consistent(&rows);
    let figures = LedgerFigures::of(&rows);
    assert_eq!(figures.contacts as u64, total);
    let last: BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| (r.contact_id.as_str(), r.state.as_str()))
        .collect();
    let sent_rows: BTreeMap<&str, &cobro_tests::Gestion> = rows
        .iter()
        .filter(|r| r.state == "sent")
        .map(|r| (r.contact_id.as_str(), r))
        .collect();

    // SMS and voice at the Twilio double. A request names no contact, so a
    // message is (resource, To, Body or Twiml): one contact each.
    let hits = twilio.hits();
    assert!(
        hits.iter().all(|h| h.authorization.starts_with("Basic ")),
        "every request authenticated"
    );
    let mut accepted: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for h in hits.iter().filter(|h| h.fault.accepted()) {
        let text = h
            .form
            .get("Body")
            .or_else(|| h.form.get("Twiml"))
            .cloned()
            .unwrap_or_default();
        *accepted
            .entry((h.resource.clone(), h.form["To"].clone(), text))
            .or_default() += 1;
    }
    let twice: Vec<_> = accepted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "Twilio accepted a message twice: {twice:?}"
    );
    let fast_sids: BTreeMap<&str, &cobro_tests::TwilioHit> = hits
        .iter()
        .filter(|h| h.fault == Fault::None)
        .map(|h| (h.sid.as_str(), h))
        .collect();
    let sent_http: Vec<_> = sent_rows
        .values()
        .filter(|r| r.channel != "email")
        .collect();
    for row in &sent_http {
        assert!(
            fast_sids.contains_key(row.provider_id.as_str()),
            "{} recorded sent with sid {} the double never answered",
            row.contact_id,
            row.provider_id
        );
    }
    assert_eq!(
        sent_http.len(),
        fast_sids.len(),
        "every 201 read by cobro is one sent contact"
    );
    let slow = hits.iter().filter(|h| h.fault == Fault::Slow).count();
    let unknown_http = last
        .iter()
        .filter(|(id, s)| **s == "unknown" && !id.ends_with("/e") && !id.ends_with("+email"))
        .count();
    assert!(
        slow <= unknown_http,
        "{slow} messages accepted after the timeout but only {unknown_http} contacts unknown"
    );

    // Email at smtp-sink, by the contact id in Message-ID.
    std::thread::sleep(Duration::from_millis(300));
    let delivered = contact_counts(&sink);
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "smtp-sink got a contact twice: {twice:?}");
    for row in sent_rows.values().filter(|r| r.channel == "email") {
        assert!(
            delivered.contains_key(&row.contact_id),
            "{} recorded sent but never reached smtp-sink",
            row.contact_id
        );
    }
    for id in delivered.keys() {
        assert!(
            sent.contains(id) || last.get(id.as_str()) == Some(&"unknown"),
            "{id} reached smtp-sink but is {:?} in the ledger",
            last.get(id.as_str())
        );
    }

    let pack = RulePack::load(&dir.join("anytime.toml")).expect("pack");
    assert_sent_inside_windows(&rows, &dir.join("portfolio.csv"), vec![pack]);

    let count = |faults: &[Fault], f: Fault| faults.iter().filter(|x| **x == f).count();
    let http_faults: Vec<Fault> = hits.iter().map(|h| h.fault).collect();
    let smtp_faults = proxy.faults();
    assert!(
        figures.retried_contacts > 20,
        "transient faults are retried: {figures}"
    );
    assert!(sent.len() > 250, "most contacts still go out: {figures}");
    record_figures(
        "faults_providers",
        &format!(
            "twilio requests={} (500={} 429={} slow={} dropped={}); smtp transactions={} (451={} 421={} stall={} dropped={}); sink emails={}; {figures} elapsed={:.1}s",
            http_faults.len(),
            count(&http_faults, Fault::ServerError),
            count(&http_faults, Fault::Throttled),
            count(&http_faults, Fault::Slow),
            count(&http_faults, Fault::Dropped),
            smtp_faults.len(),
            count(&smtp_faults, Fault::ServerError),
            count(&smtp_faults, Fault::Throttled),
            count(&smtp_faults, Fault::Slow),
            count(&smtp_faults, Fault::Dropped),
            delivered.len(),
            start.elapsed().as_secs_f64()
        ),
    );
}
