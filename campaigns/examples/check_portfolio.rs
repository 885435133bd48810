//! Prints the import report of a portfolio file:
//! `cargo run -p cobro-campaigns --example check_portfolio -- FILE`.
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_portfolio FILE");
        std::process::exit(2);
    };
    match cobro_campaigns::import::import_path(std::path::Path::new(&path)) {
        Ok(report) => {
            print!("{}", report.render_text(&path));
            std::process::exit(if report.is_clean() { 0 } else { 2 });
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
