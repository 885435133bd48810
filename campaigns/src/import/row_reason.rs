//! Why a row was refused, as data: the value at fault and what the rule
//! expected. `Display` is the English text `cobro import` has always
//! printed (scripts and tests read it); [`RowReason::text`] words the same
//! reason in Spanish for creditors who read the console in Spanish. Both
//! languages live here so that a new reason cannot get one and miss the
//! other (the amount reasons keep their English in
//! [`AmountProblem::describe_for`], next to the rule they explain).

use std::fmt;

use crate::spreadsheet::decimal::{Ambiguity, AmountProblem};

/// The language a row report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportLang {
    #[default]
    En,
    Es,
}

impl ReportLang {
    /// Spanish for a language tag or `Accept-Language` value starting
    /// with `es` (`es`, `es-MX`, `es_CO;q=0.9`); English otherwise.
    pub fn from_tag(tag: &str) -> Self {
        let tag = tag.trim_start();
        let primary = tag.get(..2).unwrap_or("");
        let after = tag[primary.len()..].chars().next();
        if primary.eq_ignore_ascii_case("es") && after.is_none_or(|c| !c.is_ascii_alphabetic()) {
            ReportLang::Es
        } else {
            ReportLang::En
        }
    }
}

/// What was wrong with an email address (see
/// [`normalize_email`](super::normalize_email)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailFault {
    TooLong,
    MissingAt,
    LocalPartLength,
    LocalPartCharacter,
    LocalPartDot,
    DomainWithoutDot,
    Domain,
    TopLevelDomain,
}

/// What the file's encoding decision says about a field that is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8Hint {
    /// The operator declared UTF-8.
    Declared,
    /// The file starts with a UTF-8 byte-order mark.
    Bom,
    /// The file's first non-ASCII text, on this line, was UTF-8.
    FirstNonAscii { line: u64 },
    /// Nothing decided yet.
    Undecided,
}

/// Why one field of a row (or the row) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowReason {
    #[error("required value is missing")]
    Missing,
    #[error("id is longer than 128 characters")]
    IdTooLong,
    #[error("id '{id}' contains {c:?}; ids may not contain '/', spaces or control characters")]
    IdCharacter { id: String, c: char },
    #[error("'{raw}' is not an ISO 3166-1 alpha-2 country code (e.g. MX, CO, US)")]
    NotCountryCode { raw: String },
    #[error("unknown country code '{code}'")]
    UnknownCountry { code: String },
    #[error("unknown ISO 4217 currency code '{raw}' (e.g. MXN, COP, CLP, PEN, USD)")]
    UnknownCurrency { raw: String },
    #[error("negative amount '{raw}'")]
    NegativeAmount { raw: String },
    /// The amount's text is not one cobro reads (`max`: the currency's
    /// decimals, when known).
    #[error("{}", problem.describe_for(raw, *max))]
    BadAmount {
        raw: String,
        problem: AmountProblem,
        max: Option<u32>,
    },
    #[error("'{raw}' is not a decimal amount: {error}")]
    NotDecimal { raw: String, error: String },
    #[error("'{raw}' has decimals but the currency has none")]
    DecimalsNotAllowed { raw: String },
    #[error("'{raw}' has more than {max} decimals")]
    TooManyDecimals { raw: String, max: u32 },
    #[error("amount must be greater than zero")]
    ZeroAmount,
    #[error("'{raw}' is not a date (use YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)")]
    NotADate { raw: String },
    #[error("'{raw}': year {year} is out of range")]
    YearOutOfRange { raw: String, year: i32 },
    #[error("'{raw}' is not an ISO 3166-2 code")]
    NotSubdivisionCode { raw: String },
    #[error("'{raw}' is not an ISO 3166-2 code (e.g. MX-BCN)")]
    SubdivisionShape { raw: String },
    #[error("subdivision '{code}' is not in country {country}")]
    SubdivisionElsewhere { code: String, country: String },
    #[error("unknown subdivision '{code}' for country {country}")]
    UnknownSubdivision { code: String, country: String },
    #[error("unknown IANA time zone '{raw}' (e.g. America/Mexico_City)")]
    UnknownTimezone { raw: String },
    #[error("'{raw}' is not a language tag (e.g. es-MX, en-US)")]
    NotLanguageTag { raw: String },
    #[error("'{raw}' has no country code and the row has no usable country")]
    PhoneWithoutCountry { raw: String },
    #[error("'{raw}' is not a phone number")]
    NotAPhone { raw: String },
    #[error("'{raw}' is not a valid phone number for {}", country.as_deref().unwrap_or("its country"))]
    PhoneNotValid {
        raw: String,
        country: Option<String>,
    },
    #[error("'{raw}' is not a valid email address: {}", fault.english())]
    BadEmail { raw: String, fault: EmailFault },
    #[error("'{raw}' is not a consent value (use yes/no, si/no, true/false or 1/0)")]
    BadConsent { raw: String },
    #[error(
        "unknown role '{raw}' (expected debtor, guarantor, co_obligor, third_party, reference or employer)"
    )]
    UnknownRole { raw: String },
    #[error("unknown provenance '{raw}' (expected creditor_file, debtor_provided or skip_traced)")]
    UnknownProvenance { raw: String },
    #[error("unknown flag '{raw}' (expected reassigned, employer_email or landline)")]
    UnknownContactFlag { raw: String },
    #[error(
        "unknown flag '{raw}' (expected minor, deceased, disputed, bankrupt, cease_communication or sued)"
    )]
    UnknownAccountFlag { raw: String },
    #[error("at least one phone or email is required")]
    NoContactPoint,
    #[error("incomplete row")]
    IncompleteRow,
    #[error("duplicated id '{id}' (first seen on line {first})")]
    DuplicateId { id: String, first: usize },
    #[error("expected {expected} fields as in the header, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("expected a JSON object")]
    NotJsonObject,
    /// `error`: the JSON parser's own (English) words.
    #[error("invalid JSON: {error}")]
    InvalidJson { error: String },
    #[error("expected an object")]
    NotAnObject,
    #[error("same field as key '{key}'")]
    SameFieldAs { key: String },
    /// A JSONL `contact_points` array that is not a list of contact
    /// points; `error` is the JSON parser's own (English) words.
    #[error("{error}")]
    BadContactPoints { error: String },
    #[error("the cell holds the Excel error {error}")]
    ExcelError { error: String },
    #[error("not valid UTF-8 (byte 0x{byte:02X} at position {position}){}", hint.english())]
    NotUtf8 {
        byte: u8,
        position: usize,
        hint: Utf8Hint,
    },
    #[error(
        "'{text}' looks like UTF-8 read as Windows-1252: the file reads as Windows-1252 (byte 0x{byte:02X} on line {line} is not UTF-8); save the whole file in one encoding or declare it (--encoding utf-8)"
    )]
    Utf8AsWindows1252 { text: String, byte: u8, line: u64 },
    #[error(
        "'{text}' has bytes that are not valid {encoding} (shown as \u{fffd}); check the file's encoding (--encoding)"
    )]
    InvalidBytes { text: String, encoding: String },
    #[error(
        "'{raw}' is not a date (use YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or an RFC 3339 date-time such as 2024-05-01T10:30:00-06:00)"
    )]
    NotAPaymentDate { raw: String },
    #[error(
        "'{raw}' has no UTC offset; add one (e.g. 2024-05-01T10:30:00-06:00 or …Z) or give the date alone"
    )]
    NoUtcOffset { raw: String },
    #[error(
        "'{raw}' is not a date-time (use RFC 3339, e.g. 2024-05-01T10:30:00-06:00, or a date alone)"
    )]
    NotADateTime { raw: String },
    #[error("reference is longer than 128 characters")]
    ReferenceTooLong,
    #[error(
        "reference '{reference}' contains {c:?}; references may not contain control characters"
    )]
    ReferenceCharacter { reference: String, c: char },
    #[error("reference '{reference}' already on line {first}")]
    DuplicateReference { reference: String, first: usize },
    /// A creditor user's row for another creditor.
    #[error("'{creditor}' is another creditor: this user may upload only accounts of '{own}'")]
    OtherCreditor { creditor: String, own: String },
    #[error("this user has no creditor recorded; ask an administrator")]
    NoCreditorRecorded,
    #[error("id '{id}' is already used by an account this user cannot change; use another id")]
    IdTaken { id: String },
    /// Free text that has no Spanish wording (shown as is in both).
    #[error("{0}")]
    Other(String),
}

impl RowReason {
    /// The reason in `lang` (English is [`Display`](fmt::Display)'s).
    pub fn text(&self, lang: ReportLang) -> String {
        match lang {
            ReportLang::En => self.to_string(),
            ReportLang::Es => self.es(),
        }
    }

    /// The reason in neutral Latin-American Spanish.
    pub fn es(&self) -> String {
        use RowReason::*;
        match self {
            Missing => "falta el valor obligatorio".into(),
            IdTooLong => "el id tiene más de 128 caracteres".into(),
            IdCharacter { id, c } => format!(
                "el id '{id}' contiene {c:?}; los id no pueden contener '/', espacios ni caracteres de control"
            ),
            NotCountryCode { raw } => format!(
                "'{raw}' no es un código de país ISO 3166-1 alfa-2 (por ejemplo MX, CO, US)"
            ),
            UnknownCountry { code } => format!("código de país desconocido '{code}'"),
            UnknownCurrency { raw } => format!(
                "código de moneda ISO 4217 desconocido '{raw}' (por ejemplo MXN, COP, CLP, PEN, USD)"
            ),
            NegativeAmount { raw } => format!("importe negativo '{raw}'"),
            BadAmount { raw, problem, max } => amount_es(problem, raw, *max),
            NotDecimal { raw, error } => {
                format!("'{raw}' no es un importe válido ({error})")
            }
            DecimalsNotAllowed { raw } => {
                format!("'{raw}' tiene decimales, pero la moneda no los admite")
            }
            TooManyDecimals { raw, max } => format!("'{raw}' tiene más de {max} decimales"),
            ZeroAmount => "el importe debe ser mayor que cero".into(),
            NotADate { raw } => {
                format!("'{raw}' no es una fecha válida (AAAA-MM-DD, DD/MM/AAAA o DD-MM-AAAA)")
            }
            YearOutOfRange { raw, year } => {
                format!("'{raw}': el año {year} está fuera del rango admitido")
            }
            NotSubdivisionCode { raw } => format!("'{raw}' no es un código ISO 3166-2"),
            SubdivisionShape { raw } => {
                format!("'{raw}' no es un código ISO 3166-2 (por ejemplo MX-BCN)")
            }
            SubdivisionElsewhere { code, country } => {
                format!("la subdivisión '{code}' no pertenece al país {country}")
            }
            UnknownSubdivision { code, country } => {
                format!("subdivisión '{code}' desconocida para el país {country}")
            }
            UnknownTimezone { raw } => {
                format!("zona horaria IANA desconocida '{raw}' (por ejemplo America/Mexico_City)")
            }
            NotLanguageTag { raw } => {
                format!("'{raw}' no es una etiqueta de idioma (por ejemplo es-MX, en-US)")
            }
            PhoneWithoutCountry { raw } => {
                format!("'{raw}' no tiene código de país y la fila no tiene un país válido")
            }
            NotAPhone { raw } => format!("'{raw}' no es un número de teléfono"),
            PhoneNotValid { raw, country } => match country {
                Some(c) => format!("'{raw}' no es un teléfono válido para {c}"),
                None => format!("'{raw}' no es un teléfono válido para su país"),
            },
            BadEmail { raw, fault } => format!(
                "'{raw}' no es un correo electrónico válido: {}",
                fault.spanish()
            ),
            BadConsent { raw } => format!(
                "'{raw}' no es un valor de consentimiento válido (use sí/no, yes/no, true/false o 1/0)"
            ),
            UnknownRole { raw } => format!(
                "rol desconocido '{raw}' (se espera debtor, guarantor, co_obligor, third_party, reference o employer)"
            ),
            UnknownProvenance { raw } => format!(
                "procedencia desconocida '{raw}' (se espera creditor_file, debtor_provided o skip_traced)"
            ),
            UnknownContactFlag { raw } => format!(
                "marca desconocida '{raw}' (se espera reassigned, employer_email o landline)"
            ),
            UnknownAccountFlag { raw } => format!(
                "marca desconocida '{raw}' (se espera minor, deceased, disputed, bankrupt, cease_communication o sued)"
            ),
            NoContactPoint => "se requiere al menos un teléfono o correo electrónico".into(),
            IncompleteRow => "fila incompleta".into(),
            DuplicateId { id, first } => {
                format!("id '{id}' duplicado (aparece antes en la línea {first})")
            }
            FieldCount { expected, found } => {
                format!("se esperaban {expected} campos, como en el encabezado, y hay {found}")
            }
            NotJsonObject => "se esperaba un objeto JSON".into(),
            InvalidJson { error } => format!("JSON no válido: {error}"),
            NotAnObject => "se esperaba un objeto".into(),
            SameFieldAs { key } => format!("es el mismo campo que la clave '{key}'"),
            BadContactPoints { error } => {
                format!("contact_points no es una lista válida de contactos: {error}")
            }
            ExcelError { error } => format!("la celda contiene el error de Excel {error}"),
            NotUtf8 {
                byte,
                position,
                hint,
            } => format!(
                "no es UTF-8 válido (byte 0x{byte:02X} en la posición {position}){}",
                hint.spanish()
            ),
            Utf8AsWindows1252 { text, byte, line } => format!(
                "'{text}' parece UTF-8 leído como Windows-1252: el archivo se lee como Windows-1252 (el byte 0x{byte:02X} de la línea {line} no es UTF-8); guarde todo el archivo en una sola codificación o declárela (--encoding utf-8)"
            ),
            InvalidBytes { text, encoding } => format!(
                "'{text}' tiene bytes que no son válidos en {encoding} (se muestran como \u{fffd}); revise la codificación del archivo (--encoding)"
            ),
            NotAPaymentDate { raw } => format!(
                "'{raw}' no es una fecha válida (AAAA-MM-DD, DD/MM/AAAA, DD-MM-AAAA o una fecha y hora RFC 3339 como 2024-05-01T10:30:00-06:00)"
            ),
            NoUtcOffset { raw } => format!(
                "'{raw}' no indica su desfase respecto de UTC; agréguelo (por ejemplo 2024-05-01T10:30:00-06:00 o …Z) o escriba solo la fecha"
            ),
            NotADateTime { raw } => format!(
                "'{raw}' no es una fecha y hora válida (use RFC 3339, por ejemplo 2024-05-01T10:30:00-06:00, o solo la fecha)"
            ),
            ReferenceTooLong => "la referencia tiene más de 128 caracteres".into(),
            ReferenceCharacter { reference, c } => format!(
                "la referencia '{reference}' contiene {c:?}; las referencias no pueden contener caracteres de control"
            ),
            DuplicateReference { reference, first } => {
                format!("la referencia '{reference}' ya aparece en la línea {first}")
            }
            OtherCreditor { creditor, own } => format!(
                "'{creditor}' es otro acreedor: este usuario solo puede cargar expedientes de '{own}'"
            ),
            NoCreditorRecorded => {
                "este usuario no tiene un acreedor registrado; consulte a un administrador".into()
            }
            IdTaken { id } => format!(
                "el id '{id}' ya lo usa un expediente que este usuario no puede modificar; use otro id"
            ),
            Other(text) => text.clone(),
        }
    }
}

impl EmailFault {
    fn english(self) -> &'static str {
        match self {
            EmailFault::TooLong => "too long",
            EmailFault::MissingAt => "missing '@'",
            EmailFault::LocalPartLength => "empty or too long local part",
            EmailFault::LocalPartCharacter => "invalid character before '@'",
            EmailFault::LocalPartDot => "misplaced '.' before '@'",
            EmailFault::DomainWithoutDot => "the domain has no '.'",
            EmailFault::Domain => "invalid domain",
            EmailFault::TopLevelDomain => "invalid top-level domain",
        }
    }

    fn spanish(self) -> &'static str {
        match self {
            EmailFault::TooLong => "es demasiado largo",
            EmailFault::MissingAt => "falta la '@'",
            EmailFault::LocalPartLength => "la parte antes de '@' está vacía o es demasiado larga",
            EmailFault::LocalPartCharacter => "hay un carácter no válido antes de '@'",
            EmailFault::LocalPartDot => "hay un '.' mal colocado antes de '@'",
            EmailFault::DomainWithoutDot => "el dominio no tiene '.'",
            EmailFault::Domain => "el dominio no es válido",
            EmailFault::TopLevelDomain => "el dominio de nivel superior no es válido",
        }
    }
}

impl Utf8Hint {
    fn english(self) -> String {
        match self {
            Utf8Hint::Declared => "; the file is declared UTF-8".into(),
            Utf8Hint::Bom => "; the file starts with a UTF-8 byte-order mark".into(),
            Utf8Hint::FirstNonAscii { line } => format!(
                "; the file reads as UTF-8 (its first non-ASCII text, on line {line}, is UTF-8): fix this value, or declare the encoding if the file is not UTF-8 (--encoding windows-1252)"
            ),
            Utf8Hint::Undecided => "; declare the file's encoding (--encoding windows-1252)".into(),
        }
    }

    fn spanish(self) -> String {
        match self {
            Utf8Hint::Declared => "; el archivo se declaró UTF-8".into(),
            Utf8Hint::Bom => "; el archivo empieza con una marca de orden de bytes UTF-8".into(),
            Utf8Hint::FirstNonAscii { line } => format!(
                "; el archivo se lee como UTF-8 (su primer texto no ASCII, en la línea {line}, es UTF-8): corrija este valor, o declare la codificación si el archivo no es UTF-8 (--encoding windows-1252)"
            ),
            Utf8Hint::Undecided => {
                "; declare la codificación del archivo (--encoding windows-1252)".into()
            }
        }
    }
}

/// [`AmountProblem::describe_for`] in Spanish.
fn amount_es(problem: &AmountProblem, raw: &str, max_decimals: Option<u32>) -> String {
    match problem {
        AmountProblem::NotANumber => {
            format!("'{raw}' no es un importe válido (por ejemplo 1234.56 o 1.234,56)")
        }
        AmountProblem::Malformed => format!(
            "'{raw}' no es un importe que cobro pueda leer (escriba 1234.56, 1234,56, 1.234,56 o 1,234.56)"
        ),
        AmountProblem::Ambiguous(why) => {
            let plain = raw.replace([',', '.'], "");
            let decimal = raw.replace(',', ".");
            let places = decimal
                .rsplit('.')
                .next()
                .map_or(0, |f| f.trim_end_matches('0').len()) as u32;
            let unfit = match max_decimals {
                Some(0) if places > 0 => {
                    " (y entonces tendría decimales, pero la moneda no los admite)".to_string()
                }
                Some(max) if places > max => {
                    format!(" (y entonces tendría más de {max} decimales)")
                }
                _ => String::new(),
            };
            let why = match why {
                Ambiguity::Disagree { comma, dot } => format!(
                    "los demás importes del archivo no coinciden ({comma} con ',' decimal, {dot} con '.' decimal)"
                ),
                Ambiguity::NoEvidence(c) => format!(
                    "ningún otro importe del archivo muestra si '{c}' es el separador decimal"
                ),
            };
            format!(
                "'{raw}' es ambiguo: {plain} si el separador agrupa los miles, {decimal} si es el separador decimal{unfit}, y {why}; declare el separador decimal del archivo (--decimal , o --decimal .)"
            )
        }
        AmountProblem::Contradicts(declared) => {
            format!("'{raw}' no usa el separador decimal declarado {declared}")
        }
    }
}

impl fmt::Display for ReportLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportLang::En => "en",
            ReportLang::Es => "es",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spreadsheet::DecimalSeparator;

    /// One of each reason (a new variant must be added here: the match
    /// below does not compile without it).
    fn one_of_each() -> Vec<RowReason> {
        use RowReason::*;
        let raw = || "x1".to_string();
        let all = vec![
            Missing,
            IdTooLong,
            IdCharacter {
                id: "a b".into(),
                c: ' ',
            },
            NotCountryCode { raw: raw() },
            UnknownCountry { code: "XX".into() },
            UnknownCurrency { raw: raw() },
            NegativeAmount { raw: "-1".into() },
            BadAmount {
                raw: "doce mil".into(),
                problem: AmountProblem::NotANumber,
                max: Some(2),
            },
            BadAmount {
                raw: "1.2.3".into(),
                problem: AmountProblem::Malformed,
                max: None,
            },
            BadAmount {
                raw: "1.234".into(),
                problem: AmountProblem::Ambiguous(Ambiguity::NoEvidence('.')),
                max: Some(0),
            },
            BadAmount {
                raw: "1.234".into(),
                problem: AmountProblem::Ambiguous(Ambiguity::Disagree { comma: 2, dot: 1 }),
                max: Some(2),
            },
            BadAmount {
                raw: "1.5".into(),
                problem: AmountProblem::Contradicts(DecimalSeparator::Comma),
                max: Some(2),
            },
            NotDecimal {
                raw: raw(),
                error: "overflow".into(),
            },
            DecimalsNotAllowed { raw: "1.5".into() },
            TooManyDecimals {
                raw: "1.555".into(),
                max: 2,
            },
            ZeroAmount,
            NotADate {
                raw: "31/02/2026".into(),
            },
            YearOutOfRange {
                raw: "01/01/1800".into(),
                year: 1800,
            },
            NotSubdivisionCode { raw: raw() },
            SubdivisionShape { raw: raw() },
            SubdivisionElsewhere {
                code: "CO-DC".into(),
                country: "MX".into(),
            },
            UnknownSubdivision {
                code: "MX-XXX".into(),
                country: "MX".into(),
            },
            UnknownTimezone { raw: raw() },
            NotLanguageTag { raw: raw() },
            PhoneWithoutCountry { raw: "55".into() },
            NotAPhone { raw: raw() },
            PhoneNotValid {
                raw: "+52 55".into(),
                country: Some("MX".into()),
            },
            PhoneNotValid {
                raw: "+52 55".into(),
                country: None,
            },
            UnknownRole { raw: raw() },
            UnknownProvenance { raw: raw() },
            UnknownContactFlag { raw: raw() },
            UnknownAccountFlag { raw: raw() },
            BadConsent { raw: raw() },
            NoContactPoint,
            IncompleteRow,
            DuplicateId {
                id: "A1".into(),
                first: 2,
            },
            FieldCount {
                expected: 5,
                found: 4,
            },
            NotJsonObject,
            InvalidJson {
                error: "EOF".into(),
            },
            NotAnObject,
            SameFieldAs {
                key: "monto".into(),
            },
            BadContactPoints {
                error: "missing field `kind`".into(),
            },
            ExcelError {
                error: "#N/A".into(),
            },
            NotAPaymentDate { raw: raw() },
            NoUtcOffset {
                raw: "2024-05-01T10:00:00".into(),
            },
            NotADateTime { raw: raw() },
            ReferenceTooLong,
            ReferenceCharacter {
                reference: "R\n1".into(),
                c: '\n',
            },
            DuplicateReference {
                reference: "R1".into(),
                first: 2,
            },
            OtherCreditor {
                creditor: "b".into(),
                own: "a".into(),
            },
            NoCreditorRecorded,
            IdTaken { id: "A1".into() },
            Utf8AsWindows1252 {
                text: "VerÃ³nica".into(),
                byte: 0xF3,
                line: 3,
            },
            InvalidBytes {
                text: "L\u{fffd}pez".into(),
                encoding: "Shift_JIS".into(),
            },
            Other("free text".into()),
        ];
        let faults = [
            EmailFault::TooLong,
            EmailFault::MissingAt,
            EmailFault::LocalPartLength,
            EmailFault::LocalPartCharacter,
            EmailFault::LocalPartDot,
            EmailFault::DomainWithoutDot,
            EmailFault::Domain,
            EmailFault::TopLevelDomain,
        ];
        let hints = [
            Utf8Hint::Declared,
            Utf8Hint::Bom,
            Utf8Hint::FirstNonAscii { line: 2 },
            Utf8Hint::Undecided,
        ];
        all.into_iter()
            .chain(faults.into_iter().map(|fault| BadEmail {
                raw: "a@b".into(),
                fault,
            }))
            .chain(hints.into_iter().map(|hint| NotUtf8 {
                byte: 0xF3,
                position: 2,
                hint,
            }))
            .collect()
    }

    /// Fails to compile when a variant is missing from [`one_of_each`].
    fn covered(r: &RowReason) {
        use RowReason::*;
        match r {
            Missing
            | IdTooLong
            | IdCharacter { .. }
            | NotCountryCode { .. }
            | UnknownCountry { .. }
            | UnknownCurrency { .. }
            | NegativeAmount { .. }
            | BadAmount { .. }
            | NotDecimal { .. }
            | DecimalsNotAllowed { .. }
            | TooManyDecimals { .. }
            | ZeroAmount
            | NotADate { .. }
            | YearOutOfRange { .. }
            | NotSubdivisionCode { .. }
            | SubdivisionShape { .. }
            | SubdivisionElsewhere { .. }
            | UnknownSubdivision { .. }
            | UnknownTimezone { .. }
            | NotLanguageTag { .. }
            | PhoneWithoutCountry { .. }
            | NotAPhone { .. }
            | PhoneNotValid { .. }
            | BadEmail { .. }
            | BadConsent { .. }
            | UnknownRole { .. }
            | UnknownProvenance { .. }
            | UnknownContactFlag { .. }
            | UnknownAccountFlag { .. }
            | NoContactPoint
            | IncompleteRow
            | DuplicateId { .. }
            | FieldCount { .. }
            | NotJsonObject
            | InvalidJson { .. }
            | NotAnObject
            | SameFieldAs { .. }
            | BadContactPoints { .. }
            | ExcelError { .. }
            | NotUtf8 { .. }
            | Utf8AsWindows1252 { .. }
            | InvalidBytes { .. }
            | NotAPaymentDate { .. }
            | NoUtcOffset { .. }
            | NotADateTime { .. }
            | ReferenceTooLong
            | ReferenceCharacter { .. }
            | DuplicateReference { .. }
            | OtherCreditor { .. }
            | NoCreditorRecorded
            | IdTaken { .. }
            | Other(_) => {}
        }
    }

    #[test]
    fn every_reason_has_its_own_spanish_text() {
        for r in one_of_each() {
            covered(&r);
            let en = r.text(ReportLang::En);
            let es = r.text(ReportLang::Es);
            assert_eq!(en, r.to_string());
            assert!(!es.trim().is_empty(), "{r:?}");
            if matches!(r, RowReason::Other(_)) {
                // Free text has no translation: it is shown as written.
                assert_eq!(es, en);
            } else {
                assert_ne!(es, en, "{r:?} has no Spanish text");
            }
        }
    }

    #[test]
    fn english_is_the_text_cobro_import_printed() {
        let r = RowReason::BadAmount {
            raw: "doce mil".into(),
            problem: AmountProblem::NotANumber,
            max: Some(2),
        };
        assert_eq!(
            r.to_string(),
            "'doce mil' is not a decimal amount (e.g. 1234.56 or 1.234,56)"
        );
        assert_eq!(
            r.es(),
            "'doce mil' no es un importe válido (por ejemplo 1234.56 o 1.234,56)"
        );
        let p = RowReason::PhoneNotValid {
            raw: "+52 55".into(),
            country: None,
        };
        assert_eq!(
            p.to_string(),
            "'+52 55' is not a valid phone number for its country"
        );
        let e = RowReason::BadEmail {
            raw: "a@b".into(),
            fault: EmailFault::DomainWithoutDot,
        };
        assert_eq!(
            e.to_string(),
            "'a@b' is not a valid email address: the domain has no '.'"
        );
    }

    #[test]
    fn accept_language_picks_spanish_for_es_only() {
        for es in ["es", "es-MX", "ES_co", "es;q=0.9, en", " es-419"] {
            assert_eq!(ReportLang::from_tag(es), ReportLang::Es, "{es}");
        }
        for en in ["", "en", "en-US, es;q=0.5", "est", "*", "e"] {
            assert_eq!(ReportLang::from_tag(en), ReportLang::En, "{en}");
        }
    }
}
