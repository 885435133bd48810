//! The expedientes scan: every filter, alone and together, through the
//! list that pages over it, with small windows so pages span several
//! calls; the stores must answer exactly the accounts a plain filter over
//! the same data keeps.

use chrono::NaiveDate;
use cobro_campaigns::ChannelKind;
use rust_decimal::Decimal;

use crate::account_list::{AccountQuery, list_accounts};
use crate::store::{AccountScan, AccountStatus, Store};

use super::fixtures::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("valid date")
}

/// Every page of `query` (limit 2), the ids in order.
async fn all_pages<S: Store>(store: &S, query: &AccountQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut query = query.clone();
    query.limit = 2;
    for _ in 0..100 {
        let page = list_accounts(store, &query, day(30))
            .await
            .expect("list_accounts");
        out.extend(page.items.into_iter().map(|i| i.id));
        match page.next {
            None => return out,
            next => query.cursor = next,
        }
    }
    panic!("the list never ended for {query:?}");
}

/// Filters on creditor, campaign, status, country, segment, days past
/// due, balance and search, alone and combined, page for page.
pub async fn account_scan_filters<S: Store>(store: &S) {
    let creditors = ["Banco Uno", "Tienda Dos"];
    let countries = ["MX", "CO", "CL"];
    let segments = [Some("temprana"), Some("Media"), None];
    let mut accounts = Vec::new();
    for i in 0..30u32 {
        let mut a = sample_account(&format!("A{i:03}"));
        a.creditor = creditors[(i % 2) as usize].into();
        a.country = countries[(i % 3) as usize].into();
        a.segment = segments[(i % 5 % 3) as usize].map(str::to_string);
        a.due_date = day(1 + i % 28);
        a.amount_due = Decimal::from(100 * (i + 1));
        a.debtor_name = if i.is_multiple_of(7) {
            format!("José Núñez {i}")
        } else {
            format!("Ana Pérez {i}")
        };
        a.tax_id = Some(format!("TAX{i:03}X"));
        accounts.push(a);
    }
    store.put_accounts(&accounts).await.expect("put");
    for i in (0..30).step_by(4) {
        store
            .set_account_status(&format!("A{i:03}"), AccountStatus::Disputed)
            .await
            .expect("status");
    }
    // A re-import moves A001 to another creditor and country: the old
    // values must no longer find it.
    let mut moved = accounts[1].clone();
    moved.creditor = "Banco Uno".into();
    moved.country = "MX".into();
    store.put_accounts(&[moved.clone()]).await.expect("replace");
    accounts[1] = moved;
    // A payment brings A010's balance (1,100) down to 400.
    let (mut book, version) = store.book("A010").await.expect("book");
    book.payments.push(cobro_campaigns::book::Payment {
        at: t0(),
        amount: Decimal::from(700),
        reference: "p1".into(),
        source: cobro_campaigns::book::EventSource::Api,
    });
    assert!(
        store
            .put_book("A010", &book, version)
            .await
            .expect("put_book")
    );
    let plan: Vec<_> = [3u32, 9, 12, 27]
        .iter()
        .flat_map(|i| {
            let id = format!("A{i:03}");
            [
                sample_contact("camp-x", &id, "s1", ChannelKind::Email, t0()),
                sample_contact("camp-x", &id, "s2", ChannelKind::Sms, t0()),
            ]
        })
        .chain([sample_contact(
            "camp-y",
            "A005",
            "s1",
            ChannelKind::Email,
            t0(),
        )])
        .collect();
    store.add_contacts(&plan).await.expect("plan");

    let status_of = |i: usize| {
        if i.is_multiple_of(4) {
            AccountStatus::Disputed
        } else {
            AccountStatus::Active
        }
    };
    let balance_of = |i: usize| {
        if i == 10 {
            Decimal::from(400)
        } else {
            accounts[i].amount_due
        }
    };
    let expect = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..accounts.len())
            .filter(|i| keep(*i))
            .map(|i| accounts[i].id.clone())
            .collect()
    };
    let dpd = |i: usize| (day(30) - accounts[i].due_date).num_days();
    let base = AccountQuery::default();
    let cases: Vec<(&str, AccountQuery, Vec<String>)> = vec![
        ("no filter", base.clone(), expect(&|_| true)),
        (
            "creditor",
            AccountQuery {
                creditor: Some("Tienda Dos".into()),
                ..base.clone()
            },
            expect(&|i| accounts[i].creditor == "Tienda Dos"),
        ),
        (
            "campaign",
            AccountQuery {
                campaign: Some("camp-x".into()),
                ..base.clone()
            },
            vec!["A003".into(), "A009".into(), "A012".into(), "A027".into()],
        ),
        (
            "campaign + status",
            AccountQuery {
                campaign: Some("camp-x".into()),
                status: Some(AccountStatus::Disputed),
                ..base.clone()
            },
            vec!["A012".into()],
        ),
        (
            "unknown campaign",
            AccountQuery {
                campaign: Some("nope".into()),
                ..base.clone()
            },
            Vec::new(),
        ),
        (
            "status",
            AccountQuery {
                status: Some(AccountStatus::Disputed),
                ..base.clone()
            },
            expect(&|i| status_of(i) == AccountStatus::Disputed),
        ),
        (
            "country (any case) + status",
            AccountQuery {
                country: Some("mx".into()),
                status: Some(AccountStatus::Active),
                ..base.clone()
            },
            expect(&|i| accounts[i].country == "MX" && status_of(i) == AccountStatus::Active),
        ),
        (
            "segment (any case)",
            AccountQuery {
                segment: Some("MEDIA".into()),
                ..base.clone()
            },
            expect(&|i| accounts[i].segment.as_deref() == Some("Media")),
        ),
        (
            "days past due band",
            AccountQuery {
                dpd_min: Some(5),
                dpd_max: Some(12),
                ..base.clone()
            },
            expect(&|i| (5..=12).contains(&dpd(i))),
        ),
        (
            "balance range",
            AccountQuery {
                amount_min: Some(Decimal::from(300)),
                amount_max: Some(Decimal::from(1_000)),
                ..base.clone()
            },
            expect(&|i| (Decimal::from(300)..=Decimal::from(1_000)).contains(&balance_of(i))),
        ),
        (
            "search a name, accents ignored",
            AccountQuery {
                q: Some("NUNEZ".into()),
                ..base.clone()
            },
            expect(&|i| i.is_multiple_of(7)),
        ),
        (
            "search a tax id",
            AccountQuery {
                q: Some("tax017".into()),
                ..base.clone()
            },
            vec!["A017".into()],
        ),
        (
            "everything at once",
            AccountQuery {
                creditor: Some("Banco Uno".into()),
                country: Some("MX".into()),
                q: Some("pérez".into()),
                dpd_max: Some(25),
                amount_min: Some(Decimal::from(200)),
                ..base.clone()
            },
            expect(&|i| {
                accounts[i].creditor == "Banco Uno"
                    && accounts[i].country == "MX"
                    && !i.is_multiple_of(7)
                    && dpd(i) <= 25
                    && balance_of(i) >= Decimal::from(200)
            }),
        ),
    ];
    for (name, query, want) in cases {
        assert_eq!(all_pages(store, &query).await, want, "{name}");
    }

    // The store's own answer: windows of 4 walk to the end in order, and
    // cover every match.
    let scan = AccountScan {
        status: Some(AccountStatus::Disputed),
        window: 4,
        ..AccountScan::default()
    };
    let mut seen = Vec::new();
    let mut scan = scan;
    for _ in 0..100 {
        let got = store.scan_accounts(&scan).await.expect("scan");
        seen.extend(got.rows.iter().map(|r| r.id.clone()));
        match got.next {
            None => break,
            next => scan.after = next,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "rows come in id order, once");
    for id in expect(&|i| status_of(i) == AccountStatus::Disputed) {
        assert!(seen.contains(&id), "{id} is disputed");
    }
}
