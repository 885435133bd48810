//! The Lua scripts (`scripts/*.lua`), each run with the shared helpers of
//! `scripts/common.lua` in front, and before those the tables generated
//! from the Rust definitions: `FROM[move][state]` (the states each store
//! operation moves a contact from, `StateMove::from_states`) and
//! `STOP_RANK` (`AccountStatus::rank`). The scripts never spell a state
//! guard of their own.
//!
//! Writes that no later step of the same script reads are deferred and
//! applied by `flush()` when the script ends (`Scripts::new` wraps every
//! body so that it always runs): per-state counter deltas (one `HINCRBY`
//! per campaign and state that changed, not four per move), ledger rows
//! (one `RPUSH` per list with every row of the call), provider ids (one
//! `HSET`), `P:lcs` members, the state-index removals and additions (one
//! `ZREM` / `ZADD` per index) and the reservations' history rows and
//! version increments. A script is atomic, so no other client can tell the
//! difference; inside a script, nothing reads a key after a deferred write
//! to it (the indexes are read before any write, the counters and ledger
//! lists never, and the batch reservation reads the history versions once
//! up front and keeps them current itself). Deferred `ZREM`s are applied
//! before deferred `ZADD`s, which is the sequential result as long as no
//! contact enters an index and leaves it again within one call (a contact
//! changes state at most once per script: every later item for the same id
//! finds the new state and does nothing). A long script (a campaign
//! cancelled whole, a mass recovery) applies what it has deferred every
//! 8,192 arguments rather than only at the end — earlier, so still the
//! sequential result — so that Lua's memory stays bounded.

use std::fmt::Write as _;
use std::sync::OnceLock;

use redis::Script;

use crate::store::{AccountStatus, ContactState, StateMove};

const COMMON: &str = include_str!("scripts/common.lua");

/// The scripts, shared by every store of the process (they are the same
/// text; keeping them out of `RedisStore` keeps the store small).
pub(super) fn scripts() -> &'static Scripts {
    static SCRIPTS: OnceLock<Scripts> = OnceLock::new();
    SCRIPTS.get_or_init(Scripts::new)
}

/// The scripts, each with the generated tables and the shared helpers in
/// front.
pub(super) struct Scripts {
    pub add: Script,
    pub claim: Script,
    pub transitions: Script,
    pub reserve_many: Script,
    pub release: Script,
    pub cancel: Script,
    pub recover: Script,
    pub suppressed: Script,
    pub ledger: Script,
    pub set_status: Script,
    pub resume: Script,
    pub cancel_campaign: Script,
    pub claim_work: Script,
    pub end_lease: Script,
    pub reconcile: Script,
    pub get: Script,
    pub migrate: Script,
    pub addr_add: Script,
    pub next_due: Script,
}

impl Scripts {
    fn new() -> Self {
        let prelude = format!("{}{COMMON}", generated_tables());
        // The body runs as a function so that `flush()` applies the
        // deferred writes whichever `return` it leaves by.
        let s = |body: &str| {
            Script::new(&format!(
                "{prelude}\nlocal function main()\n{body}\nend\nlocal result = main()\nflush()\nreturn result\n"
            ))
        };
        Scripts {
            add: s(include_str!("scripts/add.lua")),
            claim: s(include_str!("scripts/claim.lua")),
            transitions: s(include_str!("scripts/transitions.lua")),
            reserve_many: s(include_str!("scripts/reserve_many.lua")),
            release: s(include_str!("scripts/release.lua")),
            cancel: s(include_str!("scripts/cancel.lua")),
            recover: s(include_str!("scripts/recover.lua")),
            suppressed: s(include_str!("scripts/suppressed.lua")),
            ledger: s(include_str!("scripts/ledger.lua")),
            set_status: s(include_str!("scripts/set_status.lua")),
            resume: s(include_str!("scripts/resume.lua")),
            cancel_campaign: s(include_str!("scripts/cancel_campaign.lua")),
            claim_work: s(include_str!("scripts/claim_work.lua")),
            end_lease: s(include_str!("scripts/end_lease.lua")),
            reconcile: s(include_str!("scripts/reconcile.lua")),
            get: s(include_str!("scripts/get.lua")),
            migrate: s(include_str!("scripts/migrate.lua")),
            addr_add: s(include_str!("scripts/addr_add.lua")),
            next_due: s(include_str!("scripts/next_due.lua")),
        }
    }
}

/// The name a script uses for a store operation in `FROM`.
fn lua_name(op: StateMove) -> &'static str {
    match op {
        StateMove::Claim => "claim",
        StateMove::Reserve => "reserve",
        StateMove::Reschedule => "reschedule",
        StateMove::Finish => "finish",
        StateMove::Receipt => "receipt",
        StateMove::Cancel => "cancel",
        StateMove::RecoverQueued => "recover_queued",
        StateMove::RecoverSending => "recover_sending",
        StateMove::Requeue => "requeue",
        StateMove::Reconcile => "reconcile",
        StateMove::Release => "release",
    }
}

/// `local FROM = {claim = {pending = true}, ...}` and `local STOP_RANK =
/// {active = 0, ...}`, from the Rust definitions.
fn generated_tables() -> String {
    let mut lua = String::from("-- generated from StateMove::from_states\nlocal FROM = {\n");
    for op in StateMove::ALL {
        let states: Vec<String> = op
            .from_states()
            .iter()
            .map(|s| format!("{} = true", s.as_str()))
            .collect();
        let _ = writeln!(lua, "  {} = {{{}}},", lua_name(op), states.join(", "));
    }
    lua.push_str("}\n-- generated from AccountStatus::rank\nlocal STOP_RANK = {");
    let ranks: Vec<String> = AccountStatus::ALL
        .iter()
        .map(|s| format!("{} = {}", s.as_str(), s.rank()))
        .collect();
    lua.push_str(&ranks.join(", "));
    lua.push_str("}\n-- generated from codec::state_code\nlocal S2C, C2S = {}, {}\n");
    for state in ContactState::ALL {
        let _ = writeln!(
            lua,
            "S2C.{0} = '{1}'; C2S['{1}'] = '{0}'",
            state.as_str(),
            super::codec::state_code(state)
        );
    }
    lua
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_tables_name_every_move_and_status() {
        let lua = generated_tables();
        assert!(
            lua.contains("  cancel = {pending = true, queued = true},"),
            "{lua}"
        );
        assert!(lua.contains("  receipt = {sent = true, sending = true, unknown = true},"));
        assert!(lua.contains("opted_out = 4"));
    }
}
