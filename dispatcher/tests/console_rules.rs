//! The console's rules pages and `/api/rules` through the Router over a
//! temp SQLite store, with the rules of a campaign file in force (MX →
//! mx-profeco, CO → co-ley2300, everyone else → a pack file): the list
//! shows exactly those packs; a pack page escapes its source; an uploaded
//! file is checked as `cobro rules check` checks it (and a form without
//! the CSRF value is refused); the calendar of co-ley2300 for December
//! 2026 closes Christmas; an MX expediente at 05:00 local is deferred by
//! the hours rule; creditors and collectors are refused.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use cobro_campaigns::{AddressKind, ContactPoint, ContactRole, Provenance};
use cobro_config::LoadedCampaign;
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::rules_in_force::RulesInForce;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::conformance::sample_account;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::testing::{OpenCampaign, write_open_campaign};
use cobro_dispatcher::users::{Role, User, new_secret, secret_hash};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "una clave larga";

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

/// A campaign whose `[rules]` map MX and CO to built-in packs and every
/// other country to `anytime.toml`, whose comment carries markup.
fn campaign_rules(dir: &std::path::Path) -> RulesInForce {
    let path = write_open_campaign(
        dir,
        &OpenCampaign {
            id: "dic-2026",
            accounts: 2,
            seed: 7,
            start: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            step_days: [0, 1, 2],
        },
    );
    let text = std::fs::read_to_string(&path).expect("campaign");
    let text = text.replace(
        "[rules]\ndefault = [\"anytime.toml\"]\n",
        "[rules]\ndefault = [\"anytime.toml\"]\n\n[rules.countries]\nMX = [\"mx-profeco\"]\nCO = [\"co-ley2300\"]\n",
    );
    assert!(text.contains("MX = [\"mx-profeco\"]"), "{text}");
    std::fs::write(&path, text).expect("campaign");
    let pack = dir.join("anytime.toml");
    let mut source = std::fs::read_to_string(&pack).expect("pack");
    source.insert_str(0, "# <script>alert('x')</script> & \"quotes\"\n");
    std::fs::write(&pack, source).expect("pack");
    let loaded = LoadedCampaign::load(&path).expect("campaign loads");
    RulesInForce::from_campaigns(&[loaded]).expect("rules in force")
}

async fn env(rules: Option<fn(&std::path::Path) -> RulesInForce>) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("sqlite"),
    ));
    let config = HttpConfig {
        public_url: "https://cobro.example".into(),
        api_token: Some("bootstrap-token-0123456789".into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile("https://cobro.example", b"secret".to_vec()),
    };
    let mut state = AppState::new(store.clone(), config);
    if let Some(make) = rules {
        state = state.with_rules(make(dir.path()));
    }
    let mut mx = sample_account("MX-1");
    mx.timezone = Some("America/Mexico_City".into());
    mx.contact_points = vec![ContactPoint {
        kind: AddressKind::Phone,
        address: "+5215512345678".into(),
        role: ContactRole::Debtor,
        provenance: Provenance::CreditorFile,
        consent: Default::default(),
        flags: Default::default(),
    }];
    store.put_accounts(&[mx]).await.expect("accounts");
    Env {
        store,
        app: router(state),
        _dir: dir,
    }
}

async fn html(env: &Env, req: Request<Body>) -> (StatusCode, Vec<String>, String) {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, cookies, String::from_utf8_lossy(&body).into_owned())
}

fn cookie_pair(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .to_string()
}

fn csrf_in(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

/// Adds a user and signs in through `/login`; returns the session cookie.
async fn sign_in(env: &Env, email: &str, role: Role, creditor: Option<&str>) -> String {
    let user = User::new(email, role, creditor, PASSWORD, Utc::now()).expect("user");
    env.store.put_user(&user).await.expect("put user");
    let (_, cookies, page) = html(
        env,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    let pre = cookie_pair(&cookies, "cobro_login");
    let body = serde_urlencoded::to_string([
        ("csrf", csrf_in(&page).as_str()),
        ("email", email),
        ("password", PASSWORD),
    ])
    .expect("form");
    let (status, cookies, _) = html(
        env,
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", pre)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{email} signs in");
    cookie_pair(&cookies, "cobro_session")
}

/// A page's status and HTML, with the `&#x2f;` minijinja writes for `/`
/// read back (paths and zone names are easier to assert on).
async fn page(env: &Env, session: &str, path: &str) -> (StatusCode, String) {
    let (status, _, body) = html(
        env,
        Request::get(path)
            .header("cookie", session.to_string())
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    (status, body.replace("&#x2f;", "/"))
}

/// A multipart form with a `csrf` field (when given) and a `file`.
fn upload(session: &str, csrf: Option<&str>, name: &str, content: &str) -> Request<Body> {
    let boundary = "XyZcobroBoundary42";
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/toml\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    Request::post("/console/rules/check")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", session.to_string())
        .body(Body::from(body))
        .expect("req")
}

/// The `<td>` of a calendar day.
fn day_cell<'a>(page: &'a str, date: &str) -> &'a str {
    let start = page
        .find(&format!("data-date=\"{date}\""))
        .unwrap_or_else(|| panic!("no cell for {date}: {page}"));
    let end = page[start..].find("</td>").expect("cell end") + start;
    &page[start..end]
}

#[tokio::test]
async fn the_list_shows_the_campaigns_packs_and_a_pack_page_escapes_its_source() {
    let env = env(Some(campaign_rules)).await;
    let ops = sign_in(&env, "ops@cobro.example", Role::Operations, None).await;
    let (status, list) = page(&env, &ops, "/console/rules").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    for id in ["mx-profeco", "co-ley2300", "anytime"] {
        assert!(
            list.contains(&format!("data-pack=\"{id}\"")),
            "{id}: {list}"
        );
    }
    for id in ["cl-ley21320", "pe-consumidor", "us-regf"] {
        assert!(
            !list.contains(&format!("data-pack=\"{id}\"")),
            "{id} is not in force: {list}"
        );
    }
    assert!(list.contains("dic-2026"), "the campaign is named: {list}");
    assert!(list.contains("anytime.toml"), "the file path: {list}");
    assert!(
        list.contains("config/rules/co-ley2300.toml"),
        "a built-in's file: {list}"
    );
    // Colombia's summary: Saturday's window, its caps, sms consent.
    assert!(
        list.contains("Sábado") && list.contains("08:00–15:00"),
        "{list}"
    );
    assert!(list.contains("one-per-day"), "{list}");

    let (status, pack) = page(&env, &ops, "/console/rules/anytime").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!pack.contains("<script>"), "markup in the file stays text");
    assert!(
        pack.contains(
            "# &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;"
        ),
        "{pack}"
    );
    assert!(pack.contains("id = &quot;anytime&quot;"), "{pack}");
    let (status, _) = page(&env, &ops, "/console/rules/us-regf").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in force, not shown");

    // English chrome, weekdays translated.
    let (_, en) = page(&env, &ops, "/console/rules/co-ley2300?lang=en").await;
    assert!(
        en.contains("Saturday") && en.contains("Frequency caps"),
        "{en}"
    );
    assert!(!en.contains("Sábado"));
}

#[tokio::test]
async fn without_campaigns_the_built_in_packs_are_in_force() {
    let env = env(None).await;
    let compliance = sign_in(&env, "cumple@cobro.example", Role::Compliance, None).await;
    let (status, list) = page(&env, &compliance, "/console/rules").await;
    assert_eq!(status, StatusCode::OK);
    for id in [
        "mx-profeco",
        "co-ley2300",
        "cl-ley21320",
        "pe-consumidor",
        "us-regf",
    ] {
        assert!(list.contains(&format!("data-pack=\"{id}\"")), "{id}");
    }
    // Without a default pack, a debtor of another country is never
    // contacted: the calendar says so rather than show open days.
    let (status, ar) = page(
        &env,
        &compliance,
        "/console/rules/calendar?country=AR&month=2026-12",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        ar.contains("id=\"calendar-error\"") && !ar.contains("id=\"calendar\""),
        "{ar}"
    );
    // The API twin, with a staff token.
    let mut user = User::new(
        "api@cobro.example",
        Role::Compliance,
        None,
        PASSWORD,
        Utc::now(),
    )
    .expect("user");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("user");
    let (status, _, body) = html(
        &env,
        Request::get("/api/rules")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    let ids: Vec<&str> = json
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "mx-profeco",
            "co-ley2300",
            "cl-ley21320",
            "pe-consumidor",
            "us-regf"
        ]
    );
    assert_eq!(json[0]["applies_to"], serde_json::json!(["MX"]));
}

#[tokio::test]
async fn an_uploaded_file_is_checked_like_the_cli_and_needs_the_csrf_value() {
    let env = env(Some(campaign_rules)).await;
    let ops = sign_in(&env, "cumple@cobro.example", Role::Compliance, None).await;
    let (status, form) = page(&env, &ops, "/console/rules/check").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    let csrf = csrf_in(&form);

    let valid = cobro_compliance::RulePack::builtin_source("pe-consumidor").expect("source");
    let (status, _, page_ok) = html(&env, upload(&ops, Some(&csrf), "peru.toml", valid)).await;
    assert_eq!(status, StatusCode::OK, "{page_ok}");
    assert!(page_ok.contains("id=\"check-ok\""), "{page_ok}");
    assert!(page_ok.contains("<b>pe-consumidor</b>"), "{page_ok}");

    let invalid =
        "id = \"mine\"\n\n[windows]\nmon = [\"07:00-22:00\"]\nfunday = [\"09:00-10:00\"]\n";
    let (status, _, page_err) = html(&env, upload(&ops, Some(&csrf), "mine.toml", invalid)).await;
    assert_eq!(status, StatusCode::OK, "{page_err}");
    assert!(page_err.contains("id=\"check-error\""), "{page_err}");
    assert!(
        page_err.contains("<td data-label=\"Línea\" id=\"error-line\">5</td>"),
        "line 5: {page_err}"
    );
    assert!(page_err.contains("windows.funday"), "the key: {page_err}");
    assert!(
        page_err.contains("mine.toml:5"),
        "origin and line: {page_err}"
    );

    // The same file as the CLI sees it.
    let cli = cobro_dispatcher::cli::rules::check_rules("mine.toml", invalid.as_bytes().to_vec())
        .expect_err("invalid");
    assert_eq!(cli.line(), Some(5));
    assert_eq!(cli.key(), Some("windows.funday"));

    // No CSRF value, or a wrong one: refused, nothing checked.
    for csrf in [None, Some("forged")] {
        let (status, _, refused) = html(&env, upload(&ops, csrf, "peru.toml", valid)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert!(!refused.contains("check-ok"));
    }
    // Checking installs nothing: the packs in force are unchanged.
    let (_, list) = page(&env, &ops, "/console/rules").await;
    assert!(!list.contains("data-pack=\"pe-consumidor\""));
}

#[tokio::test]
async fn the_calendar_closes_christmas_in_colombia() {
    let env = env(Some(campaign_rules)).await;
    let ops = sign_in(&env, "ops@cobro.example", Role::Operations, None).await;
    let (status, cal) = page(
        &env,
        &ops,
        "/console/rules/calendar?pack=co-ley2300&country=CO&month=2026-12",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    assert!(cal.contains("America/Bogota"), "{cal}");
    let christmas = day_cell(&cal, "2026-12-25");
    assert!(christmas.contains("class=\"holiday\""), "{christmas}");
    assert!(christmas.contains("Navidad"), "{christmas}");
    assert!(christmas.contains("sms: cerrado"), "{christmas}");
    let thursday = day_cell(&cal, "2026-12-24");
    assert!(thursday.contains("class=\"business\""), "{thursday}");
    for ch in ["email", "sms", "voice"] {
        assert!(
            thursday.contains(&format!("{ch}: 07:00-19:00")),
            "{ch}: {thursday}"
        );
    }
    assert!(day_cell(&cal, "2026-12-26").contains("sms: 08:00-15:00"));
    assert!(day_cell(&cal, "2026-12-27").contains("class=\"closed\""));
    // December 1st 2026 is a Tuesday: one empty cell before it.
    let grid = &cal[cal.find("id=\"calendar\"").expect("grid")..];
    let body = &grid[grid.find("<tbody>").expect("body")..];
    let first_row = &body[body.find("<tr>").expect("row")..];
    assert!(
        first_row.starts_with("<tr><td class=\"empty\"></td><td data-date=\"2026-12-01\""),
        "{first_row}"
    );
    // Navigation keeps the pack and the country.
    assert!(
        cal.contains(
            "href=\"/console/rules/calendar?pack=co-ley2300&amp;country=CO&amp;month=2027-01\""
        ),
        "{cal}"
    );
    assert!(cal.contains("month=2026-11"));
    // A country without a pack: the packs the rules in force apply there.
    let (status, mx) = page(
        &env,
        &ops,
        "/console/rules/calendar?country=MX&month=2026-12",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mx}");
    assert!(mx.contains("id=\"calendar-packs\">mx-profeco · MX"), "{mx}");
    assert!(
        day_cell(&mx, "2026-12-12").contains("class=\"closed\""),
        "Saturday"
    );
    let (_, ar) = page(
        &env,
        &ops,
        "/console/rules/calendar?country=AR&month=2026-12",
    )
    .await;
    assert!(
        ar.contains("id=\"calendar-packs\">anytime · AR"),
        "the default: {ar}"
    );
    let (status, bad) = page(
        &env,
        &ops,
        "/console/rules/calendar?pack=co-ley2300&country=CO&month=diciembre",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("YYYY-MM"), "{bad}");
    let (_, en) = page(
        &env,
        &ops,
        "/console/rules/calendar?pack=co-ley2300&country=CO&month=2026-12&lang=en",
    )
    .await;
    assert!(
        en.contains(">Mon<") && en.contains("Previous month"),
        "{en}"
    );
}

#[tokio::test]
async fn an_mx_account_at_five_in_the_morning_is_deferred_by_the_hours_rule() {
    let env = env(Some(campaign_rules)).await;
    let ops = sign_in(&env, "cumple@cobro.example", Role::Compliance, None).await;
    // Monday 14 December 2026, 05:00 in Mexico City.
    let (status, explained) = page(
        &env,
        &ops,
        "/console/rules/explain?account=MX-1&at=2026-12-14T05%3A00%3A00-06%3A00&channel=sms",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{explained}");
    assert!(explained.contains("data-decision=\"defer\""), "{explained}");
    assert!(
        explained.contains("id=\"until\">2026-12-14T13:00:00Z<"),
        "{explained}"
    );
    let row = &explained[explained
        .find("data-rule=\"mx-profeco\"")
        .expect("the pack's row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(row.contains("data-code=\"outside_hours\""), "{row}");
    assert!(explained.contains("America/Mexico_City"));
    assert!(explained.contains("+5215512345678"), "the address used");

    // The API twin answers the DESIGN §9 JSON, keys in the contract's order.
    let mut user = User::new(
        "api@cobro.example",
        Role::Operations,
        None,
        PASSWORD,
        Utc::now(),
    )
    .expect("user");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("user");
    let api = |path: &str| {
        Request::get(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("req")
    };
    let (status, _, body) = html(
        &env,
        api("/api/rules/explain?account=MX-1&at=2026-12-14T05%3A00%3A00-06%3A00&channel=sms"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.starts_with(
            "{\"decision\":\"defer\",\"until\":\"2026-12-14T13:00:00Z\",\"timezones\":[\"America/Mexico_City\"],\"reasons\":[{\"rule\":\"mx-profeco\",\"code\":\"outside_hours\""
        ),
        "{body}"
    );
    let (status, _, _) = html(&env, api("/api/rules/explain?account=NOPE&channel=sms")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = html(&env, api("/api/rules/explain?account=MX-1&at=ayer")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // At 10:00 the same contact is allowed; a hypothetical debtor in
    // Colombia without consent is blocked by co-ley2300.
    let (_, allowed) = page(
        &env,
        &ops,
        "/console/rules/explain?account=MX-1&at=2026-12-14T10%3A00%3A00-06%3A00&channel=sms",
    )
    .await;
    assert!(allowed.contains("data-decision=\"allow\""), "{allowed}");
    let debtor = "%7B%22country%22%3A%22CO%22%7D";
    let (status, what_if) = page(
        &env,
        &ops,
        &format!("/console/rules/explain?debtor={debtor}&at=2026-12-14T10%3A00%3A00-05%3A00&channel=sms&lang=en"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{what_if}");
    assert!(what_if.contains("data-decision=\"block\""), "{what_if}");
    assert!(what_if.contains("no_consent"), "{what_if}");
    assert!(what_if.contains("hypothetical debtor"), "{what_if}");
    // Unknown account: 404.
    let (status, _) = page(&env, &ops, "/console/rules/explain?account=NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn creditors_and_collectors_are_refused() {
    let env = env(Some(campaign_rules)).await;
    let creditor = sign_in(
        &env,
        "ana@bancodelsol.mx",
        Role::Creditor,
        Some("Banco del Sol"),
    )
    .await;
    let collector = sign_in(&env, "gestor@cobro.example", Role::Collector, None).await;
    for session in [&creditor, &collector] {
        for path in [
            "/console/rules",
            "/console/rules/mx-profeco",
            "/console/rules/check",
            "/console/rules/calendar?pack=co-ley2300&country=CO&month=2026-12",
            "/console/rules/explain?account=MX-1&channel=sms",
        ] {
            let (status, body) = page(&env, session, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert!(!body.contains("mx-profeco") || path.contains("mx-profeco"));
            assert!(!body.contains("data-decision"), "{path}");
        }
        let (status, _, body) = html(
            &env,
            upload(session, Some("whatever"), "x.toml", "id = \"x\"\n"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // The API twins refuse a creditor's token too.
    let mut user = User::new(
        "api@bancodelsol.mx",
        Role::Creditor,
        Some("Banco del Sol"),
        PASSWORD,
        Utc::now(),
    )
    .expect("user");
    let token = new_secret("cobro_");
    env.store
        .put_token(&secret_hash(&token), &user.email)
        .await
        .expect("token");
    user.token_hash = Some(secret_hash(&token));
    env.store.put_user(&user).await.expect("user");
    for path in ["/api/rules", "/api/rules/explain?account=MX-1"] {
        let (status, _, _) = html(
            &env,
            Request::get(path)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}
