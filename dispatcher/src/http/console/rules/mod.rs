//! The compliance pages: the rule packs in force and their source files
//! (`/console/rules`, `/console/rules/{pack}`), a rules file checked the
//! way `cobro rules check` checks it (`/console/rules/check`), a month's
//! calendar per country (`/console/rules/calendar`) and the guard's
//! explanation for an expediente at an instant (`/console/rules/explain`).
//!
//! Nothing here decides anything of its own: the check is
//! `cli::rules::check_rules`, the calendar `cli::rules::month_view`, the
//! explanation `account_explain::explain_account` (the guard a worker asks,
//! with the account's history). The packs shown are `AppState::rules`,
//! the ones the service was started with. Staff only (`authz::page_roles`).

use std::collections::HashMap;

use cobro_compliance::TzSource;

use super::texts::Lang;

mod calendar;
mod check;
mod explain;
mod packs;
mod words;

pub use calendar::*;
pub use check::*;
pub use explain::*;
pub use packs::*;
use words::*;

pub(super) type Params = HashMap<String, String>;

pub(super) fn param<'a>(q: &'a Params, k: &str) -> Option<&'a str> {
    q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty())
}

pub(super) fn hhmm(secs: u32) -> String {
    if secs >= 24 * 3600 {
        return "24:00".into();
    }
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// Where the zones came from, in the page's language.
pub(super) fn zone_source(lang: Lang, source: TzSource) -> &'static str {
    match (source, lang) {
        (TzSource::Explicit, Lang::Es) => "huso indicado",
        (TzSource::Explicit, Lang::En) => "explicit zone",
        (TzSource::Subdivision, Lang::Es) => "por subdivisión",
        (TzSource::Subdivision, Lang::En) => "from the subdivision",
        (TzSource::Country, Lang::Es) => "por país",
        (TzSource::Country, Lang::En) => "from the country",
    }
}
