//! A seeded generator of realistic sample portfolios, for `cobro demo`,
//! tests and benchmarks: Mexican, Colombian, Chilean, Peruvian and US
//! debtors spread over several states and time zones (and some with no
//! subdivision, so multi-zone countries show up), with local phone formats,
//! tax ids, local-currency amounts, consent columns, guarantors and
//! skip-traced numbers, and optionally a number of deliberately broken
//! rows.
//!
//! The same `(n, seed, options)` always produces the same rows, byte for
//! byte, so a demo or a benchmark is reproducible. Every good row passes
//! [`crate::import`]; every bad row fails it for exactly the reason its
//! [`BadRow`] names. All names and companies are invented.

use std::io::{self, Write};

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Knobs of the generator.
#[derive(Debug, Clone)]
pub struct GeneratorOptions {
    /// Due dates fall 1–120 days before this date.
    pub reference_date: NaiveDate,
    /// How many rows to break on purpose (spread evenly over the file).
    pub bad_rows: usize,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        GeneratorOptions {
            reference_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            bad_rows: 0,
        }
    }
}

/// How a deliberately bad row is broken, and which column the importer
/// will blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadRow {
    BadPhone,
    UnknownZone,
    NegativeAmount,
    MissingId,
    DuplicatedId,
    BadDate,
    BadEmail,
    UnknownCountry,
}

impl BadRow {
    pub const ALL: [BadRow; 8] = [
        BadRow::BadPhone,
        BadRow::UnknownZone,
        BadRow::NegativeAmount,
        BadRow::MissingId,
        BadRow::DuplicatedId,
        BadRow::BadDate,
        BadRow::BadEmail,
        BadRow::UnknownCountry,
    ];

    /// The column the importer reports for this defect.
    pub fn field(self) -> &'static str {
        match self {
            BadRow::BadPhone => "phone",
            BadRow::UnknownZone => "timezone",
            BadRow::NegativeAmount => "amount_due",
            BadRow::MissingId | BadRow::DuplicatedId => "id",
            BadRow::BadDate => "due_date",
            BadRow::BadEmail => "email",
            BadRow::UnknownCountry => "country",
        }
    }
}

/// The CSV header the generator writes, in column order.
pub const COLUMNS: [&str; 28] = [
    "id",
    "creditor",
    "debtor_name",
    "tax_id",
    "amount_due",
    "currency",
    "due_date",
    "segment",
    "language",
    "country",
    "subdivision",
    "timezone",
    "phone",
    "phone_role",
    "phone_provenance",
    "phone_flags",
    "consent_sms",
    "consent_voice",
    "email",
    "email_role",
    "email_provenance",
    "email_flags",
    "consent_email",
    "phone2",
    "phone2_role",
    "phone2_provenance",
    "flags",
    "payment_link",
];

/// One generated row, as the text of each column of [`COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRow {
    pub fields: [String; 28],
    /// `Some` when the row was broken on purpose.
    pub bad: Option<BadRow>,
}

impl GeneratedRow {
    /// The value of a column by its [`COLUMNS`] name.
    pub fn get(&self, column: &str) -> Option<&str> {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .map(|i| self.fields[i].as_str())
    }
}

/// The rows, lazily: a million can be streamed to a file.
pub fn generate_portfolio(
    n: usize,
    seed: u64,
    opts: &GeneratorOptions,
) -> impl Iterator<Item = GeneratedRow> + use<> {
    let opts = opts.clone();
    let mut rng = StdRng::seed_from_u64(seed);
    let bad = opts.bad_rows.min(n.saturating_sub(1));
    // Bad rows sit at evenly spaced positions, never on row 0 (whose id
    // the duplicated-id defect reuses).
    let stride = if bad == 0 { usize::MAX } else { n / (bad + 1) };
    (0..n).map(move |i| {
        let mut row = good_row(&mut rng, i, &opts);
        if stride != usize::MAX && i > 0 && i % stride == 0 && i / stride <= bad {
            let kind = BadRow::ALL[(i / stride - 1) % BadRow::ALL.len()];
            break_row(&mut row, kind);
        }
        row
    })
}

/// Writes `n` rows as CSV with the [`COLUMNS`] header.
pub fn write_portfolio_csv<W: Write>(
    w: W,
    n: usize,
    seed: u64,
    opts: &GeneratorOptions,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(io::BufWriter::with_capacity(1 << 16, w));
    out.write_record(COLUMNS)?;
    for row in generate_portfolio(n, seed, opts) {
        out.write_record(&row.fields)?;
    }
    out.flush()
}

// ---------------------------------------------------------------------------

struct Region {
    code: Option<&'static str>,
    zone: &'static str,
    /// Phone prefixes (area codes) used there.
    areas: &'static [&'static str],
}

const MX_REGIONS: &[Region] = &[
    Region {
        code: Some("MX-CMX"),
        zone: "America/Mexico_City",
        areas: &["55", "56"],
    },
    Region {
        code: Some("MX-JAL"),
        zone: "America/Mexico_City",
        areas: &["33"],
    },
    Region {
        code: Some("MX-NLE"),
        zone: "America/Monterrey",
        areas: &["81"],
    },
    Region {
        code: Some("MX-BCN"),
        zone: "America/Tijuana",
        areas: &["664", "686"],
    },
    Region {
        code: Some("MX-ROO"),
        zone: "America/Cancun",
        areas: &["998"],
    },
    Region {
        code: Some("MX-SON"),
        zone: "America/Hermosillo",
        areas: &["662"],
    },
    Region {
        code: Some("MX-PUE"),
        zone: "America/Mexico_City",
        areas: &["222"],
    },
    Region {
        code: None,
        zone: "America/Mexico_City",
        areas: &["55", "33", "81"],
    },
];

const CO_REGIONS: &[Region] = &[
    Region {
        code: Some("CO-DC"),
        zone: "America/Bogota",
        areas: &[],
    },
    Region {
        code: Some("CO-ANT"),
        zone: "America/Bogota",
        areas: &[],
    },
    Region {
        code: Some("CO-VAC"),
        zone: "America/Bogota",
        areas: &[],
    },
    Region {
        code: None,
        zone: "America/Bogota",
        areas: &[],
    },
];

const CL_REGIONS: &[Region] = &[
    Region {
        code: Some("CL-RM"),
        zone: "America/Santiago",
        areas: &[],
    },
    Region {
        code: Some("CL-VS"),
        zone: "America/Santiago",
        areas: &[],
    },
    Region {
        code: Some("CL-BI"),
        zone: "America/Santiago",
        areas: &[],
    },
    Region {
        code: Some("CL-MA"),
        zone: "America/Punta_Arenas",
        areas: &[],
    },
    Region {
        code: None,
        zone: "America/Santiago",
        areas: &[],
    },
];

const PE_REGIONS: &[Region] = &[
    Region {
        code: Some("PE-LIM"),
        zone: "America/Lima",
        areas: &[],
    },
    Region {
        code: Some("PE-ARE"),
        zone: "America/Lima",
        areas: &[],
    },
    Region {
        code: None,
        zone: "America/Lima",
        areas: &[],
    },
];

const US_REGIONS: &[Region] = &[
    Region {
        code: Some("US-NY"),
        zone: "America/New_York",
        areas: &["212", "718", "917"],
    },
    Region {
        code: Some("US-CA"),
        zone: "America/Los_Angeles",
        areas: &["213", "415", "619"],
    },
    Region {
        code: Some("US-TX"),
        zone: "America/Chicago",
        areas: &["713", "214", "512"],
    },
    Region {
        code: Some("US-FL"),
        zone: "America/New_York",
        areas: &["305", "407"],
    },
    Region {
        code: Some("US-IL"),
        zone: "America/Chicago",
        areas: &["312", "773"],
    },
    Region {
        code: Some("US-AZ"),
        zone: "America/Phoenix",
        areas: &["602", "480"],
    },
    Region {
        code: Some("US-HI"),
        zone: "Pacific/Honolulu",
        areas: &["808"],
    },
    Region {
        code: None,
        zone: "America/New_York",
        areas: &["646", "404", "303"],
    },
];

const HISPANIC_FIRST: &[&str] = &[
    "José",
    "María",
    "Juan",
    "Guadalupe",
    "Luis",
    "Ana",
    "Carlos",
    "Sofía",
    "Jorge",
    "Verónica",
    "Miguel",
    "Alejandra",
    "Fernanda",
    "Diego",
    "Lucía",
    "Andrés",
    "Valentina",
    "Camila",
    "Mateo",
    "Sebastián",
    "Daniela",
    "Gabriela",
    "Ricardo",
    "Patricia",
    "Héctor",
    "Rosa",
    "Francisco",
    "Claudia",
    "Javier",
    "Paola",
    "Ximena",
    "Iván",
];
const HISPANIC_LAST: &[&str] = &[
    "García",
    "Hernández",
    "Martínez",
    "López",
    "González",
    "Rodríguez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Cruz",
    "Morales",
    "Reyes",
    "Gutiérrez",
    "Ortiz",
    "Castillo",
    "Muñoz",
    "Rojas",
    "Vargas",
    "Jiménez",
    "Quispe",
    "Mamani",
    "Huamán",
    "Soto",
    "Contreras",
    "Silva",
    "Ospina",
    "Cárdenas",
    "Valencia",
    "Zapata",
    "Núñez",
];
const US_FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Nancy",
    "Maria",
    "Jose",
    "Luis",
    "Aaliyah",
    "Tyrone",
];
const US_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "O'Brien",
];

struct CountrySpec {
    code: &'static str,
    currency: &'static str,
    language: &'static str,
    regions: &'static [Region],
    creditors: &'static [&'static str],
    email_domains: &'static [&'static str],
    /// Amount range in whole currency units.
    amount: (u32, u32),
    decimals: bool,
}

const COUNTRIES: [CountrySpec; 5] = [
    CountrySpec {
        code: "MX",
        currency: "MXN",
        language: "es-MX",
        regions: MX_REGIONS,
        creditors: &[
            "Financiera Nopal S.A. de C.V.",
            "Tiendas Aurora",
            "Crédito Solar SOFOM",
        ],
        email_domains: &[
            "gmail.com",
            "hotmail.com",
            "outlook.com",
            "yahoo.com.mx",
            "prodigy.net.mx",
        ],
        amount: (500, 80_000),
        decimals: true,
    },
    CountrySpec {
        code: "CO",
        currency: "COP",
        language: "es-CO",
        regions: CO_REGIONS,
        creditors: &["Banco Cafetero S.A.", "Telecom Andina S.A.S."],
        email_domains: &["gmail.com", "hotmail.com", "outlook.com", "yahoo.es"],
        amount: (50_000, 20_000_000),
        decimals: false,
    },
    CountrySpec {
        code: "CL",
        currency: "CLP",
        language: "es-CL",
        regions: CL_REGIONS,
        creditors: &["Retail Austral SpA", "Crédito Pacífico SpA"],
        email_domains: &["gmail.com", "hotmail.com", "outlook.cl", "yahoo.com"],
        amount: (20_000, 3_000_000),
        decimals: false,
    },
    CountrySpec {
        code: "PE",
        currency: "PEN",
        language: "es-PE",
        regions: PE_REGIONS,
        creditors: &["Financiera Inca S.A.C.", "Cuotas del Sur S.A."],
        email_domains: &["gmail.com", "hotmail.com", "outlook.com"],
        amount: (100, 20_000),
        decimals: true,
    },
    CountrySpec {
        code: "US",
        currency: "USD",
        language: "en-US",
        regions: US_REGIONS,
        creditors: &[
            "Lakeside Credit Union",
            "Summit Auto Finance LLC",
            "Prairie Medical Group",
        ],
        email_domains: &["gmail.com", "yahoo.com", "aol.com", "icloud.com"],
        amount: (50, 15_000),
        decimals: true,
    },
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.random_bool(p)
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Plain ASCII for emails and RFC letters.
fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'á' | 'Á' => Some('a'),
            'é' | 'É' => Some('e'),
            'í' | 'Í' => Some('i'),
            'ó' | 'Ó' => Some('o'),
            'ú' | 'Ú' | 'ü' => Some('u'),
            'ñ' | 'Ñ' => Some('n'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// A dialable number in the country's plan, in one of the formats people
/// actually type, or E.164.
fn phone(rng: &mut StdRng, country: &str, region: &Region) -> String {
    let style = rng.random_range(0..3u8);
    match country {
        "MX" => {
            let area = *pick(rng, region.areas);
            let rest = digits(rng, 10 - area.len() - 1);
            let first = char::from(b'2' + rng.random_range(0..8u8));
            let national = format!("{area}{first}{rest}");
            match style {
                0 => format!("+52{national}"),
                1 if area.len() == 2 => {
                    format!("{} {} {}", &national[..2], &national[2..6], &national[6..])
                }
                1 => format!("{} {} {}", &national[..3], &national[3..6], &national[6..]),
                _ => national,
            }
        }
        "CO" => {
            let prefix = *pick(
                rng,
                &[
                    "300", "301", "302", "304", "310", "311", "312", "313", "314", "315", "316",
                    "317", "318", "320", "321", "350",
                ],
            );
            let national = format!("{prefix}{}", digits(rng, 7));
            match style {
                0 => format!("+57{national}"),
                1 => format!("{} {} {}", &national[..3], &national[3..6], &national[6..]),
                _ => national,
            }
        }
        "CL" => {
            let second = *pick(rng, &["4", "5", "8"]);
            let national = format!("9{second}{}", digits(rng, 7));
            match style {
                0 => format!("+56{national}"),
                1 => format!("{} {} {}", &national[..1], &national[1..5], &national[5..]),
                _ => national,
            }
        }
        "PE" => {
            let national = format!("9{}", digits(rng, 8));
            match style {
                0 => format!("+51{national}"),
                1 => format!("{} {} {}", &national[..3], &national[3..6], &national[6..]),
                _ => national,
            }
        }
        _ => {
            let area = *pick(rng, region.areas);
            // Exchange: 2-9 then two digits, avoiding N11 service codes
            // and the fictional 555.
            let exchange = loop {
                let e = format!(
                    "{}{}",
                    char::from(b'2' + rng.random_range(0..8u8)),
                    digits(rng, 2)
                );
                if !e.ends_with("11") && e != "555" {
                    break e;
                }
            };
            let line = digits(rng, 4);
            match style {
                0 => format!("+1{area}{exchange}{line}"),
                1 => format!("({area}) {exchange}-{line}"),
                _ => format!("{area}-{exchange}-{line}"),
            }
        }
    }
}

fn tax_id(rng: &mut StdRng, country: &str, first: &str, last1: &str, last2: &str) -> String {
    match country {
        "MX" => {
            // RFC of a person: initials, birth date, homoclave.
            let f = ascii_fold(first).to_ascii_uppercase();
            let l1 = ascii_fold(last1).to_ascii_uppercase();
            let l2 = ascii_fold(last2).to_ascii_uppercase();
            let vowel = l1
                .chars()
                .skip(1)
                .find(|c| "AEIOU".contains(*c))
                .unwrap_or('X');
            let year = rng.random_range(50..=104u32) % 100;
            let homo: String = (0..3)
                .map(|_| *pick(rng, b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789") as char)
                .collect();
            format!(
                "{}{}{}{}{:02}{:02}{:02}{}",
                l1.chars().next().unwrap_or('X'),
                vowel,
                l2.chars().next().unwrap_or('X'),
                f.chars().next().unwrap_or('X'),
                year,
                rng.random_range(1..=12u32),
                rng.random_range(1..=28u32),
                homo
            )
        }
        "CO" => format!("{}", rng.random_range(10_000_000..1_200_000_000u64)),
        "CL" => {
            let n = rng.random_range(5_000_000..26_000_000u32);
            format!("{}-{}", group_thousands(n), rut_check_digit(n))
        }
        "PE" => digits(rng, 8),
        _ => format!("***-**-{}", digits(rng, 4)),
    }
}

fn group_thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// The Chilean RUT verifier (mod 11, `K` for 10).
pub fn rut_check_digit(mut n: u32) -> char {
    let mut sum = 0u32;
    let mut factor = 2;
    while n > 0 {
        sum += (n % 10) * factor;
        n /= 10;
        factor = if factor == 7 { 2 } else { factor + 1 };
    }
    match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

fn consent(rng: &mut StdRng) -> String {
    match rng.random_range(0..10u8) {
        0..=6 => "yes".into(),
        7 => "no".into(),
        _ => String::new(),
    }
}

fn good_row(rng: &mut StdRng, i: usize, opts: &GeneratorOptions) -> GeneratedRow {
    let roll = rng.random_range(0..100u8);
    let spec = &COUNTRIES[match roll {
        0..=39 => 0,
        40..=59 => 1,
        60..=71 => 2,
        72..=81 => 3,
        _ => 4,
    }];
    let region = pick(rng, spec.regions);
    let us = spec.code == "US";
    let (first, last1, last2) = if us {
        (*pick(rng, US_FIRST), *pick(rng, US_LAST), "")
    } else {
        (
            *pick(rng, HISPANIC_FIRST),
            *pick(rng, HISPANIC_LAST),
            *pick(rng, HISPANIC_LAST),
        )
    };
    let name = if us {
        format!("{first} {last1}")
    } else {
        format!("{first} {last1} {last2}")
    };
    let id = format!("EXP-{:07}", i + 1);

    let whole = rng.random_range(spec.amount.0..=spec.amount.1);
    let amount = if spec.decimals {
        format!("{whole}.{:02}", rng.random_range(0..100u8))
    } else {
        whole.to_string()
    };
    let dpd = rng.random_range(1..=120i64);
    let due = opts.reference_date - Duration::days(dpd);
    // Some creditors export DD/MM/YYYY.
    let due_text = if rng.random_range(0..10u8) == 0 {
        format!("{:02}/{:02}/{}", due.day(), due.month(), due.year())
    } else {
        due.format("%Y-%m-%d").to_string()
    };
    let segment = match dpd {
        0..=30 => "temprana",
        31..=90 => "media",
        _ => "tardia",
    };
    let timezone = if chance(rng, 0.05) {
        region.zone.to_string()
    } else {
        String::new()
    };

    let has_phone = !chance(rng, 0.05);
    let has_email = !has_phone || !chance(rng, 0.12);
    let (phone1, phone_role, phone_prov, phone_flags, c_sms, c_voice) = if has_phone {
        let p = phone(rng, spec.code, region);
        let prov = match rng.random_range(0..20u8) {
            0 => "skip_traced",
            1..=2 => "debtor_provided",
            _ => "creditor_file",
        };
        let flags = match rng.random_range(0..100u8) {
            0..=7 => "landline",
            8 => "reassigned",
            _ => "",
        };
        (
            p,
            "debtor".to_string(),
            prov.to_string(),
            flags.to_string(),
            consent(rng),
            consent(rng),
        )
    } else {
        Default::default()
    };
    let (email, email_role, email_prov, email_flags, c_email) = if has_email {
        let domain = *pick(rng, spec.email_domains);
        let n = rng.random_range(0..100u8);
        let local = format!(
            "{}.{}{}",
            ascii_fold(first),
            ascii_fold(last1),
            if n < 50 { n.to_string() } else { String::new() }
        );
        let employer = us && chance(rng, 0.03);
        (
            format!("{local}@{domain}"),
            "debtor".to_string(),
            "creditor_file".to_string(),
            if employer {
                "employer_email".to_string()
            } else {
                String::new()
            },
            consent(rng),
        )
    } else {
        Default::default()
    };
    let (phone2, phone2_role, phone2_prov) = if chance(rng, 0.15) {
        let role = match rng.random_range(0..20u8) {
            0..=11 => "guarantor",
            12..=16 => "third_party",
            _ => "reference",
        };
        let prov = if chance(rng, 0.3) {
            "skip_traced"
        } else {
            "creditor_file"
        };
        (
            phone(rng, spec.code, region),
            role.to_string(),
            prov.to_string(),
        )
    } else {
        Default::default()
    };
    let mut flags = Vec::new();
    let f = rng.random_range(0..1000u16);
    if f < 5 {
        flags.push("minor");
    } else if f < 15 {
        flags.push("cease_communication");
    } else if f < 35 {
        flags.push("sued");
    } else if f < 50 {
        flags.push("disputed");
    }
    let payment_link = format!(
        "https://pagos.cobranzas-andinas.example/p/{}",
        id.to_ascii_lowercase()
    );

    GeneratedRow {
        fields: [
            id,
            pick(rng, spec.creditors).to_string(),
            name,
            tax_id(
                rng,
                spec.code,
                first,
                last1,
                if last2.is_empty() { "X" } else { last2 },
            ),
            amount,
            spec.currency.to_string(),
            due_text,
            segment.to_string(),
            spec.language.to_string(),
            spec.code.to_string(),
            region.code.unwrap_or_default().to_string(),
            timezone,
            phone1,
            phone_role,
            phone_prov,
            phone_flags,
            c_sms,
            c_voice,
            email,
            email_role,
            email_prov,
            email_flags,
            c_email,
            phone2,
            phone2_role,
            phone2_prov,
            flags.join(";"),
            payment_link,
        ],
        bad: None,
    }
}

fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

fn break_row(row: &mut GeneratedRow, kind: BadRow) {
    let set = |row: &mut GeneratedRow, c: &str, v: &str| row.fields[col(c)] = v.to_string();
    match kind {
        BadRow::BadPhone => set(row, "phone", "12345"),
        BadRow::UnknownZone => set(row, "timezone", "America/Atlantis"),
        BadRow::NegativeAmount => {
            let a = format!("-{}", row.fields[col("amount_due")]);
            set(row, "amount_due", &a);
        }
        BadRow::MissingId => set(row, "id", ""),
        BadRow::DuplicatedId => set(row, "id", "EXP-0000001"),
        BadRow::BadDate => set(row, "due_date", "2026-02-30"),
        BadRow::BadEmail => set(row, "email", "no-es-un-correo"),
        BadRow::UnknownCountry => {
            set(row, "country", "XX");
            set(row, "subdivision", "");
        }
    }
    row.bad = Some(kind);
}
