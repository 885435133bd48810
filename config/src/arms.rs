//! `[[arms]]` and `holdout` of `campaign.toml` (champion/challenger):
//! the strategies a campaign tries side by side, each on a share of the
//! accounts, and the percentage of accounts no arm contacts. Validated at
//! load (ids, weights, strategies, one set of stop events); the
//! assignment itself is `cobro_campaigns::arms`.

use std::path::{Path, PathBuf};

use cobro_campaigns::arms::{ArmSplit, ArmWeight, arm_step_id, valid_arm_id};
use cobro_campaigns::strategy::Strategy;
use serde::Deserialize;
use toml::Spanned;

use crate::ConfigError;
use crate::locate::line_of;

/// One `[[arms]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmSection {
    /// `[a-z0-9_-]+`: the export's `arm` column and the prefix of the
    /// arm's step ids.
    pub id: Spanned<String>,
    /// The arm's strategy file, relative to the campaign file.
    pub strategy: Spanned<PathBuf>,
    /// Its share of the contacted accounts, relative to the other arms'.
    pub weight: Spanned<f64>,
}

/// The arms with their strategies loaded.
#[derive(Debug, Clone)]
pub struct LoadedArms {
    /// Who goes where (pure: campaign id, account id, weights, holdout).
    pub split: ArmSplit,
    /// Each arm's strategy, in the file's order, its steps renamed
    /// `{arm}.{step}` (what planning stores and the export shows).
    pub strategies: Vec<Strategy>,
    /// Each arm's strategy file as written in `campaign.toml`.
    pub strategy_files: Vec<PathBuf>,
}

impl LoadedArms {
    /// The arm strategy of `account`, or `None` for the holdout.
    pub fn strategy_for(&self, account: &str) -> Option<&Strategy> {
        match self.split.assign(account) {
            cobro_campaigns::arms::Assignment::Holdout => None,
            cobro_campaigns::arms::Assignment::Arm(i) => self.strategies.get(i),
        }
    }

    /// Every arm's steps in one strategy (what template checks, broken-
    /// promise steps and collectors' teams read); the arms share stop_on.
    pub fn combined(&self) -> Strategy {
        Strategy {
            id: self
                .strategies
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            steps: self
                .strategies
                .iter()
                .flat_map(|s| s.steps.iter().cloned())
                .collect(),
            stop_on: self
                .strategies
                .first()
                .map(|s| s.stop_on.clone())
                .unwrap_or_default(),
        }
    }
}

/// Validates and loads `arms` and `holdout` of the campaign at `path`
/// (`src` its text, `resolve` makes a written path absolute).
pub(crate) fn load_arms(
    path: &Path,
    src: &str,
    campaign: &str,
    arms: &[ArmSection],
    holdout: Option<&Spanned<f64>>,
    resolve: impl Fn(&Path) -> PathBuf,
) -> Result<LoadedArms, ConfigError> {
    let invalid = |key: String, offset: usize, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line_of(src, offset),
        key,
        message,
    };
    let holdout_pct = match holdout {
        Some(h) => {
            let v = *h.get_ref();
            if !(0.0..100.0).contains(&v) {
                return Err(invalid(
                    "holdout".into(),
                    h.span().start,
                    format!("{v} is not a percentage from 0 up to (not including) 100"),
                ));
            }
            v
        }
        None => 0.0,
    };
    let mut strategies: Vec<Strategy> = Vec::with_capacity(arms.len());
    let mut weights = Vec::with_capacity(arms.len());
    let mut files = Vec::with_capacity(arms.len());
    for (i, arm) in arms.iter().enumerate() {
        let id = arm.id.get_ref();
        if !valid_arm_id(id) {
            return Err(invalid(
                format!("arms[{i}].id"),
                arm.id.span().start,
                format!(
                    "'{id}' must be lower-case letters, digits, '-' or '_' (and not \"holdout\")"
                ),
            ));
        }
        if weights.iter().any(|w: &ArmWeight| &w.id == id) {
            return Err(invalid(
                format!("arms[{i}].id"),
                arm.id.span().start,
                format!("'{id}' is already the id of another arm"),
            ));
        }
        let weight = *arm.weight.get_ref();
        if !(weight.is_finite() && weight > 0.0) {
            return Err(invalid(
                format!("arms[{i}].weight"),
                arm.weight.span().start,
                format!("{weight} must be a number above 0"),
            ));
        }
        let file = arm.strategy.get_ref();
        let mut strategy = Strategy::load(&resolve(file)).map_err(|e| {
            invalid(
                format!("arms[{i}].strategy"),
                arm.strategy.span().start,
                e.to_string(),
            )
        })?;
        if let Some(first) = strategies.first()
            && stop_set(first) != stop_set(&strategy)
        {
            return Err(invalid(
                format!("arms[{i}].strategy"),
                arm.strategy.span().start,
                format!(
                    "its stop_on {:?} differs from arm '{}' ({:?}); the arms of a campaign stop on the same events (the campaign's stop rule is one)",
                    stop_set(&strategy),
                    weights.first().map_or("", |w: &ArmWeight| w.id.as_str()),
                    stop_set(first)
                ),
            ));
        }
        for step in &mut strategy.steps {
            step.id = arm_step_id(id, &step.id);
        }
        strategies.push(strategy);
        weights.push(ArmWeight {
            id: id.clone(),
            weight,
        });
        files.push(file.clone());
    }
    Ok(LoadedArms {
        split: ArmSplit {
            campaign: campaign.to_string(),
            arms: weights,
            holdout: holdout_pct,
        },
        strategies,
        strategy_files: files,
    })
}

fn stop_set(s: &Strategy) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = s.stop_on.iter().map(|e| e.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v
}
