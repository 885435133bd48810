//! One test (at least) per validation rule of the portfolio importer.

use std::io::Write;

use cobro_campaigns::import::{
    ImportError, ImportReport, PortfolioFormat, ReportLang, RowError, RowReason, import_path,
    import_reader, import_reader_each,
};
use cobro_campaigns::{AccountFlag, AddressKind, ContactFlag, ContactRole, Provenance};
use rust_decimal::Decimal;

const HEADER: &str =
    "id,creditor,debtor_name,amount_due,currency,due_date,country,subdivision,timezone,phone,email";

/// A good row of HEADER with one field replaced.
fn row_with(field: &str, value: &str) -> String {
    let names: Vec<&str> = HEADER.split(',').collect();
    let mut vals = vec![
        "A1",
        "Tiendas Aurora",
        "Ana López",
        "1500.50",
        "MXN",
        "2026-10-01",
        "MX",
        "MX-BCN",
        "",
        "664 123 4567",
        "ana@example.com",
    ];
    let i = names
        .iter()
        .position(|n| *n == field)
        .expect("field of HEADER");
    vals[i] = value;
    vals.iter()
        .map(|v| {
            if v.contains(',') {
                format!("\"{v}\"")
            } else {
                (*v).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn csv(text: &str) -> ImportReport {
    import_reader(text.as_bytes(), PortfolioFormat::Csv, "t.csv").expect("file-level ok")
}

fn one(field: &str, value: &str) -> ImportReport {
    csv(&format!("{HEADER}\n{}\n", row_with(field, value)))
}

fn err_of(field: &str, value: &str) -> RowError {
    let r = one(field, value);
    assert_eq!(r.accounts.len(), 0, "{field}={value:?} was accepted");
    r.errors.into_iter().next().expect("an error")
}

fn ok_of(field: &str, value: &str) -> cobro_campaigns::Account {
    let mut r = one(field, value);
    assert_eq!(r.errors, vec![], "{field}={value:?}");
    r.accounts.remove(0)
}

#[test]
fn good_row_is_fully_read() {
    let a = ok_of("id", "A1");
    assert_eq!(a.id, "A1");
    assert_eq!(a.amount_due, Decimal::new(150050, 2));
    assert_eq!(a.currency, "MXN");
    assert_eq!(a.language, "es-MX");
    assert_eq!(a.subdivision.as_deref(), Some("MX-BCN"));
    assert_eq!(a.contact_points.len(), 2);
    let phone = &a.contact_points[0];
    assert_eq!(
        (phone.kind, phone.address.as_str()),
        (AddressKind::Phone, "+526641234567")
    );
    assert_eq!(
        (phone.role, phone.provenance),
        (ContactRole::Debtor, Provenance::CreditorFile)
    );
}

#[test]
fn row_error_display_is_line_field_reason() {
    let e = err_of("amount_due", "-5");
    assert_eq!(e.line, 2);
    assert_eq!(e.to_string(), "line 2: amount_due: negative amount '-5'");
}

// --- required fields -------------------------------------------------------

#[test]
fn each_required_field_is_required() {
    for f in [
        "id",
        "creditor",
        "debtor_name",
        "amount_due",
        "currency",
        "due_date",
        "country",
    ] {
        let e = err_of(f, "  ");
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            (f, "required value is missing")
        );
    }
}

#[test]
fn a_phone_or_an_email_is_required() {
    let r = csv(&format!(
        "{HEADER}\n{}\n",
        row_with("phone", "").replace(",ana@example.com", ",")
    ));
    assert_eq!(
        r.errors[0].reason,
        "at least one phone or email is required"
    );
    assert_eq!(ok_of("phone", "").contact_points.len(), 1);
    assert_eq!(ok_of("email", "").contact_points.len(), 1);
}

#[test]
fn missing_required_column_is_a_file_error() {
    let text =
        "id,creditor,debtor_name,amount_due,currency,country,phone\nA,B,C,1,MXN,MX,5512345678\n";
    let e = import_reader(text.as_bytes(), PortfolioFormat::Csv, "t.csv").unwrap_err();
    assert!(e.is_missing_column());
    assert!(
        e.to_string()
            .starts_with("t.csv:1: header: missing required column 'due_date'"),
        "{e}"
    );
    let text = "id,creditor,debtor_name,amount_due,currency,due_date,country\n";
    let e = import_reader(text.as_bytes(), PortfolioFormat::Csv, "t.csv").unwrap_err();
    assert!(e.to_string().contains("'phone'"), "{e}");
}

#[test]
fn two_columns_for_one_field_is_a_file_error() {
    let text = format!("{HEADER},importe\n");
    let e = import_reader(text.as_bytes(), PortfolioFormat::Csv, "t.csv").unwrap_err();
    assert!(matches!(e, ImportError::BadHeader { .. }), "{e}");
}

#[test]
fn empty_file_and_unknown_extension_and_missing_file() {
    let e = import_reader(&b""[..], PortfolioFormat::Csv, "t.csv").unwrap_err();
    assert!(matches!(e, ImportError::Empty { .. }));
    let dir = tempfile::tempdir().expect("tmp");
    let e = import_path(&dir.path().join("p.pdf")).unwrap_err();
    assert!(matches!(e, ImportError::UnknownFormat { .. }));
    let e = import_path(&dir.path().join("nope.csv")).unwrap_err();
    assert!(e.is_io(), "{e}");
}

// --- headers ---------------------------------------------------------------

#[test]
fn spanish_headers_case_and_accents() {
    let text = "\u{feff}Expediente;EMPRESA;Nombre;RFC;Importe;Moneda;Fecha de Vencimiento;Segmento;Idioma;País;Estado;Zona Horaria;Teléfono;Correo;Marcas;Enlace Pago;Sucursal\n\
                E1;Tiendas Aurora;Ana;LORA900202CD2;10.5;mxn;15/10/2026;Media;es_mx;mx;bcn;America/Tijuana;+52 664 123 4567;Ana@Example.COM;menor;https://p/1;Centro\n";
    let r = csv(text);
    assert_eq!(r.errors, vec![]);
    let a = &r.accounts[0];
    assert_eq!(a.tax_id.as_deref(), Some("LORA900202CD2"));
    assert_eq!(a.amount_due.to_string(), "10.50");
    assert_eq!(a.currency, "MXN");
    assert_eq!(a.due_date.to_string(), "2026-10-15");
    assert_eq!(a.segment.as_deref(), Some("media"));
    assert_eq!(a.language, "es-MX");
    assert_eq!(a.country, "MX");
    assert_eq!(a.subdivision.as_deref(), Some("MX-BCN"));
    assert_eq!(a.timezone.as_deref(), Some("America/Tijuana"));
    assert_eq!(a.contact_points[1].address, "ana@example.com");
    assert!(a.flags.contains(&AccountFlag::Minor));
    assert_eq!(
        a.attributes.get("payment_link").map(String::as_str),
        Some("https://p/1")
    );
    assert_eq!(
        a.attributes.get("sucursal").map(String::as_str),
        Some("Centro")
    );
}

#[test]
fn tax_id_aliases() {
    for alias in ["nif", "rfc", "rut", "cif", "tax_id"] {
        let text = format!("{HEADER},{alias}\n{},X123\n", row_with("id", "A1"));
        assert_eq!(
            csv(&text).accounts[0].tax_id.as_deref(),
            Some("X123"),
            "{alias}"
        );
    }
}

#[test]
fn errors_name_the_column_as_written() {
    let text = "expediente,empresa,nombre,importe,moneda,fecha_vencimiento,pais,telefono\nE1,X,Y,abc,MXN,2026-01-01,MX,5512345678\n";
    assert_eq!(csv(text).errors[0].field, "importe");
}

// --- phones ----------------------------------------------------------------

#[test]
fn phones_become_e164_with_the_row_country() {
    assert_eq!(
        ok_of("phone", "55 1234 5678").contact_points[0].address,
        "+525512345678"
    );
    assert_eq!(
        ok_of("phone", "+52 (55) 1234-5678").contact_points[0].address,
        "+525512345678"
    );
    let text = format!(
        "{HEADER}\n{}\n",
        row_with("country", "US")
            .replace("MX-BCN", "US-NY")
            .replace("664 123 4567", "(212) 734-5678")
    );
    assert_eq!(
        csv(&text).accounts[0].contact_points[0].address,
        "+12127345678"
    );
}

#[test]
fn invalid_phones_are_rejected() {
    for bad in ["12345", "55 1234", "hola", "+52 1"] {
        let e = err_of("phone", bad);
        assert_eq!(e.field, "phone", "{bad}");
    }
    // Valid in the US, not in Mexico.
    assert!(
        err_of("phone", "(212) 734-5678")
            .reason
            .contains("not a valid phone number for MX")
    );
}

#[test]
fn phone_role_provenance_flags_and_consent() {
    let text = "id,creditor,debtor_name,amount_due,currency,due_date,country,phone,phone_role,phone_provenance,phone_flags,consent_sms,consent_voice,phone2,phone2_role,phone2_provenance,email,consent_email,email_flags\n\
                A,B,C,1,MXN,2026-01-01,MX,5512345678,debtor,debtor_provided,landline,no,sí,33 1234 5678,aval,skip_traced,a@b.mx,yes,employer_email\n";
    let r = csv(text);
    assert_eq!(r.errors, vec![]);
    let cps = &r.accounts[0].contact_points;
    assert_eq!(cps[0].provenance, Provenance::DebtorProvided);
    assert!(cps[0].flags.contains(&ContactFlag::Landline));
    assert_eq!(
        (cps[0].consent.sms, cps[0].consent.voice),
        (Some(false), Some(true))
    );
    assert_eq!(
        (cps[1].role, cps[1].provenance),
        (ContactRole::Guarantor, Provenance::SkipTraced)
    );
    assert_eq!(cps[1].address, "+523312345678");
    assert_eq!(cps[2].consent.email, Some(true));
    assert!(cps[2].flags.contains(&ContactFlag::EmployerEmail));
}

#[test]
fn unknown_role_provenance_flag_or_consent_is_rejected() {
    let base = "id,creditor,debtor_name,amount_due,currency,due_date,country,phone,";
    for (col, val) in [
        ("phone_role", "vecino"),
        ("phone_provenance", "internet"),
        ("phone_flags", "fax"),
        ("consent_sms", "quizas"),
    ] {
        let r = csv(&format!(
            "{base}{col}\nA,B,C,1,MXN,2026-01-01,MX,5512345678,{val}\n"
        ));
        assert_eq!(r.accounts.len(), 0, "{col}");
        assert_eq!(r.errors[0].field, col);
    }
}

// --- emails ----------------------------------------------------------------

#[test]
fn emails_are_checked_and_lowercased() {
    assert_eq!(
        ok_of("email", " Ana.Lopez+cobro@Example.COM.mx ").contact_points[1].address,
        "ana.lopez+cobro@example.com.mx"
    );
    for bad in [
        "ana",
        "ana@",
        "@x.com",
        "ana@localhost",
        "ana@@x.com",
        "ana..b@x.com",
        "ana@x..com",
        "ana@-x.com",
        "a b@x.com",
        "ana@x.c0m",
        "anä@x.com",
    ] {
        assert_eq!(err_of("email", bad).field, "email", "{bad}");
    }
}

// --- country, subdivision, zone, language --------------------------------

#[test]
fn countries_are_iso_3166_1() {
    let a = ok_of("country", "mx");
    assert_eq!(a.country, "MX");
    assert!(
        err_of("country", "XX")
            .reason
            .contains("unknown country code")
    );
    assert!(
        err_of("country", "MEX")
            .reason
            .contains("not an ISO 3166-1")
    );
}

#[test]
fn subdivisions_are_iso_3166_2_of_the_country() {
    assert_eq!(
        ok_of("subdivision", "bcn").subdivision.as_deref(),
        Some("MX-BCN")
    );
    assert_eq!(
        ok_of("subdivision", "MX-ROO").subdivision.as_deref(),
        Some("MX-ROO")
    );
    assert!(
        err_of("subdivision", "MX-XYZ")
            .reason
            .contains("unknown subdivision")
    );
    assert!(
        err_of("subdivision", "US-CA")
            .reason
            .contains("not in country MX")
    );
    assert!(
        err_of("subdivision", "MX-ABCD")
            .reason
            .contains("not an ISO 3166-2")
    );
    // Countries without an embedded list: shape and prefix only.
    let text = format!(
        "{HEADER}\n{}\n",
        row_with("country", "DE")
            .replace("MX-BCN", "DE-BY")
            .replace("664 123 4567", "+49 30 901820")
    );
    assert_eq!(csv(&text).errors, vec![]);
}

#[test]
fn timezones_are_iana() {
    assert_eq!(
        ok_of("timezone", "America/Tijuana").timezone.as_deref(),
        Some("America/Tijuana")
    );
    assert!(
        err_of("timezone", "America/Atlantis")
            .reason
            .contains("unknown IANA time zone")
    );
    assert_eq!(err_of("timezone", "GMT-6 Mexico").field, "timezone");
}

#[test]
fn language_defaults_from_country_and_is_normalised() {
    let text = format!("{HEADER},language\n{},EN_us\n", row_with("id", "A"));
    assert_eq!(csv(&text).accounts[0].language, "en-US");
    let text = format!("{HEADER},language\n{},español\n", row_with("id", "A"));
    assert_eq!(csv(&text).errors[0].field, "language");
    for (country, lang) in [
        ("CO", "es-CO"),
        ("CL", "es-CL"),
        ("PE", "es-PE"),
        ("US", "en-US"),
        ("ES", "es-ES"),
    ] {
        let text = format!(
            "{HEADER}\n{}\n",
            row_with("country", country)
                .replace("MX-BCN", "")
                .replace("664 123 4567", "")
        );
        assert_eq!(csv(&text).accounts[0].language, lang, "{country}");
    }
}

// --- dates and amounts ------------------------------------------------------

#[test]
fn dates_iso_or_day_month_year() {
    assert_eq!(
        ok_of("due_date", "2026-02-28").due_date.to_string(),
        "2026-02-28"
    );
    assert_eq!(
        ok_of("due_date", "05/03/2026").due_date.to_string(),
        "2026-03-05"
    );
    for bad in [
        "2026-02-30",
        "2026-13-01",
        "2026/03/05",
        "mañana",
        "1850-01-01",
    ] {
        assert_eq!(err_of("due_date", bad).field, "due_date", "{bad}");
    }
}

#[test]
fn amounts_are_positive_decimals_within_currency_decimals() {
    assert_eq!(
        ok_of("amount_due", "1234.56").amount_due.to_string(),
        "1234.56"
    );
    assert_eq!(
        ok_of("amount_due", "1234.5").amount_due.to_string(),
        "1234.50"
    );
    assert_eq!(
        ok_of("amount_due", "1234").amount_due.to_string(),
        "1234.00"
    );
    assert!(err_of("amount_due", "-1").reason.contains("negative"));
    assert!(
        err_of("amount_due", "0")
            .reason
            .contains("greater than zero")
    );
    assert!(
        err_of("amount_due", "12.345")
            .reason
            .contains("more than 2 decimals")
    );
    // Excel in a Spanish locale writes decimal commas; both forms read
    // the same when unambiguous (spreadsheet::decimal has the rule).
    assert_eq!(
        ok_of("amount_due", "1,234.56").amount_due.to_string(),
        "1234.56"
    );
    assert_eq!(
        ok_of("amount_due", "1234,56").amount_due.to_string(),
        "1234.56"
    );
    assert_eq!(
        ok_of("due_date", "03-05-2026").due_date.to_string(),
        "2026-05-03"
    );
    for bad in ["1e3", "abc", "$100", "1.2.3", ".5", "NaN"] {
        assert_eq!(err_of("amount_due", bad).field, "amount_due", "{bad}");
    }
}

#[test]
fn zero_decimal_currencies_refuse_decimals() {
    let text = format!("{HEADER}\n{}\n", row_with("currency", "CLP"));
    assert!(csv(&text).errors[0].reason.contains("currency has none"));
    let text = format!(
        "{HEADER}\n{}\n",
        row_with("currency", "CLP").replace("1500.50", "150000")
    );
    assert_eq!(csv(&text).accounts[0].amount_due.to_string(), "150000");
    let text = format!(
        "{HEADER}\n{}\n",
        row_with("currency", "KWD").replace("1500.50", "1.125")
    );
    assert_eq!(csv(&text).errors, vec![]);
}

#[test]
fn currencies_are_iso_4217() {
    assert_eq!(ok_of("currency", "usd").currency, "USD");
    assert!(err_of("currency", "PESOS").reason.contains("ISO 4217"));
}

// --- ids, duplicates, flags -------------------------------------------------

#[test]
fn ids_may_not_contain_slashes_or_spaces() {
    assert!(err_of("id", "A/1").reason.contains("'/'"));
    assert_eq!(err_of("id", "A 1").field, "id");
}

#[test]
fn second_occurrence_of_an_id_is_the_bad_row() {
    let text = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        row_with("id", "A1"),
        row_with("id", "A2"),
        row_with("id", "A1")
    );
    let r = csv(&text);
    assert_eq!(
        r.accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["A1", "A2"]
    );
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, 4);
    assert!(r.errors[0].reason.contains("first seen on line 2"));
}

#[test]
fn account_flags() {
    let text = format!(
        "{HEADER},flags\n{},\"sued; disputed\"\n",
        row_with("id", "A")
    );
    let a = &csv(&text).accounts[0];
    assert!(a.flags.contains(&AccountFlag::Sued) && a.flags.contains(&AccountFlag::Disputed));
    let text = format!("{HEADER},flags\n{},vip\n", row_with("id", "A"));
    assert!(csv(&text).errors[0].reason.contains("unknown flag 'vip'"));
}

// --- file structure -----------------------------------------------------------

#[test]
fn non_utf8_bytes_are_reported_and_the_import_goes_on() {
    let mut data = format!("{HEADER}\n").into_bytes();
    data.extend_from_slice(
        row_with("debtor_name", "Jos\u{1}")
            .replace('\u{1}', "\u{fffd}")
            .as_bytes(),
    );
    let bad_row = row_with("id", "A2").replace("Ana López", "Ana L_pez");
    let mut bad_bytes = bad_row.into_bytes();
    let pos = bad_bytes.iter().position(|b| *b == b'_').expect("marker");
    bad_bytes[pos] = 0xF3; // 'ó' in Latin-1
    data.push(b'\n');
    data.extend_from_slice(&bad_bytes);
    data.push(b'\n');
    data.extend_from_slice(row_with("id", "A3").as_bytes());
    data.push(b'\n');
    let r = import_reader(&data[..], PortfolioFormat::Csv, "t.csv").expect("ok");
    assert_eq!(r.accounts.len(), 2);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(
        (r.errors[0].line, r.errors[0].field.as_str()),
        (3, "debtor_name")
    );
    assert!(r.errors[0].reason.contains("0xF3"));
}

#[test]
fn wrong_column_count_is_a_row_error() {
    let text = format!(
        "{HEADER}\nA1,B,C\n{},extra\n{},\n{}\n",
        row_with("id", "A2"),
        row_with("id", "A3"),
        row_with("id", "A4")
    );
    let r = csv(&text);
    let bad: Vec<(usize, &str)> = r
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(bad, [(2, "columns"), (3, "columns")]);
    // A trailing empty field (spreadsheet exports) is tolerated.
    assert_eq!(
        r.accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["A3", "A4"]
    );
}

#[test]
fn line_numbers_are_physical_lines() {
    let text = format!(
        "{HEADER},note\n\n{},\"two\nlines\"\n\n{}\n",
        row_with("id", "A1"),
        row_with("amount_due", "x") + ",n"
    );
    let r = csv(&text);
    assert_eq!(r.rows_read, 2);
    assert_eq!(r.errors[0].line, 6);
    assert_eq!(
        r.accounts[0].attributes.get("note").map(String::as_str),
        Some("two\nlines")
    );
}

#[test]
fn streaming_gives_the_same_accounts_in_file_order() {
    use cobro_campaigns::generator::{GeneratorOptions, write_portfolio_csv};
    let mut data = Vec::new();
    let opts = GeneratorOptions {
        bad_rows: 40,
        ..GeneratorOptions::default()
    };
    write_portfolio_csv(&mut data, 6000, 3, &opts).expect("gen");
    let full = import_reader(&data[..], PortfolioFormat::Csv, "g.csv").expect("ok");
    let mut streamed = Vec::new();
    let summary = import_reader_each(&data[..], PortfolioFormat::Csv, "g.csv", |a| {
        streamed.push(a)
    })
    .expect("ok");
    assert_eq!(streamed, full.accounts);
    assert_eq!(summary.errors, full.errors);
    assert_eq!(summary.rows_read, 6000);
    let ids: Vec<&str> = full.accounts.iter().map(|a| a.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "accounts come in file order");
    assert!(
        full.errors.windows(2).all(|w| w[0].line <= w[1].line),
        "errors in line order"
    );
}

#[test]
fn render_text_summarises_and_lists() {
    let text = format!(
        "{HEADER}\n{}\n{}\n",
        row_with("id", "A1"),
        row_with("currency", "XYZ")
    );
    let out = csv(&text).render_text("p.csv");
    assert!(
        out.starts_with("p.csv: 2 rows read, 1 accepted, 1 rejected\n"),
        "{out}"
    );
    assert!(
        out.contains("p.csv: line 3: currency: unknown ISO 4217 currency code 'XYZ'"),
        "{out}"
    );
}

// --- JSONL ------------------------------------------------------------------

fn jsonl(text: &[u8]) -> ImportReport {
    import_reader(text, PortfolioFormat::Jsonl, "t.jsonl").expect("ok")
}

#[test]
fn jsonl_rows_use_the_same_keys() {
    let text = br#"{"expediente":"J1","empresa":"X","nombre":"Ana","importe":1500.5,"moneda":"MXN","fecha_vencimiento":"2026-10-01","pais":"MX","telefono":"55 1234 5678","marcas":["sued"],"attributes":{"payment_link":"https://p/1"}}

{"id":"J2","creditor":"X","debtor_name":"Bo","amount_due":"10","currency":"USD","due_date":"2026-10-01","country":"US","contact_points":[{"kind":"phone","address":"(212) 734-5678","role":"guarantor","provenance":"skip_traced","consent":{"sms":true}},{"kind":"email","address":"Bo@X.com","role":"debtor","provenance":"creditor_file"}]}
"#;
    let r = jsonl(text);
    assert_eq!(r.errors, vec![]);
    assert_eq!(r.rows_read, 2);
    assert_eq!(r.accounts[0].amount_due.to_string(), "1500.50");
    assert!(r.accounts[0].flags.contains(&AccountFlag::Sued));
    assert_eq!(r.accounts[0].attributes["payment_link"], "https://p/1");
    let cps = &r.accounts[1].contact_points;
    assert_eq!(
        (cps[0].address.as_str(), cps[0].role),
        ("+12127345678", ContactRole::Guarantor)
    );
    assert_eq!(cps[0].consent.sms, Some(true));
    assert_eq!(cps[1].address, "bo@x.com");
}

#[test]
fn jsonl_bad_lines() {
    let mut text = Vec::new();
    writeln!(text, r#"{{"id":"J1","creditor":"X","debtor_name":"A","amount_due":"-1","currency":"MXN","due_date":"2026-10-01","country":"MX","email":"a@b.mx"}}"#).ok();
    writeln!(text, "not json").ok();
    writeln!(text, "[1,2]").ok();
    text.extend_from_slice(b"{\"id\":\"J\xff\"}\n");
    writeln!(text, r#"{{"id":"J5","creditor":"X","debtor_name":"A","amount_due":"1","currency":"MXN","due_date":"2026-10-01","country":"MX","contact_points":[{{"kind":"phone","address":"123","role":"debtor","provenance":"creditor_file"}}]}}"#).ok();
    writeln!(text, r#"{{"id":"J6","creditor":"X","debtor_name":"A","amount_due":"1","currency":"MXN","due_date":"2026-10-01","country":"MX","email":"a@b.mx","colour":"red"}}"#).ok();
    let r = jsonl(&text);
    let got: Vec<(usize, &str)> = r
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (1, "amount_due"),
            (2, "row"),
            (3, "row"),
            (4, "row"),
            (5, "contact_points[0].address")
        ]
    );
    assert!(r.errors[3].reason.contains("UTF-8"));
    assert_eq!(r.accounts.len(), 1);
    assert_eq!(r.accounts[0].attributes["colour"], "red");
}

#[test]
fn import_path_picks_the_format_by_extension() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("p.ndjson");
    std::fs::write(&p, r#"{"id":"J1","creditor":"X","debtor_name":"A","amount_due":"1","currency":"MXN","due_date":"2026-10-01","country":"MX","email":"a@b.mx"}"#).expect("write");
    assert_eq!(import_path(&p).expect("ok").accounts.len(), 1);
    let p = dir.path().join("p.CSV");
    std::fs::write(&p, format!("{HEADER}\n{}\n", row_with("id", "A"))).expect("write");
    assert_eq!(import_path(&p).expect("ok").accounts.len(), 1);
}

#[test]
fn line_numbers_with_crlf_and_runs_of_blank_lines() {
    let body = format!(
        "{HEADER}\r\n\r\n{}\r\n{}\r\n\r\n\r\n\r\n{}\r\n",
        row_with("id", "A1"),
        row_with("amount_due", "x"),
        row_with("currency", "x")
    );
    let r = csv(&body);
    let mut lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
    lines.dedup();
    assert_eq!(lines, [4, 8]);
    // Many blank lines in a row (more than one 64-byte run).
    let body = format!(
        "{HEADER}\n{}{}\n",
        "\n".repeat(150),
        row_with("currency", "x")
    );
    assert_eq!(csv(&body).errors[0].line, 152);
}

/// Each row error carries its reason as data: the English `reason` is
/// its text, and the same reason reads in Spanish.
#[test]
fn row_errors_carry_typed_reasons_in_both_languages() {
    let e = err_of("amount_due", "doce mil");
    assert!(
        matches!(&e.kind, RowReason::BadAmount { raw, .. } if raw == "doce mil"),
        "{e:?}"
    );
    assert_eq!(e.reason, e.kind.to_string());
    assert_eq!(e.reason_in(ReportLang::En), e.reason);
    assert_eq!(
        e.reason_in(ReportLang::Es),
        "'doce mil' no es un importe válido (por ejemplo 1234.56 o 1.234,56)"
    );
    let e = err_of("due_date", "31/02/2026");
    assert_eq!(
        e.reason_in(ReportLang::Es),
        "'31/02/2026' no es una fecha válida (AAAA-MM-DD, DD/MM/AAAA o DD-MM-AAAA)"
    );
    assert_eq!(err_of("creditor", "").kind, RowReason::Missing);
    assert_eq!(
        err_of("creditor", "").reason_in(ReportLang::Es),
        "falta el valor obligatorio"
    );
    let e = err_of("phone", "+52 55");
    assert!(
        matches!(
            e.kind,
            RowReason::PhoneNotValid { .. } | RowReason::NotAPhone { .. }
        ),
        "{e:?}"
    );
    assert!(
        e.reason_in(ReportLang::Es).contains("'+52 55' no es un"),
        "{e:?}"
    );
    // A value that could forge report lines is escaped in Spanish too.
    let e = err_of("country", "M\u{7}X");
    assert!(matches!(e.kind, RowReason::NotCountryCode { .. }), "{e:?}");
    let es = e.reason_in(ReportLang::Es);
    assert!(es.contains("M\\u{7}X") && !es.contains('\u{7}'), "{es}");
}
