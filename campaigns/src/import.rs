//! Portfolio import: CSV or JSONL files of overdue accounts into
//! [`Account`]s, with every bad row reported as `line N: field: reason`
//! and skipped while every good row is kept.
//!
//! Collections shops receive portfolios from creditors in whatever shape
//! their systems export, so the importer is lenient about *form* (Spanish
//! or English column names, case and accents, `,`/`;`/tab delimiters, a
//! UTF-8 BOM, `DD/MM/YYYY` dates, local phone formats) and strict about
//! *meaning* (a phone that cannot be dialled, a country or zone that does
//! not exist, a negative debt). The column set is documented in
//! `campaigns/PORTFOLIO.md`.
//!
//! File-level problems (unreadable file, no header, a required column
//! missing) are [`ImportError`]s; everything about one row is a
//! [`RowError`] in the report.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::iso;
use crate::{
    Account, AccountFlag, AddressKind, Consent, ContactFlag, ContactPoint, ContactRole, Provenance,
};

/// The two file formats a portfolio can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioFormat {
    /// Comma-, semicolon- or tab-separated with a header line.
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
}

impl PortfolioFormat {
    /// The format implied by a file's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(PortfolioFormat::Csv),
            "jsonl" | "ndjson" => Some(PortfolioFormat::Jsonl),
            _ => None,
        }
    }
}

/// One problem with one row. A row may have several; it is skipped once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based physical line in the file (the CSV header is line 1).
    pub line: usize,
    /// The column as written in the file (or the canonical name when the
    /// column is missing altogether).
    pub field: String,
    pub reason: String,
}

impl RowError {
    fn new(line: usize, field: impl Into<String>, reason: impl Into<String>) -> Self {
        RowError {
            line,
            field: printable(field.into()),
            reason: printable(reason.into()),
        }
    }
}

/// Reasons quote the offending value: control characters are escaped so
/// a value cannot forge lines of the report (`\r\nBcc: …`), and a huge
/// value is cut so the report stays readable.
fn printable(text: String) -> String {
    const MAX_CHARS: usize = 300;
    if !text.chars().any(char::is_control) && text.len() <= MAX_CHARS {
        return text;
    }
    let total = text.chars().count();
    let mut out = String::new();
    for c in text.chars().take(MAX_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if total > MAX_CHARS {
        out.push_str(&format!("… ({} characters in all)", total));
    }
    out
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// Everything an import produced, for files small enough to hold in
/// memory. Large portfolios use [`import_reader_each`] instead.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub accounts: Vec<Account>,
    pub errors: Vec<RowError>,
    /// Data rows seen (blank lines and the header excluded).
    pub rows_read: usize,
}

impl ImportReport {
    /// Rows that were skipped (a row with several errors counts once).
    pub fn bad_rows(&self) -> usize {
        self.rows_read - self.accounts.len()
    }

    /// Whether every row was accepted.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// The summary `cobro import` prints: one headline, then every error.
    pub fn render_text(&self, origin: &str) -> String {
        render(origin, self.rows_read, self.accounts.len(), &self.errors)
    }
}

/// What a streaming import returns: counts and errors, the accounts having
/// gone to the callback.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub rows_read: usize,
    pub accepted: usize,
    pub errors: Vec<RowError>,
}

impl ImportSummary {
    pub fn bad_rows(&self) -> usize {
        self.rows_read - self.accepted
    }

    pub fn render_text(&self, origin: &str) -> String {
        render(origin, self.rows_read, self.accepted, &self.errors)
    }
}

fn render(origin: &str, rows: usize, accepted: usize, errors: &[RowError]) -> String {
    let mut out = format!(
        "{origin}: {rows} rows read, {accepted} accepted, {} rejected\n",
        rows - accepted
    );
    for e in errors {
        out.push_str(&format!("{origin}: {e}\n"));
    }
    out
}

/// A problem with the file as a whole: nothing sensible can be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{origin}: cannot read the file: {source}")]
    Io {
        origin: String,
        #[source]
        source: io::Error,
    },
    #[error("{origin}: unknown portfolio format (use a .csv, .jsonl or .ndjson file)")]
    UnknownFormat { origin: String },
    #[error("{origin}: the file is empty (a CSV portfolio needs a header line)")]
    Empty { origin: String },
    #[error("{origin}:1: header: {reason}")]
    BadHeader { origin: String, reason: String },
    #[error("{origin}:1: header: missing required column '{column}' (also accepted: {aliases})")]
    MissingColumn {
        origin: String,
        column: String,
        aliases: String,
    },
    #[error("{origin}:{line}: cannot read the CSV: {reason}")]
    Csv {
        origin: String,
        line: usize,
        reason: String,
    },
}

impl ImportError {
    /// Whether the file could not be read at all (as opposed to being
    /// readable but malformed).
    pub fn is_io(&self) -> bool {
        matches!(self, ImportError::Io { .. })
    }

    /// Whether the header lacks a required column.
    pub fn is_missing_column(&self) -> bool {
        matches!(self, ImportError::MissingColumn { .. })
    }
}

/// Imports a whole file into memory, choosing the format by extension.
pub fn import_path(path: &Path) -> Result<ImportReport, ImportError> {
    let mut accounts = Vec::new();
    let summary = import_path_each(path, |a| accounts.push(a))?;
    Ok(ImportReport {
        accounts,
        errors: summary.errors,
        rows_read: summary.rows_read,
    })
}

/// Streams a file: each accepted account goes to `on_account` in file
/// order, so a million rows can be stored in batches without holding them.
pub fn import_path_each(
    path: &Path,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let origin = path.display().to_string();
    let format = PortfolioFormat::from_path(path).ok_or_else(|| ImportError::UnknownFormat {
        origin: origin.clone(),
    })?;
    let file = File::open(path).map_err(|source| ImportError::Io {
        origin: origin.clone(),
        source,
    })?;
    import_reader_each(file, format, &origin, on_account)
}

/// Imports from any reader; `origin` names it in messages.
pub fn import_reader<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
) -> Result<ImportReport, ImportError> {
    let mut accounts = Vec::new();
    let summary = import_reader_each(reader, format, origin, |a| accounts.push(a))?;
    Ok(ImportReport {
        accounts,
        errors: summary.errors,
        rows_read: summary.rows_read,
    })
}

/// The streaming form of [`import_reader`].
pub fn import_reader_each<R: Read>(
    reader: R,
    format: PortfolioFormat,
    origin: &str,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    match format {
        PortfolioFormat::Csv => import_csv(reader, origin, on_account),
        PortfolioFormat::Jsonl => import_jsonl(reader, origin, on_account),
    }
}

// ---------------------------------------------------------------------------
// Columns

/// The account-level columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Core {
    Id,
    Creditor,
    DebtorName,
    TaxId,
    AmountDue,
    Currency,
    DueDate,
    Segment,
    Language,
    Country,
    Subdivision,
    Timezone,
    Flags,
}

const CORE_N: usize = 13;

/// Canonical name and accepted aliases (already normalised: lower case,
/// no accents, `_` for spaces) of each account column.
const CORE_COLUMNS: [(Core, &str, &[&str]); CORE_N] = [
    (
        Core::Id,
        "id",
        &["expediente", "account_id", "cuenta", "num_expediente"],
    ),
    (Core::Creditor, "creditor", &["empresa", "acreedor"]),
    (
        Core::DebtorName,
        "debtor_name",
        &["nombre", "name", "deudor", "nombre_deudor"],
    ),
    (
        Core::TaxId,
        "tax_id",
        &["nif", "rfc", "rut", "cif", "nit", "dni", "ruc"],
    ),
    (
        Core::AmountDue,
        "amount_due",
        &["importe", "monto", "saldo", "amount"],
    ),
    (Core::Currency, "currency", &["moneda", "divisa"]),
    (
        Core::DueDate,
        "due_date",
        &["fecha_vencimiento", "vencimiento"],
    ),
    (Core::Segment, "segment", &["segmento"]),
    (Core::Language, "language", &["idioma", "lang"]),
    (Core::Country, "country", &["pais"]),
    (
        Core::Subdivision,
        "subdivision",
        &["estado", "region", "provincia", "departamento"],
    ),
    (Core::Timezone, "timezone", &["zona_horaria", "tz"]),
    (Core::Flags, "flags", &["marcas"]),
];

const REQUIRED: [Core; 7] = [
    Core::Id,
    Core::Creditor,
    Core::DebtorName,
    Core::AmountDue,
    Core::Currency,
    Core::DueDate,
    Core::Country,
];

/// Up to this many phones and emails per row (`phone`, `phone2`…`phone5`).
const SLOTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhoneAttr {
    Number,
    Role,
    Provenance,
    Flags,
    ConsentSms,
    ConsentVoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmailAttr {
    Address,
    Role,
    Provenance,
    Flags,
    Consent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Col {
    Core(Core),
    Phone(usize, PhoneAttr),
    Email(usize, EmailAttr),
    Attribute(String),
    Ignored,
}

/// Lower case, accents folded, spaces/dashes/dots as `_`: `Fecha de
/// Vencimiento` and `fecha_vencimiento` name the same column.
fn normalize_key(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last_us = true;
    for c in raw.trim().trim_start_matches('\u{feff}').chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' | 'Ç' => 'c',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    // `fecha de vencimiento`, `enlace de pago`: drop Spanish articles and
    // prepositions between words so they match `fecha_vencimiento`.
    if out.contains('_') {
        let words: Vec<&str> = out
            .split('_')
            .filter(|w| !matches!(*w, "de" | "del" | "la" | "el" | "los" | "las"))
            .collect();
        if !words.is_empty() {
            out = words.join("_");
        }
    }
    out
}

fn resolve_column(raw: &str) -> Col {
    let key = normalize_key(raw);
    if key.is_empty() {
        return Col::Ignored;
    }
    for (core, name, aliases) in CORE_COLUMNS {
        if key == name || aliases.contains(&key.as_str()) {
            return Col::Core(core);
        }
    }
    match key.as_str() {
        "consent_sms" | "consentimiento_sms" => return Col::Phone(0, PhoneAttr::ConsentSms),
        "consent_voice" | "consentimiento_voz" => return Col::Phone(0, PhoneAttr::ConsentVoice),
        "consent_email" | "consentimiento_correo" | "consentimiento_email" => {
            return Col::Email(0, EmailAttr::Consent);
        }
        "enlace_pago" | "link_pago" => return Col::Attribute("payment_link".to_string()),
        _ => {}
    }
    for base in ["phone", "telefono", "celular", "movil"] {
        if let Some(rest) = key.strip_prefix(base)
            && let Some((slot, suffix)) = split_slot(rest)
        {
            let attr = match suffix {
                "" => Some(PhoneAttr::Number),
                "_role" | "_rol" => Some(PhoneAttr::Role),
                "_provenance" | "_origen" | "_procedencia" => Some(PhoneAttr::Provenance),
                "_flags" | "_marcas" => Some(PhoneAttr::Flags),
                "_consent_sms" | "_consentimiento_sms" => Some(PhoneAttr::ConsentSms),
                "_consent_voice" | "_consentimiento_voz" => Some(PhoneAttr::ConsentVoice),
                _ => None,
            };
            if let Some(attr) = attr {
                return Col::Phone(slot, attr);
            }
        }
    }
    for base in ["email", "correo", "e_mail"] {
        if let Some(rest) = key.strip_prefix(base)
            && let Some((slot, suffix)) = split_slot(rest)
        {
            let attr = match suffix {
                "" => Some(EmailAttr::Address),
                "_role" | "_rol" => Some(EmailAttr::Role),
                "_provenance" | "_origen" | "_procedencia" => Some(EmailAttr::Provenance),
                "_flags" | "_marcas" => Some(EmailAttr::Flags),
                "_consent" | "_consentimiento" => Some(EmailAttr::Consent),
                _ => None,
            };
            if let Some(attr) = attr {
                return Col::Email(slot, attr);
            }
        }
    }
    Col::Attribute(key)
}

/// `"2_role"` → slot 1 and `"_role"`; `"_role"` → slot 0. Slots are
/// numbered from 1 in files (`phone`, `phone2`…) and from 0 here.
fn split_slot(rest: &str) -> Option<(usize, &str)> {
    let trimmed = rest
        .strip_prefix('_')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    let r = trimmed.unwrap_or(rest);
    match r.as_bytes().first() {
        Some(d @ b'1'..=b'9') => {
            let n = (d - b'0') as usize;
            if n > SLOTS || r[1..].starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            Some((n - 1, &r[1..]))
        }
        _ => Some((0, rest)),
    }
}

/// Display names of every field, for error messages: the header as the
/// operator wrote it when there is one, else the canonical name.
#[derive(Debug, Clone)]
struct FieldNames {
    core: [String; CORE_N],
    phone: [[String; 6]; SLOTS],
    email: [[String; 5]; SLOTS],
}

impl Default for FieldNames {
    fn default() -> Self {
        let core = std::array::from_fn(|i| CORE_COLUMNS[i].1.to_string());
        let phone = std::array::from_fn(|s| {
            let n = if s == 0 {
                String::new()
            } else {
                (s + 1).to_string()
            };
            [
                format!("phone{n}"),
                format!("phone{n}_role"),
                format!("phone{n}_provenance"),
                format!("phone{n}_flags"),
                if s == 0 {
                    "consent_sms".into()
                } else {
                    format!("phone{n}_consent_sms")
                },
                if s == 0 {
                    "consent_voice".into()
                } else {
                    format!("phone{n}_consent_voice")
                },
            ]
        });
        let email = std::array::from_fn(|s| {
            let n = if s == 0 {
                String::new()
            } else {
                (s + 1).to_string()
            };
            [
                format!("email{n}"),
                format!("email{n}_role"),
                format!("email{n}_provenance"),
                format!("email{n}_flags"),
                if s == 0 {
                    "consent_email".into()
                } else {
                    format!("email{n}_consent")
                },
            ]
        });
        FieldNames { core, phone, email }
    }
}

impl FieldNames {
    fn core(&self, c: Core) -> &str {
        &self.core[c as usize]
    }
    fn phone(&self, slot: usize, a: PhoneAttr) -> &str {
        &self.phone[slot][a as usize]
    }
    fn email(&self, slot: usize, a: EmailAttr) -> &str {
        &self.email[slot][a as usize]
    }
}

// ---------------------------------------------------------------------------
// One row, format-independent

#[derive(Debug, Default, Clone, Copy)]
struct PhoneView<'a> {
    vals: [Option<&'a str>; 6],
}

#[derive(Debug, Default, Clone, Copy)]
struct EmailView<'a> {
    vals: [Option<&'a str>; 5],
}

/// The raw text of one row's fields, borrowed from the record.
#[derive(Debug, Default)]
struct RowView<'a> {
    core: [Option<&'a str>; CORE_N],
    phones: [PhoneView<'a>; SLOTS],
    emails: [EmailView<'a>; SLOTS],
    attributes: Vec<(&'a str, &'a str)>,
    /// JSONL only: a full `contact_points` array.
    contact_points: Option<&'a serde_json::Value>,
}

fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// Parses a value `required` found; a parse failure becomes the row's
/// error for `field`.
fn parse_present<T>(
    value: Option<String>,
    line: usize,
    field: &str,
    errs: &mut Vec<RowError>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    parse(&value?)
        .map_err(|reason| errs.push(RowError::new(line, field, reason)))
        .ok()
}

/// Validates one row into an account, or every problem found in it.
fn build_account(
    view: &RowView<'_>,
    names: &FieldNames,
    line: usize,
) -> Result<Account, Vec<RowError>> {
    let mut errs = Vec::new();
    let get = |c: Core| nonempty(view.core[c as usize]);
    let required = |c: Core, errs: &mut Vec<RowError>| -> Option<String> {
        match get(c) {
            Some(v) => Some(v.to_string()),
            None => {
                errs.push(RowError::new(
                    line,
                    names.core(c),
                    "required value is missing",
                ));
                None
            }
        }
    };

    let id = required(Core::Id, &mut errs);
    if let Some(id) = &id
        && let Err(reason) = check_id(id)
    {
        errs.push(RowError::new(line, names.core(Core::Id), reason));
    }
    let creditor = required(Core::Creditor, &mut errs);
    let debtor_name = required(Core::DebtorName, &mut errs);
    let tax_id = get(Core::TaxId).map(str::to_string);

    let country = parse_present(
        required(Core::Country, &mut errs),
        line,
        names.core(Core::Country),
        &mut errs,
        parse_country,
    );

    let currency = parse_present(
        required(Core::Currency, &mut errs),
        line,
        names.core(Core::Currency),
        &mut errs,
        parse_currency,
    );

    let amount_due = parse_present(
        required(Core::AmountDue, &mut errs),
        line,
        names.core(Core::AmountDue),
        &mut errs,
        |raw| parse_amount(raw, currency.as_ref().map(|(_, d)| *d)),
    );

    let due_date = parse_present(
        required(Core::DueDate, &mut errs),
        line,
        names.core(Core::DueDate),
        &mut errs,
        parse_date,
    );

    let segment = get(Core::Segment).map(|s| s.to_lowercase());

    let subdivision = match (get(Core::Subdivision), &country) {
        (None, _) => None,
        (Some(raw), Some(country)) => match parse_subdivision(raw, country) {
            Ok(s) => Some(s),
            Err(r) => {
                errs.push(RowError::new(line, names.core(Core::Subdivision), r));
                None
            }
        },
        // Without a valid country the subdivision cannot be checked; the
        // country error already rejects the row.
        (Some(_), None) => None,
    };

    let timezone = match get(Core::Timezone) {
        None => None,
        Some(raw) => match parse_timezone(raw) {
            Ok(z) => Some(z),
            Err(r) => {
                errs.push(RowError::new(line, names.core(Core::Timezone), r));
                None
            }
        },
    };

    let language = match get(Core::Language) {
        Some(raw) => match parse_language(raw) {
            Ok(l) => Some(l),
            Err(r) => {
                errs.push(RowError::new(line, names.core(Core::Language), r));
                None
            }
        },
        None => country.as_deref().map(iso::default_language),
    };

    let flags = match get(Core::Flags) {
        None => BTreeSet::new(),
        Some(raw) => match parse_list(raw, AccountFlag::parse) {
            Ok(f) => f,
            Err(bad) => {
                errs.push(RowError::new(
                    line,
                    names.core(Core::Flags),
                    format!(
                        "unknown flag '{bad}' (expected minor, deceased, disputed, bankrupt, cease_communication or sued)"
                    ),
                ));
                BTreeSet::new()
            }
        },
    };

    let mut contact_points = Vec::new();
    for (slot, p) in view.phones.iter().enumerate() {
        let number = nonempty(p.vals[PhoneAttr::Number as usize]);
        let field = |a: PhoneAttr| names.phone(slot, a);
        let Some(number) = number else {
            continue;
        };
        let address = match normalize_phone(number, country.as_deref()) {
            Ok(a) => Some(a),
            Err(r) => {
                errs.push(RowError::new(line, field(PhoneAttr::Number), r));
                None
            }
        };
        let role = parse_role(nonempty(p.vals[PhoneAttr::Role as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::Role), r)))
            .ok();
        let provenance = parse_provenance(nonempty(p.vals[PhoneAttr::Provenance as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::Provenance), r)))
            .ok();
        let cflags = parse_contact_flags(nonempty(p.vals[PhoneAttr::Flags as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::Flags), r)))
            .ok();
        let sms = parse_consent(nonempty(p.vals[PhoneAttr::ConsentSms as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::ConsentSms), r)))
            .ok();
        let voice = parse_consent(nonempty(p.vals[PhoneAttr::ConsentVoice as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(PhoneAttr::ConsentVoice), r)))
            .ok();
        if let (Some(address), Some(role), Some(provenance), Some(flags), Some(sms), Some(voice)) =
            (address, role, provenance, cflags, sms, voice)
        {
            contact_points.push(ContactPoint {
                kind: AddressKind::Phone,
                address,
                role,
                provenance,
                consent: Consent {
                    email: None,
                    sms,
                    voice,
                },
                flags,
            });
        }
    }
    for (slot, e) in view.emails.iter().enumerate() {
        let field = |a: EmailAttr| names.email(slot, a);
        let Some(raw) = nonempty(e.vals[EmailAttr::Address as usize]) else {
            continue;
        };
        let address = normalize_email(raw)
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Address), r)))
            .ok();
        let role = parse_role(nonempty(e.vals[EmailAttr::Role as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Role), r)))
            .ok();
        let provenance = parse_provenance(nonempty(e.vals[EmailAttr::Provenance as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Provenance), r)))
            .ok();
        let cflags = parse_contact_flags(nonempty(e.vals[EmailAttr::Flags as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Flags), r)))
            .ok();
        let consent = parse_consent(nonempty(e.vals[EmailAttr::Consent as usize]))
            .map_err(|r| errs.push(RowError::new(line, field(EmailAttr::Consent), r)))
            .ok();
        if let (Some(address), Some(role), Some(provenance), Some(flags), Some(email)) =
            (address, role, provenance, cflags, consent)
        {
            contact_points.push(ContactPoint {
                kind: AddressKind::Email,
                address,
                role,
                provenance,
                consent: Consent {
                    email,
                    sms: None,
                    voice: None,
                },
                flags,
            });
        }
    }
    if let Some(value) = view.contact_points {
        match serde_json::from_value::<Vec<ContactPoint>>(value.clone()) {
            Err(e) => errs.push(RowError::new(line, "contact_points", e.to_string())),
            Ok(points) => {
                for (i, mut cp) in points.into_iter().enumerate() {
                    let normalized = match cp.kind {
                        AddressKind::Phone => normalize_phone(&cp.address, country.as_deref()),
                        AddressKind::Email => normalize_email(&cp.address),
                    };
                    match normalized {
                        Ok(a) => {
                            cp.address = a;
                            contact_points.push(cp);
                        }
                        Err(r) => errs.push(RowError::new(
                            line,
                            format!("contact_points[{i}].address"),
                            r,
                        )),
                    }
                }
            }
        }
    }
    let any_address_given = view.phones.iter().any(|p| nonempty(p.vals[0]).is_some())
        || view.emails.iter().any(|e| nonempty(e.vals[0]).is_some())
        || view
            .contact_points
            .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()));
    if !any_address_given {
        errs.push(RowError::new(
            line,
            names.phone(0, PhoneAttr::Number),
            "at least one phone or email is required",
        ));
    }

    let mut attributes = BTreeMap::new();
    for (k, v) in &view.attributes {
        let v = v.trim();
        if !v.is_empty() {
            attributes.insert((*k).to_string(), v.to_string());
        }
    }

    if !errs.is_empty() {
        return Err(errs);
    }
    // Every `None` above pushed an error, so all are present here; the
    // match keeps that explicit without unwrap.
    match (
        id,
        creditor,
        debtor_name,
        amount_due,
        currency,
        due_date,
        country,
        language,
    ) {
        (
            Some(id),
            Some(creditor),
            Some(debtor_name),
            Some(amount_due),
            Some((currency, _)),
            Some(due_date),
            Some(country),
            Some(language),
        ) => Ok(Account {
            id,
            creditor,
            debtor_name,
            tax_id,
            amount_due,
            currency,
            due_date,
            segment,
            language,
            country,
            subdivision,
            timezone,
            flags,
            contact_points,
            attributes,
        }),
        _ => Err(vec![RowError::new(line, "row", "incomplete row")]),
    }
}

// ---------------------------------------------------------------------------
// Field rules (public so other crates and tests can reuse them)

/// Account ids become part of contact ids (`campaign/account/step`), so
/// they may not contain `/` or whitespace.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.len() > 128 {
        return Err("id is longer than 128 characters".into());
    }
    if let Some(c) = id
        .chars()
        .find(|c| *c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "id '{id}' contains {c:?}; ids may not contain '/', spaces or control characters"
        ));
    }
    Ok(())
}

/// ISO 3166-1 alpha-2, case-insensitive; returns the upper-case code.
pub fn parse_country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "'{raw}' is not an ISO 3166-1 alpha-2 country code (e.g. MX, CO, US)"
        ));
    }
    if !iso::is_country(&code) {
        return Err(format!("unknown country code '{code}'"));
    }
    Ok(code)
}

/// ISO 4217, case-insensitive; returns the code and its decimals.
pub fn parse_currency(raw: &str) -> Result<(String, u32), String> {
    let code = raw.trim().to_ascii_uppercase();
    match iso::currency_decimals(&code) {
        Some(d) => Ok((code, d)),
        None => Err(format!(
            "unknown ISO 4217 currency code '{raw}' (e.g. MXN, COP, CLP, PEN, USD)"
        )),
    }
}

/// A plain positive decimal with `.` as separator and no more decimals
/// than the currency has (`None`: unknown currency, allow 2). Thousands
/// separators and exponents are refused rather than guessed at.
pub fn parse_amount(raw: &str, decimals: Option<u32>) -> Result<Decimal, String> {
    let s = raw.trim();
    if s.starts_with('-') {
        return Err(format!("negative amount '{s}'"));
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(int) || !frac.is_none_or(digits_ok) {
        if body.contains(',') {
            return Err(format!(
                "'{s}' is not a plain decimal: use '.' as the decimal separator and no thousands separators (e.g. 1234.56)"
            ));
        }
        return Err(format!("'{s}' is not a decimal amount (e.g. 1234.56)"));
    }
    let value =
        Decimal::from_str(body).map_err(|e| format!("'{s}' is not a decimal amount: {e}"))?;
    let value = value.normalize();
    let max = decimals.unwrap_or(2);
    if value.scale() > max {
        return Err(if max == 0 {
            format!("'{s}' has decimals but the currency has none")
        } else {
            format!("'{s}' has more than {max} decimals")
        });
    }
    if value.is_zero() {
        return Err("amount must be greater than zero".into());
    }
    let mut value = value;
    value.rescale(max);
    Ok(value)
}

/// `YYYY-MM-DD`, or `DD/MM/YYYY` as Latin American and Spanish systems
/// export it. `MM/DD/YYYY` is never guessed.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let s = raw.trim();
    let parsed = if s.contains('/') {
        NaiveDate::parse_from_str(s, "%d/%m/%Y")
    } else {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
    };
    let d = parsed.map_err(|_| format!("'{s}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"))?;
    use chrono::Datelike;
    if !(1900..=2200).contains(&d.year()) {
        return Err(format!("'{s}': year {} is out of range", d.year()));
    }
    Ok(d)
}

/// ISO 3166-2 (`MX-BCN`; `BCN` is read as the row country's), checked
/// against the embedded lists where cobro has them and for shape
/// elsewhere.
pub fn parse_subdivision(raw: &str, country: &str) -> Result<String, String> {
    let up = raw.trim().to_ascii_uppercase();
    let code = if up.contains('-') {
        up
    } else {
        format!("{country}-{up}")
    };
    let Some((prefix, suffix)) = code.split_once('-') else {
        return Err(format!("'{raw}' is not an ISO 3166-2 code"));
    };
    let shape_ok = prefix.len() == 2
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=3).contains(&suffix.len())
        && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
    if !shape_ok {
        return Err(format!("'{raw}' is not an ISO 3166-2 code (e.g. MX-BCN)"));
    }
    if prefix != country {
        return Err(format!("subdivision '{code}' is not in country {country}"));
    }
    if let Some(list) = iso::subdivisions_of(country)
        && !list.contains(&suffix)
    {
        return Err(format!(
            "unknown subdivision '{code}' for country {country}"
        ));
    }
    Ok(code)
}

/// An IANA zone name known to the embedded tz database; returns its
/// canonical spelling.
pub fn parse_timezone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    match chrono_tz::Tz::from_str(s) {
        Ok(tz) => Ok(tz.name().to_string()),
        Err(_) => Err(format!(
            "unknown IANA time zone '{s}' (e.g. America/Mexico_City)"
        )),
    }
}

/// `es`, `es-MX`, `es_mx` → `es-MX`.
pub fn parse_language(raw: &str) -> Result<String, String> {
    let s = raw.trim().replace('_', "-");
    let (lang, region) = match s.split_once('-') {
        Some((l, r)) => (l, Some(r)),
        None => (s.as_str(), None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok =
        region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()));
    if !lang_ok || !region_ok {
        return Err(format!("'{raw}' is not a language tag (e.g. es-MX, en-US)"));
    }
    Ok(match region {
        Some(r) => format!("{}-{}", lang.to_ascii_lowercase(), r.to_ascii_uppercase()),
        None => lang.to_ascii_lowercase(),
    })
}

/// Normalises a phone number to E.164, reading national formats with the
/// row's country as default region. Numbers that are well-formed but not
/// dialable in that country's numbering plan are refused: sending to them
/// wastes money and may reach someone else.
pub fn normalize_phone(raw: &str, country: Option<&str>) -> Result<String, String> {
    let s = raw.trim();
    let region = country.and_then(|c| phonenumber::country::Id::from_str(c).ok());
    if region.is_none() && !s.starts_with('+') {
        return Err(format!(
            "'{s}' has no country code and the row has no usable country"
        ));
    }
    let number =
        phonenumber::parse(region, s).map_err(|_| format!("'{s}' is not a phone number"))?;
    // E.164 is `+`, the country code, then the national number with its
    // leading zeros (Italy); validity is judged on those same digits.
    let national = number.national().to_string();
    if !crate::phone::is_valid(&number, &national) {
        let c = country.unwrap_or("its country");
        return Err(format!("'{s}' is not a valid phone number for {c}"));
    }
    let code = number.code().value().to_string();
    let mut out = String::with_capacity(1 + code.len() + national.len());
    out.push('+');
    out.push_str(&code);
    out.push_str(&national);
    Ok(out)
}

/// A practical mailbox check: one `@`, a plausible local part, a dotted
/// domain with an alphabetic TLD. Lower-cased, because providers and
/// suppression lists compare addresses that way.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = |why: &str| Err(format!("'{s}' is not a valid email address: {why}"));
    if s.len() > 254 {
        return bad("too long");
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return bad("missing '@'");
    };
    if local.is_empty() || local.len() > 64 {
        return bad("empty or too long local part");
    }
    const LOCAL_SPECIAL: &[u8] = b"!#$%&'*+-/=?^_`{|}~.";
    if !local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || LOCAL_SPECIAL.contains(&b))
    {
        return bad("invalid character before '@'");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad("misplaced '.' before '@'");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return bad("the domain has no '.'");
    }
    for l in &labels {
        if l.is_empty()
            || l.len() > 63
            || l.starts_with('-')
            || l.ends_with('-')
            || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return bad("invalid domain");
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return bad("invalid top-level domain");
    }
    Ok(s.to_ascii_lowercase())
}

/// `yes/no`, `true/false`, `si/no`, `1/0`; empty means not recorded.
pub fn parse_consent(raw: Option<&str>) -> Result<Option<bool>, String> {
    let Some(s) = raw else { return Ok(None) };
    let v = s.trim();
    const YES: [&str; 9] = ["yes", "y", "true", "t", "1", "si", "sí", "s", "x"];
    const NO: [&str; 5] = ["no", "n", "false", "f", "0"];
    if v.is_empty() {
        Ok(None)
    } else if YES.iter().any(|y| y.eq_ignore_ascii_case(v)) || v == "SÍ" || v == "Sí" {
        Ok(Some(true))
    } else if NO.iter().any(|n| n.eq_ignore_ascii_case(v)) {
        Ok(Some(false))
    } else {
        Err(format!(
            "'{s}' is not a consent value (use yes/no, si/no, true/false or 1/0)"
        ))
    }
}

fn parse_role(raw: Option<&str>) -> Result<ContactRole, String> {
    match raw {
        None => Ok(ContactRole::Debtor),
        Some(s) => ContactRole::parse(s).ok_or_else(|| {
            format!("unknown role '{s}' (expected debtor, guarantor, co_obligor, third_party, reference or employer)")
        }),
    }
}

fn parse_provenance(raw: Option<&str>) -> Result<Provenance, String> {
    match raw {
        None => Ok(Provenance::CreditorFile),
        Some(s) => Provenance::parse(s).ok_or_else(|| {
            format!(
                "unknown provenance '{s}' (expected creditor_file, debtor_provided or skip_traced)"
            )
        }),
    }
}

fn parse_contact_flags(raw: Option<&str>) -> Result<BTreeSet<ContactFlag>, String> {
    match raw {
        None => Ok(BTreeSet::new()),
        Some(s) => parse_list(s, ContactFlag::parse).map_err(|bad| {
            format!("unknown flag '{bad}' (expected reassigned, employer_email or landline)")
        }),
    }
}

/// `a;b`, `a,b` or `a|b`; returns the first unknown item on failure.
fn parse_list<T: Ord>(raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<BTreeSet<T>, String> {
    let mut out = BTreeSet::new();
    for item in raw
        .split([';', ',', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match parse(item) {
            Some(v) => {
                out.insert(v);
            }
            None => return Err(item.to_string()),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Duplicate ids

/// Remembers ids in file order so the *second* occurrence is the bad row.
#[derive(Default)]
struct SeenIds(HashMap<String, usize>);

impl SeenIds {
    fn check(&mut self, id: &str, line: usize, field: &str) -> Option<RowError> {
        match self.0.get(id) {
            Some(first) => Some(RowError::new(
                line,
                field,
                format!("duplicated id '{id}' (first seen on line {first})"),
            )),
            None => {
                self.0.insert(id.to_string(), line);
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------
// CSV

struct CsvSchema {
    cols: Vec<Col>,
    names: FieldNames,
    /// Header text per column, for column-level messages.
    headers: Vec<String>,
    id_col: Option<usize>,
}

impl CsvSchema {
    fn from_header(header: &csv::ByteRecord, origin: &str) -> Result<Self, ImportError> {
        let mut cols = Vec::with_capacity(header.len());
        let mut names = FieldNames::default();
        let mut headers = Vec::with_capacity(header.len());
        let mut first_of: HashMap<String, String> = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let text = std::str::from_utf8(raw).map_err(|_| ImportError::BadHeader {
                origin: origin.to_string(),
                reason: format!("column {} is not valid UTF-8", i + 1),
            })?;
            let text = text.trim().trim_start_matches('\u{feff}').to_string();
            let col = resolve_column(&text);
            let key = format!("{col:?}");
            if col != Col::Ignored
                && let Some(prev) = first_of.insert(key, text.clone())
            {
                return Err(ImportError::BadHeader {
                    origin: origin.to_string(),
                    reason: format!("columns '{prev}' and '{text}' mean the same field"),
                });
            }
            match &col {
                Col::Core(c) => names.core[*c as usize] = text.clone(),
                Col::Phone(s, a) => names.phone[*s][*a as usize] = text.clone(),
                Col::Email(s, a) => names.email[*s][*a as usize] = text.clone(),
                _ => {}
            }
            cols.push(col);
            headers.push(text);
        }
        for req in REQUIRED {
            if !cols.contains(&Col::Core(req)) {
                let (_, name, aliases) = CORE_COLUMNS[req as usize];
                return Err(ImportError::MissingColumn {
                    origin: origin.to_string(),
                    column: name.to_string(),
                    aliases: aliases.join(", "),
                });
            }
        }
        let has_address = cols.iter().any(|c| {
            matches!(
                c,
                Col::Phone(_, PhoneAttr::Number) | Col::Email(_, EmailAttr::Address)
            )
        });
        if !has_address {
            return Err(ImportError::MissingColumn {
                origin: origin.to_string(),
                column: "phone".into(),
                aliases: "telefono, email, correo (at least one phone or email column)".into(),
            });
        }
        let id_col = cols.iter().position(|c| *c == Col::Core(Core::Id));
        Ok(CsvSchema {
            cols,
            names,
            headers,
            id_col,
        })
    }

    /// Validates one record. Returns its line, the row's id (if readable)
    /// for the duplicate check, and the account or the row's errors.
    fn row(&self, rec: &csv::ByteRecord) -> RowResult {
        let line = rec.position().map_or(0, |p| p.line() as usize);
        // The id of a bad row, for the duplicate check (a good row's id is
        // in its account, so it is not copied here).
        let id_of = || {
            self.id_col
                .and_then(|i| rec.get(i))
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let n = self.cols.len();
        if rec.len() < n
            || rec
                .iter()
                .skip(n)
                .any(|f| !f.iter().all(u8::is_ascii_whitespace))
        {
            let err = RowError::new(
                line,
                "columns",
                format!("expected {n} fields as in the header, found {}", rec.len()),
            );
            return (line, id_of(), Err(vec![err]));
        }
        let mut view = RowView::default();
        let mut errs = Vec::new();
        for (i, col) in self.cols.iter().enumerate() {
            let bytes = rec.get(i).unwrap_or_default();
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let pos = e.valid_up_to();
                    let byte = bytes.get(pos).copied().unwrap_or_default();
                    errs.push(RowError::new(
                        line,
                        self.headers[i].clone(),
                        format!(
                            "not valid UTF-8 (byte 0x{byte:02X} at position {}); save the file as UTF-8",
                            pos + 1
                        ),
                    ));
                    continue;
                }
            };
            match col {
                Col::Core(c) => view.core[*c as usize] = Some(text),
                Col::Phone(s, a) => view.phones[*s].vals[*a as usize] = Some(text),
                Col::Email(s, a) => view.emails[*s].vals[*a as usize] = Some(text),
                Col::Attribute(name) => view.attributes.push((name.as_str(), text)),
                Col::Ignored => {}
            }
        }
        if !errs.is_empty() {
            return (line, id_of(), Err(errs));
        }
        match build_account(&view, &self.names, line) {
            Ok(account) => (line, None, Ok(account)),
            Err(errs) => (line, id_of(), Err(errs)),
        }
    }
}

/// A maximal run of `\r`/`\n` bytes (split every 64 bytes), with a bit
/// set for each `\n`.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    len: u8,
    newlines: u64,
}

/// Where the line terminators of the stream are, as far as it has been
/// read, so a record's byte offset can be turned into its physical line.
#[derive(Debug, Default)]
struct LineRuns {
    /// Newlines in runs already dropped (all before the last query).
    base: u64,
    runs: std::collections::VecDeque<Run>,
    open: Option<Run>,
}

impl LineRuns {
    fn see(&mut self, offset: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            let at = offset + i as u64;
            if *b == b'\n' || *b == b'\r' {
                let bit = u64::from(*b == b'\n');
                match &mut self.open {
                    Some(run) if run.len < 64 => {
                        run.newlines |= bit << run.len;
                        run.len += 1;
                    }
                    _ => {
                        if let Some(run) = self.open.take() {
                            self.runs.push_back(run);
                        }
                        self.open = Some(Run {
                            start: at,
                            len: 1,
                            newlines: bit,
                        });
                    }
                }
            } else if let Some(run) = self.open.take() {
                self.runs.push_back(run);
            }
        }
    }

    /// The 1-based line of the record csv reports at byte `p`: csv gives
    /// the offset right after the previous record's first terminator byte,
    /// so any terminators (blank lines, the `\n` of a `\r\n`) at `p`
    /// still precede the record.
    fn line_of(&mut self, p: u64) -> u64 {
        while let Some(front) = self.runs.front() {
            if front.start + u64::from(front.len) > p {
                break;
            }
            self.base += u64::from(front.newlines.count_ones());
            self.runs.pop_front();
        }
        let mut newlines = self.base;
        let mut pos = p;
        for run in self.runs.iter().chain(self.open.iter()) {
            if run.start > pos {
                break;
            }
            newlines += u64::from(run.newlines.count_ones());
            pos = run.start + u64::from(run.len);
        }
        newlines + 1
    }
}

/// A reader that notes line terminators as csv pulls bytes through it.
struct LineCounting<R> {
    inner: R,
    runs: std::rc::Rc<std::cell::RefCell<LineRuns>>,
    offset: u64,
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.runs.borrow_mut().see(self.offset, &buf[..n]);
        self.offset += n as u64;
        Ok(n)
    }
}

/// Picks the delimiter from the header line: the most frequent of `,`,
/// `;` and tab outside quotes (Excel in Spanish locales writes `;`).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - *i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn import_csv<R: Read>(
    reader: R,
    origin: &str,
    on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS);
    import_csv_with(reader, origin, workers, on_account)
}

/// [`import_csv`] with an explicit number of validation threads (below 2:
/// validate on the calling thread).
fn import_csv_with<R: Read>(
    reader: R,
    origin: &str,
    workers: usize,
    mut on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let io_err = |source| ImportError::Io {
        origin: origin.to_string(),
        source,
    };
    let mut buf = BufReader::with_capacity(1 << 16, reader);
    let delimiter = sniff_delimiter(buf.fill_buf().map_err(io_err)?);
    let lines = std::rc::Rc::new(std::cell::RefCell::new(LineRuns::default()));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(LineCounting {
            inner: buf,
            runs: lines.clone(),
            offset: 0,
        });
    // csv's own line numbers go wrong after blank lines and with CRLF, so
    // each record's position gets the physical line computed here.
    let fix_line = |rec: &mut csv::ByteRecord| {
        if let Some(pos) = rec.position() {
            let mut pos = pos.clone();
            pos.set_line(lines.borrow_mut().line_of(pos.byte()));
            rec.set_position(Some(pos));
        }
    };
    let csv_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(source) => ImportError::Io {
            origin: origin.to_string(),
            source,
        },
        other => ImportError::Csv {
            origin: origin.to_string(),
            line: 0,
            reason: format!("{other:?}"),
        },
    };
    let mut header = csv::ByteRecord::new();
    if !rdr.read_byte_record(&mut header).map_err(csv_err)? {
        return Err(ImportError::Empty {
            origin: origin.to_string(),
        });
    }
    let schema = CsvSchema::from_header(&header, origin)?;
    let id_field = schema.names.core(Core::Id);
    let mut summary = ImportSummary::default();
    let mut seen = SeenIds::default();
    if workers < 2 {
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
            fix_line(&mut rec);
            summary.rows_read += 1;
            let (line, id, result) = schema.row(&rec);
            accept(
                &mut summary,
                &mut seen,
                id_field,
                id,
                result,
                line,
                &mut on_account,
            );
        }
        return Ok(summary);
    }
    import_csv_parallel(
        &mut rdr,
        &schema,
        workers,
        &csv_err,
        &fix_line,
        |line, id, result| {
            summary.rows_read += 1;
            accept(
                &mut summary,
                &mut seen,
                id_field,
                id,
                result,
                line,
                &mut on_account,
            );
        },
    )?;
    Ok(summary)
}

/// Rows per unit of work handed to a validation thread.
const CHUNK: usize = 512;
/// More threads than this gains nothing: reading and the caller's callback
/// stay on the calling thread.
const MAX_WORKERS: usize = 8;

type RowResult = (usize, Option<String>, Result<Account, Vec<RowError>>);

/// Validates rows on `workers` threads while this thread reads the file
/// and hands results to `emit` in file order. Phone validation (the
/// `phonenumber` crate's regexes) dominates import time, and rows are
/// independent, so this scales with cores; the duplicate-id check and the
/// caller's callback stay sequential, which keeps the output identical to
/// a one-thread import. At most `2 × workers` chunks are in flight, so
/// memory stays bounded however large the file.
fn import_csv_parallel<R: Read>(
    rdr: &mut csv::Reader<R>,
    schema: &CsvSchema,
    workers: usize,
    csv_err: &dyn Fn(csv::Error) -> ImportError,
    fix_line: &dyn Fn(&mut csv::ByteRecord),
    mut emit: impl FnMut(usize, Option<String>, Result<Account, Vec<RowError>>),
) -> Result<(), ImportError> {
    use std::sync::{Mutex, mpsc};
    type Job = (usize, Vec<csv::ByteRecord>, usize);
    type Done = (usize, Vec<RowResult>, Vec<csv::ByteRecord>);
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || {
                loop {
                    // A poisoned lock means another worker panicked; the
                    // scope re-raises that panic, so just stop.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, recs, len)) = job else { return };
                    let out: Vec<RowResult> = recs[..len].iter().map(|r| schema.row(r)).collect();
                    if done_tx.send((seq, out, recs)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);

        let mut spare: Vec<Vec<csv::ByteRecord>> = Vec::new();
        let mut pending: BTreeMap<usize, Vec<RowResult>> = BTreeMap::new();
        let mut next_out = 0usize;
        let mut next_seq = 0usize;
        let mut in_flight = 0usize;
        let mut receive = |pending: &mut BTreeMap<usize, Vec<RowResult>>,
                           spare: &mut Vec<Vec<csv::ByteRecord>>,
                           next_out: &mut usize| {
            if let Ok((seq, out, recs)) = done_rx.recv() {
                pending.insert(seq, out);
                spare.push(recs);
            }
            while let Some(out) = pending.remove(next_out) {
                for (line, id, result) in out {
                    emit(line, id, result);
                }
                *next_out += 1;
            }
        };
        let mut eof = false;
        while !eof {
            let mut recs = spare.pop().unwrap_or_default();
            recs.resize_with(CHUNK, csv::ByteRecord::new);
            let mut len = 0;
            while len < CHUNK {
                if !rdr.read_byte_record(&mut recs[len]).map_err(csv_err)? {
                    eof = true;
                    break;
                }
                fix_line(&mut recs[len]);
                len += 1;
            }
            if len > 0 {
                if job_tx.send((next_seq, recs, len)).is_err() {
                    break;
                }
                next_seq += 1;
                in_flight += 1;
            }
            while in_flight >= 2 * workers || (eof && in_flight > 0) {
                receive(&mut pending, &mut spare, &mut next_out);
                in_flight -= 1;
            }
        }
        drop(job_tx);
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)]
fn accept(
    summary: &mut ImportSummary,
    seen: &mut SeenIds,
    id_field: &str,
    id: Option<String>,
    result: Result<Account, Vec<RowError>>,
    line: usize,
    on_account: &mut impl FnMut(Account),
) {
    let dup = match (&result, id.as_deref()) {
        (Ok(account), _) => seen.check(&account.id, line, id_field),
        (Err(_), Some(id)) => seen.check(id, line, id_field),
        (Err(_), None) => None,
    };
    match (result, dup) {
        (Ok(account), None) => {
            summary.accepted += 1;
            on_account(account);
        }
        (Ok(_), Some(d)) => summary.errors.push(d),
        (Err(errs), dup) => {
            summary.errors.extend(errs);
            summary.errors.extend(dup);
        }
    }
}

// ---------------------------------------------------------------------------
// JSONL

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(json_text)
                .collect::<Vec<_>>()
                .join(";"),
        ),
        serde_json::Value::Object(_) => Some(v.to_string()),
    }
}

fn import_jsonl<R: Read>(
    reader: R,
    origin: &str,
    mut on_account: impl FnMut(Account),
) -> Result<ImportSummary, ImportError> {
    let mut buf = BufReader::with_capacity(1 << 16, reader);
    let names = FieldNames::default();
    let id_field = "id";
    let mut summary = ImportSummary::default();
    let mut seen = SeenIds::default();
    let mut raw = Vec::new();
    let mut line = 0usize;
    loop {
        raw.clear();
        let n = buf
            .read_until(b'\n', &mut raw)
            .map_err(|source| ImportError::Io {
                origin: origin.to_string(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        let bytes = if line == 1 {
            raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw)
        } else {
            &raw
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.rows_read += 1;
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let pos = e.valid_up_to();
                summary.errors.push(RowError::new(
                    line,
                    "row",
                    format!(
                        "not valid UTF-8 (byte 0x{:02X} at position {}); save the file as UTF-8",
                        bytes.get(pos).copied().unwrap_or_default(),
                        pos + 1
                    ),
                ));
                continue;
            }
        };
        let obj = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => {
                summary
                    .errors
                    .push(RowError::new(line, "row", "expected a JSON object"));
                continue;
            }
            Err(e) => {
                summary
                    .errors
                    .push(RowError::new(line, "row", format!("invalid JSON: {e}")));
                continue;
            }
        };
        // Owned texts first, then a view borrowing them.
        let mut texts: Vec<(Col, String)> = Vec::with_capacity(obj.len());
        let mut contact_points = None;
        let mut row_errs = Vec::new();
        let mut seen_cols: Vec<(Col, &str)> = Vec::new();
        for (k, v) in &obj {
            if normalize_key(k) == "contact_points" {
                contact_points = Some(v);
                continue;
            }
            if normalize_key(k) == "attributes" {
                match v {
                    serde_json::Value::Object(map) => {
                        for (ak, av) in map {
                            if let Some(t) = json_text(av) {
                                texts.push((Col::Attribute(ak.clone()), t));
                            }
                        }
                    }
                    _ => row_errs.push(RowError::new(line, k.clone(), "expected an object")),
                }
                continue;
            }
            let col = resolve_column(k);
            if col != Col::Ignored && !matches!(col, Col::Attribute(_)) {
                if let Some((_, prev)) = seen_cols.iter().find(|(c, _)| *c == col) {
                    row_errs.push(RowError::new(
                        line,
                        k.clone(),
                        format!("same field as key '{prev}'"),
                    ));
                    continue;
                }
                seen_cols.push((col.clone(), k.as_str()));
            }
            if let Some(t) = json_text(v) {
                texts.push((col, t));
            }
        }
        let mut view = RowView {
            contact_points,
            ..RowView::default()
        };
        for (col, t) in &texts {
            match col {
                Col::Core(c) => view.core[*c as usize] = Some(t),
                Col::Phone(s, a) => view.phones[*s].vals[*a as usize] = Some(t),
                Col::Email(s, a) => view.emails[*s].vals[*a as usize] = Some(t),
                Col::Attribute(name) => view.attributes.push((name.as_str(), t)),
                Col::Ignored => {}
            }
        }
        let id = nonempty(view.core[Core::Id as usize]).map(str::to_string);
        let result = if row_errs.is_empty() {
            build_account(&view, &names, line)
        } else {
            Err(row_errs)
        };
        accept(
            &mut summary,
            &mut seen,
            id_field,
            id,
            result,
            line,
            &mut on_account,
        );
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{GeneratorOptions, write_portfolio_csv};

    #[test]
    fn any_number_of_threads_gives_the_same_result() {
        let mut data = Vec::new();
        let opts = GeneratorOptions {
            bad_rows: 60,
            ..GeneratorOptions::default()
        };
        write_portfolio_csv(&mut data, 3000, 17, &opts).expect("generate");
        // Blank lines and CRLF exercise the line tracking too.
        let mut data = String::from_utf8(data).expect("utf8").replace('\n', "\r\n");
        data.insert_str(data.find("\r\n").map_or(0, |i| i + 2), "\r\n\r\n");
        let run = |workers| {
            let mut accounts = Vec::new();
            let s = import_csv_with(data.as_bytes(), "g.csv", workers, |a| accounts.push(a))
                .expect("import");
            (accounts, s.errors, s.rows_read, s.accepted)
        };
        let one = run(1);
        assert_eq!(one.2, 3000);
        assert_eq!(one.3, 3000 - 60);
        assert_eq!(one, run(2));
        assert_eq!(one, run(5));
    }
}
