use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cobro_campaigns::Campaign;
use cobro_campaigns::strategy::Strategy;
use cobro_compliance::{ComplianceGuard, RulePack};
use serde::Deserialize;

use toml::Spanned;

use crate::ConfigError;
use crate::arms::{ArmSection, LoadedArms, load_arms};
use crate::costs::CostsSection;
use crate::locate::find_line;

/// `campaign.toml`: one monthly campaign. Paths are relative to the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignFile {
    pub id: String,
    pub start_date: NaiveDate,
    pub portfolio: PathBuf,
    /// The campaign's strategy; absent when `[[arms]]` give one per arm.
    #[serde(default)]
    pub strategy: Option<PathBuf>,
    pub templates: PathBuf,
    pub rules: RulesMap,
    pub sender: SenderSection,
    /// What the providers charge; reports estimate the campaign's cost.
    #[serde(default)]
    pub costs: Option<CostsSection>,
    /// Champion/challenger: strategies tried side by side, each on a
    /// share of the accounts (`crate::arms`).
    #[serde(default)]
    pub arms: Vec<ArmSection>,
    /// Percent of accounts no arm contacts (the control group); needs
    /// `[[arms]]`.
    #[serde(default)]
    pub holdout: Option<Spanned<f64>>,
    /// Days from the start date during which the accounts' payments and
    /// promises count for the arms' report (default 30).
    #[serde(default)]
    pub attribution_days: Option<u32>,
}

/// The attribution window when `attribution_days` is not given.
pub const DEFAULT_ATTRIBUTION_DAYS: u32 = 30;

/// Which rule packs apply to whom. Each entry is a built-in pack name or a
/// path to a pack file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesMap {
    /// ISO country → packs.
    #[serde(default)]
    pub countries: BTreeMap<String, Vec<String>>,
    /// Packs for debtors whose country is not listed. Empty means such
    /// debtors are blocked (fail closed).
    #[serde(default)]
    pub default: Vec<String>,
    /// Packs applied to every debtor on top of the country's.
    #[serde(default)]
    pub house: Vec<String>,
}

/// Who the debtor sees as the sender.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderSection {
    pub collector: String,
    pub collector_phone: String,
    pub email_from: String,
    pub sms_from: String,
    pub voice_from: String,
    pub payment_base_url: String,
}

/// A campaign file with everything it references loaded and validated.
#[derive(Debug, Clone)]
pub struct LoadedCampaign {
    pub path: PathBuf,
    pub campaign: Campaign,
    pub file: CampaignFile,
    /// The strategy planning and the engine read. With arms: every arm's
    /// steps under their `{arm}.{step}` ids (template checks, teams,
    /// broken-promise steps); planning takes each account's own arm from
    /// [`LoadedCampaign::strategy_for`].
    pub strategy: Strategy,
    /// `[[arms]]` and `holdout`, when the campaign has arms.
    pub arms: Option<LoadedArms>,
    pub packs_by_country: BTreeMap<String, Vec<RulePack>>,
    pub default_packs: Vec<RulePack>,
    pub house_packs: Vec<RulePack>,
    pub portfolio_path: PathBuf,
    pub templates_dir: PathBuf,
}

impl LoadedCampaign {
    /// Reads the campaign file, its strategy and its rule packs. An invalid
    /// rules file stops the launch here.
    pub fn load(path: &Path) -> Result<LoadedCampaign, ConfigError> {
        let src =
            cobro_campaigns::text_file::read_utf8(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        let file: CampaignFile =
            toml::from_str(&src).map_err(|e| ConfigError::from_toml(path, &src, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: find_line(&src, key.rsplit('.').next().unwrap_or(key)),
            key: key.to_string(),
            message,
        };
        if file.id.is_empty()
            || !file
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(invalid(
                "id",
                "must be letters, digits, '-', '_' or '.'".into(),
            ));
        }
        // Sender identities end up in message headers (From, caller id):
        // a control character there could forge a header, so refuse it
        // here rather than fail every send.
        let sender = &file.sender;
        for (key, value) in [
            ("sender.collector", &sender.collector),
            ("sender.collector_phone", &sender.collector_phone),
            ("sender.email_from", &sender.email_from),
            ("sender.sms_from", &sender.sms_from),
            ("sender.voice_from", &sender.voice_from),
            ("sender.payment_base_url", &sender.payment_base_url),
        ] {
            if value.chars().any(char::is_control) {
                return Err(invalid(
                    key,
                    "must not contain control characters (line breaks, tabs…)".into(),
                ));
            }
        }
        if let Some(Err((key, message))) = file.costs.as_ref().map(CostsSection::check) {
            return Err(invalid(key, message));
        }
        if !sender.email_from.contains('@') {
            return Err(invalid(
                "sender.email_from",
                "expected an address like \"Agencia <avisos@agencia.mx>\"".into(),
            ));
        }
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let (strategy, arms) = match (&file.strategy, file.arms.is_empty()) {
            (Some(_), false) => {
                return Err(invalid(
                    "strategy",
                    "a campaign with [[arms]] takes each arm's strategy; remove this key".into(),
                ));
            }
            (None, true) => {
                return Err(invalid(
                    "strategy",
                    "missing: give strategy = \"strategy.toml\" or [[arms]]".into(),
                ));
            }
            (Some(strategy), true) => {
                if let Some(h) = &file.holdout {
                    return Err(ConfigError::Invalid {
                        path: path.to_path_buf(),
                        line: crate::locate::line_of(&src, h.span().start),
                        key: "holdout".into(),
                        message: "needs [[arms]] (one arm is enough to measure a strategy against a holdout)".into(),
                    });
                }
                let strategy =
                    Strategy::load(&resolve(strategy)).map_err(|e| ConfigError::Referenced {
                        path: path.to_path_buf(),
                        message: format!("strategy: {e}"),
                    })?;
                (strategy, None)
            }
            (None, false) => {
                let arms = load_arms(
                    path,
                    &src,
                    &file.id,
                    &file.arms,
                    file.holdout.as_ref(),
                    resolve,
                )?;
                (arms.combined(), Some(arms))
            }
        };
        if file.attribution_days == Some(0) {
            return Err(invalid("attribution_days", "must be at least 1 day".into()));
        }
        let load_packs = |key: &str, names: &[String]| -> Result<Vec<RulePack>, ConfigError> {
            names
                .iter()
                .map(|name| {
                    let spec = if RulePack::builtin(name).is_some() {
                        name.clone()
                    } else {
                        resolve(Path::new(name)).display().to_string()
                    };
                    RulePack::load_named_or_file(&spec).map_err(|e| ConfigError::Referenced {
                        path: path.to_path_buf(),
                        message: format!("{key}: {e}"),
                    })
                })
                .collect()
        };
        let mut packs_by_country = BTreeMap::new();
        for (country, names) in &file.rules.countries {
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(invalid(
                    &format!("rules.countries.{country}"),
                    "expected an ISO 3166-1 alpha-2 code like MX".into(),
                ));
            }
            packs_by_country.insert(
                country.clone(),
                load_packs(&format!("rules.countries.{country}"), names)?,
            );
        }
        let default_packs = load_packs("rules.default", &file.rules.default)?;
        let house_packs = load_packs("rules.house", &file.rules.house)?;
        let templates_dir = resolve(&file.templates);
        if !templates_dir.is_dir() {
            return Err(invalid(
                "templates",
                format!("{} is not a folder", templates_dir.display()),
            ));
        }
        Ok(LoadedCampaign {
            path: path.to_path_buf(),
            campaign: Campaign {
                id: file.id.clone(),
                start_date: file.start_date,
            },
            portfolio_path: resolve(&file.portfolio),
            templates_dir,
            strategy,
            arms,
            packs_by_country,
            default_packs,
            house_packs,
            file,
        })
    }

    /// The strategy that plans `account`: the campaign's, or its arm's;
    /// `None` for an account in the holdout (no contact is planned).
    pub fn strategy_for(&self, account: &str) -> Option<&Strategy> {
        match &self.arms {
            Some(arms) => arms.strategy_for(account),
            None => Some(&self.strategy),
        }
    }

    /// Days from the start date during which payments count for the arms.
    pub fn attribution_days(&self) -> u32 {
        self.file
            .attribution_days
            .unwrap_or(DEFAULT_ATTRIBUTION_DAYS)
    }

    pub fn guard(&self) -> ComplianceGuard {
        ComplianceGuard::new(
            self.packs_by_country.clone(),
            self.default_packs.clone(),
            self.house_packs.clone(),
        )
    }
}
