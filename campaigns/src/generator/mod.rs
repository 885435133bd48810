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
//!
//! The data tables (places, names, creditors) live apart from the logic
//! that draws from them, so adding a country or a region touches
//! `tables` (and, for its phone or tax-id format, `fields`) only.

mod bad_row;
mod fields;
mod good_row;
mod row;
mod tables;

use std::io::{self, Write};

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;

pub use bad_row::BadRow;
pub use fields::rut_check_digit;
pub use row::{COLUMNS, GeneratedRow};

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
        let mut row = good_row::good_row(&mut rng, i, &opts);
        if stride != usize::MAX && i > 0 && i % stride == 0 && i / stride <= bad {
            let kind = BadRow::ALL[(i / stride - 1) % BadRow::ALL.len()];
            bad_row::break_row(&mut row, kind);
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
