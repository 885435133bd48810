//! Single generated values in the shapes real exports have: local phone
//! formats, national tax ids, consent answers, and the random helpers.

use rand::Rng;
use rand::rngs::StdRng;

use super::tables::Region;

pub(super) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(super) fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.random_bool(p)
}

pub(super) fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Plain ASCII for emails and RFC letters.
pub(super) fn ascii_fold(s: &str) -> String {
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
pub(super) fn phone(rng: &mut StdRng, country: &str, region: &Region) -> String {
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

pub(super) fn tax_id(
    rng: &mut StdRng,
    country: &str,
    first: &str,
    last1: &str,
    last2: &str,
) -> String {
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

pub(super) fn consent(rng: &mut StdRng) -> String {
    match rng.random_range(0..10u8) {
        0..=6 => "yes".into(),
        7 => "no".into(),
        _ => String::new(),
    }
}
