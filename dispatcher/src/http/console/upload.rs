//! `GET/POST /console/upload` (alta de expedientes) and
//! `GET /console/upload/{report}`: a portfolio file uploaded from the
//! browser goes through the same `portfolios::ingest` as `POST
//! /api/portfolios` (same importer, same tenancy); the result (counts and
//! every refused row with its line, field and reason) is kept for the
//! session (`upload_reports`) and shown after a redirect, with the refused
//! rows downloadable as a CSV. The kept result holds each row's reason as
//! data, so the page and the CSV word it in the reader's language.

use std::collections::HashMap;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cobro_campaigns::import::ReportLang;
use minijinja::context;
use serde::Serialize;

use super::session::ConsoleSession;
use super::texts::Lang;
use crate::http::AppState;
use crate::http::portfolios::{
    MAX_UPLOAD_MB, RowProblem, UploadError, UploadOutcome, UploadQuery, ingest, read_form,
};

/// Refused rows listed on the page; the download has them all.
const SHOWN_ERRORS: usize = 500;

/// The page's own words.
#[derive(Serialize)]
struct UploadTexts {
    title: &'static str,
    intro: &'static str,
    file: &'static str,
    file_help: &'static str,
    encoding: &'static str,
    decimal: &'static str,
    auto: &'static str,
    comma: &'static str,
    dot: &'static str,
    submit: &'static str,
    confined: &'static str,
    result: &'static str,
    rows_read: &'static str,
    accepted: &'static str,
    rejected: &'static str,
    all_good: &'static str,
    line: &'static str,
    field: &'static str,
    reason: &'static str,
    download: &'static str,
    shown_first: &'static str,
    no_file: &'static str,
    too_large: &'static str,
    file_error: &'static str,
    store_error: &'static str,
}

const ES: UploadTexts = UploadTexts {
    title: "Alta de expedientes",
    intro: "Suba la cartera como CSV (separado por comas o por punto y coma, como lo guarda Excel) o como libro de Excel (.xlsx). Se guardan las filas correctas; las filas con errores se informan con su línea y se pueden corregir y volver a subir.",
    file: "Archivo (CSV o XLSX)",
    file_help: "Hasta {mb} MB. Columnas como en «cobro import»: expediente, empresa, nombre, importe, moneda, fecha de vencimiento, país y al menos un teléfono o correo.",
    encoding: "Codificación del texto",
    decimal: "Separador decimal",
    auto: "Detectar",
    comma: "Coma (1.234,56)",
    dot: "Punto (1,234.56)",
    submit: "Subir",
    confined: "Solo se aceptan expedientes de su acreedor ({creditor}).",
    result: "Resultado",
    rows_read: "Filas leídas",
    accepted: "Aceptadas",
    rejected: "Rechazadas",
    all_good: "Todas las filas fueron aceptadas.",
    line: "Línea",
    field: "Campo",
    reason: "Motivo",
    download: "Descargar el informe de errores (CSV)",
    shown_first: "Se muestran los primeros {shown} errores de {total}; el informe los tiene todos.",
    no_file: "Elija un archivo para subir.",
    too_large: "El archivo supera los {mb} MB. Divídalo o cárguelo con «cobro import».",
    file_error: "No se pudo importar el archivo: {error}",
    store_error: "No se pudo guardar. Vuelva a intentarlo en un momento.",
};

const EN: UploadTexts = UploadTexts {
    title: "Upload accounts",
    intro: "Upload the portfolio as a CSV (comma- or semicolon-separated, as Excel saves it) or as an Excel workbook (.xlsx). Good rows are stored; rows with errors are listed with their line, to be fixed and uploaded again.",
    file: "File (CSV or XLSX)",
    file_help: "Up to {mb} MB. Columns as for `cobro import`: id, creditor, name, amount, currency, due date, country and at least one phone or email.",
    encoding: "Text encoding",
    decimal: "Decimal separator",
    auto: "Detect",
    comma: "Comma (1.234,56)",
    dot: "Point (1,234.56)",
    submit: "Upload",
    confined: "Only accounts of your creditor ({creditor}) are accepted.",
    result: "Result",
    rows_read: "Rows read",
    accepted: "Accepted",
    rejected: "Rejected",
    all_good: "Every row was accepted.",
    line: "Line",
    field: "Field",
    reason: "Reason",
    download: "Download the error report (CSV)",
    shown_first: "Showing the first {shown} of {total} errors; the report has them all.",
    no_file: "Choose a file to upload.",
    too_large: "The file is over {mb} MB. Split it or load it with `cobro import`.",
    file_error: "The file could not be imported: {error}",
    store_error: "It could not be stored. Try again in a moment.",
};

/// The language the importer's row reasons are worded in for a console
/// reader.
fn report_lang(lang: Lang) -> ReportLang {
    match lang {
        Lang::Es => ReportLang::Es,
        Lang::En => ReportLang::En,
    }
}

fn page_texts(lang: Lang) -> &'static UploadTexts {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

/// The page: the form, the result of `?report=` when it is this session's,
/// and `error` (with `status`) when an upload failed as a whole.
fn show(
    me: &ConsoleSession,
    result: Option<(&str, &UploadOutcome)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let p = page_texts(me.lang);
    let (report, outcome) = result.unzip();
    let errors: Option<Vec<RowProblem>> = outcome.map(|o| {
        o.errors
            .iter()
            .take(SHOWN_ERRORS)
            .map(|e| e.in_lang(report_lang(me.lang)))
            .collect()
    });
    let more = outcome.filter(|o| o.errors.len() > SHOWN_ERRORS).map(|o| {
        p.shown_first
            .replace("{shown}", &SHOWN_ERRORS.to_string())
            .replace("{total}", &o.errors.len().to_string())
    });
    let confined = me
        .confined_to()
        .map(|c| p.confined.replace("{creditor}", &c));
    let mut resp = me.page(
        "upload.html",
        p.title,
        context! {
            p,
            file_help => p.file_help.replace("{mb}", &MAX_UPLOAD_MB.to_string()),
            confined,
            error,
            report,
            outcome,
            errors,
            more,
        },
    );
    *resp.status_mut() = status;
    resp
}

/// The upload form, and the result of an upload (`?report=`).
#[utoipa::path(get, path = "/console/upload", tag = "console", responses(
    (status = 200, description = "the form (and the result of `report`)", content_type = "text/html"),
    (status = 303, description = "not signed in: to the login page"),
    (status = 403, description = "a role that may not upload", content_type = "text/html"),
    (status = 404, description = "a report that is not this session's", content_type = "text/html"),
))]
pub async fn form(
    State(state): State<AppState>,
    me: ConsoleSession,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match query.get("report").filter(|r| !r.is_empty()) {
        None => show(&me, None, None, StatusCode::OK),
        Some(id) => match state.uploads.get(id, &me.session.id_hash) {
            Some(kept) => show(&me, Some((id, &kept.outcome)), None, StatusCode::OK),
            None => me.not_found(),
        },
    }
}

/// Imports the uploaded file and redirects to its result.
#[utoipa::path(post, path = "/console/upload", tag = "console", responses(
    (status = 303, description = "imported: to the result (`/console/upload?report=...`)"),
    (status = 400, description = "no file, or an unknown encoding or separator", content_type = "text/html"),
    (status = 403, description = "missing or wrong csrf, or a role that may not upload", content_type = "text/html"),
    (status = 413, description = "larger than 20 MB", content_type = "text/html"),
    (status = 422, description = "the file as a whole cannot be imported", content_type = "text/html"),
))]
pub async fn submit(
    State(state): State<AppState>,
    me: ConsoleSession,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let p = page_texts(me.lang);
    let failed = |e: UploadError| {
        let message = match &e {
            UploadError::TooLarge => p.too_large.replace("{mb}", &MAX_UPLOAD_MB.to_string()),
            e if !e.is_senders() => p.store_error.to_string(),
            UploadError::File(file) => p
                .file_error
                .replace("{error}", &file.text(report_lang(me.lang))),
            other => p.file_error.replace("{error}", &other.to_string()),
        };
        show(&me, None, Some(message), e.status())
    };
    let mut form = match read_form(multipart).await {
        Ok(form) => form,
        Err(e) => return failed(e),
    };
    if !me.csrf_ok(form.fields.get("csrf").map(String::as_str).unwrap_or("")) {
        return me.expired_form();
    }
    let options = match form.options(&UploadQuery::default()) {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let bytes = match form.file.take().filter(|b| !b.is_empty()) {
        Some(b) => b,
        None => {
            return show(
                &me,
                None,
                Some(p.no_file.to_string()),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let outcome = match ingest(
        state.store.as_ref(),
        &me.principal,
        &form.file_name,
        bytes,
        options,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let id = state
        .uploads
        .keep(&me.session.id_hash, &form.file_name, outcome);
    Redirect::to(&format!("/console/upload?report={id}")).into_response()
}

/// The refused rows of an upload as a CSV (`line,field,reason`).
#[utoipa::path(get, path = "/console/upload/{report}", tag = "console",
    params(("report" = String, Path, description = "the id the upload's result page links to")),
    responses(
        (status = 200, description = "the error report", content_type = "text/csv"),
        (status = 303, description = "not signed in: to the login page"),
        (status = 404, description = "not this session's report, or expired", content_type = "text/html"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    me: ConsoleSession,
    Path(report): Path<String>,
) -> Response {
    let Some(kept) = state.uploads.get(&report, &me.session.id_hash) else {
        return me.not_found();
    };
    let csv = match kept.outcome.errors_csv(report_lang(me.lang)) {
        Ok(csv) => csv,
        Err(e) => {
            tracing::error!(error = %e, "error report could not be written");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the report could not be written",
            )
                .into_response();
        }
    };
    let stem: String = kept
        .file_name
        .rsplit_once('.')
        .map_or(kept.file_name.as_str(), |(stem, _)| stem)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(60)
        .collect();
    let name = if stem.is_empty() {
        "errores.csv".to_string()
    } else {
        format!("{stem}-errores.csv")
    };
    let mut resp = csv.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
