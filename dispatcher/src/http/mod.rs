//! The HTTP service behind `cobro serve` (see ARCHITECTURE.md): provider
//! webhooks that close the loop (delivery status, inbound STOP/BAJA), one-click
//! unsubscribe, the operations API, metrics, health and a dashboard.
//!
//! Every handler talks to the store through the same `Store` trait the
//! workers use, so a webhook and a worker never disagree about a contact:
//! the store's transitions are the arbiter (a replayed callback finds the
//! contact already delivered and changes nothing).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::dispatch_metrics::DispatchMetrics;
use crate::engine::sender::SenderProfile;
use crate::queue_probe::QueueProbe;
use crate::rules_in_force::RulesInForce;
use crate::store::StoreError;
use crate::store::any::AnyStore;

pub mod accounts;
pub mod api;
pub mod arms;
pub mod auth;
pub mod authz;
pub mod console;
pub mod dashboard;
pub mod disputes;
pub mod health;
pub mod inbound;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod payment_webhooks;
pub mod portal;
pub mod portfolios;
pub mod reports;
pub mod review;
pub mod rules;
pub mod unsubscribe;
pub mod webhooks;
pub mod work;

/// Secrets and URLs the service needs. Secrets come from the environment
/// only (`from_env`); tests build it directly.
#[derive(Clone)]
pub struct HttpConfig {
    /// The URL providers call us at (`https://cobro.example`). Twilio signs
    /// the URL it requested, so signature checks rebuild it from this, not
    /// from the Host header an attacker controls.
    pub public_url: String,
    /// `COBRO_API_TOKEN`; `None` disables the API (fail closed).
    pub api_token: Option<String>,
    /// `TWILIO_AUTH_TOKEN`; `None` rejects every Twilio callback.
    pub twilio_auth_token: Option<String>,
    /// `COBRO_WEBHOOK_SECRET` for Vonage and Infobip; `None` rejects them.
    pub webhook_secret: Option<String>,
    /// Verifies unsubscribe tokens: must hold the same `link_secret`
    /// (`COBRO_LINK_SECRET`) as the workers that signed the links.
    pub sender: SenderProfile,
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl HttpConfig {
    /// Reads `COBRO_API_TOKEN`, `TWILIO_AUTH_TOKEN`, `COBRO_WEBHOOK_SECRET`
    /// and `COBRO_LINK_SECRET`. Without a link secret unsubscribe tokens
    /// cannot be verified, so every token is refused (a random key).
    pub fn from_env(public_url: &str) -> Self {
        let link_secret = env_secret("COBRO_LINK_SECRET")
            .map(String::into_bytes)
            .unwrap_or_else(|| (0..32).map(|_| rand::random::<u8>()).collect());
        HttpConfig {
            public_url: public_url.trim_end_matches('/').to_string(),
            api_token: env_secret("COBRO_API_TOKEN"),
            twilio_auth_token: env_secret("TWILIO_AUTH_TOKEN"),
            webhook_secret: env_secret("COBRO_WEBHOOK_SECRET"),
            sender: link_profile(public_url, link_secret),
        }
    }
}

/// A sender profile that only carries what token checks and links need.
pub fn link_profile(public_url: &str, link_secret: Vec<u8>) -> SenderProfile {
    SenderProfile {
        collector: String::new(),
        collector_phone: String::new(),
        email_from: String::new(),
        sms_from: String::new(),
        voice_from: String::new(),
        payment_base_url: String::new(),
        public_url: public_url.trim_end_matches('/').to_string(),
        link_secret,
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<AnyStore>,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<metrics::Metrics>,
    /// Provider latency and errors and recorded decisions of the workers
    /// running in this process (`serve --workers`); empty without them.
    pub dispatch: Arc<DispatchMetrics>,
    /// The queue `/healthz` checks and `/metrics` reads; `None` when this
    /// process neither runs workers nor was given `--queue`.
    pub queue: Option<Arc<QueueProbe>>,
    /// The debtor's page: who collects, house limits, payment provider.
    pub portal: portal::PortalSettings,
    /// The rule packs in force (the `--campaign` files' or the built-in
    /// ones), for the console's rules pages and `/api/rules`.
    pub rules: Arc<RulesInForce>,
    /// Console upload results, for their page and error-report download.
    pub uploads: Arc<console::upload_reports::UploadReports>,
    /// The campaign files this server was given (`cobro serve --campaign`):
    /// the only ones the console simulates and launches (a browser never
    /// names a path on the server).
    pub campaign_files: Arc<Vec<std::path::PathBuf>>,
    /// The collectors' work queue: the campaigns whose agent tasks this
    /// server hands out (its `--campaign` files), each with its rules.
    pub work: Arc<crate::work_queue::WorkDesk<AnyStore>>,
}

impl AppState {
    pub fn new(store: Arc<AnyStore>, config: HttpConfig) -> Self {
        AppState {
            store,
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            dispatch: DispatchMetrics::new(),
            queue: None,
            portal: portal::PortalSettings::default(),
            rules: Arc::new(RulesInForce::embedded()),
            uploads: Arc::default(),
            campaign_files: Arc::new(Vec::new()),
            work: Arc::new(crate::work_queue::WorkDesk::new()),
        }
    }

    /// Hands out the agent tasks of `desk`'s campaigns.
    pub fn with_work(mut self, desk: crate::work_queue::WorkDesk<AnyStore>) -> Self {
        self.work = Arc::new(desk);
        self
    }

    /// The campaign files the console may simulate and launch.
    pub fn with_campaign_files(mut self, files: Vec<std::path::PathBuf>) -> Self {
        self.campaign_files = Arc::new(files);
        self
    }

    /// The rule packs this service shows as in force.
    pub fn with_rules(mut self, rules: RulesInForce) -> Self {
        self.rules = Arc::new(rules);
        self
    }

    /// The debtor's page settings (collector identity, payment provider).
    pub fn with_portal(mut self, portal: portal::PortalSettings) -> Self {
        self.portal = portal;
        self
    }

    /// Shares the registry the in-process workers record into.
    pub fn with_dispatch_metrics(mut self, dispatch: Arc<DispatchMetrics>) -> Self {
        self.dispatch = dispatch;
        self
    }

    /// Checks and reads this queue in `/healthz` and `/metrics`.
    pub fn with_queue(mut self, queue: Arc<QueueProbe>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// Replaces the HTTP-side counters (e.g. with a different ledger
    /// snapshot age).
    pub fn with_metrics(mut self, metrics: metrics::Metrics) -> Self {
        self.metrics = Arc::new(metrics);
        self
    }
}

/// One route of the service: a method, an axum path (written as the
/// OpenAPI document writes it) and its handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

/// A [`Route`] answering `method` (GET, POST or DELETE) on `path`.
pub(crate) fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    // The methods are constants of the route tables, all of which axum
    // can filter on.
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Route {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// The routes outside `/api`: what [`router`] serves and what the OpenAPI
/// test compares with the document.
pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/", dashboard::page),
        route(Method::GET, "/healthz", health::healthz),
        route(Method::GET, "/metrics", metrics::prometheus),
        route(
            Method::POST,
            "/webhooks/{provider}/status",
            webhooks::status,
        ),
        route(
            Method::POST,
            "/webhooks/{provider}/inbound",
            webhooks::inbound,
        ),
        route(Method::GET, "/u/{token}", unsubscribe::confirm_page),
        route(Method::POST, "/u/{token}", unsubscribe::one_click),
        route(
            Method::POST,
            "/webhooks/mercadopago",
            payment_webhooks::mercadopago,
        ),
        route(Method::POST, "/webhooks/stripe", payment_webhooks::stripe),
        route(Method::GET, "/login", console::login::form),
        route(Method::POST, "/login", console::login::submit),
        route(Method::POST, "/logout", console::login::logout),
        route(
            Method::GET,
            "/console/lang/{lang}",
            console::lang_switch::switch,
        ),
        route(Method::GET, "/console/accounts", console::accounts::page),
        route(Method::GET, "/console/rules", console::rules::list),
        route(
            Method::GET,
            "/console/rules/check",
            console::rules::check_form,
        ),
        route(
            Method::POST,
            "/console/rules/check",
            console::rules::check_submit,
        ),
        route(
            Method::GET,
            "/console/rules/calendar",
            console::rules::calendar,
        ),
        route(
            Method::GET,
            "/console/rules/explain",
            console::rules::explain,
        ),
        route(Method::GET, "/console/rules/{pack}", console::rules::pack),
        route(
            Method::GET,
            "/console/collections",
            console::collections::page,
        ),
        route(Method::GET, "/console/upload", console::upload::form),
        route(
            Method::POST,
            "/console/upload",
            console::upload::submit.layer(DefaultBodyLimit::max(portfolios::MAX_UPLOAD_BYTES)),
        ),
        route(
            Method::GET,
            "/console/upload/{report}",
            console::upload::report,
        ),
        route(
            Method::GET,
            "/console/accounts/{id}",
            console::account::page,
        ),
        route(Method::GET, "/console/campaigns", console::campaigns::list),
        route(
            Method::POST,
            "/console/campaigns/simulate",
            console::campaigns::simulate,
        ),
        route(
            Method::POST,
            "/console/campaigns/launch",
            console::campaigns::launch,
        ),
        route(
            Method::GET,
            "/console/campaigns/{id}",
            console::campaigns::detail,
        ),
        route(
            Method::GET,
            "/console/campaigns/{id}/arms",
            console::arms::page,
        ),
        route(
            Method::POST,
            "/console/campaigns/{id}/{action}",
            console::campaigns::act,
        ),
        route(Method::GET, "/console/review", console::review::page),
        route(Method::POST, "/console/review", console::review::answer),
        route(
            Method::GET,
            "/console/suppressions",
            console::suppressions::page,
        ),
        route(
            Method::POST,
            "/console/suppressions/{action}",
            console::suppressions::act,
        ),
        route(Method::GET, "/console/work", console::work::page),
        route(Method::POST, "/console/work/next", console::work::next),
        route(
            Method::POST,
            "/console/work/outcome",
            console::work::outcome,
        ),
        route(Method::GET, "/console/work/team", console::work_team::page),
        route(
            Method::POST,
            "/console/work/team/move",
            console::work_team::move_task,
        ),
        route(Method::GET, "/d/{token}", portal::show),
        route(Method::POST, "/d/{token}/{action}", portal::act),
        // The description is public: it holds no data.
        route(Method::GET, "/api/openapi.json", openapi::document),
    ]
}

/// Every `(method, path)` [`router`] answers, `/api` ones included.
pub fn route_table() -> Vec<(Method, String)> {
    let public = routes().into_iter().map(|r| (r.method, r.path.to_string()));
    let api = api::routes()
        .into_iter()
        .map(|r| (r.method, format!("{}{}", api::PREFIX, r.path)));
    public.chain(api).collect()
}

/// The whole service.
pub fn router(state: AppState) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .nest(api::PREFIX, api::router(state.clone()))
        .with_state(state)
}

/// An error answered as `{"error": "..."}` with a status code.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// The thing is no longer in the state the request assumed.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match &self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            // A provider retries on 503, which is what we want while the
            // store is briefly away; a permanent error (corrupt data, a bad
            // query) answers 500 so that nobody retries it for hours.
            HttpError::Store(e) => {
                tracing::error!(error = %e, source = ?std::error::Error::source(e), "store error in HTTP handler");
                if e.is_transient() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }
        };
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod store_error_tests {
    use super::*;

    #[test]
    fn only_a_transient_store_error_answers_503() {
        let transient = HttpError::Store(StoreError::Connection("refused".into()));
        assert_eq!(
            transient.into_response().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        for permanent in [
            StoreError::Corrupt("account A1: status 'x'".into()),
            StoreError::Query("bad statement".into()),
        ] {
            assert_eq!(
                HttpError::Store(permanent).into_response().status(),
                StatusCode::INTERNAL_SERVER_ERROR
            );
        }
    }
}
