//! The collectors' work queue in the console, through the Router and a
//! real SQLite store: a campaign whose strategy has an `agent_call` step
//! (the testkit's `write_agent_campaign`: a window open now that closes
//! in 90 minutes) is launched; a collector signs in (and lands on its
//! queue), asks for the next task, sees the debtor, the call script and
//! the window's countdown, and records a promise (CSRF required; a
//! refused field is answered in its language); the book and the ledger
//! name the collector. Creditors and compliance are refused; the
//! supervisor's page counts the collector's work and releases and
//! reassigns open tasks.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use cobro_campaigns::book::EventSource;
use cobro_dispatcher::cli::common::{load_campaign, load_templates, work_desk};
use cobro_dispatcher::http::{AppState, HttpConfig, link_profile, router};
use cobro_dispatcher::launch::launch;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::store::prelude::*;
use cobro_dispatcher::store::sqlite::SqliteStore;
use cobro_dispatcher::store::{ContactState, LedgerFilter};
use cobro_dispatcher::testing::{AgentDebtor, SCRIPT_EN, SCRIPT_ES, write_agent_campaign};
use cobro_dispatcher::users::{Role, User};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

const PUBLIC_URL: &str = "https://cobro.example";
const PASSWORD: &str = "una clave bastante larga";
const COLLECTOR: &str = "gestor@cobro.mx";
const OTHER: &str = "otra.gestora@cobro.mx";
const OPS: &str = "ops@cobro.mx";
const COMPLIANCE: &str = "cumplimiento@cobro.mx";
const CREDITOR: &str = "ana@bancoejemplo.mx";
const TEAM: &str = "cobranza-temprana";
const CAMPAIGN: &str = "llamadas-dic";
const DEBTORS: [AgentDebtor<'static>; 2] = [
    AgentDebtor {
        id: "EXP-1",
        name: "Verónica López",
        phone: "+525511112222",
        language: "es-MX",
    },
    AgentDebtor {
        id: "EXP-2",
        name: "John Smith",
        phone: "+525533334444",
        language: "en-US",
    },
];

struct Env {
    store: Arc<AnyStore>,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let campaign_dir = dir.path().join("campaign");
    std::fs::create_dir_all(&campaign_dir).expect("dir");
    let campaign = write_agent_campaign(&campaign_dir, CAMPAIGN, TEAM, &DEBTORS, 90);
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::connect(&url).await.expect("sqlite"),
    ));
    let loaded = load_campaign(&campaign).expect("campaign loads");
    let templates = load_templates(&loaded.templates_dir).expect("templates");
    let report = launch(store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .expect("launch");
    assert_eq!(report.planned, 2, "one call per debtor: {report:?}");
    let desk = work_desk(store.clone(), &[loaded], PUBLIC_URL).expect("desk");
    assert!(desk.teams().contains(TEAM));
    let config = HttpConfig {
        public_url: PUBLIC_URL.into(),
        api_token: Some("bootstrap-token-0123456789".into()),
        twilio_auth_token: None,
        webhook_secret: None,
        sender: link_profile(PUBLIC_URL, b"secret".to_vec()),
    };
    let app = router(AppState::new(store.clone(), config).with_work(desk));
    for (email, role, creditor, teams) in [
        (COLLECTOR, Role::Collector, None, vec![TEAM.to_string()]),
        (OTHER, Role::Collector, None, vec![TEAM.to_string()]),
        (OPS, Role::Operations, None, vec![]),
        (COMPLIANCE, Role::Compliance, None, vec![]),
        (CREDITOR, Role::Creditor, Some("Banco Ejemplo"), vec![]),
    ] {
        let user = User::new(email, role, creditor, PASSWORD, Utc::now())
            .and_then(|u| u.with_teams(&teams))
            .expect("user");
        store.put_user(&user).await.expect("put user");
    }
    Env {
        store,
        app,
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(env: &Env, req: Request<Body>) -> Answer {
    let resp = env.app.clone().oneshot(req).await.expect("call");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        location,
        cookies,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
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

/// A signed-in browser: its session cookie, the session's CSRF value and
/// where the login sent it.
struct Browser {
    cookie: String,
    csrf: String,
    landed: String,
}

async fn login(env: &Env, email: &str) -> Browser {
    let form = send(
        env,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    let pre = cookie_pair(&form.cookies, "cobro_login");
    let body = serde_urlencoded::to_string([
        ("csrf", csrf_in(&form.body).as_str()),
        ("email", email),
        ("password", PASSWORD),
    ])
    .expect("form");
    let done = send(
        env,
        Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", pre)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{email} signs in");
    let cookie = cookie_pair(&done.cookies, "cobro_session");
    // The page it lands on carries the session's CSRF value (the
    // sign-out form), whatever its role may open.
    let page = send(
        env,
        Request::get(done.location.as_str())
            .header("cookie", cookie.clone())
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "{email} lands on a page of its own"
    );
    Browser {
        csrf: csrf_in(&page.body),
        cookie,
        landed: done.location,
    }
}

impl Browser {
    async fn get(&self, env: &Env, path: &str) -> Answer {
        send(
            env,
            Request::get(path)
                .header("cookie", self.cookie.clone())
                .body(Body::empty())
                .expect("req"),
        )
        .await
    }

    /// Posts `fields` (and the session's CSRF value when `csrf`).
    async fn post(&self, env: &Env, path: &str, fields: &[(&str, &str)], csrf: bool) -> Answer {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if csrf {
            all.push(("csrf", &self.csrf));
        }
        send(
            env,
            Request::post(path)
                .header("cookie", self.cookie.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(serde_urlencoded::to_string(&all).expect("form")))
                .expect("req"),
        )
        .await
    }
}

/// The `data-task` of the page's task card (the task id, unescaped).
fn task_on(page: &str) -> String {
    let start = page
        .find("id=\"task\" data-task=\"")
        .unwrap_or_else(|| panic!("no task on the page:\n{page}"))
        + 21;
    let raw: String = page[start..].chars().take_while(|c| *c != '"').collect();
    raw.replace("&#x2f;", "/")
}

/// A task id as the page's HTML writes it.
fn escaped(task: &str) -> String {
    task.replace('/', "&#x2f;")
}

/// The minutes of "cierra en N min" / "closes in N min".
fn window_minutes(page: &str) -> i64 {
    let rest = ["La ventana legal cierra en ", "The legal window closes in "]
        .iter()
        .find_map(|m| page.split_once(m).map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no countdown on the page:\n{page}"));
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minutes in {rest}"))
}

async fn leases_of(env: &Env, who: &str) -> Vec<String> {
    env.store
        .leases(Some(who))
        .await
        .expect("leases")
        .into_iter()
        .map(|l| l.contact_id)
        .collect()
}

fn in_five_days() -> String {
    (Utc::now() + Duration::days(5)).date_naive().to_string()
}

#[tokio::test]
async fn a_collector_takes_a_task_reads_its_script_and_records_a_promise() {
    let env = env().await;
    let me = login(&env, COLLECTOR).await;
    assert_eq!(me.landed, "/console/work", "a collector lands on its queue");

    // Nothing held yet: the way to ask, and the team's queue depth.
    let idle = me.get(&env, "/console/work?lang=es").await;
    assert_eq!(idle.status, StatusCode::OK);
    assert!(idle.body.contains("Siguiente gestión"), "{}", idle.body);
    assert!(
        idle.body.contains(&format!("data-team=\"{TEAM}\"")),
        "{}",
        idle.body
    );
    assert!(
        idle.body.contains(">2</td>"),
        "two calls wait: {}",
        idle.body
    );
    assert!(idle.body.contains("aria-current=\"page\">Mi cola</a>"));
    assert!(!idle.body.contains("/console/work/team\""), "no team link");
    assert!(
        leases_of(&env, COLLECTOR).await.is_empty(),
        "a GET takes no work"
    );

    // Without the form's CSRF value, no task is taken.
    let forged = me.post(&env, "/console/work/next", &[], false).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(leases_of(&env, COLLECTOR).await.is_empty());

    let next = me.post(&env, "/console/work/next", &[], true).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    assert_eq!(next.location, "/console/work");
    let held = leases_of(&env, COLLECTOR).await;
    assert_eq!(held.len(), 1, "one task at a time: {held:?}");

    let page = me.get(&env, "/console/work?lang=es").await;
    assert_eq!(page.status, StatusCode::OK);
    let task = task_on(&page.body);
    assert_eq!(task, held[0]);
    let debtor = DEBTORS
        .iter()
        .find(|d| task.contains(d.id))
        .expect("the task is one debtor's");
    assert!(page.body.contains(debtor.name), "the debtor's name");
    assert!(page.body.contains(debtor.phone), "the number to call");
    assert!(
        page.body.contains("1.500,00 MXN"),
        "the balance: {}",
        page.body
    );
    let script = if debtor.language.starts_with("es") {
        SCRIPT_ES
    } else {
        SCRIPT_EN
    };
    assert!(
        page.body.contains(&format!("{script} {}", debtor.name)),
        "the script in the debtor's language: {}",
        page.body
    );
    let minutes = window_minutes(&page.body);
    assert!(
        (80..=90).contains(&minutes),
        "the window closes in about 90 minutes, the page says {minutes}"
    );
    assert!(page.body.contains("Gestión reservada para usted hasta las"));
    for label in [
        "Sin respuesta",
        "Dejó mensaje",
        "Número equivocado",
        "Promesa de pago",
        "Plan de pagos",
        "Se negó a pagar",
        "Disputa",
        "Volver a llamar",
        "Pagó",
        "No quiere más llamadas",
        "Fallecido",
        "Menor de edad",
    ] {
        assert!(page.body.contains(label), "outcome '{label}' offered");
    }
    let english = me.get(&env, "/console/work?lang=en").await;
    assert!(english.body.contains("The legal window closes in"));
    assert!(english.body.contains("Refused to pay"));
    // Reading the page again keeps the same task.
    assert_eq!(task_on(&english.body), task);

    let promise = [
        ("task", task.as_str()),
        ("outcome", "promise"),
        ("amount", "500.00"),
        ("date", &in_five_days()),
        ("note", "Pagará el viernes"),
    ];
    // No CSRF: refused, nothing recorded.
    let forged = me
        .post(&env, "/console/work/outcome?lang=es", &promise, false)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (book, _) = env.store.book(debtor.id).await.expect("book");
    assert!(book.promises.is_empty(), "no promise without CSRF");
    assert_eq!(
        env.store
            .contact(&task)
            .await
            .expect("contact")
            .expect("task")
            .state,
        ContactState::Sending
    );

    // A refused field comes back in Spanish, the form keeps what was typed.
    let mut bad = promise.to_vec();
    bad[2] = ("amount", "cero");
    let refused = me
        .post(&env, "/console/work/outcome?lang=es", &bad, true)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("Indique un importe mayor que cero."),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"cero\""),
        "what was typed stays"
    );
    assert!(refused.body.contains("Pagará el viernes"));
    assert_eq!(task_on(&refused.body), task, "the task is still held");

    let done = me.post(&env, "/console/work/outcome", &promise, true).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location, "/console/work?done=promise");
    let confirmed = me.get(&env, &format!("{}&lang=es", done.location)).await;
    assert!(
        confirmed
            .body
            .contains("Resultado registrado: Promesa de pago."),
        "{}",
        confirmed.body
    );
    assert!(!confirmed.body.contains("id=\"late\""), "in time: no flag");
    // What a late outcome's redirect shows (`record_outcome` said late).
    let late = me
        .get(&env, "/console/work?done=no_answer&late=1&lang=es")
        .await;
    assert!(
        late.body
            .contains("quedó marcada para revisión de cumplimiento"),
        "{}",
        late.body
    );
    let forged_late = me.get(&env, "/console/work?late=1&lang=es").await;
    assert!(
        !forged_late.body.contains("id=\"late\""),
        "no notice without an outcome"
    );
    assert!(!confirmed.body.contains("id=\"task\""), "nothing held now");

    let (book, _) = env.store.book(debtor.id).await.expect("book");
    assert_eq!(book.promises.len(), 1, "{book:?}");
    assert_eq!(book.promises[0].source, EventSource::Agent);
    assert_eq!(book.promises[0].amount, Decimal::new(50_000, 2));
    let rows = env
        .store
        .ledger(&LedgerFilter {
            account: Some(debtor.id.to_string()),
            ..Default::default()
        })
        .await
        .expect("ledger");
    let row = rows
        .iter()
        .find(|r| r.code.as_deref() == Some("call_promise"))
        .unwrap_or_else(|| panic!("a call_promise row: {rows:?}"));
    assert_eq!(row.provider.as_deref(), Some(COLLECTOR));
    assert_eq!(row.contact_id, task);
    assert!(
        row.detail
            .as_deref()
            .unwrap_or("")
            .contains("Pagará el viernes")
    );
    assert!(
        !rows
            .iter()
            .any(|r| r.code.as_deref() == Some("late_outcome")),
        "recorded inside the window"
    );
    assert_eq!(
        env.store
            .contact(&task)
            .await
            .expect("contact")
            .expect("task")
            .state,
        ContactState::Delivered
    );
    assert!(leases_of(&env, COLLECTOR).await.is_empty());

    // The other debtor's call is next; once it is done nothing is left.
    me.post(&env, "/console/work/next", &[], true).await;
    let second = task_on(&me.get(&env, "/console/work").await.body);
    assert_ne!(second, task);
    let no_answer = me
        .post(
            &env,
            "/console/work/outcome",
            &[("task", second.as_str()), ("outcome", "no_answer")],
            true,
        )
        .await;
    assert_eq!(no_answer.location, "/console/work?done=no_answer");
    let none = me.post(&env, "/console/work/next", &[], true).await;
    assert_eq!(none.location, "/console/work?none=1");
    let empty = me.get(&env, "/console/work?none=1&lang=es").await;
    assert!(
        empty.body.contains("No hay gestiones permitidas ahora."),
        "{}",
        empty.body
    );
    assert!(empty.body.contains(">0</td>"), "the queue is empty");
}

#[tokio::test]
async fn creditors_compliance_and_strangers_are_refused_the_queue() {
    let env = env().await;
    for email in [CREDITOR, COMPLIANCE] {
        let who = login(&env, email).await;
        assert_eq!(who.landed, "/console/accounts");
        for path in ["/console/work", "/console/work/team"] {
            let answer = who.get(&env, path).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{email} on {path}");
        }
        let next = who.post(&env, "/console/work/next", &[], true).await;
        assert_eq!(next.status, StatusCode::FORBIDDEN, "{email} asks for work");
        assert!(leases_of(&env, email).await.is_empty());
        let page = who.get(&env, "/console/accounts").await;
        assert!(
            !page.body.contains("href=\"/console/work\""),
            "no queue link"
        );
    }
    let stranger = send(
        &env,
        Request::get("/console/work")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
    assert_eq!(stranger.location, "/login");
    // A collector does not see the team.
    let me = login(&env, COLLECTOR).await;
    assert_eq!(
        me.get(&env, "/console/work/team").await.status,
        StatusCode::FORBIDDEN
    );
    let moved = me
        .post(
            &env,
            "/console/work/team/move",
            &[("task", "x"), ("action", "release")],
            true,
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_supervisor_counts_the_work_and_releases_and_reassigns_tasks() {
    let env = env().await;
    let me = login(&env, COLLECTOR).await;
    let other = login(&env, OTHER).await;
    let ops = login(&env, OPS).await;
    assert_eq!(ops.landed, "/console/accounts");

    me.post(&env, "/console/work/next", &[], true).await;
    let task = task_on(&me.get(&env, "/console/work").await.body);
    let done = me
        .post(
            &env,
            "/console/work/outcome",
            &[
                ("task", task.as_str()),
                ("outcome", "promise"),
                ("amount", "750.50"),
                ("date", &in_five_days()),
            ],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    // The other collector holds the second call.
    other.post(&env, "/console/work/next", &[], true).await;
    let held = leases_of(&env, OTHER).await;
    assert_eq!(held.len(), 1);
    let second = held[0].clone();

    let team = ops.get(&env, "/console/work/team?lang=es").await;
    assert_eq!(team.status, StatusCode::OK, "{}", team.body);
    assert!(team.body.contains("aria-current=\"page\">Equipo</a>"));
    assert!(!team.body.contains("aria-current=\"page\">Mi cola</a>"));
    let row = team
        .body
        .split(&format!("<tr data-collector=\"{COLLECTOR}\">"))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("a row for {COLLECTOR}:\n{}", team.body));
    assert!(row.contains("data-field=\"done\">1<"), "1 task done: {row}");
    assert!(
        row.contains("data-field=\"promises\">1<"),
        "1 promise: {row}"
    );
    assert!(row.contains("100.0 %"), "contact rate: {row}");
    assert!(row.contains("750,50 MXN"), "promised, in Spanish: {row}");
    assert!(
        team.body
            .contains(&format!("data-task=\"{}\"", escaped(&second)))
    );
    assert!(team.body.contains(&format!("<tr data-team=\"{TEAM}\">")));

    // The release form needs the session's CSRF value.
    let forged = ops
        .post(
            &env,
            "/console/work/team/move",
            &[("task", second.as_str()), ("action", "release")],
            false,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(leases_of(&env, OTHER).await, vec![second.clone()]);

    let released = ops
        .post(
            &env,
            "/console/work/team/move",
            &[("task", second.as_str()), ("action", "release")],
            true,
        )
        .await;
    assert_eq!(released.status, StatusCode::SEE_OTHER);
    assert_eq!(released.location, "/console/work/team?done=released");
    assert!(leases_of(&env, OTHER).await.is_empty(), "back in the queue");
    assert_eq!(
        env.store
            .contact(&second)
            .await
            .expect("c")
            .expect("c")
            .state,
        ContactState::Pending
    );

    // Taken again, then reassigned to the first collector.
    other.post(&env, "/console/work/next", &[], true).await;
    assert_eq!(leases_of(&env, OTHER).await, vec![second.clone()]);
    let reassigned = ops
        .post(
            &env,
            "/console/work/team/move",
            &[
                ("task", second.as_str()),
                ("action", "reassign"),
                ("to", COLLECTOR),
            ],
            true,
        )
        .await;
    assert_eq!(reassigned.location, "/console/work/team?done=reassigned");
    let lease = env
        .store
        .lease(&second)
        .await
        .expect("lease")
        .expect("held");
    assert_eq!(lease.collector, COLLECTOR);
    // The former holder can no longer record it; the new one sees it.
    let late_try = other
        .post(
            &env,
            "/console/work/outcome?lang=en",
            &[("task", second.as_str()), ("outcome", "no_answer")],
            true,
        )
        .await;
    assert_eq!(late_try.status, StatusCode::CONFLICT);
    assert!(
        late_try.body.contains("no longer yours"),
        "{}",
        late_try.body
    );
    assert_eq!(task_on(&me.get(&env, "/console/work").await.body), second);

    // Reassigning to someone who is not an active collector is refused.
    let refused = ops
        .post(
            &env,
            "/console/work/team/move",
            &[
                ("task", second.as_str()),
                ("action", "reassign"),
                ("to", CREDITOR),
            ],
            true,
        )
        .await;
    assert_eq!(refused.location, "/console/work/team?error=missing");
    assert_eq!(
        env.store
            .lease(&second)
            .await
            .expect("lease")
            .expect("held")
            .collector,
        COLLECTOR
    );
    let page = ops
        .get(&env, &format!("{}&lang=en", refused.location))
        .await;
    assert!(page.body.contains("does not exist or is disabled"));
}
