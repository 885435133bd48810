//! The rule packs this process decides with, and where each one came
//! from, so that the console and `/api/rules` show what is actually in
//! force rather than what sits in a folder.
//!
//! `cobro serve --campaign FILE…` uses those campaigns' packs (their
//! `[rules]` maps: country packs, default and house packs), exactly as
//! its workers load them; without a campaign the service has the built-in
//! packs, each for its own country. The source text of each pack is read
//! once, when the service starts, beside the pack itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cobro_compliance::{ComplianceGuard, RulePack};
use cobro_config::LoadedCampaign;
use serde::Serialize;

/// Where a pack in force was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackOrigin {
    /// A pack built into the binary (its text ships in `config/rules/`).
    Builtin(String),
    /// A pack file a campaign names.
    File(PathBuf),
}

impl PackOrigin {
    /// `built-in mx-profeco` or the file's path, for people and the API.
    pub fn label(&self) -> String {
        match self {
            PackOrigin::Builtin(name) => format!("built-in {name}"),
            PackOrigin::File(path) => path.display().to_string(),
        }
    }
}

/// One pack in force and whom it applies to.
#[derive(Debug, Clone)]
pub struct PackInForce {
    pub pack: RulePack,
    pub origin: PackOrigin,
    /// The TOML text the pack was parsed from.
    pub source: String,
    /// Where it applies: ISO countries, `default` (unmapped countries) or
    /// `house` (everyone).
    pub applies_to: Vec<String>,
    /// The campaigns that name it (empty for the built-in set).
    pub campaigns: Vec<String>,
}

/// One campaign's rules (or the built-in set): the guard its workers use.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The campaign id; `None` for the built-in set.
    pub campaign: Option<String>,
    pub guard: ComplianceGuard,
}

/// The packs in force and the guards that use them.
#[derive(Debug, Clone)]
pub struct RulesInForce {
    pub packs: Vec<PackInForce>,
    pub sets: Vec<RuleSet>,
}

/// A pack file that could be loaded by its campaign but not read back for
/// display.
#[derive(Debug, thiserror::Error)]
#[error("{}: reading the rules file for the console: {source}", path.display())]
pub struct RulesSourceError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl RulesSourceError {
    /// The file that could not be read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The JSON of one pack in `GET /api/rules`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PackJson {
    pub id: String,
    pub name: Option<String>,
    pub country: Option<String>,
    /// `built-in <name>` or the file's path.
    pub source: String,
    pub applies_to: Vec<String>,
    pub campaigns: Vec<String>,
}

impl RulesInForce {
    /// The built-in packs, each applied to its own country (debtors of
    /// other countries are blocked: there is no default).
    pub fn embedded() -> Self {
        let mut packs = Vec::new();
        let mut by_country: BTreeMap<String, Vec<RulePack>> = BTreeMap::new();
        for name in RulePack::builtin_names() {
            let (Some(pack), Some(source)) =
                (RulePack::builtin(name), RulePack::builtin_source(name))
            else {
                continue;
            };
            let countries: Vec<String> = pack.country().map(str::to_string).into_iter().collect();
            for c in &countries {
                by_country.entry(c.clone()).or_default().push(pack.clone());
            }
            packs.push(PackInForce {
                pack,
                origin: PackOrigin::Builtin(name.to_string()),
                source: source.to_string(),
                applies_to: countries,
                campaigns: Vec::new(),
            });
        }
        RulesInForce {
            packs,
            sets: vec![RuleSet {
                campaign: None,
                guard: ComplianceGuard::new(by_country, Vec::new(), Vec::new()),
            }],
        }
    }

    /// The packs of `campaigns` (already loaded and validated), in the
    /// order the files name them; none gives [`RulesInForce::embedded`].
    pub fn from_campaigns(campaigns: &[LoadedCampaign]) -> Result<Self, RulesSourceError> {
        if campaigns.is_empty() {
            return Ok(Self::embedded());
        }
        let mut out = RulesInForce {
            packs: Vec::new(),
            sets: Vec::new(),
        };
        for c in campaigns {
            let base = c.path.parent().unwrap_or(Path::new("."));
            let rules = &c.file.rules;
            let mut groups: Vec<(String, &[String], &[RulePack])> = rules
                .countries
                .iter()
                .filter_map(|(country, names)| {
                    c.packs_by_country
                        .get(country)
                        .map(|packs| (country.clone(), &names[..], &packs[..]))
                })
                .collect();
            groups.push(("default".into(), &rules.default, &c.default_packs));
            groups.push(("house".into(), &rules.house, &c.house_packs));
            for (applies, names, packs) in groups {
                for (name, pack) in names.iter().zip(packs) {
                    out.add(c, base, &applies, name, pack)?;
                }
            }
            out.sets.push(RuleSet {
                campaign: Some(c.campaign.id.clone()),
                guard: c.guard(),
            });
        }
        Ok(out)
    }

    /// Records that campaign `c` applies the pack it names `name` to
    /// `applies`; a pack read from the same place is listed once.
    fn add(
        &mut self,
        c: &LoadedCampaign,
        base: &Path,
        applies: &str,
        name: &str,
        pack: &RulePack,
    ) -> Result<(), RulesSourceError> {
        // The same resolution `LoadedCampaign::load` uses.
        let origin = if RulePack::builtin(name).is_some() {
            PackOrigin::Builtin(name.to_string())
        } else if Path::new(name).is_absolute() {
            PackOrigin::File(PathBuf::from(name))
        } else {
            PackOrigin::File(base.join(name))
        };
        if let Some(known) = self.packs.iter_mut().find(|p| p.origin == origin) {
            if !known.applies_to.iter().any(|a| a == applies) {
                known.applies_to.push(applies.to_string());
            }
            if !known.campaigns.contains(&c.campaign.id) {
                known.campaigns.push(c.campaign.id.clone());
            }
            return Ok(());
        }
        let source = match &origin {
            PackOrigin::Builtin(n) => RulePack::builtin_source(n).unwrap_or_default().to_string(),
            PackOrigin::File(path) => std::fs::read(path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|source| RulesSourceError {
                    path: path.clone(),
                    source,
                })?,
        };
        self.packs.push(PackInForce {
            pack: pack.clone(),
            origin,
            source,
            applies_to: vec![applies.to_string()],
            campaigns: vec![c.campaign.id.clone()],
        });
        Ok(())
    }

    /// The pack in force with id `id` (the first, should two files share
    /// an id).
    pub fn pack(&self, id: &str) -> Option<&PackInForce> {
        self.packs.iter().find(|p| p.pack.id() == id)
    }

    /// The rule set of `campaign`, or the first one (the built-in set, or
    /// the first `--campaign`) when none is asked for.
    pub fn set(&self, campaign: Option<&str>) -> Option<&RuleSet> {
        match campaign {
            Some(id) => self.sets.iter().find(|s| s.campaign.as_deref() == Some(id)),
            None => self.sets.first(),
        }
    }

    /// `GET /api/rules`.
    pub fn to_json(&self) -> Vec<PackJson> {
        self.packs
            .iter()
            .map(|p| PackJson {
                id: p.pack.id().to_string(),
                name: p.pack.name().map(str::to_string),
                country: p.pack.country().map(str::to_string),
                source: p.origin.label(),
                applies_to: p.applies_to.clone(),
                campaigns: p.campaigns.clone(),
            })
            .collect()
    }
}

impl Default for RulesInForce {
    fn default() -> Self {
        Self::embedded()
    }
}
