//! The header line, as both importers read it: which delimiter the file
//! uses and how a column name is compared with the known aliases.

/// Picks the delimiter from the header line: the most frequent of `,`,
/// `;` and tab outside quotes (Excel in Spanish locales writes `;`, its
/// "Unicode text" export tabs).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - *i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Lower case, accents folded, spaces/dashes/dots as `_`, and Spanish
/// articles and prepositions between words dropped: `Fecha de
/// Vencimiento`, `fecha_vencimiento` and `FECHA-VENCIMIENTO` name the same
/// column.
/// `c` lower-case without its accent (`Á` → `a`, `ñ` → `n`): headers and
/// searches match however a spreadsheet or a person spelled them.
pub fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
        'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
        'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        c => c.to_ascii_lowercase(),
    }
}

pub fn normalize_key(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last_us = true;
    for c in raw.trim().trim_start_matches('\u{feff}').chars() {
        let c = fold_accent(c);
        if c.is_ascii_alphanumeric() {
            out.push(c);
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    // `fecha de vencimiento`, `enlace de pago`: drop Spanish articles and
    // prepositions between words so they match `fecha_vencimiento`.
    if out.contains('_') {
        let words: Vec<&str> = out
            .split('_')
            .filter(|w| !matches!(*w, "de" | "del" | "la" | "el" | "los" | "las"))
            .collect();
        if !words.is_empty() {
            out = words.join("_");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a;b;\"c,d,e\"\n1,2"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a,b\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn keys_ignore_case_accents_and_articles() {
        assert_eq!(normalize_key("Fecha de Vencimiento"), "fecha_vencimiento");
        assert_eq!(normalize_key("\u{feff}Teléfono"), "telefono");
        assert_eq!(normalize_key(" Año-Fiscal. "), "ano_fiscal");
    }
}
