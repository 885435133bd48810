//! `GET /api/me`: who the token or session is, so a client (and a person
//! reading a token's effect) knows what it will see.

use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::ApiError;
use crate::users::Principal;

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user's email; `admin` for the bootstrap token.
    pub name: String,
    /// admin, operations, compliance, collector, creditor.
    pub role: String,
    /// The creditor a creditor user is confined to.
    pub creditor: Option<String>,
}

/// The caller.
#[utoipa::path(get, path = "/api/me", tag = "api", security(("bearer" = [])), responses(
    (status = 200, description = "who the credentials are", body = Me),
    (status = 401, description = "missing or wrong bearer token", body = ApiError),
))]
pub async fn me(Extension(principal): Extension<Principal>) -> Json<Me> {
    Json(Me {
        name: principal.name().to_string(),
        role: principal.role().to_string(),
        creditor: principal.creditor().map(str::to_string),
    })
}
