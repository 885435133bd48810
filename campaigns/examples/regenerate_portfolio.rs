//! Regenerates `config/examples/portfolio.csv` (200 rows, seed 2026):
//! `cargo run -p cobro-campaigns --example regenerate_portfolio`.
//! `tests/examples.rs` checks the committed file still matches.

use std::path::Path;

use cobro_campaigns::generator::{GeneratorOptions, write_portfolio_csv};

fn main() -> std::io::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/portfolio.csv");
    let file = std::fs::File::create(&path)?;
    write_portfolio_csv(
        std::io::BufWriter::new(file),
        200,
        2026,
        &GeneratorOptions::default(),
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
