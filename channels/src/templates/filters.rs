//! Locale-aware `money` and `date` filters. Debtors read amounts the way
//! their country writes them (`$1,234.56` in Mexico, `$ 1.234,56` in
//! Colombia, `$1.234` in Chile, whose peso has no cents), and a wrong
//! separator can make an amount look a thousand times off.

use chrono::{Datelike, NaiveDate};
use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};
use rust_decimal::{Decimal, RoundingStrategy};

/// Number conventions of a language tag.
#[derive(Debug, Clone, Copy)]
struct Locale {
    group: char,
    decimal: char,
    /// Space between symbol and digits (`S/ 1,234.56`).
    symbol_space: bool,
    /// Home currency; any other currency is followed by its ISO code.
    home: &'static str,
    /// Always append the ISO code (Mexico: `$` alone is ambiguous with USD).
    always_code: bool,
    /// Symbol after the amount (`1.234,56 €`).
    symbol_after: bool,
}

fn locale(language: &str) -> Locale {
    let lang = language.to_ascii_lowercase().replace('_', "-");
    let l = |group, decimal, symbol_space, home, always_code| Locale {
        group,
        decimal,
        symbol_space,
        home,
        always_code,
        symbol_after: false,
    };
    match lang.as_str() {
        "es-mx" => l(',', '.', false, "MXN", true),
        "es-co" => l('.', ',', true, "COP", false),
        "es-cl" => l('.', ',', false, "CLP", false),
        "es-pe" => l(',', '.', true, "PEN", false),
        "en-us" | "en" | "es-us" => l(',', '.', false, "USD", false),
        "es-es" | "es" => Locale {
            symbol_after: true,
            ..l('.', ',', true, "EUR", false)
        },
        _ if lang.starts_with("en-") => l(',', '.', false, "", true),
        _ => l('.', ',', true, "", true),
    }
}

/// Symbol and minor-unit digits of a currency (ISO 4217).
fn currency(code: &str) -> (&'static str, u32) {
    match code {
        "MXN" | "COP" | "USD" | "ARS" => ("$", 2),
        "CLP" => ("$", 0),
        "PEN" => ("S/", 2),
        "EUR" => ("€", 2),
        "BRL" => ("R$", 2),
        _ => ("", 2),
    }
}

/// Formats `amount` of `code` for a reader of `language`.
pub fn format_money(amount: Decimal, code: &str, language: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    let loc = locale(language);
    let (symbol, digits) = currency(&code);
    let rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.*}", digits as usize, rounded.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3);
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i).is_multiple_of(3) {
            grouped.push(loc.group);
        }
        grouped.push(c);
    }
    if !frac_part.is_empty() {
        grouped.push(loc.decimal);
        grouped.push_str(frac_part);
    }
    let sign = if negative { "-" } else { "" };
    let space = if loc.symbol_space { " " } else { "" };
    let mut out = match (symbol, loc.symbol_after) {
        ("", _) => format!("{sign}{grouped} {code}"),
        (s, true) => format!("{sign}{grouped}{space}{s}"),
        (s, false) => format!("{sign}{s}{space}{grouped}"),
    };
    if !symbol.is_empty() && (loc.always_code || code != loc.home) {
        out.push(' ');
        out.push_str(&code);
    }
    out
}

/// Month names as Spanish writes them (lower case), January first.
pub const MESES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `long` (default): `15 de diciembre de 2026` / `December 15, 2026`;
/// `short`: `15/12/2026` / `12/15/2026`.
pub fn format_date(date: NaiveDate, language: &str, style: &str) -> String {
    let english = language.to_ascii_lowercase().starts_with("en");
    let m = date.month0() as usize;
    match (english, style) {
        (true, "short") => format!("{}/{}/{}", date.month(), date.day(), date.year()),
        (false, "short") => format!("{:02}/{:02}/{}", date.day(), date.month(), date.year()),
        (true, _) => format!("{} {}, {}", MONTHS[m], date.day(), date.year()),
        (false, _) => format!("{} de {} de {}", date.day(), MESES[m], date.year()),
    }
}

fn lookup_str(state: &State, name: &str) -> Option<String> {
    state
        .lookup(name)
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// `{{ amount_due|money }}` or `{{ x|money("USD") }}`; the language is the
/// context's `language`.
pub fn money_filter(state: &State, value: Value, code: Option<String>) -> Result<String, Error> {
    let raw = value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string());
    let amount: Decimal = raw
        .trim()
        .parse()
        .or_else(|_| Decimal::from_scientific(raw.trim()))
        .map_err(|_| invalid(format!("money: `{raw}` is not an amount")))?;
    let code = code
        .or_else(|| lookup_str(state, "currency"))
        .ok_or_else(|| invalid("money: no currency in context".into()))?;
    let language = lookup_str(state, "language").unwrap_or_default();
    Ok(format_money(amount, &code, &language))
}

/// `{{ due_date|date }}` or `{{ due_date|date("short") }}`.
pub fn date_filter(state: &State, value: Value, style: Option<String>) -> Result<String, Error> {
    let raw = value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string());
    let day = raw.get(..10).unwrap_or(&raw);
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| invalid(format!("date: `{raw}` is not a YYYY-MM-DD date")))?;
    let language = lookup_str(state, "language").unwrap_or_default();
    Ok(format_date(
        date,
        &language,
        style.as_deref().unwrap_or("long"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn money_per_locale() {
        assert_eq!(format_money(d("1234.56"), "MXN", "es-MX"), "$1,234.56 MXN");
        assert_eq!(format_money(d("1234.56"), "COP", "es-CO"), "$ 1.234,56");
        assert_eq!(format_money(d("1234.56"), "CLP", "es-CL"), "$1.235");
        assert_eq!(format_money(d("1234"), "CLP", "es-CL"), "$1.234");
        assert_eq!(format_money(d("1234.56"), "PEN", "es-PE"), "S/ 1,234.56");
        assert_eq!(format_money(d("1234.56"), "USD", "en-US"), "$1,234.56");
        assert_eq!(
            format_money(d("1234567.5"), "USD", "en-US"),
            "$1,234,567.50"
        );
        assert_eq!(format_money(d("0.005"), "USD", "en-US"), "$0.01");
        assert_eq!(format_money(d("-12"), "USD", "en-US"), "-$12.00");
        assert_eq!(format_money(d("999"), "USD", "es-MX"), "$999.00 USD");
        assert_eq!(format_money(d("1234.5"), "EUR", "es"), "1.234,50 €");
        assert_eq!(format_money(d("10"), "XYZ", "es-MX"), "10.00 XYZ");
    }

    #[test]
    fn dates() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 15).expect("date");
        assert_eq!(
            format_date(date, "es-MX", "long"),
            "15 de diciembre de 2026"
        );
        assert_eq!(format_date(date, "en-US", "long"), "December 15, 2026");
        assert_eq!(format_date(date, "es-CO", "short"), "15/12/2026");
        assert_eq!(format_date(date, "en-US", "short"), "12/15/2026");
    }
}
