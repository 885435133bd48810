//! National holiday calendars computed from rules (fixed dates, nth weekday,
//! last weekday, Easter offsets, move-to-Monday laws), so that no table has
//! to be updated every year. Checked against the Python `holidays` package
//! for 2024–2032 by `tests/holidays_vs_python.rs`.
//!
//! Only what a rule can compute is here: election days, decreed bridge days
//! and one-off holidays are added per pack with `holidays.add`.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Countries with a holiday calendar.
pub const SUPPORTED: &[&str] = &["MX", "CO", "CL", "PE", "US", "ES", "AR"];

/// True when [`holidays`] knows the country (case-insensitive).
pub fn is_supported(country: &str) -> bool {
    SUPPORTED.iter().any(|c| c.eq_ignore_ascii_case(country))
}

/// The national holidays of `country` in `year`, sorted by date, with their
/// local names. Unknown countries give an empty list (check with
/// [`is_supported`]).
pub fn holidays(country: &str, year: i32) -> Vec<(NaiveDate, String)> {
    let mut out: Vec<(NaiveDate, &'static str)> = Vec::new();
    let c = country.trim().to_ascii_uppercase();
    match c.as_str() {
        "MX" => mexico(year, &mut out),
        "CO" => colombia(year, &mut out),
        "CL" => chile(year, &mut out),
        "PE" => peru(year, &mut out),
        "US" => united_states(year, &mut out),
        "ES" => spain(year, &mut out),
        "AR" => argentina(year, &mut out),
        _ => {}
    }
    out.sort_by_key(|(d, _)| *d);
    // Two holidays on one date are listed once, names joined.
    let mut merged: Vec<(NaiveDate, String)> = Vec::with_capacity(out.len());
    for (d, name) in out {
        match merged.last_mut() {
            Some((last, n)) if *last == d => {
                n.push_str("; ");
                n.push_str(name);
            }
            _ => merged.push((d, name.to_string())),
        }
    }
    merged
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    // Callers only pass valid calendar dates; fall back to Jan 1 rather
    // than panic if a rule were ever wrong.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).unwrap_or(d)
    } else {
        d.checked_sub_days(Days::new((-n) as u64)).unwrap_or(d)
    }
}

/// Western (Gregorian) Easter Sunday, anonymous Gregorian algorithm.
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

/// The `n`-th (1-based) `weekday` of a month.
pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).unwrap_or(NaiveDate::MIN)
}

/// The last `weekday` of a month.
pub fn last_weekday(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let first_next = if month == 12 {
        ymd(year + 1, 1, 1)
    } else {
        ymd(year, month + 1, 1)
    };
    let mut d = add_days(first_next, -1);
    while d.weekday() != weekday {
        d = add_days(d, -1);
    }
    d
}

/// Colombia's Ley 51 de 1983 (Ley Emiliani): the holiday moves to the next
/// Monday unless it already falls on one.
fn next_monday(d: NaiveDate) -> NaiveDate {
    let from_mon = d.weekday().num_days_from_monday() as i64;
    if from_mon == 0 {
        d
    } else {
        add_days(d, 7 - from_mon)
    }
}

fn mexico(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    // Ley Federal del Trabajo, art. 74 (the Monday rules apply since 2006).
    out.push((ymd(y, 1, 1), "Año Nuevo"));
    out.push((nth_weekday(y, 2, Weekday::Mon, 1), "Día de la Constitución"));
    out.push((
        nth_weekday(y, 3, Weekday::Mon, 3),
        "Natalicio de Benito Juárez",
    ));
    out.push((ymd(y, 5, 1), "Día del Trabajo"));
    out.push((ymd(y, 9, 16), "Día de la Independencia"));
    out.push((nth_weekday(y, 11, Weekday::Mon, 3), "Día de la Revolución"));
    // Transmission of the federal executive: Dec 1 every six years until
    // 2018, Oct 1 from 2024 (constitutional reform of 2014).
    if y >= 2024 && (y - 2024) % 6 == 0 {
        out.push((ymd(y, 10, 1), "Transmisión del Poder Ejecutivo Federal"));
    } else if (1970..2024).contains(&y) && (y - 1970) % 6 == 0 {
        out.push((ymd(y, 12, 1), "Transmisión del Poder Ejecutivo Federal"));
    }
    out.push((ymd(y, 12, 25), "Navidad"));
}

fn colombia(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    let e = easter(y);
    out.push((ymd(y, 1, 1), "Año Nuevo"));
    out.push((next_monday(ymd(y, 1, 6)), "Día de los Reyes Magos"));
    out.push((next_monday(ymd(y, 3, 19)), "Día de San José"));
    out.push((add_days(e, -3), "Jueves Santo"));
    out.push((add_days(e, -2), "Viernes Santo"));
    out.push((ymd(y, 5, 1), "Día del Trabajo"));
    out.push((add_days(e, 43), "Ascensión del Señor"));
    out.push((add_days(e, 64), "Corpus Christi"));
    out.push((add_days(e, 71), "Sagrado Corazón"));
    out.push((next_monday(ymd(y, 6, 29)), "San Pedro y San Pablo"));
    if y >= 2026 {
        // Ley 2545 de 2025: Virgen de Chiquinquirá (July 9), moved to Monday.
        out.push((
            next_monday(ymd(y, 7, 9)),
            "Virgen del Rosario de Chiquinquirá",
        ));
    }
    out.push((ymd(y, 7, 20), "Día de la Independencia"));
    out.push((ymd(y, 8, 7), "Batalla de Boyacá"));
    out.push((next_monday(ymd(y, 8, 15)), "La Asunción de la Virgen"));
    out.push((next_monday(ymd(y, 10, 12)), "Día de la Raza"));
    out.push((next_monday(ymd(y, 11, 1)), "Todos los Santos"));
    out.push((next_monday(ymd(y, 11, 11)), "Independencia de Cartagena"));
    out.push((ymd(y, 12, 8), "Inmaculada Concepción"));
    out.push((ymd(y, 12, 25), "Navidad"));
}

/// Chile's Ley 19.668: a holiday on Tuesday, Wednesday or Thursday moves to
/// the Monday before; on Friday, to the Monday after; weekends stay.
fn chile_monday(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Tue => add_days(d, -1),
        Weekday::Wed => add_days(d, -2),
        Weekday::Thu => add_days(d, -3),
        Weekday::Fri => add_days(d, 3),
        _ => d,
    }
}

fn chile(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    let e = easter(y);
    out.push((ymd(y, 1, 1), "Año Nuevo"));
    if ymd(y, 1, 1).weekday() == Weekday::Sun && y >= 2017 {
        // Ley 20.983: January 2 is a holiday when January 1 is a Sunday.
        out.push((ymd(y, 1, 2), "Feriado Año Nuevo"));
    }
    out.push((add_days(e, -2), "Viernes Santo"));
    out.push((add_days(e, -1), "Sábado Santo"));
    out.push((ymd(y, 5, 1), "Día Nacional del Trabajo"));
    out.push((ymd(y, 5, 21), "Día de las Glorias Navales"));
    if y >= 2021 {
        // Ley 21.357: the day of the southern winter solstice.
        out.push((
            june_solstice_chile(y),
            "Día Nacional de los Pueblos Indígenas",
        ));
    }
    out.push((chile_monday(ymd(y, 6, 29)), "San Pedro y San Pablo"));
    out.push((ymd(y, 7, 16), "Día de la Virgen del Carmen"));
    out.push((ymd(y, 8, 15), "Asunción de la Virgen"));
    let sep18 = ymd(y, 9, 18);
    // Ley 20.983: September 17 when it is a Monday. Since 2021 it has also
    // been a holiday when it is a Friday (bridging to a Saturday the 18th),
    // as the `holidays` package lists for 2021, 2027, 2032….
    let sep17 = ymd(y, 9, 17);
    if (sep17.weekday() == Weekday::Mon && y >= 2017)
        || (sep17.weekday() == Weekday::Fri && y >= 2021)
    {
        out.push((sep17, "Fiestas Patrias (feriado adicional)"));
    }
    out.push((sep18, "Independencia Nacional"));
    out.push((ymd(y, 9, 19), "Día de las Glorias del Ejército"));
    if ymd(y, 9, 19).weekday() == Weekday::Thu && y >= 2017 {
        out.push((ymd(y, 9, 20), "Fiestas Patrias (feriado adicional)"));
    }
    out.push((chile_monday(ymd(y, 10, 12)), "Encuentro de Dos Mundos"));
    // Ley 20.299: Reformation day; on a Tuesday it moves to the Friday
    // before, on a Wednesday to the Friday after.
    let oct31 = ymd(y, 10, 31);
    let reformation = match oct31.weekday() {
        Weekday::Tue => add_days(oct31, -4),
        Weekday::Wed => add_days(oct31, 2),
        _ => oct31,
    };
    out.push((
        reformation,
        "Día de las Iglesias Evangélicas y Protestantes",
    ));
    out.push((ymd(y, 11, 1), "Día de Todos los Santos"));
    out.push((ymd(y, 12, 8), "Inmaculada Concepción"));
    out.push((ymd(y, 12, 25), "Navidad"));
}

/// Local (Chile continental, UTC-4 in June) date of the June solstice,
/// from Meeus, *Astronomical Algorithms*, ch. 27 (error well under a
/// minute for these centuries).
fn june_solstice_chile(year: i32) -> NaiveDate {
    const TERMS: [(f64, f64, f64); 24] = [
        (485.0, 324.96, 1934.136),
        (203.0, 337.23, 32964.467),
        (199.0, 342.08, 20.186),
        (182.0, 27.85, 445267.112),
        (156.0, 73.14, 45036.886),
        (136.0, 171.52, 22518.443),
        (77.0, 222.54, 65928.934),
        (74.0, 296.72, 3034.906),
        (70.0, 243.58, 9037.513),
        (58.0, 119.81, 33718.147),
        (52.0, 297.17, 150.678),
        (50.0, 21.02, 2281.226),
        (45.0, 247.54, 29929.562),
        (44.0, 325.15, 31555.956),
        (29.0, 60.93, 4443.417),
        (18.0, 155.12, 67555.328),
        (17.0, 288.79, 4562.452),
        (16.0, 198.04, 62894.029),
        (14.0, 199.76, 31436.921),
        (12.0, 95.39, 14577.848),
        (12.0, 287.11, 31931.756),
        (12.0, 320.81, 34777.259),
        (9.0, 227.73, 1222.114),
        (8.0, 15.45, 16859.074),
    ];
    let yy = (year as f64 - 2000.0) / 1000.0;
    let jde0 = 2451716.56767 + 365241.62603 * yy + 0.00325 * yy * yy + 0.00888 * yy.powi(3)
        - 0.00030 * yy.powi(4);
    let t = (jde0 - 2451545.0) / 36525.0;
    let w = (35999.373 * t - 2.47).to_radians();
    let dl = 1.0 + 0.0334 * w.cos() + 0.0007 * (2.0 * w).cos();
    let s: f64 = TERMS
        .iter()
        .map(|(a, b, c)| a * (b + c * t).to_radians().cos())
        .sum();
    let jde = jde0 + 0.00001 * s / dl;
    // TT → UT (ΔT ≈ 70 s), then UTC-4.
    let jd_local = jde - 70.0 / 86400.0 - 4.0 / 24.0;
    // JD 2440587.5 is 1970-01-01T00:00 UTC.
    let days = (jd_local - 2440587.5).floor() as i64;
    add_days(ymd(1970, 1, 1), days)
}

fn peru(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    let e = easter(y);
    out.push((ymd(y, 1, 1), "Año Nuevo"));
    out.push((add_days(e, -3), "Jueves Santo"));
    out.push((add_days(e, -2), "Viernes Santo"));
    out.push((e, "Domingo de Resurrección"));
    out.push((ymd(y, 5, 1), "Día del Trabajo"));
    if y >= 2022 {
        out.push((ymd(y, 6, 7), "Batalla de Arica y Día de la Bandera"));
    }
    out.push((ymd(y, 6, 29), "San Pedro y San Pablo"));
    if y >= 2024 {
        out.push((ymd(y, 7, 23), "Día de la Fuerza Aérea del Perú"));
    }
    out.push((ymd(y, 7, 28), "Fiestas Patrias"));
    out.push((ymd(y, 7, 29), "Fiestas Patrias"));
    if y >= 2022 {
        out.push((ymd(y, 8, 6), "Batalla de Junín"));
    }
    out.push((ymd(y, 8, 30), "Santa Rosa de Lima"));
    out.push((ymd(y, 10, 8), "Combate de Angamos"));
    out.push((ymd(y, 11, 1), "Día de Todos los Santos"));
    out.push((ymd(y, 12, 8), "Inmaculada Concepción"));
    if y >= 2022 {
        out.push((ymd(y, 12, 9), "Batalla de Ayacucho"));
    }
    out.push((ymd(y, 12, 25), "Navidad"));
}

fn united_states(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    // Federal holidays on their legal dates (5 U.S.C. 6103); the Friday or
    // Monday "observed" days are not listed.
    out.push((ymd(y, 1, 1), "New Year's Day"));
    out.push((
        nth_weekday(y, 1, Weekday::Mon, 3),
        "Martin Luther King Jr. Day",
    ));
    out.push((nth_weekday(y, 2, Weekday::Mon, 3), "Washington's Birthday"));
    out.push((last_weekday(y, 5, Weekday::Mon), "Memorial Day"));
    if y >= 2021 {
        out.push((ymd(y, 6, 19), "Juneteenth National Independence Day"));
    }
    out.push((ymd(y, 7, 4), "Independence Day"));
    out.push((nth_weekday(y, 9, Weekday::Mon, 1), "Labor Day"));
    out.push((nth_weekday(y, 10, Weekday::Mon, 2), "Columbus Day"));
    out.push((ymd(y, 11, 11), "Veterans Day"));
    out.push((nth_weekday(y, 11, Weekday::Thu, 4), "Thanksgiving Day"));
    out.push((ymd(y, 12, 25), "Christmas Day"));
}

fn spain(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    // National holidays common to all autonomous communities.
    let e = easter(y);
    out.push((ymd(y, 1, 1), "Año Nuevo"));
    out.push((ymd(y, 1, 6), "Epifanía del Señor"));
    out.push((add_days(e, -2), "Viernes Santo"));
    out.push((ymd(y, 5, 1), "Fiesta del Trabajo"));
    out.push((ymd(y, 8, 15), "Asunción de la Virgen"));
    out.push((ymd(y, 10, 12), "Fiesta Nacional de España"));
    out.push((ymd(y, 11, 1), "Todos los Santos"));
    out.push((ymd(y, 12, 6), "Día de la Constitución"));
    out.push((ymd(y, 12, 8), "Inmaculada Concepción"));
    out.push((ymd(y, 12, 25), "Natividad del Señor"));
}

/// Argentina's Ley 27.399 art. 6: a movable holiday on Tuesday or Wednesday
/// moves to the Monday before, on Thursday or Friday to the Monday after.
fn argentina_movable(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Tue => add_days(d, -1),
        Weekday::Wed => add_days(d, -2),
        Weekday::Thu => add_days(d, 4),
        Weekday::Fri => add_days(d, 3),
        _ => d,
    }
}

fn argentina(y: i32, out: &mut Vec<(NaiveDate, &'static str)>) {
    let e = easter(y);
    out.push((ymd(y, 1, 1), "Año Nuevo"));
    out.push((add_days(e, -48), "Carnaval"));
    out.push((add_days(e, -47), "Carnaval"));
    out.push((
        ymd(y, 3, 24),
        "Día Nacional de la Memoria por la Verdad y la Justicia",
    ));
    out.push((add_days(e, -3), "Jueves Santo"));
    out.push((add_days(e, -2), "Viernes Santo"));
    out.push((
        ymd(y, 4, 2),
        "Día del Veterano y de los Caídos en la Guerra de Malvinas",
    ));
    out.push((ymd(y, 5, 1), "Día del Trabajador"));
    out.push((ymd(y, 5, 25), "Día de la Revolución de Mayo"));
    out.push((
        argentina_movable(ymd(y, 6, 17)),
        "Paso a la Inmortalidad del General Güemes",
    ));
    out.push((ymd(y, 6, 20), "Paso a la Inmortalidad del General Belgrano"));
    out.push((ymd(y, 7, 9), "Día de la Independencia"));
    out.push((
        argentina_movable(ymd(y, 8, 17)),
        "Paso a la Inmortalidad del General San Martín",
    ));
    out.push((
        argentina_movable(ymd(y, 10, 12)),
        "Día del Respeto a la Diversidad Cultural",
    ));
    out.push((
        argentina_movable(ymd(y, 11, 20)),
        "Día de la Soberanía Nacional",
    ));
    out.push((ymd(y, 12, 8), "Inmaculada Concepción de María"));
    out.push((ymd(y, 12, 25), "Navidad"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2024), ymd(2024, 3, 31));
        assert_eq!(easter(2025), ymd(2025, 4, 20));
        assert_eq!(easter(2026), ymd(2026, 4, 5));
        assert_eq!(easter(2038), ymd(2038, 4, 25));
    }

    #[test]
    fn solstice_dates() {
        assert_eq!(june_solstice_chile(2024), ymd(2024, 6, 20));
        assert_eq!(june_solstice_chile(2025), ymd(2025, 6, 20));
        assert_eq!(june_solstice_chile(2026), ymd(2026, 6, 21));
    }
}
