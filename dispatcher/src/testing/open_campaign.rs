//! A campaign due on the wall clock *now*, for end-to-end tests and
//! benches: a generated portfolio, the `anytime` pack (so the hour never
//! defers a contact), an email step, an SMS step falling back to email and
//! a voice step falling back to SMS, and the example templates.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::open_around_the_clock_pack;

/// What differs between the callers.
pub struct OpenCampaign<'a> {
    pub id: &'a str,
    pub accounts: usize,
    pub seed: u64,
    /// The campaign's start date (and the portfolio's reference date).
    pub start: NaiveDate,
    /// Day offsets of the email, SMS and voice steps.
    pub step_days: [u32; 3],
}

/// Writes `portfolio.csv`, `anytime.toml`, `strategy.toml` and
/// `campaign.toml` into `dir`; returns the campaign file's path.
///
/// # Panics
/// When a file cannot be written: this is test scaffolding.
pub fn write_open_campaign(dir: &Path, spec: &OpenCampaign<'_>) -> PathBuf {
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/templates");
    let options = cobro_campaigns::generator::GeneratorOptions {
        reference_date: spec.start,
        bad_rows: 0,
    };
    let portfolio = std::fs::File::create(dir.join("portfolio.csv")).expect("create portfolio");
    cobro_campaigns::generator::write_portfolio_csv(
        std::io::BufWriter::new(portfolio),
        spec.accounts,
        spec.seed,
        &options,
    )
    .expect("write portfolio");
    std::fs::write(
        dir.join("anytime.toml"),
        open_around_the_clock_pack(
            &["debtor", "guarantor", "co_obligor"],
            &["minor", "deceased", "cease_communication"],
        ),
    )
    .expect("write pack");
    let [email, sms, voice] = spec.step_days;
    std::fs::write(
        dir.join("strategy.toml"),
        format!(
            "id = \"{id}\"\nstop_on = [\"paid\", \"opt_out\"]\n\n\
             [[steps]]\nid = \"e\"\nday = {email}\nchannel = \"email\"\ntemplate = \"recordatorio\"\nsend_at = \"00:00\"\n\n\
             [[steps]]\nid = \"s\"\nday = {sms}\nchannel = \"sms\"\ntemplate = \"aviso_sms\"\nsend_at = \"00:00\"\nfallback = \"email\"\n\n\
             [[steps]]\nid = \"v\"\nday = {voice}\nchannel = \"voice\"\ntemplate = \"mensaje_voz\"\nsend_at = \"00:00\"\nfallback = \"sms\"\n",
            id = spec.id
        ),
    )
    .expect("write strategy");
    let campaign = dir.join("campaign.toml");
    std::fs::write(
        &campaign,
        format!(
            "id = \"{id}\"\nstart_date = \"{start}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = {templates:?}\n\n\
             [rules]\ndefault = [\"anytime.toml\"]\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://pagos.example/p/\"\n",
            id = spec.id,
            start = spec.start,
            templates = templates.display().to_string()
        ),
    )
    .expect("write campaign");
    campaign
}

/// A campaign written into `dir` that runs on the wall clock *now*: its
/// start date is yesterday and every step is due at 00:00 local, under a
/// rules pack open around the clock (the window logic itself is proven on
/// the virtual clock). Returns the campaign file's path.
pub fn write_wall_clock_campaign(dir: &Path, debtors: usize, seed: u64) -> PathBuf {
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    write_open_campaign(
        dir,
        &OpenCampaign {
            id: "now",
            accounts: debtors,
            seed,
            start: yesterday,
            step_days: [0, 0, 0],
        },
    )
}
