//! Payments as money through the real `cobro` binary on SQLite: a partial
//! `cobro event payment --amount` lowers the balance and leaves the
//! sequence running; the creditor's payments file (`cobro payments
//! import`, Spanish headers, a bad row) records the good rows, names the
//! bad one's line and field, and a second import of the same file counts
//! nothing twice; the payment that reaches zero cancels what is pending.

use cobro_dispatcher::testing::write_wall_clock_campaign;
use cobro_tests::{cobro, parse_gestion_events, parse_gestiones, status_of, stderr, stdout};
use rust_decimal::Decimal;

/// The `balance N CUR` that `cobro event` prints.
fn balance_in(text: &str) -> Decimal {
    text.split_once("balance ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no balance in {text:?}"))
}

#[test]
fn partial_payments_lower_the_balance_and_a_payments_file_counts_once() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let store = format!("sqlite://{}", dir.join("cobro.db").display());
    let campaign = write_wall_clock_campaign(dir, 20, 0x9A7_0001);
    let out = cobro(
        dir,
        &[
            "launch",
            campaign.to_str().expect("utf-8"),
            "--store",
            &store,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let accounts = cobro_campaigns::import::import_path(&dir.join("portfolio.csv"))
        .expect("portfolio")
        .accounts;
    let a = &accounts[0];
    let b = &accounts[1];
    let (total, open) = status_of(dir, &store, "now");
    assert_eq!(open, total);

    // A third of A's debt, by the CLI.
    let third = (a.amount_due / Decimal::from(3)).round_dp(2);
    let out = cobro(
        dir,
        &[
            "event",
            "payment",
            "--account",
            &a.id,
            "--amount",
            &third.to_string(),
            "--reference",
            "DEP-1",
            "--store",
            &store,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(balance_in(&stdout(&out)), a.amount_due - third);
    assert_eq!(
        status_of(dir, &store, "now").1,
        total,
        "a partial payment cancels nothing"
    );

    // The creditor's daily file: Spanish headers, one bad amount, and the
    // DEP-1 payment the CLI already recorded.
    let file = dir.join("pagos.csv");
    let rest_of_b = b.amount_due.to_string();
    std::fs::write(
        &file,
        format!(
            "cuenta,importe,fecha,referencia\n{a},{third},2026-12-03,DEP-1\n{a},10.00,2026-12-03,DEP-2\n{b},{rest_of_b},2026-12-03,DEP-3\n{b},diez,2026-12-03,DEP-4\n",
            a = a.id,
            b = b.id,
        ),
    )
    .expect("write file");
    let check = cobro(
        dir,
        &[
            "payments",
            "import",
            file.to_str().expect("utf-8"),
            "--check",
            "--store",
            &store,
        ],
    );
    assert_eq!(
        check.status.code(),
        Some(2),
        "a bad row: {}",
        stdout(&check)
    );
    assert!(stderr(&check).contains("line 5"), "{}", stderr(&check));
    assert!(stderr(&check).contains("amount"), "{}", stderr(&check));

    let first = cobro(
        dir,
        &[
            "payments",
            "import",
            file.to_str().expect("utf-8"),
            "--store",
            &store,
        ],
    );
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("2 payments recorded, 1 already recorded, 1 bad rows"),
        "{}",
        stdout(&first)
    );
    let again = cobro(
        dir,
        &[
            "payments",
            "import",
            file.to_str().expect("utf-8"),
            "--store",
            &store,
        ],
    );
    assert!(
        stdout(&again).contains("0 payments recorded, 3 already recorded"),
        "idempotent by reference: {}",
        stdout(&again)
    );

    // B paid everything: its pending contacts are cancelled, nobody else's.
    let (_, open_after) = status_of(dir, &store, "now");
    assert!(open_after < total, "B's contacts cancelled");
    let out = cobro(
        dir,
        &[
            "event",
            "payment",
            "--account",
            &a.id,
            "--amount",
            "1",
            "--reference",
            "DEP-2",
            "--store",
            &store,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        balance_in(&stdout(&out)),
        a.amount_due - third - Decimal::new(1000, 2),
        "DEP-2 came in the file already: not counted twice"
    );

    // Every payment is a gestión in the export, once, with who recorded it.
    let export = cobro(dir, &["export", "gestiones", "--store", &store]);
    assert!(export.status.success(), "{}", stderr(&export));
    let events = parse_gestion_events(&stdout(&export));
    let mut payments: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.kind == "payment")
        .map(|e| (e.account.as_str(), e.source.as_str()))
        .collect();
    payments.sort();
    let mut expected = vec![
        (a.id.as_str(), "cli"),
        (a.id.as_str(), "import"),
        (b.id.as_str(), "import"),
    ];
    expected.sort();
    assert_eq!(payments, expected, "{events:#?}");
    assert!(events.iter().all(|e| !e.at.is_empty()), "{events:#?}");
    // The contact rows still audit as before.
    assert!(!parse_gestiones(&stdout(&export)).is_empty());
    let only_a = cobro(
        dir,
        &["export", "gestiones", "--account", &a.id, "--store", &store],
    );
    let events_a = parse_gestion_events(&stdout(&only_a));
    assert!(
        events_a.len() == 2 && events_a.iter().all(|e| e.account == a.id),
        "{events_a:#?}"
    );
}
