//! Launching a campaign: import the portfolio, refuse templates that miss
//! what the rules require, plan every contact and add it to the store.
//! Idempotent: contact ids are stable, so a re-launch adds nothing twice.

use std::collections::BTreeSet;

use cobro_campaigns::import::import_path_each;
use cobro_campaigns::planning::plan_account;
use cobro_campaigns::{Account, PlannedContact, TemplateElement};
use cobro_channels::templates::TemplateSet;
use cobro_compliance::{ComplianceGuard, resolve_timezones};
use cobro_config::LoadedCampaign;

use crate::store::{AccountStatus, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{0}")]
    Portfolio(String),
    #[error("templates do not satisfy the rules:\n{}", .0.join("\n"))]
    Templates(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LaunchError {
    /// The operator must fix a file (exit 2), not retry.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, LaunchError::Store(_))
    }
}

#[derive(Debug, Clone, Default)]
pub struct LaunchReport {
    pub import: ImportSummary,
    pub accounts: u64,
    pub planned: u64,
    pub added: u64,
    /// Accounts in the campaign's holdout: stored, never contacted.
    pub holdout: u64,
}

/// What the import saw: rows read and the bad ones (`line N: field: reason`).
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub rows_read: usize,
    pub bad_rows: Vec<String>,
}

/// How many accounts go to the store per transaction.
const BATCH: usize = 2_000;

/// Every template a step may send (its channel and its fallback) must exist
/// for each language in the portfolio and carry what the packs of the
/// debtors' countries require.
/// `groups` are the (country, language) pairs of the portfolio.
pub fn check_templates(
    loaded: &LoadedCampaign,
    guard: &ComplianceGuard,
    templates: &TemplateSet,
    groups: &BTreeSet<(String, String)>,
) -> Vec<String> {
    let mut problems = BTreeSet::new();
    for (country, language) in groups {
        let packs = guard.packs_for(country);
        for step in &loaded.strategy.steps {
            for channel in std::iter::once(step.channel).chain(step.fallback) {
                let required: Vec<TemplateElement> = packs
                    .iter()
                    .flat_map(|p| p.required_elements(channel))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !templates.has(&step.template, language, channel) {
                    problems.insert(format!(
                        "  step {}: no {channel} template '{}' for {language}",
                        step.id, step.template
                    ));
                    continue;
                }
                if let Ok(unknown) = templates.unknown_variables(&step.template, language, channel)
                {
                    for (file, line, var) in unknown {
                        problems.insert(format!(
                            "  step {}: {file} line {line}: unknown variable `{var}`",
                            step.id
                        ));
                    }
                }
                match templates.missing_elements(&step.template, language, channel, &required) {
                    Ok(missing) if missing.is_empty() => {}
                    Ok(missing) => {
                        let names: Vec<&str> = missing.iter().map(|m| m.as_str()).collect();
                        let packs: Vec<&str> = packs.iter().map(|p| p.id()).collect();
                        problems.insert(format!(
                            "  step {}: {channel} template '{}' ({language}) lacks {} required by {} ({country})",
                            step.id,
                            step.template,
                            names.join(", "),
                            packs.join("+")
                        ));
                    }
                    Err(e) => {
                        problems.insert(format!(
                            "  step {}: {channel} template '{}' ({language}): {e}",
                            step.id, step.template
                        ));
                    }
                }
            }
        }
    }
    problems.into_iter().collect()
}

/// The zones planning uses for an account; empty when unknown (planning
/// then uses UTC and the guard blocks the contact, failing closed).
pub fn zones_of(account: &Account) -> Vec<chrono_tz::Tz> {
    resolve_timezones(
        &account.country,
        account.subdivision.as_deref(),
        account.timezone.as_deref(),
    )
    .map(|z| z.zones)
    .unwrap_or_default()
}

/// Imports, checks, plans and stores a campaign. `progress` is told the
/// number of accounts stored so far and the total.
///
/// The portfolio is read twice, streaming: a first pass collects the
/// (country, language) pairs so that templates are checked before anything
/// is stored (a refused launch stores nothing), a second pass stores and
/// plans accounts in batches, so memory stays flat whatever the portfolio's
/// size.
pub async fn launch<S: Store>(
    store: &S,
    loaded: &LoadedCampaign,
    templates: &TemplateSet,
    mut progress: impl FnMut(u64, u64),
) -> Result<LaunchReport, LaunchError> {
    let path = loaded.portfolio_path.clone();
    let (groups, total) = tokio::task::spawn_blocking(move || {
        let mut groups = BTreeSet::new();
        let mut total = 0u64;
        import_path_each(&path, |a: Account| {
            total += 1;
            groups.insert((a.country, a.language));
        })
        .map(|_| (groups, total))
    })
    .await
    .map_err(|e| LaunchError::Portfolio(format!("portfolio reader stopped: {e}")))?
    .map_err(|e| LaunchError::Portfolio(e.to_string()))?;
    let guard = loaded.guard();
    let problems = check_templates(loaded, &guard, templates, &groups);
    if !problems.is_empty() {
        return Err(LaunchError::Templates(problems));
    }
    // Before any contact is stored, so the campaign's stop_on applies to
    // every one of them (re-launching with a new strategy updates it).
    store
        .set_campaign_stop_from(
            &loaded.campaign.id,
            AccountStatus::stop_from(&loaded.strategy.stop_on),
        )
        .await?;

    // The reader thread imports and plans (CPU) while this task stores the
    // previous batches (the store's round trips), one batch at a time.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<Account>, Vec<PlannedContact>, u64)>(4);
    let path = loaded.portfolio_path.clone();
    let planner = loaded.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let steps = planner.strategy.steps.len();
        let plan = |batch: Vec<Account>| {
            let mut contacts = Vec::with_capacity(batch.len() * steps);
            let mut holdout = 0;
            for account in &batch {
                // The holdout's accounts are stored (payments find them)
                // but no contact is planned for them.
                let Some(strategy) = planner.strategy_for(&account.id) else {
                    holdout += 1;
                    continue;
                };
                contacts.extend(plan_account(
                    &planner.campaign,
                    strategy,
                    account,
                    &zones_of(account),
                ));
            }
            (batch, contacts, holdout)
        };
        let mut batch = Vec::with_capacity(BATCH);
        let summary = import_path_each(&path, |account| {
            batch.push(account);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                // A closed channel means the store side failed; its error wins.
                let _ = tx.blocking_send(plan(full));
            }
        });
        if !batch.is_empty() {
            let _ = tx.blocking_send(plan(batch));
        }
        summary
    });
    let mut report = LaunchReport::default();
    while let Some((chunk, contacts, holdout)) = rx.recv().await {
        store.put_accounts(&chunk).await?;
        report.holdout += holdout;
        report.planned += contacts.len() as u64;
        report.added += store.add_contacts(&contacts).await?;
        report.accounts += chunk.len() as u64;
        progress(report.accounts, total);
    }
    let summary = reader
        .await
        .map_err(|e| LaunchError::Portfolio(format!("portfolio reader stopped: {e}")))?
        .map_err(|e| LaunchError::Portfolio(e.to_string()))?;
    report.import = ImportSummary {
        rows_read: summary.rows_read,
        bad_rows: summary.errors.iter().map(|e| e.to_string()).collect(),
    };
    Ok(report)
}
