//! The demo's console users: one per staff role and one for each of the two
//! creditors with the most accounts, all with one printed password, so a
//! newcomer can sign in as a creditor and see only that creditor's
//! expedientes right after `cobro demo`, and the collectors who worked the
//! demo's calls (team `cobranza`), so one can sign in and ask for work.

use std::collections::BTreeMap;

use chrono::Utc;

use crate::store::AccountScan;
use crate::store::prelude::*;
use crate::users::{Role, User, UserError};
use crate::work_queue::simulated::{DEMO_COLLECTORS, demo_collector};

/// The password of every demo user (the demo's store only; printed).
pub const DEMO_PASSWORD: &str = "cobro-demo-2026";

/// One demo user as the demo prints it.
pub struct DemoUser {
    pub email: String,
    pub role: Role,
    pub creditor: Option<String>,
    pub teams: Vec<String>,
}

/// The team of the example strategy's call step.
const DEMO_TEAM: &str = "cobranza";

/// The two creditors with the most accounts (ties by name).
async fn top_creditors<S: Store>(store: &S) -> Result<Vec<String>, crate::store::StoreError> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let scanned = store
            .scan_accounts(&AccountScan {
                after: after.clone(),
                window: 5000,
                ..AccountScan::default()
            })
            .await?;
        for row in &scanned.rows {
            *counts.entry(row.creditor.clone()).or_default() += 1;
        }
        match scanned.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ranked.into_iter().take(2).map(|(c, _)| c).collect())
}

/// Creates (or replaces) the demo users in `store`.
pub async fn add_demo_users<S: Store>(store: &S) -> anyhow::Result<Vec<DemoUser>> {
    let mut users = vec![
        DemoUser {
            email: "admin@cobro.demo".into(),
            role: Role::Admin,
            creditor: None,
            teams: Vec::new(),
        },
        DemoUser {
            email: "operaciones@cobro.demo".into(),
            role: Role::Operations,
            creditor: None,
            teams: Vec::new(),
        },
        DemoUser {
            email: "cumplimiento@cobro.demo".into(),
            role: Role::Compliance,
            creditor: None,
            teams: Vec::new(),
        },
    ];
    for (i, creditor) in top_creditors(store).await?.into_iter().enumerate() {
        users.push(DemoUser {
            email: format!("acreedor{}@cobro.demo", i + 1),
            role: Role::Creditor,
            creditor: Some(creditor),
            teams: Vec::new(),
        });
    }
    for i in 1..=DEMO_COLLECTORS {
        users.push(DemoUser {
            email: demo_collector(i),
            role: Role::Collector,
            creditor: None,
            teams: vec![DEMO_TEAM.to_string()],
        });
    }
    let now = Utc::now();
    for u in &users {
        let user = User::new(&u.email, u.role, u.creditor.as_deref(), DEMO_PASSWORD, now)
            .and_then(|user| user.with_teams(&u.teams))
            .map_err(|e: UserError| anyhow::anyhow!("demo user {}: {e}", u.email))?;
        store.put_user(&user).await?;
    }
    Ok(users)
}
