//! Fault case: a provider rate limit so low that sends queue past the end
//! of the legal window. The pack's window (debtors in a fixed-offset zone
//! where it is about noon) closes a few seconds from now and reopens a few
//! seconds later; SMS go through an outbox limited to 4/s. What did not
//! fit must be deferred to the next window, not sent late: no ledger
//! `sent` row and no outbox file falls in the closed gap, some contacts
//! were deferred with `outside_hours` and went out after the reopening,
//! and every contact ends in exactly one terminal state, sent once.

use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Timelike, Utc};
use cobro_compliance::RulePack;
use cobro_testkit::RedisServer;
use cobro_tests::{
    LedgerFigures, assert_outbox_matches_ledger, assert_sent_inside_windows, export_rows,
    launch_ok, outbox_contacts, percent_decode, record_figures, repo_root, spawn_worker_with_env,
    terminate_child, wait_campaign_done,
};

const DEBTORS: usize = 80;

/// A fixed-offset `Etc/GMT±N` zone whose local hour is near 12:00 at
/// `now`, and its offset from UTC in hours. (`Etc/GMT-5` is UTC+5.)
fn zone_near_noon(now: DateTime<Utc>) -> (String, i64) {
    let offset = 12 - i64::from(now.hour()); // -11..=12
    let zone = match offset {
        0 => "Etc/UTC".to_string(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    (zone, offset)
}

fn hms(t: DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

#[test]
fn sends_that_miss_the_window_are_deferred_to_the_next_one_not_sent_late() {
    let server = RedisServer::start().expect("redis-server");
    let store = server.url();
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let outbox = dir.join("outbox");

    // Whole seconds: the pack's windows are written as HH:MM:SS. The
    // debtors live in a fixed-offset zone where it is about noon now, so
    // the windows never cross midnight, whatever the hour of the run.
    let utc_now = Utc::now().with_nanosecond(0).expect("whole second");
    let (zone, offset_hours) = zone_near_noon(utc_now);
    let now = utc_now;
    // The pack speaks the debtors' local time.
    let local = |t: DateTime<Utc>| hms(t + chrono::Duration::hours(offset_hours));
    let open1 = now - chrono::Duration::minutes(5);
    let close1 = now + chrono::Duration::seconds(10);
    let open2 = close1 + chrono::Duration::seconds(8);
    let close2 = open2 + chrono::Duration::seconds(90);
    let windows = format!(
        "[\"{}-{}\", \"{}-{}\"]",
        local(open1),
        local(close1),
        local(open2),
        local(close2)
    );
    let mut pack =
        String::from("id = \"closing\"\nname = \"Window closing in seconds\"\n\n[windows]\n");
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        let _ = writeln!(pack, "{day} = {windows}");
    }
    pack.push_str("\n[targets]\nallowed_roles = [\"debtor\"]\n");
    std::fs::write(dir.join("closing.toml"), &pack).expect("pack");

    let mut csv = String::from(
        "id,creditor,debtor_name,tax_id,amount_due,currency,due_date,segment,language,country,subdivision,timezone,phone,phone_role,phone_provenance,phone_flags,consent_sms,consent_voice,email,email_role,email_provenance,email_flags,consent_email,phone2,phone2_role,phone2_provenance,flags,payment_link\n",
    );
    for i in 0..DEBTORS {
        let _ = writeln!(
            csv,
            "W-{i:04},Tiendas Aurora,Ana Pérez {i},,1500.00,MXN,2026-10-01,temprana,es-MX,MX,,{zone},+52551234{i:04},debtor,creditor_file,,yes,yes,,,,,,,,,,https://pagos.example/p/w-{i:04}"
        );
    }
    std::fs::write(dir.join("portfolio.csv"), csv).expect("portfolio");
    std::fs::write(
        dir.join("strategy.toml"),
        "id = \"sms\"\nstop_on = [\"paid\", \"opt_out\"]\n\n[[steps]]\nid = \"s\"\nday = 0\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\n",
    )
    .expect("strategy");
    let yesterday = (now - chrono::Duration::days(2)).date_naive();
    let campaign = dir.join("campaign.toml");
    std::fs::write(
        &campaign,
        format!(
            "id = \"closing\"\nstart_date = \"{yesterday}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = {:?}\n\n\
             [rules]\ndefault = [\"closing.toml\"]\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://pagos.example/p/\"\n",
            repo_root().join("config/examples/templates").display().to_string()
        ),
    )
    .expect("campaign");
    std::fs::write(
        dir.join("cobro.toml"),
        format!(
            "[worker]\nconcurrency = 8\nbatch_size = 2\npoll_interval_ms = 50\nqueued_lease_secs = 22\nsending_lease_secs = 10\n\n\
             [channels.sms]\nprovider = \"outbox\"\ndir = {:?}\nrate_limit = \"4/s\"\n",
            outbox.display().to_string()
        ),
    )
    .expect("settings");

    let launched = launch_ok(dir, &campaign, &store);
    assert!(launched.contains(&format!("{DEBTORS} new")), "{launched}");
    let start = Instant::now();
    let mut worker = spawn_worker_with_env(dir, &store, &campaign, "w.log", &[]);
    let total = wait_campaign_done(dir, &store, "closing", Duration::from_secs(90));
    terminate_child(&mut worker);

    let rows = export_rows(dir, &store, "closing");
    let sent = assert_outbox_matches_ledger(&outbox, &rows);
    let figures = LedgerFigures::of(&rows);
    assert_eq!(total as usize, DEBTORS);
    assert_eq!(
        sent.len(),
        DEBTORS,
        "everything goes out in the end: {figures}"
    );
    let checked = assert_sent_inside_windows(
        &rows,
        &dir.join("portfolio.csv"),
        vec![RulePack::load(&dir.join("closing.toml")).expect("pack")],
    );
    assert_eq!(checked, DEBTORS);

    let mut in_first = 0;
    let mut in_second = 0;
    for row in rows.iter().filter(|r| r.state == "sent") {
        let at: DateTime<Utc> = row.at.parse().expect("rfc3339");
        assert!(
            at < close1 || at >= open2,
            "{} sent at {at}, in the closed gap {close1}..{open2}",
            row.contact_id
        );
        if at < close1 {
            in_first += 1;
        } else {
            in_second += 1;
        }
    }
    // Deferred with outside_hours, to the reopening.
    let deferred: Vec<_> = rows
        .iter()
        .filter(|r| r.state == "deferred" && r.code == "outside_hours")
        .collect();
    assert!(
        in_first > 0 && in_second > 0 && !deferred.is_empty(),
        "the rate limit must split the campaign across the two windows: {in_first} + {in_second}, {} deferred",
        deferred.len()
    );
    // At the sink: the outbox files' write times, none in the gap (0.5 s
    // of slack for the write after the decision). The ledger's instant
    // alone is not enough: a send held after the guard's decision (as the
    // batch reservation gate once did) is recorded at the decision.
    let mut latest_late = Duration::ZERO;
    for entry in std::fs::read_dir(&outbox).expect("outbox") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let written: DateTime<Utc> = entry
            .metadata()
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH)
            .into();
        if written >= close1 && written < open2 {
            let late = (written - close1).to_std().unwrap_or_default();
            latest_late = latest_late.max(late);
            assert!(
                late < Duration::from_millis(500),
                "{} written at {written}, {late:?} after the window closed",
                percent_decode(&name)
            );
        }
    }
    assert_eq!(outbox_contacts(&outbox).len(), DEBTORS);
    record_figures(
        "faults_window",
        &format!(
            "window closed {close1} reopened {open2}; rate 4/s; sent in first window={in_first}, deferred rows={} (outside_hours), sent after reopening={in_second}, sent in the gap=0 (latest outbox write after close: {:?}); {figures} elapsed={:.1}s",
            deferred.len(),
            latest_late,
            start.elapsed().as_secs_f64()
        ),
    );
}
