//! `GET /api/openapi.json`: the OpenAPI 3 description of the service,
//! generated from the handlers' `#[utoipa::path]` attributes and their
//! request and response types, so that integrators need no access to the
//! source and the description cannot drift from the code.

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{api, dashboard, health, metrics, unsubscribe};

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ApiError {
    pub error: String,
}

/// Adds the `bearer` scheme the `/api` operations name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cobro",
        description = "Outbound collection campaign dispatcher: operations API, provider webhooks, unsubscribe."
    ),
    paths(
        dashboard::page,
        health::healthz,
        metrics::prometheus,
        webhook_status,
        webhook_inbound,
        unsubscribe::confirm_page,
        unsubscribe::one_click,
        super::console::login::form,
        super::console::login::submit,
        super::console::login::logout,
        super::console::lang_switch::switch,
        super::console::accounts::page,
        super::console::rules::list,
        super::console::rules::pack,
        super::console::rules::check_form,
        super::console::rules::check_submit,
        super::console::rules::calendar,
        super::console::rules::explain,
        super::console::collections::page,
        super::console::upload::form,
        super::console::upload::submit,
        super::console::upload::report,
        super::console::account::page,
        super::console::campaigns::list,
        super::console::campaigns::simulate,
        super::console::campaigns::launch,
        super::console::campaigns::detail,
        super::console::campaigns::act,
        super::console::review::page,
        super::console::review::answer,
        super::console::suppressions::page,
        super::console::suppressions::act,
        super::console::work::page,
        super::console::work::next,
        super::console::work::outcome,
        super::console::work_team::page,
        super::console::work_team::move_task,
        super::portal::show,
        super::portal::act,
        super::payment_webhooks::mercadopago,
        super::payment_webhooks::stripe,
        document,
        api::list_campaigns,
        api::launch_campaign,
        api::campaign_progress,
        api::campaign_action,
        super::arms::arms,
        super::console::arms::page,
        super::me::me,
        super::accounts::list,
        super::accounts::account,
        super::accounts::record_payment,
        api::account_history,
        super::accounts::gestiones,
        super::disputes::list,
        super::reports::collections,
        api::account_event,
        super::portfolios::upload,
        api::list_suppressions,
        api::add_suppression,
        api::remove_suppression,
        super::review::list,
        super::review::answer,
        super::rules::list,
        super::rules::explain,
        super::work::next,
        super::work::outcome,
        super::work::stats,
        super::work::move_task,
    ),
    components(schemas(ApiError, health::Health, crate::rules_in_force::PackJson)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The document.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This description (OpenAPI 3, JSON).
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", responses(
    (status = 200, description = "the OpenAPI document", body = Object),
))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}

// The webhook handlers live with the providers (`webhooks`); their
// operations are described here, on stand-ins that are never called, so
// that the provider code carries no documentation attributes.

/// Delivery receipts.
///
/// twilio: X-Twilio-Signature; vonage, infobip: X-Cobro-Webhook-Secret
/// header or `?secret=`.
#[utoipa::path(post, path = "/webhooks/{provider}/status", tag = "webhooks",
    params(("provider" = String, Path, description = "twilio, vonage or infobip", pattern = "^(twilio|vonage|infobip)$")),
    responses(
        (status = 200, description = "per message: recorded, unchanged (replay), ignored (interim) or unknown_id", body = Object),
        (status = 400, description = "malformed payload", body = ApiError),
        (status = 403, description = "bad signature", body = ApiError),
        (status = 404, description = "unknown provider", body = ApiError),
    ),
)]
#[allow(dead_code)]
fn webhook_status() {}

/// Inbound replies.
///
/// STOP/BAJA/ALTO/CANCELAR/NO MOLESTAR/UNSUBSCRIBE opt out, STOPALL of
/// every channel, START/ALTA/UNSTOP opt back in.
#[utoipa::path(post, path = "/webhooks/{provider}/inbound", tag = "webhooks",
    params(("provider" = String, Path, description = "twilio, vonage or infobip", pattern = "^(twilio|vonage|infobip)$")),
    responses(
        (status = 200, description = "handled (Twilio gets TwiML <Response/>)"),
        (status = 400, description = "malformed payload", body = ApiError),
        (status = 403, description = "bad signature", body = ApiError),
        (status = 404, description = "unknown provider", body = ApiError),
    ),
)]
#[allow(dead_code)]
fn webhook_inbound() {}
