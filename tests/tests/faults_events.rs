//! Fault case: a payment event and a STOP reply arrive while that
//! account's contacts are in flight. `cobro serve --workers` sends through
//! a Twilio double that holds every answer 1.5 s; the test picks two
//! accounts with an SMS or call at the double right now and more contacts
//! still to go, posts `cobro event payment` for one and a signed Twilio
//! inbound "STOP" for the other. Afterwards: nothing reaches the double for
//! the paid account after the event, no SMS for the opted-out number after
//! the STOP, their remaining contacts are `cancelled` (paid / opt_out), the
//! in-flight message is recorded as what the provider did (sent once), and
//! for every number the double's accepted count equals the ledger's sent
//! count — every contact in one terminal state, none twice, none outside
//! its window.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cobro_compliance::RulePack;
use cobro_dispatcher::http::auth::twilio_signature;
use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_testkit::{RedisServer, free_port};
use cobro_tests::{
    FaultyTwilio, Gestion, LedgerFigures, assert_ledger_consistent, assert_sent_inside_windows,
    cobro, export_rows, form_encode, http_request, launch_ok, record_figures, spawn_serve, stderr,
    terminate_child, wait_campaign_done,
};

const TOKEN: &str = "events-twilio-token";

#[test]
fn payment_and_stop_while_contacts_are_in_flight() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let outbox = dir.join("outbox");
    let twilio = FaultyTwilio::start_with_latency(
        0x5EED_0007,
        0.0,
        Duration::ZERO,
        Duration::from_millis(1500),
    );
    let port = free_port();
    let mut settings = format!(
        "[worker]\nconcurrency = 8\nbatch_size = 2\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 10\n\n\
         [http]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n"
    );
    for kind in ["sms", "voice"] {
        settings.push_str(&format!(
            "\n[channels.{kind}]\nprovider = \"twilio\"\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token = \"${{TWILIO_AUTH_TOKEN}}\"\nbase_url = \"{}\"\ntimeout = \"5s\"\nrate_limit = \"6/s\"\n",
            twilio.base_url()
        ));
    }
    std::fs::write(dir.join("cobro.toml"), settings).expect("settings");
    let campaign = write_wall_clock_campaign(dir, 25, 0x5EED_0007);
    // Two SMS steps and a call per account, so an account has more to
    // send after the one in flight: s1 is due two days ago, s2 and the
    // call yesterday (all due now, but every s1 is fed before any s2).
    std::fs::write(
        dir.join("strategy.toml"),
        "id = \"now\"\nstop_on = [\"paid\", \"opt_out\"]\n\n\
         [[steps]]\nid = \"s1\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\n\n\
         [[steps]]\nid = \"s2\"\nday = 1\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\n\n\
         [[steps]]\nid = \"v\"\nday = 1\nchannel = \"voice\"\ntemplate = \"mensaje_voz\"\nsend_at = \"00:00\"\n",
    )
    .expect("strategy");
    let yesterday = (Utc::now() - chrono::Duration::days(1)).date_naive();
    let two_days_ago = (Utc::now() - chrono::Duration::days(2)).date_naive();
    let text = std::fs::read_to_string(&campaign).expect("campaign");
    std::fs::write(
        &campaign,
        text.replace(
            &format!("start_date = \"{yesterday}\""),
            &format!("start_date = \"{two_days_ago}\""),
        ),
    )
    .expect("campaign");
    launch_ok(dir, &campaign, &store);
    let accounts = cobro_campaigns::import::import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let phone_of: BTreeMap<String, String> = accounts
        .iter()
        .filter_map(|a| {
            a.contact_point_for(cobro_campaigns::ChannelKind::Sms)
                .map(|p| (a.id.clone(), p.address.clone()))
        })
        .collect();
    let account_of_phone: BTreeMap<&str, &str> = phone_of
        .iter()
        .map(|(a, p)| (p.as_str(), a.as_str()))
        .collect();

    let start = Instant::now();
    let mut serve = spawn_serve(
        dir,
        &[
            "--workers",
            "8",
            "--campaign",
            campaign.to_str().expect("utf-8"),
            "--store",
            &store,
            "--outbox",
            outbox.to_str().expect("utf-8"),
        ],
        &[
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("COBRO_API_TOKEN", "events-api-token"),
        ],
        "serve.log",
    );

    // Two accounts with a message at the double right now (arrived under
    // 0.7 s ago, answered after 1.5 s) and nothing of theirs finished yet.
    let (paid, stopped, in_flight_at) = loop {
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "never saw two accounts in flight"
        );
        std::thread::sleep(Duration::from_millis(100));
        let now = Utc::now();
        let rows = export_rows(dir, &store, "now");
        let touched: BTreeSet<&str> = rows.iter().map(|r| r.account.as_str()).collect();
        let mut picks: Vec<(String, DateTime<Utc>)> = Vec::new();
        let hits = twilio.hits();
        let mut per_number: BTreeMap<&str, usize> = BTreeMap::new();
        for hit in &hits {
            *per_number.entry(hit.form["To"].as_str()).or_default() += 1;
        }
        for hit in &hits {
            // One message at the double, the others still to come.
            if per_number[hit.form["To"].as_str()] > 1 {
                continue;
            }
            let age = now - hit.at;
            if age > chrono::Duration::milliseconds(700) {
                continue;
            }
            let Some(account) = account_of_phone.get(hit.form["To"].as_str()) else {
                continue;
            };
            if touched.contains(account) || picks.iter().any(|(a, _)| a == account) {
                continue;
            }
            picks.push((account.to_string(), hit.at));
        }
        if picks.len() >= 2 {
            break (
                picks[0].0.clone(),
                picks[1].0.clone(),
                picks[0].1.min(picks[1].1),
            );
        }
    };

    // The payment, through the CLI.
    let paid_at = Utc::now();
    let event = cobro(
        dir,
        &["event", "payment", "--account", &paid, "--store", &store],
    );
    assert!(event.status.success(), "{}", stderr(&event));
    let paid_done = Utc::now();

    // The STOP, as Twilio would post it, signed.
    let url = format!("http://127.0.0.1:{port}/webhooks/twilio/inbound");
    let params = [
        ("MessageSid", "SMinbound0000000000000000000000001"),
        ("From", phone_of[&stopped].as_str()),
        ("To", "+525550001234"),
        ("Body", "STOP"),
    ];
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature = twilio_signature(TOKEN, &url, &owned);
    let stop_at = Utc::now();
    let (status, body) = http_request(
        port,
        "POST",
        "/webhooks/twilio/inbound",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", &signature),
        ],
        form_encode(&params).as_bytes(),
    )
    .expect("inbound");
    let stop_done = Utc::now();
    assert!(
        (200..300).contains(&status),
        "inbound STOP answered {status}: {body}"
    );

    let total = wait_campaign_done(dir, &store, "now", Duration::from_secs(90));
    terminate_child(&mut serve);
    let rows = export_rows(dir, &store, "now");
    let sent = assert_ledger_consistent(&rows);
    let figures = LedgerFigures::of(&rows);
    assert_eq!(figures.contacts as u64, total);
    assert_sent_inside_windows(
        &rows,
        &dir.join("portfolio.csv"),
        vec![RulePack::load(&dir.join("anytime.toml")).expect("pack")],
    );
    let hits = twilio.hits();

    // For every number and resource, the double's accepted requests equal
    // the ledger's sent contacts: nothing twice, nothing sent unrecorded.
    let mut at_double: BTreeMap<(String, String), usize> = BTreeMap::new();
    for h in &hits {
        *at_double
            .entry((h.form["To"].clone(), h.resource.clone()))
            .or_default() += 1;
    }
    let mut in_ledger: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.state == "sent" && r.channel != "email")
    {
        let resource = if r.channel == "voice" {
            "Calls.json"
        } else {
            "Messages.json"
        };
        *in_ledger
            .entry((phone_of[&r.account].clone(), resource.to_string()))
            .or_default() += 1;
    }
    assert_eq!(at_double, in_ledger, "provider vs ledger, per number");

    let last: BTreeMap<&str, &Gestion> = rows.iter().map(|r| (r.contact_id.as_str(), r)).collect();
    let of = |account: &str| -> Vec<&Gestion> {
        last.values()
            .filter(|r| r.account == account)
            .copied()
            .collect()
    };
    // Paid: nothing reached the double after the event; the rest cancelled.
    let paid_phone = &phone_of[&paid];
    let late: Vec<_> = hits
        .iter()
        .filter(|h| &h.form["To"] == paid_phone && h.at > paid_done)
        .collect();
    assert!(
        late.is_empty(),
        "sent to the paid account after the payment: {late:?}"
    );
    let paid_rows = of(&paid);
    let paid_cancelled = paid_rows
        .iter()
        .filter(|r| r.state == "cancelled" && r.code == "paid")
        .count();
    assert!(
        paid_cancelled >= 1,
        "paid account's rest cancelled: {paid_rows:?}"
    );
    assert!(
        paid_rows
            .iter()
            .all(|r| r.state == "sent" || r.state == "cancelled"),
        "{paid_rows:?}"
    );
    // STOP: no SMS to that number after the reply; its other SMS cancelled.
    let stop_phone = &phone_of[&stopped];
    let late: Vec<_> = hits
        .iter()
        .filter(|h| {
            &h.form["To"] == stop_phone && h.resource == "Messages.json" && h.at > stop_done
        })
        .collect();
    assert!(late.is_empty(), "SMS after the STOP: {late:?}");
    let stop_rows = of(&stopped);
    let stop_cancelled = stop_rows
        .iter()
        .filter(|r| r.state == "cancelled" && r.code == "opt_out")
        .count();
    // Its other SMS: cancelled by the reply, or (already claimed by a
    // worker) blocked as suppressed when its turn came.
    assert!(
        stop_rows
            .iter()
            .filter(|r| r.channel == "sms")
            .all(|r| r.state == "sent"
                || (r.state == "cancelled" && r.code == "opt_out")
                || (r.state == "blocked" && r.code == "suppressed")),
        "{stop_rows:?}"
    );
    assert!(
        stop_rows
            .iter()
            .any(|r| r.channel == "sms" && r.state != "sent"),
        "the STOP stopped nothing: {stop_rows:?}"
    );
    let summary = |rows: &[&Gestion]| {
        rows.iter()
            .map(|r| {
                format!(
                    "{}={}",
                    r.contact_id.rsplit('/').next().unwrap_or(""),
                    r.state
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    record_figures(
        "faults_events",
        &format!(
            "in flight since {in_flight_at}; payment for {paid} at {paid_at} → [{}]; STOP from {stopped} at {stop_at} → [{}] ({stop_cancelled} cancelled opt_out); double requests={} ; {figures} sent={} elapsed={:.1}s",
            summary(&paid_rows),
            summary(&stop_rows),
            hits.len(),
            sent.len(),
            start.elapsed().as_secs_f64()
        ),
    );
}
