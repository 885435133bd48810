//! `POST /api/portfolios` (ARCHITECTURE.md, "HTTP contracts"): a
//! portfolio file uploaded (multipart field `file`, CSV or XLSX) goes
//! through the importer `cobro import` uses; good rows are stored, each bad
//! row is answered with its line, field and reason. The console's upload
//! page (`console/upload.rs`) calls the same [`read_form`] and [`ingest`].
//!
//! Tenancy: a creditor user may upload only its own creditor's accounts.
//! A row naming another creditor is refused (field `creditor`), and so is
//! a row whose id another creditor's account already holds (field `id`):
//! storing it would hand that account over. The creditor column stays
//! required for everybody, so a file means the same whoever sends it.

use std::collections::{HashMap, HashSet};

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use cobro_campaigns::Account;
use cobro_campaigns::import::{
    DecimalSeparator, ImportError, ImportOptions, PortfolioFormat, ReportLang, RowError, RowReason,
    TextEncoding, import_bytes_each, printable_reason,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::openapi::ApiError;
use crate::store::StoreError;
use crate::store::any::AnyStore;
use crate::store::prelude::*;
use crate::users::{Principal, Role};

/// The largest upload accepted, in megabytes (a 20 MB CSV is some 100,000
/// accounts; bigger portfolios go through `cobro import`).
pub const MAX_UPLOAD_MB: usize = 20;

/// [`MAX_UPLOAD_MB`] in bytes, with room for the form's other fields.
pub const MAX_UPLOAD_BYTES: usize = MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024;

/// Accounts per `put_accounts` call, as `cobro import` stores them.
const STORE_CHUNK: usize = 2_000;

/// One refused row of an upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RowProblem {
    /// Line in the file (the CSV header, or the sheet's header row, is 1).
    pub line: usize,
    /// The column as written in the file (`creditor` and `id` for the
    /// tenancy refusals).
    pub field: String,
    /// Why, in English unless the request asked for Spanish
    /// (`Accept-Language: es…`; the console: the user's language).
    pub reason: String,
    /// The reason as data, to word it in another language on demand (the
    /// console keeps the outcome and renders it in the reader's language).
    #[serde(skip)]
    #[schema(ignore)]
    pub kind: Option<RowReason>,
}

impl RowProblem {
    /// The reason in `lang` (as stored when there is no typed reason).
    pub fn reason_in(&self, lang: ReportLang) -> String {
        match &self.kind {
            Some(kind) => printable_reason(kind, lang),
            None => self.reason.clone(),
        }
    }

    /// This problem with its reason worded in `lang`.
    pub fn in_lang(&self, lang: ReportLang) -> RowProblem {
        RowProblem {
            reason: self.reason_in(lang),
            ..self.clone()
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct UploadOutcome {
    /// Data rows in the file (header and blank lines excluded).
    pub rows_read: usize,
    /// Rows stored.
    pub accepted: usize,
    /// Rows refused (a row with several errors counts once).
    pub rejected: usize,
    /// Every problem, by line.
    pub errors: Vec<RowProblem>,
}

impl UploadOutcome {
    /// The error report as a CSV file (`line,field,reason`, or
    /// `línea,campo,motivo` in Spanish) with the reasons in `lang`, UTF-8
    /// with a byte-order mark so that Excel shows the accents right.
    pub fn errors_csv(&self, lang: ReportLang) -> Result<Vec<u8>, csv::Error> {
        let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        out.write_record(match lang {
            ReportLang::En => ["line", "field", "reason"],
            ReportLang::Es => ["línea", "campo", "motivo"],
        })?;
        for e in &self.errors {
            out.write_record([e.line.to_string().as_str(), &e.field, &e.reason_in(lang)])?;
        }
        out.into_inner().map_err(|e| e.into_error().into())
    }

    /// This outcome with every reason worded in `lang`.
    pub fn in_lang(mut self, lang: ReportLang) -> Self {
        if lang != ReportLang::En {
            for e in &mut self.errors {
                e.reason = e.reason_in(lang);
            }
        }
        self
    }
}

/// An uploaded file and what its sender declared about it.
#[derive(Debug, Default)]
pub struct UploadForm {
    /// The file's name as the browser or client sent it (may be empty).
    pub file_name: String,
    /// `None` when the form had no `file` field.
    pub file: Option<Vec<u8>>,
    /// The form's other fields (`encoding`, `decimal`, `csrf`).
    pub fields: HashMap<String, String>,
}

impl UploadForm {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The import options from the form's `encoding` and `decimal`
    /// (`auto` or empty: detect), falling back to `defaults` (the query's).
    pub fn options(&self, defaults: &UploadQuery) -> Result<ImportOptions, UploadError> {
        let encoding = self.field("encoding").or(defaults.encoding.as_deref());
        let decimal = self.field("decimal").or(defaults.decimal.as_deref());
        let encoding = match encoding.map(str::trim) {
            None | Some("") => TextEncoding::Auto,
            Some(label) => {
                label
                    .parse()
                    .map_err(|e: cobro_campaigns::import::UnknownEncoding| {
                        UploadError::BadForm(e.to_string())
                    })?
            }
        };
        let decimal = match decimal.map(str::trim) {
            None | Some("") | Some("auto") => None,
            Some(sep) => Some(
                sep.parse::<DecimalSeparator>()
                    .map_err(UploadError::BadForm)?,
            ),
        };
        Ok(ImportOptions { encoding, decimal })
    }
}

/// Why an upload imported nothing.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than {MAX_UPLOAD_MB} MB; split it or load it with `cobro import`")]
    TooLarge,
    /// No `file` field, a malformed form, an unknown encoding label.
    #[error("{0}")]
    BadForm(String),
    /// The file as a whole cannot be imported (no header, a required
    /// column missing, not a workbook).
    #[error(transparent)]
    File(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The import task died (a bug, not the file): 500.
    #[error("the import stopped: {0}")]
    Crashed(String),
}

impl UploadError {
    pub fn is_too_large(&self) -> bool {
        matches!(self, UploadError::TooLarge)
    }

    /// Whether the sender can fix it (as opposed to the store failing).
    pub fn is_senders(&self) -> bool {
        !matches!(self, UploadError::Store(_) | UploadError::Crashed(_))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::BadForm(_) => StatusCode::BAD_REQUEST,
            UploadError::File(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UploadError::Store(e) if e.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            UploadError::Store(_) | UploadError::Crashed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn from_multipart(e: MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge
        } else {
            UploadError::BadForm(format!("cannot read the form: {}", e.body_text()))
        }
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        if let UploadError::Store(e) = self {
            return super::HttpError::Store(e).into_response();
        }
        if let UploadError::Crashed(why) = &self {
            tracing::error!(error = %why, "portfolio import task failed");
        }
        (
            self.status(),
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

/// Reads a multipart form: the `file` field's bytes and every other field
/// as text. A body over [`MAX_UPLOAD_BYTES`] is [`UploadError::TooLarge`].
pub async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<UploadForm, UploadError> {
    let mut multipart = multipart.map_err(|e| {
        UploadError::BadForm(format!(
            "send the portfolio as multipart/form-data with the file in the field `file` ({})",
            e.body_text()
        ))
    })?;
    let mut form = UploadForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(UploadError::from_multipart)?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            form.file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(UploadError::from_multipart)?;
            form.file = Some(bytes.to_vec());
        } else {
            let text = field.text().await.map_err(UploadError::from_multipart)?;
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

/// Imports `bytes` (named `file_name`) and stores the good rows; a
/// creditor user's rows of another creditor are refused (module doc).
pub async fn ingest(
    store: &AnyStore,
    principal: &Principal,
    file_name: &str,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> Result<UploadOutcome, UploadError> {
    let origin = if file_name.trim().is_empty() {
        "upload".to_string()
    } else {
        file_name.to_string()
    };
    let format = PortfolioFormat::detect(&origin, &bytes);
    // Parsing a 20 MB file is seconds of CPU: off the async workers.
    let task_origin = origin.clone();
    let (summary, mut rows) = tokio::task::spawn_blocking(move || {
        let mut rows: Vec<(usize, Account)> = Vec::new();
        import_bytes_each(&bytes, format, &task_origin, &options, |line, a| {
            rows.push((line, a))
        })
        .map(|summary| (summary, rows))
    })
    .await
    .map_err(|e| UploadError::Crashed(e.to_string()))??;
    let mut errors = summary.errors;
    if principal.role() == Role::Creditor {
        confine(store, principal, &mut rows, &mut errors).await?;
    }
    for chunk in rows.chunks(STORE_CHUNK) {
        let accounts: Vec<Account> = chunk.iter().map(|(_, a)| a.clone()).collect();
        store.put_accounts(&accounts).await?;
    }
    errors.sort_by_key(|e| e.line);
    let outcome = UploadOutcome {
        rows_read: summary.rows_read,
        accepted: rows.len(),
        rejected: summary.rows_read.saturating_sub(rows.len()),
        errors: errors
            .into_iter()
            .map(|e| RowProblem {
                line: e.line,
                field: e.field,
                reason: e.reason,
                kind: Some(e.kind),
            })
            .collect(),
    };
    tracing::info!(
        user = principal.name(),
        file = %origin,
        rows_read = outcome.rows_read,
        accepted = outcome.accepted,
        rejected = outcome.rejected,
        "portfolio uploaded"
    );
    Ok(outcome)
}

/// Keeps only the rows a creditor user may store: its creditor's, with ids
/// no other creditor's account holds. The others become row errors.
async fn confine(
    store: &AnyStore,
    principal: &Principal,
    rows: &mut Vec<(usize, Account)>,
    errors: &mut Vec<RowError>,
) -> Result<(), StoreError> {
    let own = principal.creditor();
    rows.retain(|(line, a)| {
        if Some(a.creditor.as_str()) == own {
            return true;
        }
        let reason = match own {
            Some(own) => RowReason::OtherCreditor {
                creditor: a.creditor.clone(),
                own: own.to_string(),
            },
            None => RowReason::NoCreditorRecorded,
        };
        errors.push(RowError::new(*line, "creditor", reason));
        false
    });
    let mut taken = HashSet::new();
    for chunk in rows.chunks(STORE_CHUNK) {
        let ids: Vec<String> = chunk.iter().map(|(_, a)| a.id.clone()).collect();
        let found = store.accounts(&ids).await?;
        for (id, found) in ids.into_iter().zip(found) {
            if found.is_some_and(|(a, _)| !principal.sees(&a.creditor)) {
                taken.insert(id);
            }
        }
    }
    if !taken.is_empty() {
        rows.retain(|(line, a)| {
            if !taken.contains(&a.id) {
                return true;
            }
            errors.push(RowError::new(
                *line,
                "id",
                RowReason::IdTaken { id: a.id.clone() },
            ));
            false
        });
    }
    Ok(())
}

/// What the query may say about the file (the form's fields win).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// Text encoding of a CSV: `auto` (default: UTF-8, or Windows-1252
    /// when the text is not UTF-8), `utf-8`, `windows-1252` or another
    /// WHATWG label.
    pub encoding: Option<String>,
    /// Decimal separator of amounts written as text: `,` or `.`
    /// (default: read from the file's amounts).
    pub decimal: Option<String>,
}

/// The multipart form of `POST /api/portfolios`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PortfolioForm {
    /// The portfolio: CSV (`,` `;` or tab) or a workbook (.xlsx, .xls).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// As the query's `encoding`.
    encoding: Option<String>,
    /// As the query's `decimal`.
    decimal: Option<String>,
}

/// Upload a portfolio (alta de expedientes).
///
/// Good rows are stored (an id already stored is updated, as `cobro
/// import` does); every bad row is listed with its line, field and reason.
/// A creditor user's rows of another creditor are refused. The reasons
/// are in Spanish when `Accept-Language` starts with `es` (`es`, `es-MX`),
/// in English otherwise.
#[utoipa::path(post, path = "/api/portfolios", tag = "api", security(("bearer" = [])),
    params(
        UploadQuery,
        ("Accept-Language" = Option<String>, Header,
            description = "`es…` (e.g. `es-MX`): the rows' reasons in Spanish; anything else or none: English"),
    ),
    request_body(content = PortfolioForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "imported: counts and the refused rows", body = UploadOutcome),
        (status = 400, description = "no `file` field, or an unknown encoding or decimal separator", body = ApiError),
        (status = 401, description = "missing or wrong bearer token", body = ApiError),
        (status = 403, description = "a role that may not upload", body = ApiError),
        (status = 413, description = "larger than 20 MB", body = ApiError),
        (status = 422, description = "the file as a whole cannot be imported (no header, a required column missing)", body = ApiError),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<UploadOutcome>, UploadError> {
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(ReportLang::En, ReportLang::from_tag);
    let mut form = read_form(multipart).await?;
    let options = form.options(&query)?;
    let bytes = form.file.take().ok_or_else(|| {
        UploadError::BadForm("the form has no `file` field with the portfolio".into())
    })?;
    let outcome = ingest(
        state.store.as_ref(),
        &principal,
        &form.file_name,
        bytes,
        options,
    )
    .await?;
    Ok(Json(outcome.in_lang(lang)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_report_is_a_csv_excel_reads() {
        let outcome = UploadOutcome {
            rows_read: 3,
            accepted: 2,
            rejected: 1,
            errors: vec![RowProblem {
                line: 3,
                field: "Importe".into(),
                reason: "not an amount: 'doce, mil'".into(),
                kind: None,
            }],
        };
        let csv = outcome.errors_csv(ReportLang::En).expect("csv");
        let text = String::from_utf8(csv).expect("utf-8");
        assert_eq!(
            text,
            "\u{feff}line,field,reason\n3,Importe,\"not an amount: 'doce, mil'\"\n"
        );
        let typed = UploadOutcome {
            errors: vec![RowProblem {
                kind: Some(RowReason::Missing),
                reason: RowReason::Missing.to_string(),
                ..outcome.errors[0].clone()
            }],
            ..outcome
        };
        let csv = typed.errors_csv(ReportLang::Es).expect("csv");
        assert_eq!(
            String::from_utf8(csv).expect("utf-8"),
            "\u{feff}línea,campo,motivo\n3,Importe,falta el valor obligatorio\n"
        );
        assert_eq!(
            typed.in_lang(ReportLang::Es).errors[0].reason,
            "falta el valor obligatorio"
        );
    }

    #[test]
    fn options_come_from_the_form_then_the_query() {
        let mut form = UploadForm::default();
        let query = UploadQuery {
            encoding: Some("windows-1252".into()),
            decimal: Some(",".into()),
        };
        let o = form.options(&query).expect("options");
        assert_eq!(o.decimal, Some(DecimalSeparator::Comma));
        assert_ne!(o.encoding, TextEncoding::Auto);
        form.fields.insert("decimal".into(), "auto".into());
        form.fields.insert("encoding".into(), "auto".into());
        let o = form.options(&query).expect("options");
        assert_eq!(o, ImportOptions::default());
        form.fields.insert("decimal".into(), ";".into());
        assert!(matches!(form.options(&query), Err(UploadError::BadForm(_))));
    }
}
