//! `GET /api/accounts/{id}` (the account view of DESIGN.md §12) and
//! `POST /api/accounts/{id}/payments` (money received, idempotent by
//! reference).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use cobro_campaigns::book::{BookAction, BookLimits, EventSource};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::account_view::AccountView;
use crate::engine::actions::{ActionError, record_action};
use crate::store::prelude::*;

/// The account: balance, payments, promises, disputes, preferences and
/// the next contact's due time.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountAnswer {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub view: AccountView,
}

/// Money received for an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// Decimal string, in the account's currency: "1500.00".
    pub amount: String,
    /// ISO 4217; must be the account's when given.
    #[serde(default)]
    pub currency: Option<String>,
    /// RFC 3339; default now.
    #[serde(default)]
    pub at: Option<String>,
    /// The payment's reference: a second payment with it is not counted.
    pub reference: String,
}

pub(super) fn action_error(e: ActionError) -> HttpError {
    match e {
        ActionError::UnknownAccount(id) => HttpError::NotFound(format!("no account '{id}'")),
        ActionError::Refused(b) => HttpError::Unprocessable(format!("{}: {b}", b.field())),
        ActionError::Store(s) => HttpError::from(s),
        e @ ActionError::Contended(_) => {
            HttpError::Store(crate::store::StoreError::Connection(e.to_string()))
        }
    }
}

/// One account as the debtor's page and the console show it.
#[utoipa::path(get, path = "/api/accounts/{id}", tag = "api", security(("bearer" = [])), params(("id" = String, Path, description = "account id")), responses(
    (status = 200, description = "the account", body = AccountAnswer),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown account", body = ApiError),
))]
pub async fn account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountAnswer>, HttpError> {
    match AccountView::load(
        state.store.as_ref(),
        &id,
        Utc::now(),
        &BookLimits::default(),
    )
    .await?
    {
        None => Err(HttpError::NotFound(format!("no account '{id}'"))),
        Some(view) => Ok(Json(AccountAnswer { view })),
    }
}

/// Record a payment (partial payments lower the balance; at zero the
/// account is paid and every campaign stops).
#[utoipa::path(post, path = "/api/accounts/{id}/payments", tag = "api", security(("bearer" = [])), params(("id" = String, Path, description = "account id")), request_body = PaymentBody, responses(
    (status = 200, description = "recorded (or already recorded): the account", body = AccountAnswer),
    (status = 400, description = "malformed body", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown account", body = ApiError),
    (status = 422, description = "bad amount, currency or instant", body = ApiError),
))]
pub async fn record_payment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    payload: Result<Json<PaymentBody>, JsonRejection>,
) -> Result<Json<AccountAnswer>, HttpError> {
    let Json(body) = payload.map_err(|e| HttpError::BadRequest(e.body_text()))?;
    let amount: Decimal = body
        .amount
        .trim()
        .parse()
        .map_err(|e| HttpError::Unprocessable(format!("amount '{}': {e}", body.amount)))?;
    let now = Utc::now();
    let at = match &body.at {
        None => now,
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| HttpError::Unprocessable(format!("at '{s}': {e}")))?
            .with_timezone(&Utc),
    };
    if let Some(currency) = &body.currency {
        match state.store.account(&id).await? {
            None => return Err(HttpError::NotFound(format!("no account '{id}'"))),
            Some((account, _)) if !account.currency.eq_ignore_ascii_case(currency) => {
                return Err(HttpError::Unprocessable(format!(
                    "currency {currency}: the account is in {}",
                    account.currency
                )));
            }
            Some(_) => {}
        }
    }
    let limits = BookLimits::default();
    let action = BookAction::Payment {
        amount,
        at,
        reference: body.reference,
    };
    record_action(
        state.store.as_ref(),
        &id,
        &action,
        EventSource::Api,
        now,
        &limits,
    )
    .await
    .map_err(action_error)?;
    let view = AccountView::load(state.store.as_ref(), &id, now, &limits)
        .await?
        .ok_or_else(|| HttpError::NotFound(format!("no account '{id}'")))?;
    Ok(Json(AccountAnswer { view }))
}
