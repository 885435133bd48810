//! Where the Redis store keeps what.
//!
//! All keys live under a prefix (`cobro:` by default; `P` below):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P:accounts` | hash | account id → the account as a JSON array without field names (`account_codec.rs`) |
//! | `P:acct_status` | hash | account id → `AccountStatus` string, for the accounts that are not active (absent: active) |
//! | `P:acct_ids` | zset | every account id, score 0 (walked in id order by `BYLEX`) |
//! | `P:acct_st:<status>` | zset | ids of the accounts in that status, score 0 (moved by `set_status.lua`); none for `active` |
//! | `P:acct_camp:<campaign>` | zset | ids of the accounts with contacts planned in the campaign, score 0 |
//! | `P:layout` | string | the key layout's version (`layout.rs`; `2`) |
//! | `P:k:<account>` | hash | the account's contacts, one field each: for the contact id `<campaign>/<account>/<suffix>` the slot number of `<campaign>/<suffix>` (`P:fc`), `!<id>` for any other id; the value packed as `state code\|due ms in base 36\|attempt\|step code\|planned due − due (ms, empty when 0)\|reservation ms (while sending)` — short enough for Redis' compact listpack encoding |
//! | `P:fc` / `P:fn` | hash / hash | `<campaign>/<suffix>` → its slot number / the way back (one slot per step of a campaign, shared by every account; never reused) |
//! | `P:steps` / `P:stepc` | hash / hash | step code → the fixed part every contact of a step shares, a JSON array `[campaign, step, channel, template, fallback, team]` / that JSON → its code (codes are never reused) |
//! | `P:oddid` | hash | contact id → account, for ids not of the `<campaign>/<account>/<suffix>` form of their own campaign and account |
//! | `P:dq` / `P:dl:<ms>` | zset / list | the workers' due index: the instants (ms; member and score) at which contacts without a team fall due / the contacts due at that instant, in the order they were planned, each as `\x01<slot>|<account>` (or its id, for an odd id or after a migration). A cancelled contact's entry stays until a claim or `next_due` reaches it and drops it (it is live only while its record is pending, due at that instant, without a team) |
//! | `P:wdue:<team>` | zset | the team's work queue: its pending agent contacts by due time (ms) |
//! | `P:teams` | set | teams that have had agent contacts planned |
//! | `P:lease` / `P:lease_until` | hash / zset | contact id → the task's lease (`TaskLease` JSON) / its end (ms) |
//! | `P:queued` | zset | queued contact ids by claim time (ms) |
//! | `P:sending` | zset | sending contact ids by reservation time (ms) |
//! | `P:unknown` | zset | `unknown` contact ids (the review queue), all scored 0: paged by id (`ZRANGEBYLEX`); kept by the scripts that move a contact into or out of `unknown` |
//! | `P:campaigns` | set | campaign ids with planned contacts |
//! | `P:n` / `P:n:<campaign>` | hash | state → number of contacts (all / one campaign) |
//! | `P:h:<debtor>` / `P:hv:<debtor>` | list / string | debtor history (JSON rows) and its version |
//! | `P:lc:<campaign>` | list | ledger rows (JSON) of a campaign, in append order |
//! | `P:lcs` | set | campaigns that have ledger rows |
//! | `P:la:<account>` | list | copy of the ledger rows of an account (the account view reads it without scanning) |
//! | `P:pid` | hash | provider message id → account (a delivery webhook finds its rows) |
//! | `P:supp` | hash | `<channel or *>|<address>` → suppression JSON |
//! | `P:supp_prefix` | set | fields of `P:supp` that are prefix entries |
//! | `P:ad:<bucket>` | hash | address → JSON array of the ids of accounts that listed it (inbound replies find their accounts); `bucket` is `addr_bucket(address)`, 65,536 buckets, so each is a small (listpack) hash up to ~8 M addresses |
//! | `P:paused` | set | paused campaigns |
//! | `P:stop_from` | hash | campaign → the account status from which its contacts stop (`AccountStatus::stop_from`; absent: every account event stops them) |
//! | `P:pz:<campaign>` | zset | pending contacts of a paused campaign that a claim passed over, by due time (back into the due index on resume) |
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

/// The bucket of `address` in the address index (`P:ad:<bucket>`): the low
/// 16 bits of its FNV-1a hash, in hex. Fixed: changing it is a new layout.
pub(super) fn addr_bucket(address: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in address.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{:04x}", h & 0xffff)
}

pub(super) fn supp_field(channel: Option<ChannelKind>, address: &str) -> String {
    format!("{}|{}", channel.map_or("*", |c| c.as_str()), address)
}
