use cobro_campaigns::generator::{
    BadRow, GeneratorOptions, generate_portfolio, write_portfolio_csv,
};
use cobro_campaigns::import::{PortfolioFormat, import_reader};

fn csv_of(n: usize, seed: u64, bad: usize) -> Vec<u8> {
    let opts = GeneratorOptions {
        bad_rows: bad,
        ..GeneratorOptions::default()
    };
    let mut out = Vec::new();
    write_portfolio_csv(&mut out, n, seed, &opts).expect("write to memory");
    out
}

#[test]
fn generated_rows_all_import() {
    for seed in [1, 2, 3] {
        let data = csv_of(5000, seed, 0);
        let report = import_reader(&data[..], PortfolioFormat::Csv, "gen.csv").expect("import");
        let shown: Vec<String> = report
            .errors
            .iter()
            .take(10)
            .map(ToString::to_string)
            .collect();
        assert!(report.errors.is_empty(), "seed {seed}: {shown:#?}");
        assert_eq!(report.accounts.len(), 5000);
    }
}

#[test]
fn same_seed_same_bytes_and_other_seed_differs() {
    assert_eq!(csv_of(300, 7, 5), csv_of(300, 7, 5));
    assert_ne!(csv_of(300, 7, 5), csv_of(300, 8, 5));
}

#[test]
fn bad_rows_fail_for_their_reason() {
    let opts = GeneratorOptions {
        bad_rows: 16,
        ..GeneratorOptions::default()
    };
    let rows: Vec<_> = generate_portfolio(400, 11, &opts).collect();
    let bad: Vec<(usize, BadRow)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.bad.map(|b| (i + 2, b)))
        .collect();
    assert_eq!(bad.len(), 16);
    for kind in BadRow::ALL {
        assert!(
            bad.iter().any(|(_, b)| *b == kind),
            "{kind:?} never generated"
        );
    }
    let data = csv_of(400, 11, 16);
    let report = import_reader(&data[..], PortfolioFormat::Csv, "gen.csv").expect("import");
    assert_eq!(report.accounts.len(), 400 - 16);
    for (line, kind) in bad {
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.line == line && e.field == kind.field()),
            "line {line} {kind:?} not reported as {}: {:?}",
            kind.field(),
            report
                .errors
                .iter()
                .filter(|e| e.line == line)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn generated_portfolio_is_varied() {
    let rows: Vec<_> = generate_portfolio(3000, 5, &GeneratorOptions::default()).collect();
    for country in ["MX", "CO", "CL", "PE", "US"] {
        assert!(
            rows.iter().any(|r| r.get("country") == Some(country)),
            "{country}"
        );
    }
    for sub in ["MX-BCN", "MX-ROO", "MX-SON", "MX-CMX", "MX-JAL", "MX-NLE"] {
        assert!(
            rows.iter().any(|r| r.get("subdivision") == Some(sub)),
            "{sub}"
        );
    }
    for (country, none) in [("MX", ""), ("US", "")] {
        assert!(
            rows.iter()
                .any(|r| r.get("country") == Some(country) && r.get("subdivision") == Some(none))
        );
    }
    for seg in ["temprana", "media", "tardia"] {
        assert!(rows.iter().any(|r| r.get("segment") == Some(seg)));
    }
    for flag in ["minor", "cease_communication", "sued", "disputed"] {
        assert!(rows.iter().any(|r| r.get("flags") == Some(flag)), "{flag}");
    }
    for role in ["guarantor", "third_party"] {
        assert!(
            rows.iter().any(|r| r.get("phone2_role") == Some(role)),
            "{role}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r.get("phone_provenance") == Some("skip_traced"))
    );
}

#[test]
fn rut_check_digits() {
    use cobro_campaigns::generator::rut_check_digit;
    assert_eq!(rut_check_digit(12_345_678), '5');
    assert_eq!(rut_check_digit(11_111_111), '1');
    assert_eq!(rut_check_digit(10_000_013), 'K');
}
