//! What the work-queue tests share: a campaign with a collectors' step
//! written into a temp dir (a Colombian portfolio, a call script, a pack
//! of the test's choosing), launched into a store, and its desk.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cobro_dispatcher::cli::common::{load_campaign, load_templates, work_desk};
use cobro_dispatcher::launch::launch;
use cobro_dispatcher::store::any::AnyStore;
use cobro_dispatcher::work_queue::WorkDesk;

pub const HEADER: &str = "id,creditor,debtor_name,tax_id,amount_due,currency,due_date,segment,language,country,subdivision,timezone,phone,phone_role,phone_provenance,phone_flags,consent_sms,consent_voice,email,email_role,email_provenance,email_flags,consent_email,phone2,phone2_role,phone2_provenance,flags,payment_link";

/// A Colombian debtor reachable by phone (SMS and calls consented).
pub fn debtor_row(id: &str, tax_id: &str, phone: &str) -> String {
    format!(
        "{id},Banco Cafetero S.A.,Deudor {id},{tax_id},1500000,COP,2026-11-01,temprana,es-CO,CO,,America/Bogota,{phone},debtor,creditor_file,,yes,yes,,,,,,,,,,"
    )
}

/// Mon–Sun 08:00–20:00, no caps: the window is the only rule in play.
pub const CLOSING_PACK: &str = r#"
id = "closing"
name = "Open 08:00-20:00 every day (tests)"
[windows]
mon = ["08:00-20:00"]
tue = ["08:00-20:00"]
wed = ["08:00-20:00"]
thu = ["08:00-20:00"]
fri = ["08:00-20:00"]
sat = ["08:00-20:00"]
sun = ["08:00-20:00"]
[targets]
allowed_roles = ["debtor"]
blocked_flags = ["minor", "deceased"]
"#;

pub const SCRIPT: &str = "Buenos días, ¿hablo con {{ debtor_name }}? Le llamo de {{ collector }} en nombre de {{ creditor }} por su saldo de {{ amount_due|money }}.";

/// Writes a campaign (strategy, portfolio, templates with a call script)
/// into `dir`; `rules` is the campaign file's `[rules]` body.
pub fn write_campaign(dir: &Path, rules: &str, steps: &str, rows: &[String]) -> PathBuf {
    write_campaign_from(dir, rules, steps, rows, "2026-12-10")
}

/// `write_campaign` with the campaign's start date.
pub fn write_campaign_from(
    dir: &Path,
    rules: &str,
    steps: &str,
    rows: &[String],
    start: &str,
) -> PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples/templates");
    let templates = dir.join("templates");
    for lang in ["es-CO", "es-MX", "en-US"] {
        let to = templates.join(lang);
        std::fs::create_dir_all(&to).expect("templates dir");
        for entry in std::fs::read_dir(examples.join(lang)).expect("example templates") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy template");
        }
        std::fs::write(to.join("llamada.agent_call.txt"), SCRIPT).expect("script");
    }
    std::fs::write(dir.join("closing.toml"), CLOSING_PACK).expect("pack");
    std::fs::write(
        dir.join("strategy.toml"),
        format!("id = \"cola\"\nstop_on = [\"paid\", \"opt_out\"]\n{steps}"),
    )
    .expect("strategy");
    let mut csv = String::from(HEADER);
    for row in rows {
        csv.push('\n');
        csv.push_str(row);
    }
    csv.push('\n');
    std::fs::write(dir.join("portfolio.csv"), csv).expect("portfolio");
    let campaign = dir.join("campaign.toml");
    std::fs::write(
        &campaign,
        format!(
            "id = \"cola-dic\"\nstart_date = \"{start}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = \"templates\"\n\n[rules]\n{rules}\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+57 601 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+576015001234\"\npayment_base_url = \"https://pagos.example/p/\"\n"
        ),
    )
    .expect("campaign");
    campaign
}

/// The campaign launched into `store`, and the desk that hands out its
/// tasks (as `cobro serve --campaign` builds it).
pub async fn launched(store: Arc<AnyStore>, campaign: &Path) -> WorkDesk<AnyStore> {
    let loaded = load_campaign(campaign).expect("campaign loads");
    let templates = load_templates(&loaded.templates_dir).expect("templates");
    launch(store.as_ref(), &loaded, &templates, |_, _| {})
        .await
        .expect("launch");
    work_desk(
        store,
        std::slice::from_ref(&loaded),
        "https://cobro.example",
    )
    .expect("desk")
}
