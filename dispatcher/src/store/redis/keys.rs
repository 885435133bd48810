//! Where the Redis store keeps what.
//!
//! All keys live under a prefix (`cobro:` by default; `P` below):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P:accounts` | hash | account id → account JSON |
//! | `P:acct_status` | hash | account id → `AccountStatus` string |
//! | `P:acct_row` | hash | account id → the expedientes list's row (`AccountRow` JSON, without the status) |
//! | `P:acct_ids` | zset | every account id, score 0 (walked in id order by `BYLEX`) |
//! | `P:acct_cred:<creditor>` / `P:acct_ctry:<country>` / `P:acct_seg:<segment>` | zset | ids of the accounts with that value (country and segment lower-case), score 0; a re-import that changes the value leaves the id in the old set too |
//! | `P:acct_st:<status>` | zset | ids of the accounts in that status, score 0 (moved by `set_status.lua`) |
//! | `P:acct_camp:<campaign>` | zset | ids of the accounts with contacts planned in the campaign, score 0 |
//! | `P:c:<contact id>` | hash | `j` planned contact JSON, `state`, `due` (ms), `attempt`, `claimed` (ms), `sending_at` (RFC 3339), `campaign`, `account`, `step`, `channel`, `team` (agent contacts only) |
//! | `P:due` | zset | pending contact ids by due time (ms), of contacts without a team |
//! | `P:wdue:<team>` | zset | the team's work queue: its pending agent contacts by due time (ms) |
//! | `P:teams` | set | teams that have had agent contacts planned |
//! | `P:lease` / `P:lease_until` | hash / zset | contact id → the task's lease (`TaskLease` JSON) / its end (ms) |
//! | `P:queued` | zset | queued contact ids by claim time (ms) |
//! | `P:sending` | zset | sending contact ids by reservation time (ms) |
//! | `P:unknown` | zset | `unknown` contact ids (the review queue), all scored 0: paged by id (`ZRANGEBYLEX`); kept by the scripts that move a contact into or out of `unknown` |
//! | `P:ac:<account>` | set | contact ids of an account |
//! | `P:campaigns` | set | campaign ids with planned contacts |
//! | `P:n` / `P:n:<campaign>` | hash | state → number of contacts (all / one campaign) |
//! | `P:h:<debtor>` / `P:hv:<debtor>` | list / string | debtor history (JSON rows) and its version |
//! | `P:lc:<campaign>` | list | ledger rows (JSON) of a campaign, in append order |
//! | `P:lcs` | set | campaigns that have ledger rows |
//! | `P:la:<account>` | list | copy of the ledger rows of an account (the account view reads it without scanning) |
//! | `P:pid` | hash | provider message id → account (a delivery webhook finds its rows) |
//! | `P:supp` | hash | `<channel or *>|<address>` → suppression JSON |
//! | `P:supp_prefix` | set | fields of `P:supp` that are prefix entries |
//! | `P:addr:<address>` | set | ids of accounts that listed the address (inbound replies find their accounts) |
//! | `P:paused` | set | paused campaigns |
//! | `P:stop_from` | hash | campaign → the account status from which its contacts stop (`AccountStatus::stop_from`; absent: every account event stops them) |
//! | `P:pz:<campaign>` | zset | pending contacts of a paused campaign that a claim passed over, by due time (back into `P:due` on resume) |
//!
//! Scripts build key names from the prefix passed as `ARGV[1]`, so the
//! store needs a single Redis node (not a cluster).

use cobro_campaigns::ChannelKind;

use super::RedisStore;

/// Default key prefix, so that cobro can share a Redis database with other
/// tools (apalis keeps its own keys next to ours).
pub const DEFAULT_PREFIX: &str = "cobro:";

impl RedisStore {
    /// The full name of key `suffix` (`P:suffix`).
    pub(super) fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }
}

pub(super) fn supp_field(channel: Option<ChannelKind>, address: &str) -> String {
    format!("{}|{}", channel.map_or("*", |c| c.as_str()), address)
}
