//! What Excel in a Spanish locale writes, through the real `cobro`
//! binary: a Windows-1252, `;`-separated, CRLF portfolio with `55.177,35`
//! amounts and `21/08/2026` dates imports whole; `--encoding utf-8` on it
//! reports the bad bytes with their lines; the same data as `.xlsx`
//! imports too; and a Windows-1252 payments file with decimal commas is
//! recorded against the imported accounts.

use std::path::Path;

use cobro_tests::{cobro, stderr, stdout};
use encoding_rs::WINDOWS_1252;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const NAMES: [&str; 20] = [
    "Verónica López",
    "José Muñoz",
    "María Ibáñez",
    "Raúl Peña",
    "Inés Güemes",
    "Ángel Núñez",
    "Óscar Martínez",
    "Sofía Gutiérrez",
    "Iñaki Echeverría",
    "Lucía Fernández",
    "Andrés Pérez",
    "Begoña Álvarez",
    "Rocío Domínguez",
    "Joaquín Sáenz",
    "Noemí Cortés",
    "Adrián Rodríguez",
    "Concepción Díaz",
    "Tomás Ruíz",
    "Ramón Muñiz",
    "Zoë Castaño",
];

const HEADER: [&str; 8] = [
    "Expediente",
    "Empresa",
    "Nombre",
    "Importe",
    "Moneda",
    "Fecha de vencimiento",
    "País",
    "Correo",
];

/// Row `i`: its amount as Excel writes it and as a number.
fn amount(i: usize) -> (String, f64) {
    let cents = 5_517_735 + 1_000_011 * i as u64;
    let (units, cents) = (cents / 100, cents % 100);
    let grouped = units
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(".");
    (
        format!("{grouped},{cents:02}"),
        units as f64 + cents as f64 / 100.0,
    )
}

fn cp1252_portfolio(dir: &Path) -> std::path::PathBuf {
    let mut text = format!("{}\r\n", HEADER.join(";"));
    for (i, name) in NAMES.iter().enumerate() {
        text.push_str(&format!(
            "EXP-{i:02};Financiera Peñalolén;{name};{};MXN;{:02}/08/2026;MX;d{i}@example.com\r\n",
            amount(i).0,
            i + 1
        ));
    }
    let (bytes, _, unmappable) = WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "must not be UTF-8");
    let path = dir.join("cartera.csv");
    std::fs::write(&path, &bytes).expect("write");
    path
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = cobro(dir, args);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_windows_1252_portfolio_imports_whole_and_utf8_declared_names_the_bytes() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let file = cp1252_portfolio(dir);
    let file = file.to_str().expect("utf-8");
    let store = format!("sqlite://{}", dir.join("cobro.db").display());

    let (code, text) = run(dir, &["import", file, "--store", &store]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("20 rows read, 20 accepted, 0 rejected"),
        "{text}"
    );
    assert!(text.contains("loaded 20 accounts"), "{text}");

    // Declared UTF-8, the accented header is refused at line 1 with its byte…
    let (code, text) = run(dir, &["import", file, "--check", "--encoding", "utf-8"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cartera.csv:1: header: column 7"), "{text}");
    assert!(text.contains("not valid UTF-8 (byte 0xED"), "{text}");
    // …and with a plain header each accented row is refused on its line.
    let plain = std::fs::read(file)
        .expect("read")
        .splitn(2, |b| *b == b'\n')
        .nth(1)
        .map(|rest| {
            let mut v =
                b"Expediente;Empresa;Nombre;Importe;Moneda;Vencimiento;Pais;Correo\r\n".to_vec();
            v.extend_from_slice(rest);
            v
        })
        .expect("rows");
    let plain_path = dir.join("plano.csv");
    std::fs::write(&plain_path, plain).expect("write");
    let plain_path = plain_path.to_str().expect("utf-8");
    let (code, text) = run(
        dir,
        &["import", plain_path, "--check", "--encoding", "utf-8"],
    );
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("20 rows read, 0 accepted, 20 rejected"),
        "{text}"
    );
    assert!(
        text.contains("line 2: Empresa: not valid UTF-8 (byte 0xF1 at position 14)"),
        "{text}"
    );
    assert!(text.contains("line 21: Nombre: not valid UTF-8"), "{text}");
    // Declared right, it reads like the detected one.
    let (code, text) = run(
        dir,
        &[
            "import",
            plain_path,
            "--check",
            "--encoding",
            "cp1252",
            "--decimal",
            ",",
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("20 accepted"), "{text}");
}

#[test]
fn bad_options_are_bad_input() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let file = cp1252_portfolio(dir);
    let file = file.to_str().expect("utf-8");
    let (code, text) = run(dir, &["import", file, "--check", "--encoding", "klingon"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown text encoding 'klingon'"), "{text}");
    let (code, text) = run(dir, &["import", file, "--check", "--decimal", ";"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("decimal separator"), "{text}");
    // Declared '.', the file's comma decimals are each refused.
    let (code, text) = run(dir, &["import", file, "--check", "--decimal", "."]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("20 rows read, 0 accepted, 20 rejected"),
        "{text}"
    );
    assert!(
        text.contains(
            "line 2: Importe: '55.177,35' does not use the declared decimal separator '.'"
        ),
        "{text}"
    );
}

#[test]
fn an_xlsx_portfolio_and_a_windows_1252_payments_file() {
    let work = tempfile::tempdir().expect("temp dir");
    let dir = work.path();
    let path = dir.join("cartera.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let dates = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (i, name) in NAMES.iter().enumerate() {
        let r = i as u32 + 1;
        sheet
            .write_string(r, 0, format!("EXP-{i:02}"))
            .expect("cell");
        sheet
            .write_string(r, 1, "Financiera Peñalolén")
            .expect("cell");
        sheet.write_string(r, 2, *name).expect("cell");
        sheet.write_number(r, 3, amount(i).1).expect("cell");
        sheet.write_string(r, 4, "MXN").expect("cell");
        if i == 0 {
            sheet.write_string(r, 5, "21/08/2026").expect("cell");
        } else {
            let day = ExcelDateTime::from_ymd(2026, 8, i as u8 + 1).expect("date");
            sheet
                .write_datetime_with_format(r, 5, &day, &dates)
                .expect("cell");
        }
        sheet.write_string(r, 6, "MX").expect("cell");
        sheet
            .write_string(r, 7, format!("d{i}@example.com"))
            .expect("cell");
    }
    book.save(&path).expect("save");
    let store = format!("sqlite://{}", dir.join("cobro.db").display());
    let (code, text) = run(
        dir,
        &["import", path.to_str().expect("utf-8"), "--store", &store],
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("20 rows read, 20 accepted, 0 rejected"),
        "{text}"
    );

    // The creditor's payments, from the same Excel: cp1252, `;`, commas.
    let payments = "Expediente;Importe;Fecha de pago;Operación\r\n\
                    EXP-00;1.000,00;21/08/2026;Depósito Nº 1\r\n\
                    EXP-01;2.500;22/08/2026;Depósito Nº 2\r\n\
                    EXP-02;99,5;23/08/2026;Depósito Nº 3\r\n";
    let (bytes, _, _) = WINDOWS_1252.encode(payments);
    let pagos = dir.join("pagos.csv");
    std::fs::write(&pagos, &bytes).expect("write");
    let pagos = pagos.to_str().expect("utf-8");
    let (code, text) = run(dir, &["payments", "import", pagos, "--check"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 rows read, 3 good, 0 bad"), "{text}");
    let (code, text) = run(dir, &["payments", "import", pagos, "--store", &store]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 payments recorded"), "{text}");
    // Declared '.', the file's decimal commas contradict it (and `2.500`
    // would be 2.5): those rows are refused, not reread.
    let (code, text) = run(
        dir,
        &["payments", "import", pagos, "--check", "--decimal", "."],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("3 rows read, 1 good, 2 bad"), "{text}");
    assert!(
        text.contains("line 2: Importe: '1.000,00' does not use"),
        "{text}"
    );
    assert!(
        text.contains("line 4: Importe: '99,5' does not use"),
        "{text}"
    );
}
