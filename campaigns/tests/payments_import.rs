//! `cobro payments import`: the creditor's daily payments file.

use std::str::FromStr;

use cobro_campaigns::payments_import::{
    PaymentsImportError, PaymentsReport, import_payments_path, import_payments_reader,
};
use rust_decimal::Decimal;

fn import(text: &str) -> PaymentsReport {
    import_payments_reader("pagos.csv", text.as_bytes()).expect("import")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn errors(report: &PaymentsReport) -> Vec<String> {
    report.errors.iter().map(ToString::to_string).collect()
}

#[test]
fn spanish_headers_with_semicolons_bom_and_crlf() {
    let text = "\u{feff}Expediente;Importe;Fecha de Pago;Operación;Moneda\r\n\
                A-1;1500,50;01/05/2024;OP-1;mxn\r\n\
                \r\n\
                A-2;55.177,35;2024-05-02T10:30:00-06:00;OP-2;MXN\r\n";
    let report = import(text);
    assert!(report.is_clean(), "{:?}", errors(&report));
    assert_eq!(report.rows_read, 2);
    let [a, b] = &report.rows[..] else {
        panic!("two rows expected: {:?}", report.rows)
    };
    assert_eq!((a.line, a.account.as_str()), (2, "A-1"));
    assert_eq!(a.amount, dec("1500.50"));
    assert_eq!(a.currency.as_deref(), Some("MXN"));
    assert_eq!(a.at.to_rfc3339(), "2024-05-01T12:00:00+00:00");
    assert_eq!((a.reference.as_str(), a.reference_given), ("OP-1", true));
    // The blank line counts: errors and rows cite the editor's lines.
    assert_eq!(b.line, 4);
    assert_eq!(b.amount, dec("55177.35"));
    assert_eq!(b.at.to_rfc3339(), "2024-05-02T16:30:00+00:00");
}

#[test]
fn thousands_dot_with_decimal_comma_is_read() {
    let report = import("cuenta,monto,fecha\nA-1,\"55.177,35\",2024-05-01\n");
    assert!(report.is_clean(), "{:?}", errors(&report));
    assert_eq!(report.rows[0].amount, dec("55177.35"));
    assert_eq!(report.rows[0].amount.to_string(), "55177.35");
}

#[test]
fn tab_delimited_english_headers() {
    let report = import("account_id\tamount_paid\tpaid_at\tref\nA-1\t10.5\t2024-05-01\tR1\n");
    assert!(report.is_clean(), "{:?}", errors(&report));
    assert_eq!(report.rows[0].amount, dec("10.50"));
    assert_eq!(report.rows[0].reference, "R1");
}

#[test]
fn bad_rows_are_reported_with_line_and_field_and_good_rows_kept() {
    let text = "expediente;importe;fecha;referencia\n\
                A-1;100;2024-05-01;R1\n\
                A-2;abc;2024-05-01;R2\n\
                A-3;-5;2024-05-01;R3\n\
                A-4;0;2024-05-01;R4\n\
                A-5;100;ayer;R5\n\
                ;100;2024-05-01;R6\n\
                A-7;1,234;31/02/2024;R7\n\
                A-8;200;2024-05-01T10:00:00;R8\n\
                A-9;300,00;02/05/2024;R9\n";
    let report = import(text);
    assert_eq!(report.rows_read, 9);
    let kept: Vec<(&str, usize)> = report
        .rows
        .iter()
        .map(|r| (r.account.as_str(), r.line))
        .collect();
    assert_eq!(kept, [("A-1", 2), ("A-9", 10)]);
    assert_eq!(report.bad_rows(), 7);
    let where_: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        where_,
        [
            (3, "importe"),
            (4, "importe"),
            (5, "importe"),
            (6, "fecha"),
            (7, "expediente"),
            (8, "importe"),
            (8, "fecha"),
            (9, "fecha"),
        ]
    );
    let text = errors(&report);
    assert!(text[0].starts_with("line 3: importe: 'abc'"), "{}", text[0]);
    assert!(text[1].contains("negative"), "{}", text[1]);
    assert!(text[2].contains("greater than zero"), "{}", text[2]);
    assert!(text[3].contains("'ayer' is not a date"), "{}", text[3]);
    assert_eq!(text[4], "line 7: expediente: required value is missing");
    assert!(text[7].contains("no UTC offset"), "{}", text[7]);
    assert!(report.render_text("pagos.csv").starts_with(
        "pagos.csv: 9 rows read, 2 accepted, 7 rejected\npagos.csv: line 3: importe:"
    ));
}

#[test]
fn missing_required_column_is_a_file_error_naming_the_column() {
    let err = import_payments_reader(
        "pagos.csv",
        "expediente;fecha;referencia\nA-1;2024-05-01;R1\n".as_bytes(),
    )
    .expect_err("no amount column");
    assert!(err.is_missing_column());
    let msg = err.to_string();
    assert!(
        msg.starts_with("pagos.csv:1: header: missing required column 'amount'"),
        "{msg}"
    );
    assert!(msg.contains("importe"), "{msg}");
}

#[test]
fn other_file_level_problems_name_the_file() {
    let empty = import_payments_reader("vacio.csv", "".as_bytes()).expect_err("empty");
    assert!(matches!(empty, PaymentsImportError::Empty { .. }));
    assert!(empty.to_string().starts_with("vacio.csv:"), "{empty}");

    let twice = import_payments_reader("x.csv", "cuenta;expediente;importe;fecha\n".as_bytes())
        .expect_err("two account columns");
    assert_eq!(
        twice.to_string(),
        "x.csv:1: header: columns 'cuenta' and 'expediente' mean the same field"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("missing.csv");
    let err = import_payments_path(&path).expect_err("no such file");
    assert!(err.is_io());
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn reads_a_file_by_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pagos.csv");
    std::fs::write(&path, "cuenta;pago;fecha_pago\nA-1;12,5;2024-05-01\n").expect("write");
    let report = import_payments_path(&path).expect("import");
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].amount, dec("12.50"));
}

#[test]
fn duplicate_reference_is_a_row_error_on_the_second_row() {
    let text = "cuenta;importe;fecha;folio\n\
                A-1;100;2024-05-01;F-1\n\
                A-2;200;2024-05-01;F-2\n\
                A-3;300;2024-05-01;F-1\n\
                A-4;abc;2024-05-01;F-3\n\
                A-5;500;2024-05-01;F-3\n";
    let report = import(text);
    assert_eq!(report.rows.len(), 2);
    let errs = errors(&report);
    assert_eq!(errs[0], "line 4: folio: reference 'F-1' already on line 2");
    // A bad row still claims its reference, as a bad row's id does in a
    // portfolio: the creditor must say which of the two is the payment.
    assert!(errs[1].starts_with("line 5: importe:"), "{errs:?}");
    assert_eq!(errs[2], "line 6: folio: reference 'F-3' already on line 5");
    assert_eq!(errs.len(), 3);
}

#[test]
fn generated_references_are_stable_across_imports_and_distinct_for_identical_rows() {
    let text = "cuenta;importe;fecha\n\
                A-1;100;2024-05-01\n\
                A-1;100;2024-05-01\n\
                A-2;100;2024-05-01\n";
    let first = import(text);
    let second = import(text);
    assert!(first.is_clean(), "{:?}", errors(&first));
    let refs = |r: &PaymentsReport| -> Vec<String> {
        r.rows.iter().map(|p| p.reference.clone()).collect()
    };
    assert_eq!(refs(&first), refs(&second));
    assert_eq!(first.rows.len(), 3);
    assert!(first.rows.iter().all(|r| !r.reference_given));
    assert!(first.rows.iter().all(|r| r.reference.starts_with("auto-")));
    assert_ne!(first.rows[0].reference, first.rows[1].reference);
    assert_ne!(first.rows[0].reference, first.rows[2].reference);
    assert_ne!(first.rows[1].reference, first.rows[2].reference);

    // Form does not change the reference: same payment, other delimiter,
    // decimal comma, CRLF.
    let again = import("cuenta,importe,fecha\r\nA-1,\"100,00\",01/05/2024\r\n");
    assert_eq!(again.rows[0].reference, first.rows[0].reference);
}

#[test]
fn empty_reference_cell_gets_a_generated_one() {
    let report =
        import("cuenta;importe;fecha;referencia\nA-1;100;2024-05-01;\nA-1;100;2024-05-01;R\n");
    assert!(report.is_clean(), "{:?}", errors(&report));
    assert!(!report.rows[0].reference_given);
    assert!(report.rows[0].reference.starts_with("auto-"));
    assert!(report.rows[1].reference_given);
}

#[test]
fn currency_sets_the_allowed_decimals() {
    let text = "cuenta;importe;fecha;moneda\n\
                A-1;1500;2024-05-01;clp\n\
                A-2;1.500;2024-05-01;CLP\n\
                A-3;10;2024-05-01;XXX1\n";
    let report = import(text);
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].amount, dec("1500"));
    assert_eq!(report.rows[0].currency.as_deref(), Some("CLP"));
    // `1.500` is 1.5 or 1500 depending on who wrote it: refused, not guessed.
    assert!(
        report.errors[0].reason.contains("has decimals"),
        "{:?}",
        report.errors
    );
    let fields: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(fields, [(3, "importe"), (4, "moneda")]);
}

#[test]
fn excel_separator_only_lines_are_skipped_and_short_rows_reported() {
    let report = import("cuenta;importe;fecha\nA-1;1;2024-05-01\n;;\nA-2;2\n");
    assert_eq!(report.rows_read, 2);
    assert_eq!(report.rows.len(), 1);
    assert_eq!(
        errors(&report),
        ["line 4: columns: expected 3 fields as in the header, found 2"]
    );
}
