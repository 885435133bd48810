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
//!
//! Reconciliation (issue 15): the Twilio double also reports, as Twilio
//! does: a signed `StatusCallback` for every message or call it accepted
//! (also those whose answer came too late for cobro), to a `cobro serve`,
//! and its message and call lists. After the campaign, `cobro reconcile`
//! asks the lists about what is still `unknown`. Of the contacts whose send
//! was recorded lost (an `unknown` row), at least 90 % must end resolved
//! (by a report or by the lookup), and the review queue (`GET /api/review`)
//! must list exactly the rest.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cobro_compliance::RulePack;
use cobro_dispatcher::http::auth::twilio_signature;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{RedisServer, SmtpSink, free_port};
use cobro_tests::{
    Fault, FaultySmtpProxy, FaultyTwilio, LedgerFigures, assert_ledger_consistent,
    assert_sent_inside_windows, contact_counts, export_rows, http_request, launch_ok,
    reconcile_now, record_figures, spawn_serve, spawn_worker_with_env, terminate_child,
    wait_campaign_done,
};

const SEED: u64 = 0x5EED_0006;
const TOKEN: &str = "faults-twilio-token";
const LINK_SECRET: &str = "faults-providers-link-secret";
const API_TOKEN: &str = "faults-providers-api-token";

#[test]
fn providers_failing_30_percent_of_the_time_never_cause_a_duplicate_or_a_lost_contact() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();

    let twilio = FaultyTwilio::with_reports(
        SEED,
        0.3,
        Duration::from_millis(3500),
        std::sync::Arc::new(|url: &str, params: &[(String, String)]| {
            twilio_signature(TOKEN, url, params)
        }),
    );
    let sink = SmtpSink::start(&[]);
    let proxy = FaultySmtpProxy::start(sink.port, SEED ^ 1, 0.3, Duration::from_millis(3500));
    let port = free_port();
    let mut settings = format!(
        "[worker]\nconcurrency = 16\nbatch_size = 4\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 10\nretry_base_backoff_secs = 1\nmax_attempts = 4\n\n\
         [http]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n",
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
    let env = [
        ("TWILIO_AUTH_TOKEN", TOKEN),
        ("COBRO_LINK_SECRET", LINK_SECRET),
        ("COBRO_API_TOKEN", API_TOKEN),
    ];
    // Where the double's status callbacks go (the workers put this
    // server's URL, with each contact's signed reference, in every
    // request's StatusCallback).
    let mut serve = spawn_serve(dir, &["--store", &store], &env, "serve.log");
    let mut workers = [
        spawn_worker_with_env(dir, &store, &campaign, "w0.log", &env),
        spawn_worker_with_env(dir, &store, &campaign, "w1.log", &env),
    ];
    wait_campaign_done(dir, &store, "now", Duration::from_secs(120));
    // Every accepted message's callback made (each comes 0.3 s after its
    // answer; a slow answer takes 3.5 s).
    let accepted_at_double =
        |t: &FaultyTwilio| t.hits().iter().filter(|h| h.fault.accepted()).count();
    let settle = Instant::now();
    while twilio.reports().callbacks.len() < accepted_at_double(&twilio)
        && settle.elapsed() < Duration::from_secs(15)
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    let callbacks = twilio.reports().callbacks;
    assert_eq!(
        callbacks.len(),
        accepted_at_double(&twilio),
        "one callback per accepted message"
    );
    // 200, or 503 "in_flight": a final report for a contact its worker
    // has not written yet (its batch waits for a slow mate), asked for
    // again later; Twilio does not retry by default, so that contact keeps
    // the worker's `sent` (checked below: never unknown).
    assert!(
        callbacks
            .iter()
            .all(|c| c.status == 200 || (c.status == 503 && c.answer.contains("in_flight"))),
        "cobro took every signed callback: {:?}",
        callbacks
            .iter()
            .filter(|c| c.status != 200)
            .take(3)
            .collect::<Vec<_>>()
    );
    let in_flight: Vec<&str> = callbacks
        .iter()
        .filter(|c| c.status == 503)
        .map(|c| c.sid.as_str())
        .collect();
    assert!(
        callbacks.iter().all(|c| c.url.contains("cobro_ref=")),
        "every StatusCallback carried the contact's reference"
    );
    let by_reports = callbacks
        .iter()
        .filter(|c| c.answer.contains("\"reconciled\""))
        .count();
    let before = export_rows(dir, &store, "now");
    let unknown_before = LedgerFigures::of(&before).count("unknown");

    // The lookup, for what no report resolved, as an operator runs it
    // now and then: contacts the provider never had go back to the plan,
    // the workers send them again (meeting the faults again), and the
    // next run looks at what those left.
    let mut summaries = Vec::new();
    let mut total = 0;
    for _ in 0..4 {
        let summary = reconcile_now(dir, &store, "now", &[("TWILIO_AUTH_TOKEN", TOKEN)]);
        eprintln!("[faults_providers] cobro reconcile: {}", summary.trim());
        let requeued = !summary.contains(" 0 resolved");
        summaries.push(summary.lines().next().unwrap_or("").to_string());
        total = wait_campaign_done(dir, &store, "now", Duration::from_secs(60));
        let settle = Instant::now();
        while twilio.reports().callbacks.len() < accepted_at_double(&twilio)
            && settle.elapsed() < Duration::from_secs(15)
        {
            std::thread::sleep(Duration::from_millis(200));
        }
        if !requeued {
            break;
        }
    }
    let summary = summaries.join(" / ");
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
    // Every sid the double accepted belongs to exactly one contact: the
    // worker's `sent` row (a 201 it read) or a reconciled row (a report
    // or the lookup, for an answer that came too late or a race with the
    // worker's own record); and every sid recorded is one the double gave.
    let accepted_sids: BTreeMap<&str, &cobro_tests::TwilioHit> = hits
        .iter()
        .filter(|h| h.fault.accepted())
        .map(|h| (h.sid.as_str(), h))
        .collect();
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| r.channel != "email" && !r.provider_id.is_empty())
    {
        assert!(
            accepted_sids.contains_key(row.provider_id.as_str()),
            "{} recorded {} with sid {} the double never accepted",
            row.contact_id,
            row.state,
            row.provider_id
        );
        let previous = owner.insert(row.provider_id.as_str(), row.contact_id.as_str());
        assert!(
            previous.is_none_or(|p| p == row.contact_id),
            "sid {} recorded for {} and {previous:?}",
            row.provider_id,
            row.contact_id
        );
    }
    for sid in &in_flight {
        let contact = owner.get(sid).copied().unwrap_or("none");
        assert!(
            sent_rows.contains_key(contact),
            "the report asked for again ({sid}) belongs to a contact its worker wrote sent, not {contact}"
        );
    }
    // A 201 cobro read is a contact's; a slow answer's sid may be no
    // one's (left for review, never sent again: checked above).
    for (sid, _) in accepted_sids.iter().filter(|(_, h)| h.fault == Fault::None) {
        assert!(
            owner
                .get(sid)
                .is_some_and(|c| sent_rows.contains_key(c) || last.get(c) != Some(&"unknown")),
            "the 201 with sid {sid} is no contact's"
        );
    }

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

    // Reconciliation: of the contacts whose send was recorded lost (an
    // `unknown` row, the worker's or recovery's), how many ended resolved.
    let lost: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.state == "unknown")
        .map(|r| r.contact_id.as_str())
        .collect();
    let reconciled: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.code == "reconciled")
        .map(|r| r.contact_id.as_str())
        .collect();
    let left: Vec<&str> = last
        .iter()
        .filter(|(_, s)| **s == "unknown")
        .map(|(id, _)| *id)
        .collect();
    // A report or lookup only ever reconciles a contact recorded lost.
    assert!(
        reconciled.is_subset(&lost),
        "reconciled without being lost: {:?}",
        reconciled.difference(&lost).collect::<Vec<_>>()
    );
    let would_be = &lost;
    let resolved = would_be
        .iter()
        .filter(|id| last.get(*id) != Some(&"unknown"))
        .count();
    assert!(
        !would_be.is_empty(),
        "the faults left sends without an answer"
    );
    assert!(
        resolved * 100 >= would_be.len() * 90,
        "only {resolved} of {} contacts recorded lost were resolved by reports or reconciliation: {summary}",
        would_be.len()
    );
    // The review queue lists exactly the rest.
    let (status, body) = http_request(
        port,
        "GET",
        "/api/review?limit=200",
        &[("Authorization", &format!("Bearer {API_TOKEN}"))],
        b"",
    )
    .expect("review queue");
    assert_eq!(status, 200, "{body}");
    let queue: serde_json::Value = serde_json::from_str(&body).expect("review JSON");
    let mut in_queue: Vec<&str> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["contact"].as_str())
        .collect();
    in_queue.sort_unstable();
    assert_eq!(
        in_queue, left,
        "the review queue shows only what no one could tell"
    );
    terminate_child(&mut serve);

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
            "twilio requests={} (500={} 429={} slow={} dropped={}); smtp transactions={} (451={} 421={} stall={} dropped={}); sink emails={}; recorded lost={} (unknown before reconcile: {unknown_before}, by reports: {by_reports}, reports asked again: {}) resolved={} ({:.0} %) left unknown={}; {figures} elapsed={:.1}s",
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
            would_be.len(),
            in_flight.len(),
            resolved,
            resolved as f64 * 100.0 / would_be.len() as f64,
            left.len(),
            start.elapsed().as_secs_f64()
        ),
    );
}
