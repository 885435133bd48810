//! A campaign of collectors' calls due on the wall clock *now*, for the
//! work queue's tests: one `agent_call` step (a team's, with a call script
//! in Spanish and English) and a rule pack `ventana` whose window is open
//! now and closes a chosen number of minutes from now (every day, in the
//! debtors' zone, UTC), so the page's countdown has something to count.
//! The handlers read `Utc::now()`, so the window is written around it.

use std::path::{Path, PathBuf};

use chrono::{Duration, Timelike, Utc};

/// One debtor of the portfolio.
pub struct AgentDebtor<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// E.164.
    pub phone: &'a str,
    /// `es-MX` or `en-US`.
    pub language: &'a str,
}

/// The Spanish script's first words, to find it on a page.
pub const SCRIPT_ES: &str = "Buenos días, ¿hablo con";
/// The English script's first words.
pub const SCRIPT_EN: &str = "Good morning, am I speaking with";

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The pack's window for every day: open all day except the half hour
/// from `closes_in_minutes` from now (UTC minutes of the day).
fn window_pack(closes_in_minutes: i64) -> String {
    let close = Utc::now() + Duration::minutes(closes_in_minutes);
    let c = i64::from(close.hour()) * 60 + i64::from(close.minute());
    let r = c + 30;
    let ranges: Vec<(i64, i64)> = if r <= 1440 {
        vec![(0, c), (r, 1440)]
    } else {
        vec![(r - 1440, c)]
    };
    let ranges: Vec<String> = ranges
        .into_iter()
        .filter(|(s, e)| s < e)
        .map(|(s, e)| format!("\"{}-{}\"", hhmm(s), hhmm(e)))
        .collect();
    let mut pack = String::from(
        "id = \"ventana\"\nname = \"A window that closes soon (work-queue tests)\"\n\n[windows]\n",
    );
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        pack.push_str(&format!("{day} = [{}]\n", ranges.join(", ")));
    }
    pack.push_str("\n[targets]\nallowed_roles = [\"debtor\"]\n");
    pack
}

/// Writes `portfolio.csv`, `ventana.toml`, `strategy.toml`, the call
/// script templates and `campaign.toml` (id `campaign`, its step for
/// `team`) into `dir`; returns the campaign file's path. The legal window
/// closes `closes_in_minutes` from now.
///
/// # Panics
/// When a file cannot be written: this is test scaffolding.
pub fn write_agent_campaign(
    dir: &Path,
    campaign: &str,
    team: &str,
    debtors: &[AgentDebtor<'_>],
    closes_in_minutes: i64,
) -> PathBuf {
    let mut csv = String::from(
        "id,creditor,debtor_name,tax_id,amount_due,currency,due_date,segment,language,country,subdivision,timezone,phone,phone_role,phone_provenance,phone_flags,consent_sms,consent_voice\n",
    );
    for d in debtors {
        csv.push_str(&format!(
            "{},Banco Ejemplo,{},,1500.00,MXN,2026-09-01,temprana,{},MX,,UTC,{},debtor,creditor_file,,yes,yes\n",
            d.id, d.name, d.language, d.phone
        ));
    }
    std::fs::write(dir.join("portfolio.csv"), csv).expect("write portfolio");
    std::fs::write(dir.join("ventana.toml"), window_pack(closes_in_minutes)).expect("write pack");
    std::fs::write(
        dir.join("strategy.toml"),
        format!(
            "id = \"llamadas\"\nstop_on = [\"paid\", \"opt_out\"]\n\n\
             [[steps]]\nid = \"llamada\"\nday = 0\nchannel = \"agent_call\"\ntemplate = \"llamada\"\nsend_at = \"00:00\"\nteam = \"{team}\"\n"
        ),
    )
    .expect("write strategy");
    for (lang, script) in [
        (
            "es-MX",
            format!(
                "{SCRIPT_ES} {{{{ debtor_name }}}}? Le llamo de {{{{ collector }}}} en nombre de {{{{ creditor }}}} por su saldo de {{{{ amount_due|money }}}}. ¿Cuándo podría pagarlo?"
            ),
        ),
        (
            "en-US",
            format!(
                "{SCRIPT_EN} {{{{ debtor_name }}}}? I am calling from {{{{ collector }}}} on behalf of {{{{ creditor }}}} about your balance of {{{{ amount_due|money }}}}. When could you pay it?"
            ),
        ),
    ] {
        let folder = dir.join("templates").join(lang);
        std::fs::create_dir_all(&folder).expect("templates folder");
        std::fs::write(folder.join("llamada.agent_call.txt"), script).expect("write script");
    }
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let path = dir.join("campaign.toml");
    std::fs::write(
        &path,
        format!(
            "id = \"{campaign}\"\nstart_date = \"{yesterday}\"\nportfolio = \"portfolio.csv\"\nstrategy = \"strategy.toml\"\ntemplates = \"templates\"\n\n\
             [rules]\ndefault = [\"ventana.toml\"]\n\n\
             [sender]\ncollector = \"Cobranzas Andinas\"\ncollector_phone = \"+52 55 5000 1234\"\nemail_from = \"avisos@cobranzas.example\"\n\
             sms_from = \"COBRANZA\"\nvoice_from = \"+525550001234\"\npayment_base_url = \"https://pagos.example/p/\"\n"
        ),
    )
    .expect("write campaign");
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_pack_loads_with_a_closed_half_hour() {
        for minutes in [5, 90, 600] {
            let toml = window_pack(minutes);
            let pack = cobro_compliance::RulePack::from_toml_str(&toml, "ventana.toml")
                .unwrap_or_else(|e| panic!("{e}\n{toml}"));
            assert_eq!(pack.id(), "ventana");
            assert!(toml.contains("mon = [\""), "{toml}");
        }
    }
}
