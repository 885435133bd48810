//! The debtor's page (`/d/{token}`, ARCHITECTURE.md "HTTP contracts"): server-rendered, in
//! the account's language, no JavaScript, nothing loaded from elsewhere.
//! The token is the signed, expiring link from the message
//! (`engine::portal_token`); every form carries a CSRF value derived from
//! it, and posts are rate-limited per token. A forged or expired token, or
//! a missing or wrong `csrf`, gets 403 and nothing is stored.

mod limiter;
pub mod page;
pub mod texts;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, NaiveTime, Utc};
use cobro_campaigns::ChannelKind;
use cobro_campaigns::book::{BookAction, BookError, BookLimits, EventSource};
use cobro_channels::secrets_equal;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use sha2::Sha256;

use super::{AppState, HttpError};
use crate::account_view::AccountView;
use crate::engine::actions::{ActionError, record_action};
use crate::engine::portal_token::{PortalTokenError, verify_portal_token};
use crate::store::prelude::*;
pub use limiter::PostLimiter;
use page::{Notice, PaymentLine, PortalView, PromiseLine, PromiseState};
use texts::TextKey;

/// What the page needs besides the store: who collects (Profeco requires
/// the collector to identify itself), the house limits, how to take a
/// payment, and the per-token post limiter.
#[derive(Clone)]
pub struct PortalSettings {
    pub collector: String,
    pub collector_contact: String,
    pub limits: BookLimits,
    pub payments: Option<Arc<cobro_payments::PaymentProvider>>,
    pub limiter: Arc<PostLimiter>,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            collector: String::new(),
            collector_contact: String::new(),
            limits: BookLimits::default(),
            payments: None,
            limiter: Arc::new(PostLimiter::default()),
        }
    }
}

/// The CSRF value of a page: bound to its token, so a form cannot be
/// posted to another debtor's page, and needing no session state.
pub fn csrf_for(secret: &[u8], token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(b"cobro-portal-csrf-v1");
    mac.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
}

fn lang_of(tag: &str) -> String {
    tag.to_string()
}

fn forbidden(lang: &str, expired: bool) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page::render_link_error(lang, expired)),
    )
        .into_response()
}

fn channel_names(account: &cobro_campaigns::Account) -> Vec<String> {
    ChannelKind::AUTOMATED
        .into_iter()
        .filter(|c| account.contact_point_for(*c).is_some())
        .map(|c| c.as_str().to_string())
        .collect()
}

fn notice_of(query: &HashMap<String, String>) -> Option<Notice> {
    if let Some(err) = query.get("err") {
        return Some(Notice::Error(match err.as_str() {
            "date" => TextKey::ErrorDate,
            "amount" => TextKey::ErrorAmount,
            "instalments" => TextKey::ErrorInstalments,
            "reason" => TextKey::ErrorReason,
            "busy" => TextKey::TooManyRequests,
            _ => TextKey::ErrorGeneric,
        }));
    }
    Some(match query.get("ok")?.as_str() {
        "pay" => Notice::PaymentStarted,
        "promise" => Notice::PromiseRecorded,
        "plan" => Notice::PlanRecorded,
        "dispute" => Notice::DisputeRecorded,
        "preferences" => Notice::PreferencesSaved,
        _ => return None,
    })
}

/// The debtor's page.
#[utoipa::path(get, path = "/d/{token}", tag = "debtor", params(("token" = String, Path, description = "the signed link of a message")), responses(
    (status = 200, description = "the page (HTML)"),
    (status = 403, description = "forged or expired link (HTML, no account data)"),
))]
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let now = Utc::now();
    let claim = match verify_portal_token(&state.config.sender.link_secret, &token, now) {
        Ok(claim) => claim,
        Err(e) => return Ok(forbidden("es-MX", e == PortalTokenError::Expired)),
    };
    let settings = &state.portal;
    let Some((account, _)) = state.store.account(&claim.a).await? else {
        return Ok(forbidden("es-MX", false));
    };
    let Some(view) =
        AccountView::load(state.store.as_ref(), &claim.a, now, &settings.limits).await?
    else {
        return Ok(forbidden("es-MX", false));
    };
    let today = now.date_naive();
    let page = PortalView {
        lang: lang_of(&account.language),
        collector_name: settings.collector.clone(),
        collector_contact: settings.collector_contact.clone(),
        creditor: account.creditor.clone(),
        debtor_name: account.debtor_name.clone(),
        account_ref: masked_ref(&account.id),
        currency: account.currency.clone(),
        amount_due: account.amount_due,
        balance: view.balance,
        due_date: account.due_date,
        paid: view.status == "paid",
        payments: view
            .payments
            .iter()
            .map(|p| PaymentLine {
                date: p.at.date_naive(),
                amount: p.amount,
                reference: p.reference.clone(),
            })
            .collect(),
        promises: view
            .promises
            .iter()
            .map(|p| PromiseLine {
                date: p.date,
                amount: p.amount,
                state: match p.state {
                    "kept" => PromiseState::Kept,
                    "broken" => PromiseState::Broken,
                    _ => PromiseState::Open,
                },
                instalment: p.instalment,
            })
            .collect(),
        dispute_open: view.status == "disputed",
        optouts: view
            .preferences
            .optout
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        prefer: view.preferences.prefer.map(|c| c.as_str().to_string()),
        avoid: view
            .preferences
            .avoid
            .iter()
            .map(|(f, t)| (f.format("%H:%M").to_string(), t.format("%H:%M").to_string()))
            .collect(),
        channels: channel_names(&account),
        csrf: csrf_for(&state.config.sender.link_secret, &token),
        action_base: format!("/d/{token}"),
        can_pay_online: settings.payments.is_some()
            || account.attributes.contains_key("payment_link"),
        today,
        promise_max_date: today + chrono::Days::new(u64::from(settings.limits.promise_max_days)),
        plan_min: settings.limits.plan_min_instalments,
        plan_max: settings.limits.plan_max_instalments,
        notice: notice_of(&query),
    };
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(page::render_page(&page)),
    )
        .into_response())
}

/// The last four characters of the account id: enough for the debtor to
/// recognise it, nothing a stranger could use.
fn masked_ref(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(|s| s.trim()).unwrap_or("")
}

fn back(token: &str, query: &str) -> Response {
    Redirect::to(&format!("/d/{token}?{query}")).into_response()
}

/// A form of the page: `pay`, `promise`, `plan`, `dispute`, `preferences`.
#[utoipa::path(post, path = "/d/{token}/{action}", tag = "debtor", params(
    ("token" = String, Path, description = "the signed link of a message"),
    ("action" = String, Path, description = "pay | promise | plan | dispute | preferences"),
), responses(
    (status = 303, description = "recorded: back to the page (pay: to the checkout)"),
    (status = 403, description = "forged or expired link, or missing/wrong csrf: nothing stored"),
    (status = 404, description = "unknown action"),
    (status = 429, description = "too many posts for this link"),
))]
pub async fn act(
    State(state): State<AppState>,
    Path((token, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let now = Utc::now();
    let secret = &state.config.sender.link_secret;
    let claim = match verify_portal_token(secret, &token, now) {
        Ok(claim) => claim,
        Err(e) => return Ok(forbidden("es-MX", e == PortalTokenError::Expired)),
    };
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let csrf = csrf_for(secret, &token);
    let given = field(&form, "csrf");
    if given.is_empty() || !secrets_equal(given.as_bytes(), csrf.as_bytes()) {
        return Ok(forbidden("es-MX", false));
    }
    let settings = state.portal.clone();
    if !settings.limiter.allow(&token, now) {
        return Ok((StatusCode::TOO_MANY_REQUESTS, "too many requests").into_response());
    }
    let Some((account, _)) = state.store.account(&claim.a).await? else {
        return Ok(forbidden("es-MX", false));
    };
    let (book, _) = state.store.book(&claim.a).await?;
    let balance = book.balance(account.amount_due);
    let amount = |name: &str, default: Decimal| -> Result<Decimal, BookError> {
        let raw = field(&form, name).replace(',', ".");
        if raw.is_empty() {
            return Ok(default);
        }
        raw.parse().map_err(|_| BookError::AmountNotPositive)
    };
    let date = |name: &str| -> Result<NaiveDate, BookError> {
        NaiveDate::parse_from_str(field(&form, name), "%Y-%m-%d").map_err(|_| {
            BookError::DateInPast {
                date: NaiveDate::MIN,
                today: now.date_naive(),
            }
        })
    };
    let parsed: Result<BookAction, BookError> = match action.as_str() {
        "pay" => {
            return pay(&state, &token, &account, amount("amount", balance), now).await;
        }
        "promise" => (|| {
            Ok(BookAction::Promise {
                date: date("date")?,
                amount: amount("amount", balance)?,
            })
        })(),
        "plan" => (|| {
            Ok(BookAction::Plan {
                instalments: field(&form, "instalments").parse().map_err(|_| {
                    BookError::InstalmentsOutOfRange {
                        given: 0,
                        min: settings.limits.plan_min_instalments,
                        max: settings.limits.plan_max_instalments,
                    }
                })?,
                first_date: date("first_date")?,
            })
        })(),
        "dispute" => Ok(BookAction::Dispute {
            reason: field(&form, "reason").chars().take(64).collect(),
            text: field(&form, "text").chars().take(2000).collect(),
        }),
        "preferences" => {
            let channel = |name: &str| field(&form, name).parse::<ChannelKind>().ok();
            let time = |name: &str| NaiveTime::parse_from_str(field(&form, name), "%H:%M").ok();
            Ok(BookAction::Preferences {
                optout: channel("optout"),
                prefer: channel("prefer"),
                avoid: time("avoid_from").zip(time("avoid_to")),
            })
        }
        _ => return Err(HttpError::NotFound(format!("no form '{action}'"))),
    };
    let action = match parsed {
        Ok(a) => a,
        Err(e) => return Ok(back(&token, &format!("err={}", e.field()))),
    };
    match record_action(
        state.store.as_ref(),
        &claim.a,
        &action,
        EventSource::Portal,
        now,
        &settings.limits,
    )
    .await
    {
        Ok(_) => Ok(back(&token, &format!("ok={}", action.kind()))),
        Err(ActionError::Refused(e)) => Ok(back(&token, &format!("err={}", e.field()))),
        Err(ActionError::UnknownAccount(_)) => Ok(forbidden("es-MX", false)),
        Err(e) => Err(super::accounts::action_error(e)),
    }
}

/// Pay: a checkout at the configured provider, else the creditor's own
/// payment link, else back to the page.
async fn pay(
    state: &AppState,
    token: &str,
    account: &cobro_campaigns::Account,
    amount: Result<Decimal, BookError>,
    now: chrono::DateTime<Utc>,
) -> Result<Response, HttpError> {
    let Ok(amount) = amount else {
        return Ok(back(token, "err=amount"));
    };
    if amount <= Decimal::ZERO {
        return Ok(back(token, "err=amount"));
    }
    let page = format!("{}/d/{token}", state.config.public_url);
    if let Some(provider) = &state.portal.payments {
        let request = cobro_payments::CheckoutRequest {
            account: account.id.clone(),
            reference: format!("co-{}-{}", account.id, now.timestamp_millis()),
            title: texts::text(&account.language, TextKey::CheckoutTitle)
                .replace("{creditor}", &account.creditor),
            amount,
            currency: account.currency.clone(),
            payer_email: account
                .contact_point_for(ChannelKind::Email)
                .map(|p| p.address.clone()),
            success_url: format!("{page}?ok=pay"),
            cancel_url: page.clone(),
            notification_url: format!("{}/webhooks/{}", state.config.public_url, provider.name()),
        };
        return match provider.create_checkout(&request).await {
            Ok(checkout) => Ok(Redirect::to(&checkout.url).into_response()),
            Err(e) => {
                tracing::warn!(provider = provider.name(), "checkout failed: {e}");
                Ok(back(token, "err=busy"))
            }
        };
    }
    match account.attributes.get("payment_link") {
        Some(link) => Ok(Redirect::to(link).into_response()),
        None => Ok(back(token, "err=busy")),
    }
}
