//! `GET /api/accounts/{id}` (the account view of ARCHITECTURE.md, "HTTP contracts"),
//! `GET /api/accounts/{id}/gestiones` (its timeline, `account_timeline`) and
//! `POST /api/accounts/{id}/payments` (money received, idempotent by
//! reference).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use cobro_campaigns::book::{BookAction, BookLimits, EventSource};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ApiError;
use super::{AppState, HttpError};
use crate::account_list::{AccountPage, AccountQuery, list_accounts};
use crate::account_timeline::{TimelineEntry, account_timeline};
use crate::account_view::AccountView;
use crate::engine::actions::{ActionError, record_action_by};
use crate::store::AccountStatus;
use crate::store::prelude::*;
use crate::users::{Principal, Role};
use cobro_campaigns::Account;

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

/// The account when `principal` may see it; otherwise the very answer an
/// unknown id gets, so another creditor's ids cannot be probed.
pub(super) async fn visible_account(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<(Account, AccountStatus), HttpError> {
    match state.store.account(id).await? {
        Some((account, status)) if principal.sees(&account.creditor) => Ok((account, status)),
        _ => Err(HttpError::NotFound(format!("no account '{id}'"))),
    }
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
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<AccountAnswer>, HttpError> {
    visible_account(&state, &principal, &id).await?;
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
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    payload: Result<Json<PaymentBody>, JsonRejection>,
) -> Result<Json<AccountAnswer>, HttpError> {
    let (account, _) = visible_account(&state, &principal, &id).await?;
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
    if let Some(currency) = &body.currency
        && !account.currency.eq_ignore_ascii_case(currency)
    {
        return Err(HttpError::Unprocessable(format!(
            "currency {currency}: the account is in {}",
            account.currency
        )));
    }
    let limits = BookLimits::default();
    let action = BookAction::Payment {
        amount,
        at,
        reference: body.reference,
    };
    record_action_by(
        state.store.as_ref(),
        &id,
        &action,
        EventSource::Api,
        Some(principal.name()),
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

/// The filters of the expedientes list (all optional).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccountsQuery {
    /// Exactly as in the portfolio; a creditor user's own is forced.
    pub creditor: Option<String>,
    /// Accounts with contacts planned in this campaign (its id).
    pub campaign: Option<String>,
    /// active, paid, promise_to_pay, disputed, opted_out.
    pub status: Option<String>,
    pub segment: Option<String>,
    /// ISO 3166 alpha-2.
    pub country: Option<String>,
    /// Part of the id, the debtor's name or tax id.
    pub q: Option<String>,
    pub dpd_min: Option<i64>,
    pub dpd_max: Option<i64>,
    /// Decimal strings, on the balance.
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    /// `next` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<usize>,
}

/// A page of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountsAnswer {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub page: AccountPage,
}

fn decimal(name: &str, raw: Option<&str>) -> Result<Option<Decimal>, HttpError> {
    raw.filter(|r| !r.trim().is_empty())
        .map(|r| {
            r.trim()
                .replace(',', ".")
                .parse::<Decimal>()
                .map_err(|e| HttpError::BadRequest(format!("{name} '{r}': {e}")))
        })
        .transpose()
}

/// The expedientes: accounts filtered and paged (`next` → `cursor`). A
/// creditor user gets only its creditor's, whatever `creditor` says.
#[utoipa::path(get, path = "/api/accounts", tag = "api", security(("bearer" = [])), params(AccountsQuery), responses(
    (status = 200, description = "a page of accounts", body = AccountsAnswer),
    (status = 400, description = "a filter that does not parse", body = ApiError),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(q): Query<AccountsQuery>,
) -> Result<Json<AccountsAnswer>, HttpError> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            AccountStatus::parse(s)
                .ok_or_else(|| HttpError::BadRequest(format!("status '{s}': unknown")))
        })
        .transpose()?;
    let creditor = match (principal.role(), principal.creditor()) {
        (Role::Creditor, Some(own)) => Some(own.to_string()),
        // A creditor user without a creditor recorded sees nothing.
        (Role::Creditor, None) => {
            let page = AccountPage {
                items: Vec::new(),
                next: None,
            };
            return Ok(Json(AccountsAnswer { page }));
        }
        _ => q.creditor.clone().filter(|c| !c.is_empty()),
    };
    let query = AccountQuery {
        creditor,
        campaign: q.campaign.filter(|c| !c.is_empty()),
        status,
        segment: q.segment.filter(|s| !s.is_empty()),
        country: q.country.filter(|s| !s.is_empty()),
        q: q.q.filter(|s| !s.trim().is_empty()),
        dpd_min: q.dpd_min,
        dpd_max: q.dpd_max,
        amount_min: decimal("amount_min", q.amount_min.as_deref())?,
        amount_max: decimal("amount_max", q.amount_max.as_deref())?,
        cursor: q.cursor.filter(|s| !s.is_empty()),
        limit: q.limit.unwrap_or(50),
    };
    let page = list_accounts(state.store.as_ref(), &query, Utc::now().date_naive()).await?;
    Ok(Json(AccountsAnswer { page }))
}

/// The gestiones of an account, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct GestionesAnswer {
    pub account: String,
    /// Each planned contact, guard decision (with its rules, code and
    /// explanation), send, delivery report, reply, cancellation, payment,
    /// promise, plan, dispute and preference change, with `at`, `kind`,
    /// `state`, `actor` (who or what caused it) and, for money, `amount`
    /// and `currency`.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<TimelineEntry>,
}

/// The gestiones timeline of an account: planned contacts, the ledger's
/// decisions and outcomes and the book's events, merged as
/// `cobro export gestiones` merges them.
#[utoipa::path(get, path = "/api/accounts/{id}/gestiones", tag = "api", security(("bearer" = [])), params(("id" = String, Path, description = "account id")), responses(
    (status = 200, description = "the timeline", body = GestionesAnswer),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
    (status = 404, description = "unknown account", body = ApiError),
))]
pub async fn gestiones(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<GestionesAnswer>, HttpError> {
    let (account, _) = visible_account(&state, &principal, &id).await?;
    let entries = account_timeline(state.store.as_ref(), &account).await?;
    Ok(Json(GestionesAnswer {
        account: account.id,
        entries,
    }))
}
