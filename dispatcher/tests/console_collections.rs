//! The parte de cobros through the Router on SQLite (and Redis): two creditors with
//! payments in January and February 2026; a creditor user's page, CSV and
//! XLSX (read back with calamine) hold only its rows, whatever
//! `?creditor=` says; the totals, the per-campaign split (last touch) and
//! the recovery rates match a case computed by hand; the month navigation
//! links; a month that does not parse answers a clear 400 on the API and
//! a message on the page.

use std::io::Cursor;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{BookAction, BookLimits, EventSource};
use cobro_dispatcher::engine::actions::record_action;
use cobro_dispatcher::http::auth::SESSION_COOKIE;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::{sample_account, sample_contact};
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::redis::RedisStore;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{ContactState, Transition};
use cobro_dispatcher::users::{Role, Session, User, new_secret, secret_hash};
use cobro_testkit::RedisServer;
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

const SOL: &str = "Banco del Sol";
const LUNA: &str = "Financiera Luna";

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
}

async fn sqlite(dir: &tempfile::TempDir) -> AnyStore {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    AnyStore::Sqlite(SqliteStore::connect(&url).await.expect("sqlite"))
}

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0)
        .single()
        .expect("valid instant")
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Sol (MXN): S-1 owes 1000.00, pays 100.00 on 10 Jan, promises 200.00
/// for 5 Feb and keeps it, pays 50.00 on 20 Feb; S-2 owes 500.00 and pays
/// it all on 10 Feb; S-3 owes 300.00, promises 100.00 for 3 Feb and
/// breaks it. Campaign `sol-enero` reached S-1 and S-2 in January,
/// `sol-febrero` reached S-2 on 2 Feb; nobody reached S-3.
/// Luna (COP): L-1 owes 2000.00, pays 700.00 in January and 300.00 in
/// February; L-2 owes 5000.00 and pays 1000.00 in February.
async fn env(store: AnyStore) -> Env {
    let store = Arc::new(store);
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: None,
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config));
    let mut accounts = Vec::new();
    for (id, creditor, currency, cents) in [
        ("S-1", SOL, "MXN", 100_000),
        ("S-2", SOL, "MXN", 50_000),
        ("S-3", SOL, "MXN", 30_000),
        ("L-1", LUNA, "COP", 200_000),
        ("L-2", LUNA, "COP", 500_000),
    ] {
        let mut a = sample_account(id);
        a.creditor = creditor.into();
        a.currency = currency.into();
        a.amount_due = money(cents);
        accounts.push(a);
    }
    store.put_accounts(&accounts).await.expect("accounts");
    let act = |id: &str, action: BookAction, now: DateTime<Utc>| {
        let store = store.clone();
        let id = id.to_string();
        async move {
            record_action(
                store.as_ref(),
                &id,
                &action,
                EventSource::Api,
                now,
                &BookLimits::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    };
    let pay = |cents: i64, when: DateTime<Utc>, reference: &str| BookAction::Payment {
        amount: money(cents),
        at: when,
        reference: reference.into(),
    };
    let promise = |cents: i64, day: u32| BookAction::Promise {
        date: NaiveDate::from_ymd_opt(2026, 2, day).expect("date"),
        amount: money(cents),
    };
    act("S-1", pay(10_000, at(1, 10), "s1-jan"), at(1, 10)).await;
    act("S-1", promise(20_000, 5), at(2, 1)).await;
    act("S-1", pay(20_000, at(2, 5), "s1-feb-a"), at(2, 5)).await;
    act("S-1", pay(5_000, at(2, 20), "s1-feb-b"), at(2, 20)).await;
    act("S-2", pay(50_000, at(2, 10), "s2-feb"), at(2, 10)).await;
    act("S-3", promise(10_000, 3), at(2, 1)).await;
    act("L-1", pay(70_000, at(1, 15), "l1-jan"), at(1, 15)).await;
    act("L-1", pay(30_000, at(2, 15), "l1-feb"), at(2, 15)).await;
    act("L-2", pay(100_000, at(2, 16), "l2-feb"), at(2, 16)).await;

    // Campaign contacts, sent; one more planned but never sent (not a
    // touch) and one of Luna's.
    let sent = [
        sample_contact("sol-enero", "S-1", "s1", ChannelKind::Sms, at(1, 5)),
        sample_contact("sol-enero", "S-2", "s1", ChannelKind::Sms, at(1, 6)),
        sample_contact("sol-febrero", "S-2", "s1", ChannelKind::Sms, at(2, 2)),
        sample_contact("luna-1", "L-1", "s1", ChannelKind::Email, at(1, 2)),
        sample_contact("luna-1", "L-2", "s1", ChannelKind::Email, at(1, 2)),
    ];
    let unsent = sample_contact("sol-marzo", "S-3", "s1", ChannelKind::Sms, at(2, 3));
    store.add_contacts(&sent).await.expect("contacts");
    let claimed = store.claim_due(at(3, 1), 100).await.expect("claim");
    assert_eq!(claimed.len(), sent.len());
    for c in &sent {
        let done = store
            .transition(&c.id, Transition::Finish(ContactState::Sent), &[])
            .await
            .expect("sent");
        assert!(done, "{}", c.id);
    }
    store
        .add_contacts(std::slice::from_ref(&unsent))
        .await
        .expect("unsent");
    Env { store, app }
}

/// A signed-in session of a new user; returns its cookie.
async fn session_of(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> String {
    let user = User::new(email, role, creditor, "a long password", Utc::now()).expect("user");
    env.store.put_user(&user).await.expect("put user");
    let id = new_secret("");
    let session = Session {
        id_hash: secret_hash(&id),
        email: email.into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::hours(1),
    };
    env.store.put_session(&session).await.expect("session");
    format!("{SESSION_COOKIE}={id}")
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

async fn get(env: &Env, path: &str, cookie: &str) -> Answer {
    let req = Request::get(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .expect("request");
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body: body.to_vec(),
    }
}

/// An attribute value as the browser reads it.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `href` of the element with `id` in `page`.
fn href_of(page: &str, id: &str) -> String {
    let anchor = format!("id=\"{id}\" href=\"");
    let start = page
        .find(&anchor)
        .unwrap_or_else(|| panic!("no #{id} in {page}"))
        + anchor.len();
    unescape(
        &page[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>(),
    )
}

fn accounts_in(page: &str) -> Vec<String> {
    page.split("data-account=\"")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| *c != '"').collect())
        .collect()
}

/// The text of the first `<td class="n rate"...>` of the per-creditor
/// line with `marker` (`data-creditor="..."` plus campaign attributes).
fn rate_of_line(page: &str, marker: &str) -> String {
    let line = page
        .split("<tr ")
        .find(|tr| tr.starts_with(marker))
        .unwrap_or_else(|| panic!("no line {marker} in {page}"));
    let cell = line.split("class=\"n rate\"").nth(1).expect("rate cell");
    let start = cell.find('>').expect("cell") + 1;
    cell[start..]
        .chars()
        .take_while(|c| *c != '<')
        .collect::<String>()
        .trim()
        .to_string()
}

fn xlsx_sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("xlsx");
    let range = book.worksheet_range(name).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

fn cell_f64(row: &[Data], col: usize) -> f64 {
    row[col]
        .get_float()
        .or_else(|| row[col].get_int().map(|i| i as f64))
        .unwrap_or_else(|| panic!("number in column {col}: {row:?}"))
}

#[tokio::test]
async fn a_creditor_sees_its_own_month_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    its_own_month_in_page_csv_and_xlsx(env(sqlite(&dir).await).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creditor_sees_its_own_month_on_redis() {
    let server = RedisServer::start().expect("redis-server starts");
    let store = RedisStore::connect(&server.url()).await.expect("redis");
    its_own_month_in_page_csv_and_xlsx(env(AnyStore::Redis(store)).await).await;
}

async fn its_own_month_in_page_csv_and_xlsx(env: Env) {
    let sol = session_of(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let ops = session_of(&env, "ops@cobro.mx", Role::Operations, None).await;
    let collector = session_of(&env, "cob@cobro.mx", Role::Collector, None).await;

    // Not signed in: to the login page; a collector: refused.
    let anon = get(&env, "/console/collections", "").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    let refused = get(&env, "/console/collections?month=2026-02", &collector).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // February, by hand (Sol, MXN): paid 200 + 50 (S-1) + 500 (S-2) =
    // 750.00 in 3 payments; owed at the start 900 + 500 + 300 = 1700.00;
    // recovery 750 / 1700 = 44.12 %; one promise kept (S-1), one broken
    // (S-3). Campaigns (last touch): sol-enero S-1 250/900 = 27.78 %,
    // sol-febrero S-2 500/500 = 100.00 %, none S-3 0/300 = 0.00 %.
    let page = get(&env, "/console/collections?month=2026-02", &sol).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_eq!(accounts_in(&html), ["S-1", "S-2", "S-3"], "{html}");
    assert!(!html.contains("L-1") && !html.contains(LUNA) && !html.contains("COP"));
    assert!(html.contains("febrero de 2026"), "{html}");
    assert!(
        html.contains("<b class=\"paid\">750,00 MXN</b>"),
        "totals card: {html}"
    );
    assert!(html.contains("<b class=\"rate\">44,12 %</b>"), "{html}");
    assert!(html.contains("href=\"/console/accounts/S-1\""), "{html}");
    let sol_line = format!("data-creditor=\"{SOL}\">");
    assert_eq!(rate_of_line(&html, &sol_line), "44,12 %");
    for (campaign, rate) in [
        ("sol-enero", "27,78 %"),
        ("sol-febrero", "100,00 %"),
        ("Sin campaña", "0,00 %"),
    ] {
        let marker = format!("data-creditor=\"{SOL}\" data-campaign=\"{campaign}\"");
        assert_eq!(rate_of_line(&html, &marker), rate, "{campaign}");
    }
    assert!(
        html.contains("id=\"footnote\"")
            && html.contains("saldo que esas mismas cuentas debían al inicio del mes")
    );
    assert!(!html.contains("<script") && !html.contains("https://"));

    // Tampering changes nothing.
    let tampered = get(
        &env,
        "/console/collections?month=2026-02&creditor=Financiera%20Luna",
        &sol,
    )
    .await;
    assert_eq!(accounts_in(&tampered.text()), ["S-1", "S-2", "S-3"]);

    // Month navigation: previous and next, and January by hand (S-1 paid
    // 100.00 of 1000.00 owed: 10.00 %).
    assert_eq!(
        href_of(&html, "previous-month"),
        "/console/collections?month=2026-01"
    );
    assert_eq!(
        href_of(&html, "next-month"),
        "/console/collections?month=2026-03"
    );
    let january = get(&env, &href_of(&html, "previous-month"), &sol).await;
    let january = january.text();
    assert_eq!(accounts_in(&january), ["S-1"]);
    assert!(
        january.contains("<b class=\"rate\">10,00 %</b>"),
        "{january}"
    );
    assert_eq!(
        href_of(&january, "previous-month"),
        "/console/collections?month=2025-12"
    );
    let march = get(&env, "/console/collections?month=2026-03", &sol).await;
    assert!(march.text().contains("id=\"no-rows\""));
    // No month: this month.
    let now = get(&env, "/console/collections", &sol).await;
    assert_eq!(now.status, StatusCode::OK);
    let this_month = Utc::now().format("%Y-%m").to_string();
    assert!(
        now.text().contains(&format!("value=\"{this_month}\"")),
        "{}",
        now.text()
    );
    // English.
    let english = get(&env, "/console/collections?month=2026-02&lang=en", &sol).await;
    let english = english.text();
    assert!(english.contains("February 2026") && english.contains("Collections report"));
    assert!(
        english.contains("<b class=\"rate\">44.12 %</b>"),
        "{english}"
    );

    // The downloads the page links to, with the session cookie.
    let csv_href = href_of(&html, "download-csv");
    assert_eq!(
        csv_href,
        "/api/reports/collections?month=2026-02&format=csv"
    );
    let csv = get(&env, &csv_href, &sol).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"parte-de-cobros-2026-02.csv\""
    );
    let csv = csv.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("month,account,creditor,debtor_name,currency,payments,paid,balance,promises_kept,promises_broken,balance_start,campaign,last_payment"));
    assert_eq!(
        lines[1],
        format!("2026-02,S-1,{SOL},Deudor S-1,MXN,2,250.00,650.00,1,0,900.00,sol-enero,2026-02-20")
    );
    assert!(!csv.contains("L-"), "{csv}");
    let tampered_csv = get(
        &env,
        &format!("{csv_href}&creditor=Financiera%20Luna"),
        &sol,
    )
    .await;
    assert_eq!(tampered_csv.text(), csv);

    let xlsx_href = href_of(&html, "download-xlsx");
    assert_eq!(
        xlsx_href,
        "/api/reports/collections?month=2026-02&format=xlsx"
    );
    let xlsx = get(&env, &xlsx_href, &sol).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.header("content-disposition"),
        "attachment; filename=\"parte-de-cobros-2026-02.xlsx\""
    );
    assert!(xlsx.header("content-type").contains("spreadsheetml"));
    let rows = xlsx_sheet(&xlsx.body, "cobros");
    assert_eq!(rows.len(), 4, "header and three rows: {rows:?}");
    assert_eq!(rows[0][1], Data::String("account".into()));
    let accounts: Vec<String> = rows[1..]
        .iter()
        .map(|r| r[1].get_string().expect("account").to_string())
        .collect();
    assert_eq!(accounts, ["S-1", "S-2", "S-3"]);
    assert!(
        rows[1][0].is_datetime(),
        "the month is a date: {:?}",
        rows[1][0]
    );
    assert_eq!(
        rows[1][12].as_date(),
        NaiveDate::from_ymd_opt(2026, 2, 20),
        "the last payment is a date"
    );
    let paid: Vec<f64> = rows[1..].iter().map(|r| cell_f64(r, 6)).collect();
    assert_eq!(paid, [250.0, 500.0, 0.0]);
    let starts: Vec<f64> = rows[1..].iter().map(|r| cell_f64(r, 10)).collect();
    assert_eq!(starts, [900.0, 500.0, 300.0]);
    let totals = xlsx_sheet(&xlsx.body, "totales");
    let sol_total = totals
        .iter()
        .find(|r| r[0] == Data::String(SOL.into()) && r[1] == Data::Empty)
        .unwrap_or_else(|| panic!("Sol's line: {totals:?}"));
    assert_eq!(cell_f64(sol_total, 5), 750.0);
    assert_eq!(cell_f64(sol_total, 8), 1700.0);
    assert_eq!(cell_f64(sol_total, 9), 44.12);
    assert!(
        totals
            .iter()
            .all(|r| r[0] != Data::String(LUNA.into()) && r[2] != Data::String("COP".into())),
        "{totals:?}"
    );
    let grand = totals
        .iter()
        .find(|r| r[0] == Data::String("TOTAL".into()))
        .expect("grand total");
    assert_eq!(cell_f64(grand, 5), 750.0);

    // The JSON: old fields kept, new ones added.
    let json = get(&env, "/api/reports/collections?month=2026-02", &sol)
        .await
        .json();
    assert_eq!(json["month"], "2026-02");
    assert_eq!(json["rows"][0]["paid"], "250.00");
    assert_eq!(json["rows"][0]["balance"], "650.00");
    assert_eq!(json["rows"][0]["payments"], 2);
    assert_eq!(json["rows"][0]["debtor_name"], "Deudor S-1");
    assert_eq!(json["totals"]["MXN"]["paid"], "750.00");
    assert_eq!(json["totals"]["MXN"]["recovery_rate"], "44.12");
    assert_eq!(json["by_creditor"][0]["creditor"], SOL);
    assert_eq!(
        json["by_creditor"][0]["campaigns"][2]["campaign"],
        serde_json::Value::Null
    );

    // Staff see both and may narrow to one (Luna, COP: 1300 / 6300).
    let all = get(&env, "/api/reports/collections?month=2026-02", &ops)
        .await
        .json();
    assert_eq!(all["rows"].as_array().map(Vec::len), Some(5));
    assert_eq!(all["totals"]["COP"]["recovery_rate"], "20.63");
    let luna = get(
        &env,
        "/api/reports/collections?month=2026-02&creditor=Financiera%20Luna",
        &ops,
    )
    .await
    .json();
    assert_eq!(luna["rows"].as_array().map(Vec::len), Some(2));
    assert!(luna["totals"].get("MXN").is_none(), "{luna}");
    let page = get(
        &env,
        "/console/collections?month=2026-02&creditor=Financiera%20Luna",
        &ops,
    )
    .await
    .text();
    assert_eq!(accounts_in(&page), ["L-1", "L-2"]);
    assert_eq!(
        href_of(&page, "download-xlsx"),
        "/api/reports/collections?month=2026-02&format=xlsx&creditor=Financiera+Luna"
    );
}

#[tokio::test]
async fn a_month_that_does_not_parse_is_said_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(sqlite(&dir).await).await;
    let sol = session_of(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    for bad in ["2026-13", "13-2026", "2026-2", "febrero"] {
        let api = get(&env, &format!("/api/reports/collections?month={bad}"), &sol).await;
        assert_eq!(api.status, StatusCode::BAD_REQUEST, "{bad}");
        let error = api.json()["error"].as_str().unwrap_or("").to_string();
        assert!(
            error.contains(bad) && error.contains("YYYY-MM"),
            "{bad}: {error}"
        );
        let page = get(&env, &format!("/console/collections?month={bad}"), &sol).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
        let html = page.text();
        assert!(
            html.contains("id=\"bad-month\"") && html.contains("AAAA-MM"),
            "{html}"
        );
        assert!(!html.contains("data-account"), "{html}");
    }
    let api = get(
        &env,
        "/api/reports/collections?month=2026-02&format=pdf",
        &sol,
    )
    .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert!(api.text().contains("json, csv or xlsx"), "{}", api.text());
}
