//! Alta de expedientes through the Router: `POST /api/portfolios` takes
//! what Excel in Spanish writes (a Windows-1252, `;`, CRLF CSV with
//! `55.177,35` and `21/08/2026`; an .xlsx with date cells), stores the good
//! rows and answers each bad one with its line and field; a creditor user
//! may upload only its own creditor's rows; a collector may not upload;
//! too large a file is a 413. The console page does the same behind its
//! session and CSRF value, shows the refused rows and lets only the
//! uploading session download them.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate, Utc};
use cobro_dispatcher::http::auth::SESSION_COOKIE;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::sample_account;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::users::{Role, Session, User, new_secret, secret_hash};
use encoding_rs::WINDOWS_1252;
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tower::ServiceExt;

const BOOTSTRAP: &str = "bootstrap-token-0123456789";
const SOL: &str = "Banco del Sol";
const LUNA: &str = "Financiera Luna";
const HEADER: &str =
    "Expediente;Empresa;Nombre;Importe;Moneda;Fecha de vencimiento;País;Teléfono;Correo";
const NAMES: [&str; 5] = [
    "Verónica López",
    "José Muñoz",
    "María Ibáñez",
    "Raúl Peña",
    "Begoña Álvarez",
];
const BOUNDARY: &str = "cobro-test-boundary-7MA4YWxkTrZu0gW";

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("sqlite"),
    ));
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some(BOOTSTRAP.into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config));
    // Luna's account L-01 is already stored.
    let mut luna = sample_account("L-01");
    luna.creditor = LUNA.into();
    luna.debtor_name = "Deudora de Luna".into();
    store.put_accounts(&[luna]).await.expect("accounts");
    Env {
        store,
        app,
        _dir: dir,
    }
}

async fn user(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> User {
    let user = User::new(email, role, creditor, "a long password", Utc::now()).expect("user");
    env.store.put_user(&user).await.expect("put user");
    user
}

/// A user with a current API token; returns the token.
async fn user_with_token(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> String {
    let mut user = user(env, email, role, creditor).await;
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("put user");
    token
}

/// A signed-in console session of a new user; returns its cookie.
async fn session_of(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> String {
    user(env, email, role, creditor).await;
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

/// A `multipart/form-data` body: `(name, file name, bytes)` per part.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_request(path: &str, auth: (&str, String), body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header(auth.0, auth.1)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .expect("request")
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

async fn send(env: &Env, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, headers, body.to_vec())
}

async fn api_upload(
    env: &Env,
    token: &str,
    name: &str,
    file: &[u8],
) -> (StatusCode, serde_json::Value) {
    let body = multipart(&[("file", Some(name), file)]);
    let (status, _, body) = send(env, upload_request("/api/portfolios", bearer(token), body)).await;
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// Rows as Excel's "CSV (delimitado por punto y coma)" writes them:
/// `(id, creditor, name, amount, country, email)` per row, CRLF.
fn csv_text(rows: &[(&str, &str, &str, &str, &str, &str)]) -> String {
    let mut text = format!("{HEADER}\r\n");
    for (i, (id, creditor, name, amount, country, email)) in rows.iter().enumerate() {
        text.push_str(&format!(
            "{id};{creditor};{name};{amount};MXN;21/08/2026;{country};55 1234 56{:02};{email}\r\n",
            i + 1
        ));
    }
    text
}

fn cp1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = WINDOWS_1252.encode(text);
    assert!(!unmappable);
    let bytes = bytes.into_owned();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "not UTF-8, or the test proves nothing"
    );
    bytes
}

fn sample_rows(creditor: &str) -> Vec<(String, String)> {
    NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| (format!("EXP-{:02}", i + 1), name.to_string()))
        .map(|(id, name)| (id, format!("{creditor}|{name}")))
        .collect()
}

/// The five sample rows of `creditor`, the first one `55.177,35`.
fn sample_csv(creditor: &str) -> Vec<u8> {
    let owned = sample_rows(creditor);
    let amounts = ["55.177,35", "1.234,50", "980,00", "12.000,00", "3,75"];
    let emails: Vec<String> = (1..=5).map(|i| format!("d{i}@example.com")).collect();
    let rows: Vec<(&str, &str, &str, &str, &str, &str)> = owned
        .iter()
        .zip(amounts)
        .zip(&emails)
        .map(|(((id, cn), amount), email)| {
            let (c, n) = cn.split_once('|').expect("pair");
            (id.as_str(), c, n, amount, "MX", email.as_str())
        })
        .collect();
    cp1252(&csv_text(&rows))
}

async fn stored(env: &Env, id: &str) -> Option<cobro_campaigns::Account> {
    env.store
        .account(id)
        .await
        .expect("account")
        .map(|(a, _)| a)
}

#[tokio::test]
async fn a_windows_1252_excel_csv_is_stored_whole() {
    let env = env().await;
    let (status, body) = api_upload(&env, BOOTSTRAP, "expedientes.csv", &sample_csv(SOL)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows_read"], 5, "{body}");
    assert_eq!(body["accepted"], 5, "{body}");
    assert_eq!(body["rejected"], 0, "{body}");
    assert_eq!(body["errors"], serde_json::json!([]));
    let a = stored(&env, "EXP-01").await.expect("stored");
    assert_eq!(a.debtor_name, "Verónica López");
    assert_eq!(a.amount_due, Decimal::new(5_517_735, 2));
    assert_eq!(a.creditor, SOL);
    assert_eq!(
        a.due_date,
        NaiveDate::from_ymd_opt(2026, 8, 21).expect("date")
    );
    let b = stored(&env, "EXP-05").await.expect("stored");
    assert_eq!(b.debtor_name, "Begoña Álvarez");
    assert_eq!(b.amount_due, Decimal::new(375, 2));
    // Declaring the encoding and separator gives the same; a wrong
    // declaration names the bytes instead of storing mojibake (here in
    // the header already: nothing is imported).
    let body = multipart(&[
        ("encoding", None, b"utf-8"),
        ("file", Some("expedientes.csv"), &sample_csv(SOL)),
    ]);
    let (status, _, body) = send(
        &env,
        upload_request("/api/portfolios", bearer(BOOTSTRAP), body),
    )
    .await;
    let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("header"),
        "{body}"
    );
    let (status, body) = {
        let body = multipart(&[("file", Some("e.csv"), &sample_csv(SOL))]);
        let (s, _, b) = send(
            &env,
            upload_request(
                "/api/portfolios?encoding=windows-1252&decimal=,",
                bearer(BOOTSTRAP),
                body,
            ),
        )
        .await;
        (
            s,
            serde_json::from_slice::<serde_json::Value>(&b).expect("json"),
        )
    };
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 5, "{body}");
}

#[tokio::test]
async fn an_xlsx_with_date_cells_is_stored() {
    let env = env().await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in HEADER.split(';').enumerate() {
        sheet.write_string(0, c as u16, h).expect("header");
    }
    for (i, name) in NAMES.iter().enumerate() {
        let r = (i + 1) as u32;
        sheet
            .write_string(r, 0, format!("XL-{:02}", i + 1))
            .expect("id");
        sheet.write_string(r, 1, SOL).expect("creditor");
        sheet.write_string(r, 2, *name).expect("name");
        sheet
            .write_number(r, 3, 55177.35 + i as f64)
            .expect("amount");
        sheet.write_string(r, 4, "MXN").expect("currency");
        let date = ExcelDateTime::from_ymd(2026, 8, 21).expect("date");
        sheet
            .write_datetime_with_format(r, 5, &date, &date_format)
            .expect("date cell");
        sheet.write_string(r, 6, "MX").expect("country");
        sheet
            .write_number(r, 7, 5512345600.0 + i as f64)
            .expect("phone");
        sheet
            .write_string(r, 8, format!("x{i}@example.com"))
            .expect("email");
    }
    let bytes = book.save_to_buffer().expect("xlsx");
    let (status, body) = api_upload(&env, BOOTSTRAP, "cartera.xlsx", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (5.into(), 0.into()),
        "{body}"
    );
    let a = stored(&env, "XL-01").await.expect("stored");
    assert_eq!(a.debtor_name, "Verónica López");
    assert_eq!(a.amount_due, Decimal::new(5_517_735, 2));
    assert_eq!(
        a.due_date,
        NaiveDate::from_ymd_opt(2026, 8, 21).expect("date")
    );
    // A workbook is known by its bytes, whatever it is called.
    let (status, body) = api_upload(&env, BOOTSTRAP, "cartera", &bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 5, "{body}");
}

/// Four rows, the second and the fourth bad (lines 3 and 5).
fn two_bad_rows(creditor: &str) -> Vec<u8> {
    cp1252(&csv_text(&[
        (
            "OK-1",
            creditor,
            "Inés Güemes",
            "100,00",
            "MX",
            "a@example.com",
        ),
        (
            "BAD-1",
            creditor,
            "Ángel Núñez",
            "doce mil",
            "MX",
            "b@example.com",
        ),
        (
            "OK-2",
            creditor,
            "Óscar Martínez",
            "200,00",
            "MX",
            "c@example.com",
        ),
        (
            "BAD-2",
            creditor,
            "Sofía Gutiérrez",
            "300,00",
            "MX",
            "no-es-un-correo",
        ),
    ]))
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_and_field_and_good_rows_kept() {
    let env = env().await;
    let (status, body) = api_upload(&env, BOOTSTRAP, "e.csv", &two_bad_rows(SOL)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows_read"], 4, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    assert_eq!(body["rejected"], 2, "{body}");
    let errors = body["errors"].as_array().expect("errors");
    let where_: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("line"),
                e["field"].as_str().expect("field"),
            )
        })
        .collect();
    assert_eq!(where_, [(3, "Importe"), (5, "Correo")], "{body}");
    assert!(
        errors
            .iter()
            .all(|e| !e["reason"].as_str().unwrap_or("").is_empty())
    );
    assert!(stored(&env, "OK-1").await.is_some());
    assert!(stored(&env, "OK-2").await.is_some());
    assert!(stored(&env, "BAD-1").await.is_none());
    assert!(stored(&env, "BAD-2").await.is_none());

    // File-level problems: nothing stored, a clear 4xx.
    let (status, body) =
        api_upload(&env, BOOTSTRAP, "e.csv", b"Expediente;Nombre\r\nX;Y\r\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("missing required column"),
        "{body}"
    );
    let body = multipart(&[("other", None, b"x")]);
    let (status, _, _) = send(
        &env,
        upload_request("/api/portfolios", bearer(BOOTSTRAP), body),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body = multipart(&[
        ("encoding", None, b"klingon"),
        ("file", Some("e.csv"), b"x"),
    ]);
    let (status, _, body) = send(
        &env,
        upload_request("/api/portfolios", bearer(BOOTSTRAP), body),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("klingon"));
    let (status, _, _) = send(
        &env,
        Request::post("/api/portfolios")
            .header("authorization", format!("Bearer {BOOTSTRAP}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_creditor_uploads_only_its_own_creditors_rows() {
    let env = env().await;
    let sol = user_with_token(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let file = cp1252(&csv_text(&[
        (
            "S-1",
            SOL,
            "Verónica López",
            "55.177,35",
            "MX",
            "a@example.com",
        ),
        ("X-1", LUNA, "José Muñoz", "10,00", "MX", "b@example.com"),
        // Luna's stored account: storing it would hand it over.
        ("L-01", SOL, "Raúl Peña", "10,00", "MX", "c@example.com"),
    ]));
    let (status, body) = api_upload(&env, &sol, "mios.csv", &file).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (1.into(), 2.into()),
        "{body}"
    );
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["field"].as_str()),
        (Some(3), Some("creditor"))
    );
    assert!(
        errors[0]["reason"].as_str().unwrap_or("").contains(LUNA),
        "{body}"
    );
    assert_eq!(
        (errors[1]["line"].as_u64(), errors[1]["field"].as_str()),
        (Some(4), Some("id"))
    );
    assert_eq!(stored(&env, "S-1").await.expect("own row").creditor, SOL);
    assert!(stored(&env, "X-1").await.is_none());
    let luna = stored(&env, "L-01").await.expect("still there");
    assert_eq!(
        (luna.creditor.as_str(), luna.debtor_name.as_str()),
        (LUNA, "Deudora de Luna")
    );
    // Staff may upload any creditor's rows.
    let ops = user_with_token(&env, "ops@cobro.mx", Role::Operations, None).await;
    let (status, body) = api_upload(&env, &ops, "e.csv", &sample_csv(LUNA)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 5, "{body}");
}

#[tokio::test]
async fn a_collector_may_not_upload_and_too_large_is_413() {
    let env = env().await;
    for (email, role) in [
        ("col@cobro.mx", Role::Collector),
        ("cmp@cobro.mx", Role::Compliance),
    ] {
        let token = user_with_token(&env, email, role, None).await;
        let (status, _) = api_upload(&env, &token, "e.csv", &sample_csv(SOL)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
    assert!(stored(&env, "EXP-01").await.is_none());
    let (status, _) = api_upload(&env, "wrong-token", "e.csv", &sample_csv(SOL)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // 21 MB: refused, with words.
    let mut big = csv_text(&[("B-1", SOL, "Ana", "1,00", "MX", "a@example.com")]).into_bytes();
    big.resize(21 * 1024 * 1024, b' ');
    let (status, body) = api_upload(&env, BOOTSTRAP, "big.csv", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("20 MB"),
        "{body}"
    );
    assert!(stored(&env, "B-1").await.is_none());
}

fn csrf_in(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header("cookie", cookie.to_string())
        .body(Body::empty())
        .expect("request")
}

async fn page(env: &Env, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, body) = send(env, req).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_upload_page_imports_shows_errors_and_keeps_the_report_for_its_session() {
    let env = env().await;
    let ana = session_of(&env, "ana@bancodelsol.mx", Role::Creditor, Some(SOL)).await;
    let eva = session_of(&env, "eva@luna.co", Role::Creditor, Some(LUNA)).await;
    let col = session_of(&env, "col@cobro.mx", Role::Collector, None).await;

    // Not signed in: to the login page; a collector: 403.
    let (status, _, _) = page(
        &env,
        Request::get("/console/upload")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = page(&env, get("/console/upload", &col)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _, form) = page(&env, get("/console/upload", &ana)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("Alta de expedientes") && form.contains("enctype=\"multipart/form-data\""),
        "{form}"
    );
    assert!(
        form.contains("windows-1252") && form.contains(SOL),
        "{form}"
    );
    assert!(!form.contains("<script"));
    let (_, _, english) = page(&env, get("/console/upload?lang=en", &ana)).await;
    assert!(english.contains("Upload accounts") && english.contains("Decimal separator"));
    let csrf = csrf_in(&form);

    // No CSRF value, or a wrong one: refused, nothing stored.
    let file = two_bad_rows(SOL);
    for parts in [
        vec![("file", Some("e.csv"), &file[..])],
        vec![
            ("csrf", None, &b"forged"[..]),
            ("file", Some("e.csv"), &file[..]),
        ],
    ] {
        let (status, _, _) = page(
            &env,
            upload_request(
                "/console/upload",
                ("cookie", ana.clone()),
                multipart(&parts),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(stored(&env, "OK-1").await.is_none());
    }
    // Another session's CSRF value is not this one's.
    let (_, _, eva_form) = page(&env, get("/console/upload", &eva)).await;
    let eva_csrf = csrf_in(&eva_form);
    let parts = [
        ("csrf", None, eva_csrf.as_bytes()),
        ("file", Some("e.csv"), &file[..]),
    ];
    let (status, _, _) = page(
        &env,
        upload_request(
            "/console/upload",
            ("cookie", ana.clone()),
            multipart(&parts),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(stored(&env, "OK-1").await.is_none());

    // With it: stored, then the result page (PRG).
    let parts = [
        ("csrf", None, csrf.as_bytes()),
        ("encoding", None, &b"auto"[..]),
        ("decimal", None, &b","[..]),
        ("file", Some("cartera mayo.csv"), &file[..]),
    ];
    let (status, headers, _) = page(
        &env,
        upload_request(
            "/console/upload",
            ("cookie", ana.clone()),
            multipart(&parts),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers["location"].to_str().expect("location").to_string();
    assert!(
        location.starts_with("/console/upload?report="),
        "{location}"
    );
    assert!(stored(&env, "OK-1").await.is_some() && stored(&env, "OK-2").await.is_some());
    assert!(stored(&env, "BAD-1").await.is_none());
    let (status, _, result) = page(&env, get(&location, &ana)).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "id=\"rows-read\">4<",
        "id=\"accepted\">2<",
        "id=\"rejected\">2<",
        "Importe",
        "Correo",
        "doce mil",
        // The reasons in the reader's language (Spanish by default).
        "&#x27;doce mil&#x27; no es un importe válido",
        "no es un correo electrónico válido",
    ] {
        assert!(result.contains(shown), "{shown} in {result}");
    }
    assert!(!result.contains("is not a decimal amount"), "{result}");
    let (_, _, english) = page(&env, get(&format!("{location}&lang=en"), &ana)).await;
    assert!(
        english.contains("&#x27;doce mil&#x27; is not a decimal amount")
            && english.contains("is not a valid email address")
            && !english.contains("no es un importe"),
        "{english}"
    );
    let report = location.trim_start_matches("/console/upload?report=");
    let href = format!("/console/upload/{report}");
    assert!(result.contains(&format!("href=\"{href}\"")), "{result}");

    // The report: for this session only.
    let (status, headers, csv) = page(&env, get(&href, &ana)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap_or("")
            .contains("carteramayo-errores.csv")
    );
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "línea,campo,motivo");
    assert!(
        lines[1].starts_with("3,Importe,\"'doce mil' no es un importe válido")
            && lines[2].starts_with("5,Correo,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 3);
    let (status, _, csv) = page(&env, get(&format!("{href}?lang=en"), &ana)).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "line,field,reason");
    assert!(
        lines[1].starts_with("3,Importe,\"'doce mil' is not a decimal amount"),
        "{csv}"
    );
    for other in [&eva, &format!("{SESSION_COOKIE}=made-up")] {
        let (status, _, _) = page(&env, get(&href, other)).await;
        assert!(
            matches!(status, StatusCode::NOT_FOUND | StatusCode::SEE_OTHER),
            "{status}"
        );
    }
    let (status, _, _) = page(&env, get(&href, &eva)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = page(&env, get(&location, &eva)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = page(&env, get("/console/upload/made-up", &ana)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A creditor's page refuses another creditor's rows too.
    let luna_rows = cp1252(&csv_text(&[(
        "X-9",
        LUNA,
        "José Muñoz",
        "10,00",
        "MX",
        "b@example.com",
    )]));
    let parts = [
        ("csrf", None, csrf.as_bytes()),
        ("file", Some("e.csv"), &luna_rows[..]),
    ];
    let (status, headers, _) = page(
        &env,
        upload_request(
            "/console/upload",
            ("cookie", ana.clone()),
            multipart(&parts),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, result) = page(&env, get(headers["location"].to_str().expect("loc"), &ana)).await;
    assert!(
        result.contains("id=\"rejected\">1<") && result.contains("creditor"),
        "{result}"
    );
    assert!(stored(&env, "X-9").await.is_none());

    // A file that cannot be imported: the form again, with the reason.
    let parts = [
        ("csrf", None, csrf.as_bytes()),
        ("file", Some("e.csv"), &b"Expediente;Nombre\r\nX;Y\r\n"[..]),
    ];
    let (status, _, again) = page(
        &env,
        upload_request(
            "/console/upload",
            ("cookie", ana.clone()),
            multipart(&parts),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.contains("id=\"upload-error\"") && again.contains("No se pudo importar"),
        "{again}"
    );
    assert!(
        again.contains("falta la columna obligatoria"),
        "the file's problem is said in Spanish too: {again}"
    );
    // Too large: 413, said in words, nothing stored.
    let mut big = csv_text(&[("B-1", SOL, "Ana", "1,00", "MX", "a@example.com")]).into_bytes();
    big.resize(21 * 1024 * 1024, b' ');
    let parts = [
        ("csrf", None, csrf.as_bytes()),
        ("file", Some("big.csv"), &big[..]),
    ];
    let (status, _, again) = page(
        &env,
        upload_request(
            "/console/upload",
            ("cookie", ana.clone()),
            multipart(&parts),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(again.contains("20 MB"), "{again}");
    assert!(stored(&env, "B-1").await.is_none());
}

#[tokio::test]
async fn the_api_answers_reasons_in_spanish_for_accept_language_es() {
    let env = env().await;
    let file = two_bad_rows(SOL);
    let ask = |lang: Option<&str>| {
        let mut req = upload_request(
            "/api/portfolios",
            bearer(BOOTSTRAP),
            multipart(&[("file", Some("e.csv"), &file[..])]),
        );
        if let Some(lang) = lang {
            req.headers_mut()
                .insert("accept-language", lang.parse().expect("header"));
        }
        req
    };
    let reasons = |body: &[u8]| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_slice(body).expect("json");
        json["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["reason"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let (status, _, body) = send(&env, ask(Some("es-MX,es;q=0.9,en;q=0.8"))).await;
    assert_eq!(status, StatusCode::OK);
    let es = reasons(&body);
    assert_eq!(es.len(), 2, "{es:?}");
    assert!(
        es[0].starts_with("'doce mil' no es un importe válido (por ejemplo"),
        "{es:?}"
    );
    assert!(
        es[1].contains("no es un correo electrónico válido"),
        "{es:?}"
    );
    for lang in [None, Some("en-US"), Some("fr, es;q=0.5")] {
        let (status, _, body) = send(&env, ask(lang)).await;
        assert_eq!(status, StatusCode::OK);
        let en = reasons(&body);
        assert_eq!(
            en[0], "'doce mil' is not a decimal amount (e.g. 1234.56 or 1.234,56)",
            "{lang:?}"
        );
        assert!(en[1].contains("is not a valid email address"), "{en:?}");
    }
    // The API document says so.
    let (status, _, doc) = send(
        &env,
        Request::get("/api/openapi.json")
            .header("authorization", format!("Bearer {BOOTSTRAP}"))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&doc).expect("json");
    let params = doc["paths"]["/api/portfolios"]["post"]["parameters"]
        .as_array()
        .expect("parameters");
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "Accept-Language" && p["in"] == "header"),
        "{params:?}"
    );
}
