//! `cobro campaign arms|promote`: the champion/challenger commands.
//!
//! - `arms CAMPAIGN.toml [--json]`: the per-arm table of a launched
//!   campaign from the store (the API's `GET /api/campaigns/{id}/arms`).
//! - `promote ARM [CAMPAIGN.toml]`: the winner becomes the campaign's
//!   strategy for the next launch. The file is rewritten with the winner
//!   as its sole arm (weight 1) and the `holdout` kept: the holdout's
//!   accounts stay the same accounts (the cut of [0, 1) below the holdout
//!   does not move), so the measurement goes on, and the winner's step ids
//!   (`arm.step`) keep its contacts' ids, so a relaunch adds nothing twice
//!   for its accounts. The previous file is kept beside it as
//!   `campaign.toml.YYYYMMDD-HHMMSS.bak`. The losing arms' contacts
//!   already planned are not cancelled: promote is for the next launch
//!   (a new campaign id, or `cobro`'s cancel action on this one first).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cobro_config::LoadedCampaign;

use super::BadInput;
use super::common::StoreArg;
use crate::report::arms::ArmsReport;

#[derive(Debug, clap::Subcommand)]
pub enum CampaignCommand {
    /// Per arm: accounts, contacts, cost, promises, payments, recovery and
    /// uplift over the holdout with its 95% interval.
    Arms(ArmsArgs),
    /// Make ARM's strategy the campaign's for the next launch (the file is
    /// rewritten with ARM as its sole arm; the previous one is kept as .bak).
    Promote(PromoteArgs),
}

#[derive(Debug, clap::Args)]
pub struct ArmsArgs {
    #[arg(default_value = "campaign.toml")]
    pub campaign: PathBuf,
    /// Print the report as JSON (the API's shape).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    pub arm: String,
    #[arg(default_value = "campaign.toml")]
    pub campaign: PathBuf,
}

pub async fn run(cmd: CampaignCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CampaignCommand::Arms(args) => arms(args).await,
        CampaignCommand::Promote(args) => promote(&args),
    }
}

async fn arms(args: ArmsArgs) -> anyhow::Result<ExitCode> {
    let loaded = LoadedCampaign::load(&args.campaign).map_err(|e| BadInput(e.to_string()))?;
    let store = args.store.open().await?;
    let report = ArmsReport::build(&store, &loaded).await.map_err(|e| {
        if e.is_bad_input() {
            anyhow::Error::new(BadInput(e.to_string()))
        } else {
            anyhow::Error::new(e)
        }
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn promote(args: &PromoteArgs) -> anyhow::Result<ExitCode> {
    let path = &args.campaign;
    let loaded = LoadedCampaign::load(path).map_err(|e| BadInput(e.to_string()))?;
    let Some(arms) = &loaded.arms else {
        return Err(BadInput(format!("{}: the campaign has no [[arms]]", path.display())).into());
    };
    if !arms.split.arms.iter().any(|a| a.id == args.arm) {
        let ids: Vec<&str> = arms.split.arms.iter().map(|a| a.id.as_str()).collect();
        return Err(BadInput(format!(
            "{}: no arm '{}' (arms: {})",
            path.display(),
            args.arm,
            ids.join(", ")
        ))
        .into());
    }
    let src = std::fs::read_to_string(path)?;
    let text =
        sole_arm(&src, &args.arm).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let backup = backup_path(path, chrono::Local::now().naive_local());
    std::fs::copy(path, &backup)?;
    // Written beside it and renamed, so a crash leaves one whole file.
    let tmp = path.with_extension("toml.promote-tmp");
    std::fs::write(&tmp, &text)?;
    if let Err(e) = LoadedCampaign::load(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(BadInput(format!("the rewritten file does not load: {e}")).into());
    }
    std::fs::rename(&tmp, path)?;
    println!(
        "arm '{}' is now the sole arm of {} (holdout {}% kept); the previous file is {}",
        args.arm,
        path.display(),
        arms.split.holdout,
        backup.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `campaign.toml.YYYYMMDD-HHMMSS.bak` beside `path`.
pub fn backup_path(path: &Path, now: chrono::NaiveDateTime) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "campaign.toml".into());
    path.with_file_name(format!("{name}.{}.bak", now.format("%Y%m%d-%H%M%S")))
}

/// The campaign file's text with every `[[arms]]` table but `arm`'s
/// removed and `arm`'s weight set to 1; everything else (comments,
/// order, the holdout) as written.
pub fn sole_arm(src: &str, arm: &str) -> Result<String, String> {
    // Split into blocks: a block starts at a table header line, with the
    // comment lines right above it (they describe that table).
    let mut blocks: Vec<Vec<&str>> = vec![Vec::new()];
    for line in src.split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            let mut next = Vec::new();
            if let Some(b) = blocks.last_mut() {
                while b.last().is_some_and(|l| l.trim_start().starts_with('#')) {
                    if let Some(l) = b.pop() {
                        next.insert(0, l);
                    }
                }
            }
            blocks.push(next);
        }
        if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    let is_arms = |b: &[&str]| {
        b.iter()
            .find(|l| !l.trim_start().starts_with('#'))
            .is_some_and(|l| l.trim() == "[[arms]]")
    };
    let id_of = |b: &[&str]| -> Option<String> {
        b.iter().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "id").then(|| {
                v.split('#')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['"', '\''])
                    .to_string()
            })
        })
    };
    let mut out = String::with_capacity(src.len());
    let mut kept = 0;
    for block in &blocks {
        if !is_arms(block) {
            out.extend(block.iter().copied());
            continue;
        }
        if id_of(block).as_deref() != Some(arm) {
            continue;
        }
        kept += 1;
        for line in block {
            match line.split_once('=') {
                Some((k, _)) if k.trim() == "weight" => {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    out.push_str(&format!("{indent}weight = 1\n"));
                }
                _ => out.push_str(line),
            }
        }
    }
    if kept != 1 {
        return Err(format!(
            "expected one [[arms]] table with id = \"{arm}\", found {kept} (write the arms as [[arms]] tables to promote)"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "id = \"2026-12\"\n# two arms\nholdout = 10\n\n# the champion, dropped with its table\n[[arms]]\nid = \"champion\"\nstrategy = \"a.toml\"\nweight = 2\n\n# the challenger, kept\n[[arms]]\n# the new one\nid = \"challenger\" # sms first\nstrategy = \"b.toml\"\nweight = 1\n\n[sender]\ncollector = \"X\"\n";

    #[test]
    fn the_winner_stays_as_the_sole_arm_and_the_rest_is_kept() {
        let out = sole_arm(FILE, "challenger").expect("rewrites");
        assert_eq!(
            out,
            "id = \"2026-12\"\n# two arms\nholdout = 10\n\n# the challenger, kept\n[[arms]]\n# the new one\nid = \"challenger\" # sms first\nstrategy = \"b.toml\"\nweight = 1\n\n[sender]\ncollector = \"X\"\n"
        );
        let parsed: toml::Table = toml::from_str(&out).expect("valid toml");
        assert_eq!(parsed["arms"].as_array().map(Vec::len), Some(1));
        assert!(sole_arm(FILE, "nobody").is_err());
        assert!(sole_arm("arms = [{ id = \"a\" }]\n", "a").is_err());
    }

    #[test]
    fn the_backup_is_named_after_the_file_and_the_instant() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(9, 5, 3))
            .expect("valid");
        assert_eq!(
            backup_path(Path::new("/x/campaign.toml"), at),
            PathBuf::from("/x/campaign.toml.20261207-090503.bak")
        );
    }
}
