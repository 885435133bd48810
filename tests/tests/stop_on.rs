//! A strategy's `stop_on` belongs to its campaign: one account in two
//! campaigns, one stopping from `promise_to_pay` and one from `paid`. A
//! promise cancels the first campaign's contacts and leaves the second's
//! pending; the payment then cancels the second's; a promise after the
//! payment changes nothing. Driven through the real `cobro` binary
//! (`launch`, `event`, `status`, `export gestiones`) on SQLite.

use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_tests::{cobro, export_rows, status_of, stderr, stdout};

/// `cobro event KIND --account ID` → how many contacts it cancelled.
fn event(dir: &std::path::Path, store: &str, kind: &str, account: &str) -> usize {
    let out = cobro(
        dir,
        &["event", kind, "--account", account, "--store", store],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    text.split_once(" pending contacts cancelled")
        .and_then(|(head, _)| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {text:?}"))
}

#[test]
fn each_campaign_stops_on_the_events_its_strategy_lists() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let store = format!("sqlite://{}", dir.join("cobro.db").display());
    // Campaign "now": stop_on = ["paid", "opt_out"].
    let now = write_wall_clock_campaign(dir, 30, 0x5EED_00D0);
    // Campaign "avisos": the same steps, stop_on = ["promise_to_pay", "opt_out"].
    let strategy = std::fs::read_to_string(dir.join("strategy.toml")).expect("strategy");
    assert!(strategy.contains("stop_on = [\"paid\", \"opt_out\"]"));
    std::fs::write(
        dir.join("strategy_avisos.toml"),
        strategy.replace("id = \"now\"", "id = \"avisos\"").replace(
            "stop_on = [\"paid\", \"opt_out\"]",
            "stop_on = [\"promise_to_pay\", \"opt_out\"]",
        ),
    )
    .expect("strategy avisos");
    let avisos = dir.join("avisos.toml");
    std::fs::write(
        &avisos,
        std::fs::read_to_string(&now)
            .expect("campaign")
            .replace("id = \"now\"", "id = \"avisos\"")
            .replace("strategy.toml", "strategy_avisos.toml"),
    )
    .expect("campaign avisos");

    let first = cobro(
        dir,
        &["launch", now.to_str().expect("utf-8"), "--store", &store],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let second = cobro(
        dir,
        &["launch", avisos.to_str().expect("utf-8"), "--store", &store],
    );
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("strategy 'avisos' also stops on paid, dispute"),
        "the launch names what stop_on implies: {}",
        stderr(&second)
    );

    // An account with contacts planned in both campaigns.
    let accounts = cobro_campaigns::import::import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let account = accounts
        .iter()
        .find(|a| {
            a.contact_point_for(cobro_campaigns::ChannelKind::Sms)
                .is_some()
                && a.contact_point_for(cobro_campaigns::ChannelKind::Email)
                    .is_some()
        })
        .expect("an account with a phone and an email")
        .id
        .clone();
    let (now_total, now_open) = status_of(dir, &store, "now");
    let (avisos_total, avisos_open) = status_of(dir, &store, "avisos");
    assert_eq!((now_open, avisos_open), (now_total, avisos_total));

    let by_promise = event(dir, &store, "promise_to_pay", &account);
    assert!(by_promise > 0, "avisos stops on a promise");
    assert_eq!(
        status_of(dir, &store, "now").1,
        now_total,
        "now stops from paid: a promise leaves its contacts pending"
    );
    assert_eq!(
        status_of(dir, &store, "avisos").1,
        avisos_total - by_promise as u64
    );

    let by_payment = event(dir, &store, "payment", &account);
    assert_eq!(
        by_payment, by_promise,
        "the payment cancels what now had for the account (same steps)"
    );
    assert_eq!(
        status_of(dir, &store, "now").1,
        now_total - by_payment as u64
    );
    // A promise after the payment is refused (exit 2) and changes nothing.
    let late = cobro(
        dir,
        &[
            "event",
            "promise_to_pay",
            "--account",
            &account,
            "--store",
            &store,
        ],
    );
    assert_eq!(late.status.code(), Some(2), "{}", stderr(&late));
    assert!(stderr(&late).contains("already paid"), "{}", stderr(&late));
    assert_eq!(
        status_of(dir, &store, "avisos").1,
        avisos_total - by_promise as u64
    );

    let cancelled = |campaign: &str| -> Vec<String> {
        export_rows(dir, &store, campaign)
            .into_iter()
            .filter(|r| r.state == "cancelled" && r.account == account)
            .map(|r| r.code)
            .collect()
    };
    let now_codes = cancelled("now");
    assert_eq!(now_codes.len(), by_payment);
    assert!(now_codes.iter().all(|c| c == "paid"), "{now_codes:?}");
    let avisos_codes = cancelled("avisos");
    assert_eq!(avisos_codes.len(), by_promise);
    assert!(
        avisos_codes.iter().all(|c| c == "promise_to_pay"),
        "{avisos_codes:?}"
    );
}
