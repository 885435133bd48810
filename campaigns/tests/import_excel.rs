//! What Excel in a Spanish locale writes, end to end: Windows-1252 text,
//! `;` separators, CRLF, `55.177,35` amounts, `21/08/2026` dates, and the
//! same data as an `.xlsx` workbook; for the portfolio and the payments
//! file alike.

use std::str::FromStr;

use chrono::NaiveDate;
use cobro_campaigns::Account;
use cobro_campaigns::import::{
    DecimalSeparator, ImportOptions, ImportReport, PortfolioFormat, TextEncoding, import_path,
    import_path_with, import_reader, import_reader_with,
};
use cobro_campaigns::payments_import::{import_payments_path, import_payments_reader};
use encoding_rs::WINDOWS_1252;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// One account of the sample: (id, name, amount as Excel writes it, the
/// amount, due day in August 2026).
const ROWS: [(&str, &str, &str, &str, u32); 20] = [
    ("EXP-01", "Verónica López", "55.177,35", "55177.35", 21),
    ("EXP-02", "José Muñoz", "1.234,56", "1234.56", 1),
    ("EXP-03", "María Ibáñez", "980,10", "980.10", 2),
    ("EXP-04", "Raúl Peña", "12.500,00", "12500.00", 3),
    ("EXP-05", "Inés Güemes", "7,50", "7.50", 4),
    ("EXP-06", "Ángel Núñez", "2.000,99", "2000.99", 5),
    ("EXP-07", "Óscar Martínez", "300,00", "300.00", 6),
    ("EXP-08", "Sofía Gutiérrez", "45.000,01", "45000.01", 7),
    (
        "EXP-09",
        "Iñaki Echeverría",
        "1.000.000,00",
        "1000000.00",
        8,
    ),
    ("EXP-10", "Lucía Fernández", "99,99", "99.99", 9),
    ("EXP-11", "Andrés Pérez", "5.432,10", "5432.10", 10),
    ("EXP-12", "Begoña Álvarez", "150,50", "150.50", 11),
    ("EXP-13", "Rocío Domínguez", "8.765,43", "8765.43", 12),
    ("EXP-14", "Joaquín Sáenz", "60,00", "60.00", 13),
    ("EXP-15", "Noemí Cortés", "23.456,78", "23456.78", 14),
    ("EXP-16", "Adrián Rodríguez", "1,25", "1.25", 15),
    ("EXP-17", "Concepción Díaz", "3.333,33", "3333.33", 16),
    ("EXP-18", "Tomás Ruíz", "710,00", "710.00", 17),
    ("EXP-19", "Ramón Muñiz", "19.999,90", "19999.90", 18),
    ("EXP-20", "Zoë Castaño", "4.000,00", "4000.00", 19),
];

const HEADER: &str =
    "Expediente;Empresa;Nombre;Importe;Moneda;Fecha de vencimiento;País;Teléfono;Correo";
const CREDITOR: &str = "Financiera Peñalolén";

fn phone(i: usize) -> String {
    format!("55 1234 56{:02}", i + 1)
}

fn email(i: usize) -> String {
    format!("deudor{:02}@example.com", i + 1)
}

/// The sample as Excel's "CSV (delimitado por punto y coma)" writes it,
/// before encoding.
fn sample_text(header: &str) -> String {
    let mut text = format!("{header}\r\n");
    for (i, (id, name, amount, _, day)) in ROWS.iter().enumerate() {
        text.push_str(&format!(
            "{id};{CREDITOR};{name};{amount};MXN;{day:02}/08/2026;MX;{};{}\r\n",
            phone(i),
            email(i)
        ));
    }
    text
}

fn cp1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = WINDOWS_1252.encode(text);
    assert!(
        !unmappable,
        "the sample must be representable in Windows-1252"
    );
    let bytes = bytes.into_owned();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the sample must not be valid UTF-8, or the test proves nothing"
    );
    bytes
}

fn csv(bytes: &[u8]) -> ImportReport {
    import_reader(bytes, PortfolioFormat::Csv, "cartera.csv").expect("file-level ok")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn assert_is_the_sample(accounts: &[Account]) {
    assert_eq!(accounts.len(), ROWS.len());
    for (a, (id, name, _, amount, day)) in accounts.iter().zip(ROWS) {
        assert_eq!(a.id, id);
        assert_eq!(a.debtor_name, name, "{id}");
        assert_eq!(a.creditor, CREDITOR, "{id}");
        assert_eq!(a.amount_due, dec(amount), "{id}");
        assert_eq!(a.amount_due.to_string(), amount, "{id}: scale");
        assert_eq!(a.currency, "MXN");
        assert_eq!(
            a.due_date,
            NaiveDate::from_ymd_opt(2026, 8, day).expect("date")
        );
        assert_eq!(a.contact_points.len(), 2, "{id}");
    }
}

// --- Windows-1252 CSV ------------------------------------------------------------

#[test]
fn a_spanish_excel_csv_imports_every_row() {
    let report = csv(&cp1252(&sample_text(HEADER)));
    assert!(report.is_clean(), "{}", report.render_text("cartera.csv"));
    assert_eq!(report.rows_read, 20);
    assert_is_the_sample(&report.accounts);
    assert_eq!(report.accounts[0].debtor_name, "Verónica López");
    assert_eq!(report.accounts[1].debtor_name, "José Muñoz");
    assert_eq!(report.accounts[0].amount_due, Decimal::new(5_517_735, 2));
    assert_eq!(
        report.accounts[0].due_date,
        NaiveDate::from_ymd_opt(2026, 8, 21).expect("date")
    );
}

#[test]
fn the_same_file_on_disk_and_declared_reads_the_same() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("cartera.csv");
    std::fs::write(&path, cp1252(&sample_text(HEADER))).expect("write");
    let detected = import_path(&path).expect("import");
    assert_is_the_sample(&detected.accounts);
    for label in ["windows-1252", "cp1252", "latin1"] {
        let options = ImportOptions {
            encoding: TextEncoding::from_label(label).expect("label"),
            decimal: Some(DecimalSeparator::Comma),
        };
        let declared = import_path_with(&path, &options).expect("import");
        assert_eq!(declared.accounts, detected.accounts, "{label}");
    }
}

#[test]
fn one_bad_row_is_named_and_the_other_nineteen_kept() {
    let text = sample_text(HEADER).replace("8.765,43", "8.76,543");
    let report = csv(&cp1252(&text));
    assert_eq!(report.rows_read, 20);
    assert_eq!(report.accounts.len(), 19);
    assert_eq!(report.bad_rows(), 1);
    let [e] = &report.errors[..] else {
        panic!("one error expected: {:?}", report.errors)
    };
    // EXP-13 is the 13th data row: line 14 (the header is line 1).
    assert_eq!((e.line, e.field.as_str()), (14, "Importe"));
    assert!(e.reason.contains("'8.76,543'"), "{e}");
    assert!(!report.accounts.iter().any(|a| a.id == "EXP-13"));
    assert_eq!(report.accounts[12].debtor_name, "Joaquín Sáenz");
}

#[test]
fn declared_utf8_reports_each_bad_byte_with_its_line() {
    let options = ImportOptions {
        encoding: TextEncoding::from_label("utf-8").expect("label"),
        ..ImportOptions::default()
    };
    // With the accented header the whole file is refused at line 1…
    let err = import_reader_with(
        &cp1252(&sample_text(HEADER))[..],
        PortfolioFormat::Csv,
        "cartera.csv",
        &options,
    )
    .expect_err("header");
    let msg = err.to_string();
    assert!(msg.starts_with("cartera.csv:1: header: column 7"), "{msg}");
    assert!(msg.contains("0xED"), "{msg}");
    // …with a plain one every row with an accent is refused on its line.
    let header = HEADER
        .replace("País", "Pais")
        .replace("Teléfono", "Telefono");
    let report = import_reader_with(
        &cp1252(&sample_text(&header))[..],
        PortfolioFormat::Csv,
        "cartera.csv",
        &options,
    )
    .expect("rows");
    assert_eq!(report.accounts.len(), 0);
    let lines: std::collections::BTreeSet<usize> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, (2..=21).collect(), "{:?}", report.errors);
    let first = &report.errors[0];
    assert_eq!((first.line, first.field.as_str()), (2, "Empresa"));
    assert!(
        first.reason.contains("not valid UTF-8 (byte 0xF1"),
        "{first}"
    );
    assert!(first.reason.contains("declared UTF-8"), "{first}");
}

#[test]
fn a_utf8_row_in_a_windows_1252_file_is_reported_not_garbled() {
    let mut bytes = cp1252(&sample_text(HEADER));
    bytes.extend_from_slice(
        "EXP-21;Tiendas Aurora;Begoña Ruiz;100,00;MXN;01/09/2026;MX;55 1234 5699;x@example.com\r\n"
            .as_bytes(),
    );
    let report = csv(&bytes);
    assert_eq!(report.accounts.len(), 20);
    let [e] = &report.errors[..] else {
        panic!("one error expected: {:?}", report.errors)
    };
    assert_eq!((e.line, e.field.as_str()), (22, "Nombre"));
    assert!(e.reason.contains("looks like UTF-8"), "{e}");
    assert!(e.reason.contains("line 1"), "{e}");
}

#[test]
fn utf8_with_or_without_bom_and_utf16_still_work() {
    let text = sample_text(HEADER);
    assert_is_the_sample(&csv(text.as_bytes()).accounts);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    assert_is_the_sample(&csv(&bom).accounts);
    // Excel's "Unicode text": UTF-16LE with a mark, tab-separated.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.replace(';', "\t").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let report = csv(&utf16);
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_is_the_sample(&report.accounts);
}

// --- the decimal separator --------------------------------------------------------

fn one_amount_file(amounts: &[&str], currency: &str) -> Vec<u8> {
    let mut text =
        String::from("id;creditor;debtor_name;amount_due;currency;due_date;country;email\r\n");
    for (i, a) in amounts.iter().enumerate() {
        text.push_str(&format!(
            "A{i};X;Ana;{a};{currency};2026-10-01;MX;a{i}@example.com\r\n"
        ));
    }
    text.into_bytes()
}

#[test]
fn an_ambiguous_amount_with_no_hint_is_reported_not_misread() {
    let report = csv(&one_amount_file(&["1.234"], "MXN"));
    assert_eq!(report.accounts.len(), 0);
    let [e] = &report.errors[..] else {
        panic!("one error expected: {:?}", report.errors)
    };
    assert_eq!((e.line, e.field.as_str()), (2, "amount_due"));
    assert!(e.reason.contains("ambiguous"), "{e}");
    assert!(
        e.reason.contains("1234") && e.reason.contains("1.234"),
        "{e}"
    );
    assert!(e.reason.contains("--decimal"), "{e}");
    let report = csv(&one_amount_file(&["1,234"], "MXN"));
    assert!(
        report.errors[0].reason.contains("ambiguous"),
        "{:?}",
        report.errors
    );
}

#[test]
fn the_decimal_option_forces_the_reading() {
    let data = one_amount_file(&["1.234", "1,5"], "KWD");
    let read = |decimal| {
        let options = ImportOptions {
            decimal: Some(decimal),
            ..ImportOptions::default()
        };
        import_reader_with(&data[..], PortfolioFormat::Csv, "t.csv", &options).expect("import")
    };
    let comma = read(DecimalSeparator::Comma);
    assert!(comma.is_clean(), "{:?}", comma.errors);
    assert_eq!(comma.accounts[0].amount_due, dec("1234.000"));
    assert_eq!(comma.accounts[1].amount_due, dec("1.500"));
    // Declared '.', the same file: 1.234 KWD, and `1,5` contradicts it.
    let dot = read(DecimalSeparator::Dot);
    assert_eq!(dot.accounts.len(), 1);
    assert_eq!(dot.accounts[0].amount_due, dec("1.234"));
    assert_eq!(dot.errors[0].line, 3);
    assert!(
        dot.errors[0].reason.contains("declared"),
        "{:?}",
        dot.errors
    );
}

#[test]
fn the_other_amounts_of_the_file_decide_an_ambiguous_one() {
    let report = csv(&one_amount_file(&["1.234", "55.177,35"], "MXN"));
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(report.accounts[0].amount_due, dec("1234.00"));
    let report = csv(&one_amount_file(&["1.234", "1,234.50"], "KWD"));
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(report.accounts[0].amount_due, dec("1.234"));
    // Amounts that disagree decide nothing.
    let report = csv(&one_amount_file(&["1.234", "1.234,50", "1,234.50"], "MXN"));
    assert_eq!(report.accounts.len(), 2);
    assert_eq!(report.errors[0].line, 2);
    assert!(
        report.errors[0].reason.contains("disagree"),
        "{:?}",
        report.errors
    );
    // English forms read right too.
    let report = csv(&one_amount_file(&["55177.35", "1,234.56"], "MXN"));
    assert_eq!(report.accounts[1].amount_due, dec("1234.56"));
}

#[test]
fn a_file_on_disk_is_judged_by_all_its_amounts_a_stream_by_its_first_rows() {
    // The only clear amount comes after the first 4,096 rows.
    let mut amounts = vec!["1.234"];
    amounts.extend(std::iter::repeat_n("100", 4200));
    amounts.push("55.177,35");
    let data = one_amount_file(&amounts, "MXN");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("grande.csv");
    std::fs::write(&path, &data).expect("write");
    let on_disk = import_path(&path).expect("import");
    assert!(on_disk.is_clean(), "{:?}", &on_disk.errors[..1]);
    assert_eq!(on_disk.accounts[0].amount_due, dec("1234.00"));
    let streamed = csv(&data);
    assert_eq!(streamed.errors.len(), 1);
    assert_eq!(streamed.errors[0].line, 2);
    assert!(streamed.errors[0].reason.contains("ambiguous"));
}

// --- workbooks ---------------------------------------------------------------------

/// The sample as a workbook: amounts as numbers (one as text), due dates
/// as date cells (one as a text date, one as a bare serial number),
/// phones as numbers.
fn sample_workbook(path: &std::path::Path, bad_email_row: Option<usize>) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in HEADER.split(';').enumerate() {
        sheet.write_string(0, c as u16, h).expect("header");
    }
    for (i, (id, name, text_amount, amount, day)) in ROWS.iter().enumerate() {
        let r = (i + 1) as u32;
        sheet.write_string(r, 0, *id).expect("id");
        sheet.write_string(r, 1, CREDITOR).expect("creditor");
        sheet.write_string(r, 2, *name).expect("name");
        if i == 1 {
            sheet.write_string(r, 3, *text_amount).expect("amount");
        } else {
            let value: f64 = amount.parse().expect("f64");
            sheet.write_number(r, 3, value).expect("amount");
        }
        sheet.write_string(r, 4, "MXN").expect("currency");
        match i {
            0 => sheet
                .write_string(r, 5, format!("{day:02}/08/2026"))
                .expect("text date"),
            2 => {
                let serial = (NaiveDate::from_ymd_opt(2026, 8, *day).expect("date")
                    - NaiveDate::from_ymd_opt(1899, 12, 30).expect("epoch"))
                .num_days();
                sheet.write_number(r, 5, serial as f64).expect("serial")
            }
            _ => {
                let date = ExcelDateTime::from_ymd(2026, 8, *day as u8).expect("date");
                sheet
                    .write_datetime_with_format(r, 5, &date, &date_format)
                    .expect("date cell")
            }
        };
        sheet.write_string(r, 6, "MX").expect("country");
        let digits: f64 = phone(i).replace(' ', "").parse().expect("phone");
        sheet.write_number(r, 7, digits).expect("phone");
        let mail = if Some(i) == bad_email_row {
            "not-an-email".to_string()
        } else {
            email(i)
        };
        sheet.write_string(r, 8, mail).expect("email");
    }
    book.save(path).expect("save");
}

#[test]
fn an_xlsx_imports_like_the_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("cartera.xlsx");
    sample_workbook(&path, None);
    assert_eq!(
        PortfolioFormat::from_path(&path),
        Some(PortfolioFormat::Xlsx)
    );
    let book = import_path(&path).expect("import");
    assert!(book.is_clean(), "{}", book.render_text("cartera.xlsx"));
    assert_is_the_sample(&book.accounts);
    let csv = csv(&cp1252(&sample_text(HEADER)));
    assert_eq!(book.accounts, csv.accounts);
    // The same bytes through a reader.
    let data = std::fs::read(&path).expect("read");
    let streamed = import_reader(&data[..], PortfolioFormat::Xlsx, "cartera.xlsx").expect("ok");
    assert_eq!(streamed.accounts, csv.accounts);
}

#[test]
fn xlsx_errors_name_the_sheet_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("cartera.xlsx");
    sample_workbook(&path, Some(4));
    let report = import_path(&path).expect("import");
    assert_eq!(report.accounts.len(), 19);
    let [e] = &report.errors[..] else {
        panic!("one error expected: {:?}", report.errors)
    };
    // The fifth account is on sheet row 6 (the header is row 1).
    assert_eq!((e.line, e.field.as_str()), (6, "Correo"));
}

#[test]
fn a_file_that_is_not_a_workbook_is_a_file_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("cartera.xlsx");
    std::fs::write(&path, b"id;nombre\n").expect("write");
    let err = import_path(&path).expect_err("not a zip");
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("workbook"), "{err}");
}

// --- the payments file -------------------------------------------------------------

#[test]
fn a_windows_1252_payments_file_with_decimal_commas() {
    let text = "Expediente;Importe;Fecha de pago;Operación;Moneda\r\n\
                EXP-01;55.177,35;21/08/2026;Depósito Nº 1;MXN\r\n\
                EXP-02;1.500;22-08-2026;Depósito Nº 2;MXN\r\n\
                EXP-03;980,1;2026-08-23;Transferencia Ñ;MXN\r\n";
    let report = import_payments_reader("pagos.csv", &cp1252(text)[..]).expect("import");
    assert!(report.is_clean(), "{:?}", report.errors);
    let amounts: Vec<Decimal> = report.rows.iter().map(|r| r.amount).collect();
    // `1.500` follows the file's decimal commas: 1500, not 1.5.
    assert_eq!(amounts, [dec("55177.35"), dec("1500.00"), dec("980.10")]);
    assert_eq!(report.rows[0].reference, "Depósito Nº 1");
    assert_eq!(report.rows[2].reference, "Transferencia Ñ");
    assert_eq!(report.rows[0].at.to_rfc3339(), "2026-08-21T12:00:00+00:00");
    assert_eq!(report.rows[1].at.to_rfc3339(), "2026-08-22T12:00:00+00:00");
    assert_eq!(
        report.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 4]
    );
}

#[test]
fn a_payments_workbook() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("pagos.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Expediente", "Importe", "Fecha de pago", "Operación"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    let date = ExcelDateTime::from_ymd(2026, 8, 21).expect("date");
    let format = Format::new().set_num_format("dd/mm/yyyy");
    sheet.write_string(1, 0, "EXP-01").expect("cell");
    sheet.write_number(1, 1, 55177.35).expect("cell");
    sheet
        .write_datetime_with_format(1, 2, &date, &format)
        .expect("cell");
    sheet.write_string(1, 3, "Depósito 1").expect("cell");
    sheet.write_string(2, 0, "EXP-02").expect("cell");
    sheet.write_number(2, 1, -5.0).expect("cell");
    sheet.write_string(2, 2, "21/08/2026").expect("cell");
    sheet.write_string(2, 3, "Depósito 2").expect("cell");
    book.save(&path).expect("save");
    let report = import_payments_path(&path).expect("import");
    assert_eq!(report.rows.len(), 1, "{:?}", report.errors);
    assert_eq!(report.rows[0].amount, dec("55177.35"));
    assert_eq!(report.rows[0].at.to_rfc3339(), "2026-08-21T12:00:00+00:00");
    assert_eq!(report.rows[0].reference, "Depósito 1");
    assert_eq!(
        (report.errors[0].line, report.errors[0].field.as_str()),
        (3, "Importe")
    );
}
