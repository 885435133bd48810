//! The decimal separator of amounts written as text. Excel writes
//! `55.177,35` in Spanish locales and `55,177.35` in English ones; most
//! amounts show which by their form, and the few that do not (`1.234`,
//! `1,234`: one separator followed by exactly three digits) are read by
//! what the rest of the file shows, or refused. A debt read a thousand
//! times too large or too small is worse than a rejected row.
//!
//! **Form** of one amount (digits, `.` and `,` only):
//!
//! - no separator: an integer;
//! - both `.` and `,`: the last one is the decimal separator (it must
//!   appear once), the other groups thousands;
//! - one separator appearing more than once (`1.234.567`): it groups
//!   thousands;
//! - one separator appearing once: the decimal separator, unless exactly
//!   three digits follow it and one to three digits (not starting with 0)
//!   precede it — then it is **ambiguous**.
//!
//! Thousands groups must be well formed (1–3 digits, then groups of 3).
//!
//! **An ambiguous amount** is read, in this order, by: the declared
//! separator ([`AmountReading::declared`]); the file's unambiguous amounts
//! when they all agree ([`DecimalEvidence`]); the format's default
//! (`.` for a comma-separated CSV, where an unquoted comma cannot be a
//! decimal, and for JSON); otherwise it is a row error saying how to
//! declare the separator. A declared separator also applies to amounts
//! whose form is clear: one that contradicts it is a row error.

/// The character that separates an amount's integer part from its
/// decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalSeparator {
    /// `1.234,56`
    Comma,
    /// `1,234.56`
    Dot,
}

impl DecimalSeparator {
    fn char(self) -> char {
        match self {
            DecimalSeparator::Comma => ',',
            DecimalSeparator::Dot => '.',
        }
    }

    fn other(self) -> Self {
        match self {
            DecimalSeparator::Comma => DecimalSeparator::Dot,
            DecimalSeparator::Dot => DecimalSeparator::Comma,
        }
    }

    fn of(c: char) -> Self {
        if c == ',' {
            DecimalSeparator::Comma
        } else {
            DecimalSeparator::Dot
        }
    }
}

impl std::str::FromStr for DecimalSeparator {
    type Err = String;

    /// `,` or `.` (also `comma`/`coma`, `dot`/`point`/`punto`).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "," | "comma" | "coma" => Ok(DecimalSeparator::Comma),
            "." | "dot" | "point" | "punto" => Ok(DecimalSeparator::Dot),
            _ => Err(format!("unknown decimal separator '{s}' (use ',' or '.')")),
        }
    }
}

impl std::fmt::Display for DecimalSeparator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}'", self.char())
    }
}

/// Why the ambiguous amounts of a file are read as they are; the refusal
/// of one quotes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    Declared,
    /// A typed number (an xlsx number cell, a JSON number): no separator
    /// question at all.
    Number,
    /// This many unambiguous amounts of the file, all alike.
    Amounts(usize),
    /// The file's amounts disagree.
    Conflict {
        comma: usize,
        dot: usize,
    },
    /// The format's default, named.
    Default(&'static str),
    Nothing,
}

/// How one file's amounts are read. The default reads what is clear by
/// form and refuses every ambiguous amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountReading {
    separator: Option<DecimalSeparator>,
    basis: Basis,
}

impl Default for AmountReading {
    fn default() -> Self {
        AmountReading {
            separator: None,
            basis: Basis::Nothing,
        }
    }
}

impl AmountReading {
    /// As the operator declared: every amount must fit it.
    pub fn declared(separator: DecimalSeparator) -> Self {
        AmountReading {
            separator: Some(separator),
            basis: Basis::Declared,
        }
    }

    /// For the text of a typed number (`55177.35`, `1.234` for a
    /// three-decimal currency), which has no thousands separators.
    pub fn number() -> Self {
        AmountReading {
            separator: Some(DecimalSeparator::Dot),
            basis: Basis::Number,
        }
    }

    /// `declared` if given, else this reading.
    pub fn unless_declared(self, declared: Option<DecimalSeparator>) -> Self {
        declared.map_or(self, AmountReading::declared)
    }

    fn enforced(&self) -> Option<DecimalSeparator> {
        match self.basis {
            Basis::Declared | Basis::Number => self.separator,
            _ => None,
        }
    }
}

/// Tally of what a file's unambiguous amounts show about its separator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecimalEvidence {
    comma: usize,
    dot: usize,
}

/// A format's separator for ambiguous amounts when its amounts show none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatDefault {
    /// `;`/tab CSV, xlsx text cells: none, refuse.
    None,
    /// Comma-separated CSV: an unquoted comma cannot be a decimal
    /// separator there, and the tools that write such files use `.`.
    CommaDelimited,
    /// JSON numbers use `.`.
    Json,
}

impl DecimalEvidence {
    /// Notes one amount as written (sign and spaces allowed).
    pub fn see(&mut self, raw: &str) {
        let s = raw.trim();
        let body = s.strip_prefix(['-', '+']).unwrap_or(s);
        if let Ok(Form::Decimal(sep)) = form(body)
            && to_plain(body, sep).is_ok()
        {
            match sep {
                DecimalSeparator::Comma => self.comma += 1,
                DecimalSeparator::Dot => self.dot += 1,
            }
        }
    }

    /// How the file's ambiguous amounts are read (see the module docs).
    pub fn reading(self, default: FormatDefault) -> AmountReading {
        let (separator, basis) = match (self.comma, self.dot) {
            (0, 0) => match default {
                FormatDefault::None => (None, Basis::Nothing),
                FormatDefault::CommaDelimited => (
                    Some(DecimalSeparator::Dot),
                    Basis::Default("the file is comma-separated"),
                ),
                FormatDefault::Json => (
                    Some(DecimalSeparator::Dot),
                    Basis::Default("JSON numbers use '.'"),
                ),
            },
            (n, 0) => (Some(DecimalSeparator::Comma), Basis::Amounts(n)),
            (0, n) => (Some(DecimalSeparator::Dot), Basis::Amounts(n)),
            (comma, dot) => (None, Basis::Conflict { comma, dot }),
        };
        AmountReading { separator, basis }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// No separator: the same under any reading.
    Integer,
    Decimal(DecimalSeparator),
    Ambiguous(char),
}

/// Why the file could not settle an ambiguous amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// The file's other amounts use both separators as decimal.
    Disagree { comma: usize, dot: usize },
    /// No other amount shows whether this character is the decimal one.
    NoEvidence(char),
}

impl std::fmt::Display for Ambiguity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ambiguity::Disagree { comma, dot } => write!(
                f,
                "the file's other amounts disagree ({comma} with a decimal ',', {dot} with a decimal '.')"
            ),
            Ambiguity::NoEvidence(c) => write!(
                f,
                "no other amount in the file shows whether '{c}' is the decimal separator"
            ),
        }
    }
}

/// Why an amount's text was refused; [`AmountProblem::describe`] words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountProblem {
    /// Not digits and separators at all (`abc`, `$100`, `1e3`).
    NotANumber,
    /// Separators in impossible places (`1.2.3`, `12.34,5`).
    Malformed,
    /// One separator and three digits after it, nothing to decide by.
    Ambiguous(Ambiguity),
    /// It contradicts the declared separator.
    Contradicts(DecimalSeparator),
}

impl AmountProblem {
    /// The row error's reason for the amount `raw`.
    pub fn describe(&self, raw: &str) -> String {
        self.describe_for(raw, None)
    }

    /// [`describe`](Self::describe) for an amount whose currency allows
    /// `max_decimals`: an ambiguous amount then also says when its decimal
    /// reading does not fit the currency (it is still refused: a typo in
    /// the decimals must not become a debt a thousand times larger).
    pub fn describe_for(&self, raw: &str, max_decimals: Option<u32>) -> String {
        match self {
            AmountProblem::NotANumber => {
                format!("'{raw}' is not a decimal amount (e.g. 1234.56 or 1.234,56)")
            }
            AmountProblem::Malformed => format!(
                "'{raw}' is not an amount cobro can read (write 1234.56, 1234,56, 1.234,56 or 1,234.56)"
            ),
            AmountProblem::Ambiguous(why) => {
                let plain = raw.replace([',', '.'], "");
                let decimal = raw.replace(',', ".");
                let places = decimal
                    .rsplit('.')
                    .next()
                    .map_or(0, |f| f.trim_end_matches('0').len())
                    as u32;
                let unfit = match max_decimals {
                    Some(0) if places > 0 => {
                        " (then it has decimals but the currency has none)".to_string()
                    }
                    Some(max) if places > max => {
                        format!(" (then it has more than {max} decimals)")
                    }
                    _ => String::new(),
                };
                format!(
                    "'{raw}' is ambiguous: {plain} if the separator groups thousands, {decimal} if it is the decimal separator{unfit}, and {why}; declare the file's decimal separator (--decimal , or --decimal .)"
                )
            }
            AmountProblem::Contradicts(declared) => {
                format!("'{raw}' does not use the declared decimal separator {declared}")
            }
        }
    }
}

/// An amount's digits with `.` as the decimal point and no grouping
/// (`55.177,35` → `55177.35`), read by `reading`. `body` carries no sign.
pub fn plain_decimal(body: &str, reading: &AmountReading) -> Result<String, AmountProblem> {
    let sep = match (form(body)?, reading.enforced()) {
        (Form::Integer, _) => DecimalSeparator::Dot,
        (Form::Decimal(sep), Some(declared)) if sep != declared => {
            return Err(AmountProblem::Contradicts(declared));
        }
        (Form::Decimal(sep), _) => sep,
        (Form::Ambiguous(c), _) => match reading.separator {
            Some(sep) => sep,
            None => return Err(AmountProblem::Ambiguous(ambiguity_reason(c, reading))),
        },
    };
    to_plain(body, sep)
}

fn ambiguity_reason(c: char, reading: &AmountReading) -> Ambiguity {
    match reading.basis {
        Basis::Conflict { comma, dot } => Ambiguity::Disagree { comma, dot },
        _ => Ambiguity::NoEvidence(c),
    }
}

fn form(body: &str) -> Result<Form, AmountProblem> {
    if !body.bytes().any(|b| b.is_ascii_digit())
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return Err(AmountProblem::NotANumber);
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    Ok(match (dots, commas) {
        (0, 0) => Form::Integer,
        (_, 0) | (0, _) => {
            let c = if dots > 0 { '.' } else { ',' };
            let sep = DecimalSeparator::of(c);
            if dots + commas > 1 {
                Form::Decimal(sep.other())
            } else {
                let (int, frac) = body.split_once(c).unwrap_or((body, ""));
                if frac.len() == 3 && (1..=3).contains(&int.len()) && !int.starts_with('0') {
                    Form::Ambiguous(c)
                } else {
                    Form::Decimal(sep)
                }
            }
        }
        _ => {
            let last = body
                .rfind(['.', ','])
                .map_or('.', |i| body.as_bytes()[i] as char);
            Form::Decimal(DecimalSeparator::of(last))
        }
    })
}

/// Checks the grouping for `decimal` and drops it.
fn to_plain(body: &str, decimal: DecimalSeparator) -> Result<String, AmountProblem> {
    let (d, t) = (decimal.char(), decimal.other().char());
    let (int, frac) = match body.split_once(d) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if frac.is_some_and(|f| !digits(f)) {
        return Err(AmountProblem::Malformed);
    }
    let mut out = String::with_capacity(body.len());
    if int.contains(t) {
        let mut groups = int.split(t);
        let first = groups.next().unwrap_or_default();
        if !digits(first) || first.len() > 3 || first.starts_with('0') {
            return Err(AmountProblem::Malformed);
        }
        out.push_str(first);
        for g in groups {
            if g.len() != 3 || !digits(g) {
                return Err(AmountProblem::Malformed);
            }
            out.push_str(g);
        }
    } else if digits(int) {
        out.push_str(int);
    } else {
        return Err(AmountProblem::Malformed);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str, reading: AmountReading) -> Result<String, AmountProblem> {
        plain_decimal(s, &reading)
    }

    #[test]
    fn clear_forms_need_no_context() {
        let none = AmountReading::default();
        for (raw, plain) in [
            ("55.177,35", "55177.35"),
            ("1.234,56", "1234.56"),
            ("1234,56", "1234.56"),
            ("55177.35", "55177.35"),
            ("1,234.56", "1234.56"),
            ("1.234.567", "1234567"),
            ("1,234,567.5", "1234567.5"),
            ("1234.567", "1234.567"),
            ("0,500", "0.500"),
            ("1234", "1234"),
            ("12,5", "12.5"),
        ] {
            assert_eq!(read(raw, none).as_deref(), Ok(plain), "{raw}");
        }
        for bad in [
            "1.2.3",
            "12.34,5",
            "1.2345,6",
            ",5",
            "1,2,3",
            "1.234,5,6",
            "5.",
            "01.234.567",
        ] {
            assert_eq!(read(bad, none), Err(AmountProblem::Malformed), "{bad}");
        }
        for bad in ["abc", "$100", "1e3", "", ".", "NaN", "1 234"] {
            assert_eq!(read(bad, none), Err(AmountProblem::NotANumber), "{bad}");
        }
    }

    #[test]
    fn ambiguous_amounts_follow_the_file_or_are_refused() {
        let none = AmountReading::default();
        assert!(matches!(
            read("1.234", none),
            Err(AmountProblem::Ambiguous(_))
        ));
        assert!(matches!(
            read("1,234", none),
            Err(AmountProblem::Ambiguous(_))
        ));
        let mut spanish = DecimalEvidence::default();
        for a in ["55.177,35", "1234", "980,10"] {
            spanish.see(a);
        }
        let r = spanish.reading(FormatDefault::None);
        assert_eq!(read("1.234", r).as_deref(), Ok("1234"));
        assert_eq!(read("1,234", r).as_deref(), Ok("1.234"));
        let mut english = DecimalEvidence::default();
        english.see("1,234.50");
        assert_eq!(
            read("1.234", english.reading(FormatDefault::None)).as_deref(),
            Ok("1.234")
        );
        let mut mixed = spanish;
        mixed.see("10.5");
        let e = read("1.234", mixed.reading(FormatDefault::None)).expect_err("conflict");
        assert!(
            e.describe("1.234")
                .contains("disagree (2 with a decimal ',', 1"),
            "{e:?}"
        );
        // Integers show nothing; the comma-separated default is '.'.
        let mut ints = DecimalEvidence::default();
        ints.see("1500");
        ints.see("-1.500"); // ambiguous itself: no vote
        assert_eq!(ints, DecimalEvidence::default());
        let r = ints.reading(FormatDefault::CommaDelimited);
        assert_eq!(read("1.234", r).as_deref(), Ok("1.234"));
        // Evidence beats the default.
        assert_eq!(
            read("1.234", spanish.reading(FormatDefault::CommaDelimited)).as_deref(),
            Ok("1234")
        );
    }

    #[test]
    fn a_declared_separator_reads_and_enforces() {
        let comma = AmountReading::declared(DecimalSeparator::Comma);
        assert_eq!(read("1.234", comma).as_deref(), Ok("1234"));
        assert_eq!(read("1,234", comma).as_deref(), Ok("1.234"));
        assert_eq!(read("55.177,35", comma).as_deref(), Ok("55177.35"));
        assert_eq!(
            read("55177.35", comma),
            Err(AmountProblem::Contradicts(DecimalSeparator::Comma))
        );
        let dot = AmountReading::declared(DecimalSeparator::Dot);
        assert_eq!(read("1.234", dot).as_deref(), Ok("1.234"));
        assert_eq!(read("1,234", dot).as_deref(), Ok("1234"));
        assert!(read("1.234,56", dot).is_err());
        assert_eq!(
            read("1.234", AmountReading::number()).as_deref(),
            Ok("1.234")
        );
        assert_eq!("coma".parse(), Ok(DecimalSeparator::Comma));
        assert_eq!(".".parse(), Ok(DecimalSeparator::Dot));
        assert!("x".parse::<DecimalSeparator>().is_err());
    }

    #[test]
    fn the_refusal_says_both_readings_and_how_to_declare() {
        let e = read("1.234", AmountReading::default()).expect_err("ambiguous");
        let text = e.describe("1.234");
        assert!(
            text.contains("1234 if") && text.contains("1.234 if"),
            "{text}"
        );
        assert!(text.contains("--decimal"), "{text}");
    }
}
