//! Redis store (for scale: several `cobro work` processes on several
//! machines share one Redis).
//!
//! Every trait method is one round trip: a single command, a pipeline, or a
//! Lua script. Anything that must be atomic across workers (claiming due
//! contacts, the reservation, transitions with their ledger rows, the
//! per-state counters) runs inside one script, so Redis' single-threaded
//! script execution is the lock.
//!
//! Key layout (all under a prefix, `cobro:` by default; `P` below):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P:accounts` | hash | account id → account JSON |
//! | `P:acct_status` | hash | account id → `AccountStatus` string |
//! | `P:c:<contact id>` | hash | `j` planned contact JSON, `state`, `due` (ms), `attempt`, `claimed` (ms), `sending_at` (RFC 3339), `campaign`, `account`, `step`, `channel` |
//! | `P:due` | zset | pending contact ids by due time (ms) |
//! | `P:queued` | zset | queued contact ids by claim time (ms) |
//! | `P:sending` | zset | sending contact ids by reservation time (ms) |
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

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use cobro_campaigns::{Account, ChannelKind, PlannedContact};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Pipeline, RedisError, Script};

use super::{
    AccountStatus, CheckQuery, ContactChecks, ContactRecord, ContactState, HistoryEntry,
    LedgerEntry, LedgerFilter, Reservation, ReserveOutcome, Store, StoreError, StoreResult,
    Suppression, Transition, TransitionItem,
};

/// Default key prefix, so that cobro can share a Redis database with other
/// tools (apalis keeps its own keys next to ours).
pub const DEFAULT_PREFIX: &str = "cobro:";

/// Contacts per `add_contacts` script call: a launch of a million contacts
/// is split so that no single script blocks Redis for long, while the calls
/// still travel in one pipelined round trip.
const ADD_CHUNK: usize = 1_000;

/// Helpers shared by every script. `P` is the key prefix.
///
/// Writes that no later step of the same script reads are deferred and
/// applied by `flush()` when the script ends (`Scripts::new` wraps every
/// body so that it always runs): per-state counter deltas (one `HINCRBY`
/// per campaign and state that changed, not four per move), ledger rows
/// (one `RPUSH` per list with every row of the call), provider ids (one
/// `HSET`), `P:lcs` members, the state-index removals and additions (one
/// `ZREM` / `ZADD` per index) and the reservations' history rows and
/// version increments. A script is atomic, so no other client can tell the
/// difference; inside a script, nothing reads a key after a deferred write
/// to it (the indexes are read before any write, the counters and ledger
/// lists never, and the batch reservation reads the history versions once
/// up front and keeps them current itself). Deferred `ZREM`s are applied before
/// deferred `ZADD`s, which is the sequential result as long as no contact
/// enters an index and leaves it again within one call (a contact changes
/// state at most once per script: every later item for the same id finds
/// the new state and does nothing). A long script (a campaign cancelled
/// whole, a mass recovery) applies what it has deferred every 8,192
/// arguments rather than only at the end — earlier, so still the
/// sequential result — so that Lua's memory stays bounded.
const LUA_COMMON: &str = r#"
local P = ARGV[1]
-- AccountStatus::rank and AccountStatus::stops (records.rs): whether a
-- contact of `campaign` must not go to an account in `status`. A campaign
-- without a stored `stop_from` stops on every account event; an unknown
-- status stops (fail closed).
local STOP_RANK = {active = 0, promise_to_pay = 1, disputed = 2, paid = 3, opted_out = 4}
local stop_from_of = {}
local function stops(campaign, status)
  if not status or status == 'active' then return false end
  if status == 'opted_out' or not STOP_RANK[status] then return true end
  local from = stop_from_of[campaign]
  if not from then
    from = redis.call('HGET', P .. 'stop_from', campaign) or 'promise_to_pay'
    stop_from_of[campaign] = from
  end
  return STOP_RANK[status] >= math.max(STOP_RANK[from] or 1, 1)
end
local deferred, deferred_order, deferred_args = {}, {}, 0
-- runs one deferred command, in slices, so that no call has more arguments
-- than Lua's stack holds
local function run_deferred(d)
  local i = 1
  while i <= d.n do
    local last = math.min(i + 999, d.n)
    redis.call(d.cmd, d.key, unpack(d.args, i, last))
    i = last + 1
  end
end
-- applies every deferred command (removals from the indexes first) and
-- starts again with none
local function apply_deferred()
  for _, d in ipairs(deferred_order) do
    if d.cmd == 'ZREM' then run_deferred(d) end
  end
  for _, d in ipairs(deferred_order) do
    if d.cmd ~= 'ZREM' then run_deferred(d) end
  end
  deferred, deferred_order, deferred_args = {}, {}, 0
end
-- appends arguments to the deferred variadic command `cmd key ...`; a
-- long script (a campaign cancelled whole, a mass recovery) applies them
-- every few thousand arguments, so that Lua never holds more than that
local function defer(cmd, key, a, b)
  local by_key = deferred[cmd]
  if not by_key then
    by_key = {}
    deferred[cmd] = by_key
  end
  local d = by_key[key]
  if not d then
    d = {cmd = cmd, key = key, n = 0, args = {}}
    by_key[key] = d
    deferred_order[#deferred_order + 1] = d
  end
  d.n = d.n + 1
  d.args[d.n] = a
  deferred_args = deferred_args + 1
  if b ~= nil then
    d.n = d.n + 1
    d.args[d.n] = b
    deferred_args = deferred_args + 1
  end
  if deferred_args >= 8192 then apply_deferred() end
end
local counters, counter_keys = {}, {}
local function count(key, field, delta)
  local c = counters[key]
  if not c then
    c = {}
    counters[key] = c
    counter_keys[#counter_keys + 1] = key
  end
  c[field] = (c[field] or 0) + delta
end
-- `cmd [key] args...` for a list of any length, in slices; the replies
-- concatenated (HMGET, MGET)
local function read_all(cmd, key, list)
  local out, i = {}, 1
  while i <= #list do
    local last = math.min(i + 999, #list)
    local part
    if key then part = redis.call(cmd, key, unpack(list, i, last))
    else part = redis.call(cmd, unpack(list, i, last)) end
    for _, v in ipairs(part) do out[#out + 1] = v end
    i = last + 1
  end
  return out
end
-- a deferred INCRBY of a plain counter (history versions)
local increments, increment_keys = {}, {}
local function incr_later(key)
  if not increments[key] then
    increments[key] = 0
    increment_keys[#increment_keys + 1] = key
  end
  increments[key] = increments[key] + 1
end
local all_counts, campaign_counts = P .. 'n', {}
local function move(campaign, from, to)
  local key = campaign_counts[campaign]
  if not key then
    key = P .. 'n:' .. campaign
    campaign_counts[campaign] = key
  end
  if from then
    count(key, from, -1)
    count(all_counts, from, -1)
  end
  if to then
    count(key, to, 1)
    count(all_counts, to, 1)
  end
end
local function leave(id, state)
  if state == 'pending' then defer('ZREM', P .. 'due', id)
  elseif state == 'queued' then defer('ZREM', P .. 'queued', id)
  elseif state == 'sending' then defer('ZREM', P .. 'sending', id) end
end
local ledger_campaigns = {}
local function ledger(json, campaign, account, pid)
  defer('RPUSH', P .. 'lc:' .. campaign, json)
  if not ledger_campaigns[campaign] then
    ledger_campaigns[campaign] = true
    defer('SADD', P .. 'lcs', campaign)
  end
  defer('RPUSH', P .. 'la:' .. account, json)
  if pid ~= '' then defer('HSET', P .. 'pid', pid, account) end
end
-- applies the deferred writes: the commands, then the counters
local function flush()
  apply_deferred()
  for _, key in ipairs(increment_keys) do
    redis.call('INCRBY', key, increments[key])
  end
  for _, key in ipairs(counter_keys) do
    for field, delta in pairs(counters[key]) do
      if delta ~= 0 then redis.call('HINCRBY', key, field, delta) end
    end
  end
end
-- adds the planned contacts passed as groups of seven arguments (id,
-- campaign, account, step, channel, due ms, json) from ARGV[first] up to
-- ARGV[last]; a contact already stored is left alone. Returns how many
-- were added and the index after the last group.
local planned_campaigns = {}
local function add_contacts(first, last)
  local added, i = 0, first
  while i + 6 <= last do
    local id = ARGV[i]
    local key = P .. 'c:' .. id
    if redis.call('EXISTS', key) == 0 then
      local campaign, account = ARGV[i + 1], ARGV[i + 2]
      redis.call('HSET', key, 'j', ARGV[i + 6], 'state', 'pending', 'due', ARGV[i + 5], 'attempt', 0,
        'campaign', campaign, 'account', account, 'step', ARGV[i + 3], 'channel', ARGV[i + 4])
      defer('ZADD', P .. 'due', ARGV[i + 5], id)
      redis.call('SADD', P .. 'ac:' .. account, id)
      if not planned_campaigns[campaign] then
        planned_campaigns[campaign] = true
        defer('SADD', P .. 'campaigns', campaign)
      end
      move(campaign, nil, 'pending')
      added = added + 1
    end
    i = i + 7
  end
  return added, i
end
-- appends the ledger rows passed as groups of four arguments from `first`
local function ledger_args(first)
  local i = first
  while i + 3 <= #ARGV do
    ledger(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  end
end
-- a ledger row written by a script, for contact hash `c`
local function row(id, c, state, at, code, detail)
  local function opt(v) if v == nil or v == '' then return 'null' end return cjson.encode(v) end
  return '{"contact_id":' .. cjson.encode(id) .. ',"campaign":' .. cjson.encode(c[1]) ..
    ',"account":' .. cjson.encode(c[2]) .. ',"step":' .. cjson.encode(c[3]) ..
    ',"channel":' .. cjson.encode(c[4]) .. ',"state":' .. cjson.encode(state) ..
    ',"at":' .. cjson.encode(at) .. ',"timezones":[],"rules":[],"code":' .. opt(code) ..
    ',"detail":' .. opt(detail) .. ',"provider":null,"provider_id":null,"attempt":' .. (tonumber(c[5]) or 0) .. '}'
end
"#;

/// ARGV: prefix, then groups of (id, campaign, account, step, channel, due ms, json).
const LUA_ADD: &str = r#"
local added, i = add_contacts(2, #ARGV)
return added
"#;

/// ARGV: prefix, now ms, limit. Returns flat (json, due, attempt) triples.
const LUA_CLAIM: &str = r#"
local now = ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local any_paused = redis.call('SCARD', P .. 'paused') > 0
local out = {}
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  defer('ZREM', P .. 'due', id)
  local c = redis.call('HMGET', key, 'j', 'due', 'attempt', 'campaign', 'state')
  if c[5] == 'pending' and any_paused and redis.call('SISMEMBER', P .. 'paused', c[4]) == 1 then
    -- parked (still pending) until the campaign resumes
    redis.call('ZADD', P .. 'pz:' .. c[4], c[2], id)
  elseif c[5] == 'pending' then
    redis.call('HSET', key, 'state', 'queued', 'claimed', now)
    defer('ZADD', P .. 'queued', now, id)
    move(c[4], 'pending', 'queued')
    out[#out + 1] = c[1]
    out[#out + 1] = c[2]
    out[#out + 1] = c[3]
  end
end
return out
"#;

/// ARGV: prefix, id, kind ('reschedule' | 'finish'), due ms or target
/// state, attempt, then ledger rows in groups of four.
const LUA_TRANSITION: &str = r#"
local id, kind = ARGV[2], ARGV[3]
local key = P .. 'c:' .. id
local c = redis.call('HMGET', key, 'state', 'campaign')
local state, campaign = c[1], c[2]
if not state then return 0 end
if kind == 'reschedule' then
  if state ~= 'queued' and state ~= 'sending' then return 0 end
  leave(id, state)
  redis.call('HSET', key, 'state', 'pending', 'due', ARGV[4], 'attempt', ARGV[5])
  defer('ZADD', P .. 'due', ARGV[4], id)
  move(campaign, state, 'pending')
else
  local to = ARGV[4]
  local ok
  if to == 'delivered' or to == 'undelivered' then
    ok = state == 'sent' or state == 'sending' or state == 'unknown'
  else
    ok = state == 'queued' or state == 'sending'
  end
  if not ok then return 0 end
  leave(id, state)
  redis.call('HSET', key, 'state', to)
  move(campaign, state, to)
end
ledger_args(6)
return 1
"#;

/// The batch form of `LUA_TRANSITION` (same rules, item by item), after
/// adding the contacts a batch planned (`LUA_ADD`'s rules).
/// ARGV: prefix, number of contacts to add, their groups of seven
/// arguments (as `LUA_ADD`), then per item: id, kind, due ms or target
/// state, attempt, number of ledger rows, and the rows in groups of four.
/// Returns 1 or 0 per item.
const LUA_TRANSITIONS: &str = r#"
local function transition_one(id, kind, target, attempt, first, nrows)
  local key = P .. 'c:' .. id
  local c = redis.call('HMGET', key, 'state', 'campaign')
  local state, campaign = c[1], c[2]
  if not state then return 0 end
  if kind == 'reschedule' then
    if state ~= 'queued' and state ~= 'sending' then return 0 end
    leave(id, state)
    redis.call('HSET', key, 'state', 'pending', 'due', target, 'attempt', attempt)
    defer('ZADD', P .. 'due', target, id)
    move(campaign, state, 'pending')
  else
    local ok
    if target == 'delivered' or target == 'undelivered' then
      ok = state == 'sent' or state == 'sending' or state == 'unknown'
    else
      ok = state == 'queued' or state == 'sending'
    end
    if not ok then return 0 end
    leave(id, state)
    redis.call('HSET', key, 'state', target)
    move(campaign, state, target)
  end
  for r = 0, nrows - 1 do
    local i = first + r * 4
    ledger(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  end
  return 1
end
local out = {}
-- the contacts to plan first (a batch's fallbacks)
local _, i = add_contacts(3, 2 + 7 * tonumber(ARGV[2]))
while i + 4 <= #ARGV do
  local nrows = tonumber(ARGV[i + 4])
  out[#out + 1] = transition_one(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], i + 5, nrows)
  i = i + 5 + nrows * 4
end
return out
"#;

/// The batch form of `LUA_RESERVE` (same checks, item by item, in order;
/// the account statuses and history versions are read once for the call,
/// and a reservation sees the versions the earlier ones of the call left).
/// ARGV: prefix, then per reservation the seven arguments of `LUA_RESERVE`
/// after the prefix. Returns two strings per item: the outcome and the
/// account status ('' unless stopped).
const LUA_RESERVE_MANY: &str = r#"
-- Every account status and history version the call may need, read up
-- front (one HMGET, one MGET); the versions are then kept here as the
-- reservations apply, and written back with the history rows by flush().
local accounts, version_keys = {}, {}
local i = 2
while i + 6 <= #ARGV do
  accounts[#accounts + 1] = ARGV[i + 1]
  version_keys[#version_keys + 1] = P .. 'hv:' .. ARGV[i + 2]
  i = i + 7
end
local statuses = read_all('HMGET', P .. 'acct_status', accounts)
local stored = read_all('MGET', nil, version_keys)
local versions = {}
for n, key in ipairs(version_keys) do
  if versions[key] == nil then versions[key] = tonumber(stored[n] or '0') end
end
local function reserve_one(n, id, account, debtor, expected, entry, at_ms, at_text)
  local key = P .. 'c:' .. id
  local c = redis.call('HMGET', key, 'state', 'campaign')
  if c[1] ~= 'queued' then return 'not_queued', '' end
  local status = statuses[n]
  if stops(c[2], status) then return 'stopped', status end
  local vkey = P .. 'hv:' .. debtor
  if versions[vkey] ~= tonumber(expected) then return 'history_changed', '' end
  defer('ZREM', P .. 'queued', id)
  redis.call('HSET', key, 'state', 'sending', 'sending_at', at_text)
  defer('ZADD', P .. 'sending', at_ms, id)
  move(c[2], 'queued', 'sending')
  defer('RPUSH', P .. 'h:' .. debtor, entry)
  versions[vkey] = versions[vkey] + 1
  incr_later(vkey)
  return 'reserved', ''
end
local out = {}
i = 2
local n = 1
while i + 6 <= #ARGV do
  local kind, status = reserve_one(n, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6])
  out[#out + 1] = kind
  out[#out + 1] = status
  i = i + 7
  n = n + 1
end
return out
"#;

/// ARGV: prefix, contact id, account, debtor key, expected version,
/// history row JSON, at ms, at RFC 3339.
const LUA_RESERVE: &str = r#"
local id, account, debtor = ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'c:' .. id
local c = redis.call('HMGET', key, 'state', 'campaign')
if c[1] ~= 'queued' then return {'not_queued'} end
local status = redis.call('HGET', P .. 'acct_status', account)
if stops(c[2], status) then return {'stopped', status} end
local version = tonumber(redis.call('GET', P .. 'hv:' .. debtor) or '0')
if version ~= tonumber(ARGV[5]) then return {'history_changed'} end
defer('ZREM', P .. 'queued', id)
redis.call('HSET', key, 'state', 'sending', 'sending_at', ARGV[8])
defer('ZADD', P .. 'sending', ARGV[7], id)
move(c[2], 'queued', 'sending')
redis.call('RPUSH', P .. 'h:' .. debtor, ARGV[6])
redis.call('INCR', P .. 'hv:' .. debtor)
return {'reserved'}
"#;

/// ARGV: prefix, account, channel ('' for all), code, detail, at (RFC 3339).
/// Returns the ids cancelled.
const LUA_CANCEL: &str = r#"
local account, channel, code, detail, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
-- a channel opt-out (the only caller naming a channel) and an active
-- account cancel every campaign's contacts; a stopped account those of the
-- campaigns that stop on its status
local status = redis.call('HGET', P .. 'acct_status', account) or 'active'
local ids = redis.call('SMEMBERS', P .. 'ac:' .. account)
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  local c = redis.call('HMGET', key, 'campaign', 'account', 'step', 'channel', 'attempt', 'state')
  local state = c[6]
  if (state == 'pending' or state == 'queued') and (channel == '' or c[4] == channel)
    and (channel ~= '' or status == 'active' or stops(c[1], status)) then
    leave(id, state)
    redis.call('HSET', key, 'state', 'cancelled')
    move(c[1], state, 'cancelled')
    ledger(row(id, c, 'cancelled', at, code, detail), c[1], c[2], '')
    out[#out + 1] = id
  end
end
return out
"#;

/// ARGV: prefix, queued_before ms, sending_before ms, detail for unknown
/// rows. Returns {requeued, unknown}.
const LUA_RECOVER: &str = r#"
local requeued, unknown = 0, 0
local ids = redis.call('ZRANGEBYSCORE', P .. 'queued', '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  redis.call('ZREM', P .. 'queued', id)
  local c = redis.call('HMGET', key, 'state', 'due', 'campaign')
  if c[1] == 'queued' then
    redis.call('HSET', key, 'state', 'pending')
    redis.call('ZADD', P .. 'due', c[2], id)
    move(c[3], 'queued', 'pending')
    requeued = requeued + 1
  end
end
ids = redis.call('ZRANGEBYSCORE', P .. 'sending', '-inf', '(' .. ARGV[3])
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  redis.call('ZREM', P .. 'sending', id)
  local c = redis.call('HMGET', key, 'campaign', 'account', 'step', 'channel', 'attempt', 'state', 'sending_at')
  if c[6] == 'sending' then
    redis.call('HSET', key, 'state', 'unknown')
    move(c[1], 'sending', 'unknown')
    -- the row is dated at the reservation: that is when the attempt whose
    -- outcome is unknown happened
    local at = c[7] or ''
    ledger(row(id, c, 'unknown', at, '', ARGV[4]), c[1], c[2], '')
    unknown = unknown + 1
  end
end
return {requeued, unknown}
"#;

/// ARGV: prefix, channel, address. 1 when suppressed.
const LUA_SUPPRESSED: &str = r#"
local channel, address = ARGV[2], ARGV[3]
if redis.call('HEXISTS', P .. 'supp', channel .. '|' .. address) == 1 then return 1 end
if redis.call('HEXISTS', P .. 'supp', '*|' .. address) == 1 then return 1 end
for _, field in ipairs(redis.call('SMEMBERS', P .. 'supp_prefix')) do
  local bar = string.find(field, '|', 1, true)
  local ch = string.sub(field, 1, bar - 1)
  local entry = string.sub(field, bar + 1)
  if ch == '*' or ch == channel then
    if string.sub(entry, 1, 1) == '@' then
      if #address >= #entry and string.sub(address, -#entry) == entry then return 1 end
    elseif string.sub(address, 1, #entry) == entry then
      return 1
    end
  end
end
return 0
"#;

/// ARGV: prefix, campaign, account, provider id ('' when not filtered).
/// Returns candidate rows; the caller applies the exact filter.
const LUA_LEDGER: &str = r#"
local campaign, account, pid = ARGV[2], ARGV[3], ARGV[4]
if pid ~= '' then
  local acct = redis.call('HGET', P .. 'pid', pid)
  if not acct then return {} end
  return redis.call('LRANGE', P .. 'la:' .. acct, 0, -1)
end
if account ~= '' then return redis.call('LRANGE', P .. 'la:' .. account, 0, -1) end
if campaign ~= '' then return redis.call('LRANGE', P .. 'lc:' .. campaign, 0, -1) end
local campaigns = redis.call('SMEMBERS', P .. 'lcs')
table.sort(campaigns)
local out = {}
for _, c in ipairs(campaigns) do
  for _, r in ipairs(redis.call('LRANGE', P .. 'lc:' .. c, 0, -1)) do out[#out + 1] = r end
end
return out
"#;

/// ARGV: prefix, account id, status. 1 when the account exists.
const LUA_SET_STATUS: &str = r#"
if redis.call('HEXISTS', P .. 'accounts', ARGV[2]) == 0 then return 0 end
redis.call('HSET', P .. 'acct_status', ARGV[2], ARGV[3])
return 1
"#;

/// ARGV: prefix, campaign. Resumes a paused campaign: its parked contacts
/// go back to `P:due`. 1 when it was paused.
const LUA_RESUME: &str = r#"
local campaign = ARGV[2]
local removed = redis.call('SREM', P .. 'paused', campaign)
local parked = P .. 'pz:' .. campaign
if redis.call('EXISTS', parked) == 1 then
  redis.call('ZUNIONSTORE', P .. 'due', 2, P .. 'due', parked, 'AGGREGATE', 'MIN')
  redis.call('DEL', parked)
end
return removed
"#;

/// ARGV: prefix, campaign, code, detail, at (RFC 3339). Cancels the
/// campaign's pending and queued contacts; returns their ids. Walks every
/// open contact (there is no campaign index of open contacts): an
/// operator's rare action, not a hot path.
const LUA_CANCEL_CAMPAIGN: &str = r#"
local campaign, code, detail, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local out = {}
local function sweep(ids)
  for _, id in ipairs(ids) do
    local key = P .. 'c:' .. id
    local c = redis.call('HMGET', key, 'campaign', 'account', 'step', 'channel', 'attempt', 'state')
    local state = c[6]
    if c[1] == campaign and (state == 'pending' or state == 'queued') then
      leave(id, state)
      redis.call('HSET', key, 'state', 'cancelled')
      move(c[1], state, 'cancelled')
      ledger(row(id, c, 'cancelled', at, code, detail), c[1], c[2], '')
      out[#out + 1] = id
    end
  end
end
sweep(redis.call('ZRANGE', P .. 'pz:' .. campaign, 0, -1))
redis.call('DEL', P .. 'pz:' .. campaign)
sweep(redis.call('ZRANGE', P .. 'due', 0, -1))
sweep(redis.call('ZRANGE', P .. 'queued', 0, -1))
table.sort(out)
return out
"#;

/// The scripts, shared by every store of the process (they are the same
/// text; keeping them out of `RedisStore` keeps the store small).
fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(Scripts::new)
}

/// The scripts, each with the shared helpers in front.
struct Scripts {
    add: Script,
    claim: Script,
    transition: Script,
    transitions: Script,
    reserve_many: Script,
    reserve: Script,
    cancel: Script,
    recover: Script,
    suppressed: Script,
    ledger: Script,
    set_status: Script,
    resume: Script,
    cancel_campaign: Script,
}

impl Scripts {
    fn new() -> Self {
        // The body runs as a function so that `flush()` applies the
        // deferred writes whichever `return` it leaves by.
        let s = |body: &str| {
            Script::new(&format!(
                "{LUA_COMMON}\nlocal function main()\n{body}\nend\nlocal result = main()\nflush()\nreturn result\n"
            ))
        };
        Scripts {
            add: s(LUA_ADD),
            claim: s(LUA_CLAIM),
            transition: s(LUA_TRANSITION),
            transitions: s(LUA_TRANSITIONS),
            reserve_many: s(LUA_RESERVE_MANY),
            reserve: s(LUA_RESERVE),
            cancel: s(LUA_CANCEL),
            recover: s(LUA_RECOVER),
            suppressed: s(LUA_SUPPRESSED),
            ledger: s(LUA_LEDGER),
            set_status: s(LUA_SET_STATUS),
            resume: s(LUA_RESUME),
            cancel_campaign: s(LUA_CANCEL_CAMPAIGN),
        }
    }
}

/// A `Store` on one Redis node. Cheap to share: the connection manager
/// multiplexes concurrent calls over one connection and reconnects after a
/// Redis restart.
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `redis://host:port/db` with the default key prefix.
    pub async fn connect(url: &str) -> StoreResult<RedisStore> {
        RedisStore::connect_with_prefix(url, DEFAULT_PREFIX).await
    }

    /// Connects with a custom key prefix (tests give each store its own, so
    /// several stores share one server without seeing each other).
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> StoreResult<RedisStore> {
        if !(url.starts_with("redis://")
            || url.starts_with("rediss://")
            || url.starts_with("redis+unix://"))
        {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        }
        let client =
            redis::Client::open(url).map_err(|e| StoreError::Connection(format!("{url}: {e}")))?;
        // Bounded connection attempts: a store that cannot be reached at
        // start-up is a configuration error the operator must see at once;
        // after that the manager keeps reconnecting in the background.
        // The default 500 ms response timeout is too short for a launch's
        // pipeline of thousands of contacts or a ledger export on a busy
        // server; a dead server is still noticed at once (the socket
        // closes).
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_connection_timeout(Some(std::time::Duration::from_secs(5)))
            .set_response_timeout(Some(std::time::Duration::from_secs(30)));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| StoreError::Connection(format!("{url}: {e}")))?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
        })
    }

    /// The key prefix this store writes under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Runs one script invocation; `EVALSHA` first, loading the script when
    /// the server does not know it (after a restart).
    async fn invoke<T: redis::FromRedisValue>(
        &self,
        inv: &redis::ScriptInvocation<'_>,
    ) -> StoreResult<T> {
        let mut conn = self.conn();
        inv.invoke_async(&mut conn).await.map_err(map_err)
    }
}

/// Connection-level failures are transient (the worker retries later);
/// anything else means a bug or foreign data under our keys.
fn map_err(e: RedisError) -> StoreError {
    if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout() {
        StoreError::Connection(e.to_string())
    } else {
        StoreError::Query(e.to_string())
    }
}

fn json_err(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(ms: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

fn parse_i64(what: &str, s: &str) -> StoreResult<i64> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} '{s}' is not a number")))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Builds a record from the stored planned-contact JSON and the live fields.
fn record(json: &str, state: ContactState, due: &str, attempt: &str) -> StoreResult<ContactRecord> {
    let contact: PlannedContact = serde_json::from_str(json).map_err(|e| json_err("contact", e))?;
    let attempt = u32::try_from(parse_i64("attempt", attempt)?)
        .map_err(|_| StoreError::Corrupt(format!("attempt '{attempt}' out of range")))?;
    Ok(ContactRecord {
        contact,
        state,
        due_at: from_ms(parse_i64("due", due)?)?,
        attempt,
    })
}

/// Pushes ledger rows as the (json, campaign, account, provider id) groups
/// the scripts expect.
fn ledger_args(inv: &mut redis::ScriptInvocation<'_>, entries: &[LedgerEntry]) -> StoreResult<()> {
    for entry in entries {
        let json = serde_json::to_string(entry).map_err(|e| json_err("ledger row", e))?;
        inv.arg(json)
            .arg(&entry.campaign)
            .arg(&entry.account)
            .arg(entry.provider_id.as_deref().unwrap_or(""));
    }
    Ok(())
}

/// The prefix rule of `LUA_SUPPRESSED`, for the batch read: `fields` are
/// the prefix entries (`<channel or *>|<entry>`).
fn prefix_suppressed(fields: &[String], channel: ChannelKind, address: &str) -> bool {
    fields.iter().any(|field| {
        let Some((ch, entry)) = field.split_once('|') else {
            return false;
        };
        if ch != "*" && ch != channel.as_str() {
            return false;
        }
        if entry.starts_with('@') {
            address.len() >= entry.len() && address.ends_with(entry)
        } else {
            address.starts_with(entry)
        }
    })
}

/// A planned contact as the seven arguments `add_contacts` (Lua) expects.
fn add_args(inv: &mut redis::ScriptInvocation<'_>, c: &PlannedContact) -> StoreResult<()> {
    let json = serde_json::to_string(c).map_err(|e| json_err("contact", e))?;
    inv.arg(&c.id)
        .arg(&c.campaign)
        .arg(&c.account)
        .arg(&c.step)
        .arg(c.channel.as_str())
        .arg(ms(c.due_at))
        .arg(json);
    Ok(())
}

fn transition_args(inv: &mut redis::ScriptInvocation<'_>, to: &Transition) -> StoreResult<()> {
    match to {
        Transition::Reschedule { due_at, attempt } => {
            inv.arg("reschedule").arg(ms(*due_at)).arg(*attempt);
        }
        Transition::Finish(state) => {
            if !state.is_terminal() {
                return Err(StoreError::Query(format!(
                    "transition to non-terminal state '{state}'"
                )));
            }
            inv.arg("finish").arg(state.as_str()).arg(0);
        }
    }
    Ok(())
}

/// A reservation script's answer: the outcome, then the account status
/// when stopped.
fn reserve_outcome(reply: &[String]) -> StoreResult<ReserveOutcome> {
    match reply.first().map(String::as_str) {
        Some("reserved") => Ok(ReserveOutcome::Reserved),
        Some("not_queued") => Ok(ReserveOutcome::NotQueued),
        Some("history_changed") => Ok(ReserveOutcome::HistoryChanged),
        Some("stopped") => {
            let status = reply.get(1).and_then(|s| AccountStatus::parse(s));
            status
                .map(ReserveOutcome::AccountStopped)
                .ok_or_else(|| StoreError::Corrupt(format!("account status in {reply:?}")))
        }
        _ => Err(StoreError::Query(format!(
            "unexpected reserve reply {reply:?}"
        ))),
    }
}

fn supp_field(channel: Option<ChannelKind>, address: &str) -> String {
    format!("{}|{}", channel.map_or("*", |c| c.as_str()), address)
}

impl Store for RedisStore {
    async fn put_accounts(&self, accounts: &[Account]) -> StoreResult<()> {
        if accounts.is_empty() {
            return Ok(());
        }
        let mut pipe = Pipeline::with_capacity(accounts.len() * 2);
        let accounts_key = self.key("accounts");
        let status_key = self.key("acct_status");
        for account in accounts {
            let json = serde_json::to_string(account).map_err(|e| json_err("account", e))?;
            pipe.hset(&accounts_key, &account.id, json).ignore();
            // A re-import must not revive a paid or opted-out account.
            pipe.hset_nx(&status_key, &account.id, AccountStatus::Active.as_str())
                .ignore();
            for point in &account.contact_points {
                pipe.sadd(self.key(&format!("addr:{}", point.address)), &account.id)
                    .ignore();
            }
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(map_err)
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, AccountStatus)>> {
        let (json, status): (Option<String>, Option<String>) = redis::pipe()
            .hget(self.key("accounts"), id)
            .hget(self.key("acct_status"), id)
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        let Some(json) = json else { return Ok(None) };
        let account: Account = serde_json::from_str(&json).map_err(|e| json_err("account", e))?;
        let status = match status {
            None => AccountStatus::Active,
            Some(s) => AccountStatus::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("account status '{s}'")))?,
        };
        Ok(Some((account, status)))
    }

    async fn accounts(&self, ids: &[String]) -> StoreResult<Vec<Option<(Account, AccountStatus)>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // HMGET explicitly: `hget` with one field would send HGET.
        let (jsons, statuses): (Vec<Option<String>>, Vec<Option<String>>) = redis::pipe()
            .cmd("HMGET")
            .arg(self.key("accounts"))
            .arg(ids)
            .cmd("HMGET")
            .arg(self.key("acct_status"))
            .arg(ids)
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        if jsons.len() != ids.len() || statuses.len() != ids.len() {
            return Err(StoreError::Corrupt(
                "HMGET answered a different count".into(),
            ));
        }
        jsons
            .into_iter()
            .zip(statuses)
            .map(|(json, status)| {
                let Some(json) = json else { return Ok(None) };
                let account: Account =
                    serde_json::from_str(&json).map_err(|e| json_err("account", e))?;
                let status = match status {
                    None => AccountStatus::Active,
                    Some(s) => AccountStatus::parse(&s)
                        .ok_or_else(|| StoreError::Corrupt(format!("account status '{s}'")))?,
                };
                Ok(Some((account, status)))
            })
            .collect()
    }

    async fn contact_checks(&self, queries: &[CheckQuery]) -> StoreResult<Vec<ContactChecks>> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        // One pipeline: the prefix entries, both exact suppression entries
        // of every query (one HMGET), every history version (one MGET),
        // then each history.
        let supp_fields: Vec<String> = queries
            .iter()
            .flat_map(|q| {
                [
                    supp_field(Some(q.channel), &q.address),
                    supp_field(None, &q.address),
                ]
            })
            .collect();
        let version_keys: Vec<String> = queries
            .iter()
            .map(|q| self.key(&format!("hv:{}", q.debtor_key)))
            .collect();
        let mut pipe = Pipeline::with_capacity(3 + queries.len());
        pipe.smembers(self.key("supp_prefix"));
        // HMGET / MGET explicitly: with one field or key the typed helpers
        // would send HGET / GET, whose reply is not a list.
        pipe.cmd("HMGET").arg(self.key("supp")).arg(&supp_fields);
        pipe.cmd("MGET").arg(&version_keys);
        for q in queries {
            pipe.lrange(self.key(&format!("h:{}", q.debtor_key)), 0, -1);
        }
        let values: Vec<redis::Value> =
            pipe.query_async(&mut self.conn()).await.map_err(map_err)?;
        if values.len() != 3 + queries.len() {
            return Err(StoreError::Corrupt(
                "pipeline answered a different count".into(),
            ));
        }
        let parse = |e: redis::ParsingError| StoreError::Corrupt(e.to_string());
        let mut values = values.into_iter();
        let mut next = || values.next().unwrap_or(redis::Value::Nil);
        let prefixes: Vec<String> = redis::from_redis_value(next()).map_err(parse)?;
        // Only presence matters; `Value` avoids decoding the entries.
        let exact: Vec<redis::Value> = redis::from_redis_value(next()).map_err(parse)?;
        let versions: Vec<Option<u64>> = redis::from_redis_value(next()).map_err(parse)?;
        if exact.len() != supp_fields.len() || versions.len() != queries.len() {
            return Err(StoreError::Corrupt(
                "HMGET or MGET answered a different count".into(),
            ));
        }
        let present = |v: &redis::Value| !matches!(v, redis::Value::Nil);
        let mut out = Vec::with_capacity(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let rows: Vec<String> = redis::from_redis_value(next()).map_err(parse)?;
            let history = rows
                .iter()
                .map(|r| serde_json::from_str(r).map_err(|e| json_err("history row", e)))
                .collect::<StoreResult<Vec<HistoryEntry>>>()?;
            out.push(ContactChecks {
                suppressed: present(&exact[2 * i])
                    || present(&exact[2 * i + 1])
                    || prefix_suppressed(&prefixes, q.channel, &q.address),
                history,
                version: versions[i].unwrap_or(0),
            });
        }
        Ok(out)
    }

    async fn transitions(&self, items: &[TransitionItem]) -> StoreResult<Vec<bool>> {
        self.plan_and_transitions(&[], items).await
    }

    async fn plan_and_transitions(
        &self,
        plan: &[PlannedContact],
        items: &[TransitionItem],
    ) -> StoreResult<Vec<bool>> {
        if items.is_empty() {
            if !plan.is_empty() {
                self.add_contacts(plan).await?;
            }
            return Ok(Vec::new());
        }
        let mut inv = scripts().transitions.prepare_invoke();
        inv.arg(&self.prefix).arg(plan.len());
        for c in plan {
            add_args(&mut inv, c)?;
        }
        for item in items {
            inv.arg(&item.id);
            transition_args(&mut inv, &item.to)?;
            inv.arg(item.ledger.len());
            ledger_args(&mut inv, &item.ledger)?;
        }
        let moved: Vec<i64> = self.invoke(&inv).await?;
        if moved.len() != items.len() {
            return Err(StoreError::Corrupt(
                "transitions answered a different count".into(),
            ));
        }
        Ok(moved.into_iter().map(|m| m == 1).collect())
    }

    async fn account_count(&self) -> StoreResult<u64> {
        redis::cmd("HLEN")
            .arg(self.key("accounts"))
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)
    }

    async fn set_account_status(&self, id: &str, status: AccountStatus) -> StoreResult<bool> {
        let mut inv = scripts().set_status.prepare_invoke();
        inv.arg(&self.prefix).arg(id).arg(status.as_str());
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }

    async fn add_contacts(&self, contacts: &[PlannedContact]) -> StoreResult<u64> {
        if contacts.is_empty() {
            return Ok(0);
        }
        // One pipeline of EVALSHA calls (one per chunk). The script is
        // loaded first so that a fresh server does not answer NOSCRIPT in
        // the middle of the pipeline; adding is idempotent, so a retry after
        // a failure is harmless.
        let mut conn = self.conn();
        let mut pipe = Pipeline::new();
        for chunk in contacts.chunks(ADD_CHUNK) {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(scripts().add.get_hash()).arg(0).arg(&self.prefix);
            for c in chunk {
                let json = serde_json::to_string(c).map_err(|e| json_err("contact", e))?;
                cmd.arg(&c.id)
                    .arg(&c.campaign)
                    .arg(&c.account)
                    .arg(&c.step)
                    .arg(c.channel.as_str())
                    .arg(ms(c.due_at))
                    .arg(json);
            }
            pipe.add_command(cmd);
        }
        let added: Vec<u64> = match pipe.query_async(&mut conn).await {
            Ok(v) => v,
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                scripts().add.load_async(&mut conn).await.map_err(map_err)?;
                pipe.query_async(&mut conn).await.map_err(map_err)?
            }
            Err(e) => return Err(map_err(e)),
        };
        Ok(added.into_iter().sum())
    }

    async fn contact(&self, id: &str) -> StoreResult<Option<ContactRecord>> {
        let fields: (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = redis::cmd("HMGET")
            .arg(self.key(&format!("c:{id}")))
            .arg(&["j", "state", "due", "attempt"])
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        match fields {
            (Some(json), Some(state), Some(due), Some(attempt)) => {
                let state: ContactState = state.parse().map_err(StoreError::Corrupt)?;
                Ok(Some(record(&json, state, &due, &attempt)?))
            }
            (None, None, None, None) => Ok(None),
            _ => Err(StoreError::Corrupt(format!(
                "contact '{id}' is missing fields"
            ))),
        }
    }

    async fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut inv = scripts().claim.prepare_invoke();
        inv.arg(&self.prefix).arg(ms(now)).arg(limit);
        let flat: Vec<String> = self.invoke(&inv).await?;
        flat.chunks_exact(3)
            .map(|c| record(&c[0], ContactState::Queued, &c[1], &c[2]))
            .collect()
    }

    async fn next_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let first: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(self.key("due"))
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        // Scores are whole milliseconds well inside f64's exact range.
        first
            .first()
            .map(|(_, score)| from_ms(*score as i64))
            .transpose()
    }

    async fn transition(
        &self,
        id: &str,
        to: Transition,
        ledger: &[LedgerEntry],
    ) -> StoreResult<bool> {
        let mut inv = scripts().transition.prepare_invoke();
        inv.arg(&self.prefix).arg(id);
        match to {
            Transition::Reschedule { due_at, attempt } => {
                inv.arg("reschedule").arg(ms(due_at)).arg(attempt);
            }
            Transition::Finish(state) => {
                if !state.is_terminal() {
                    return Err(StoreError::Query(format!(
                        "transition to non-terminal state '{state}'"
                    )));
                }
                inv.arg("finish").arg(state.as_str()).arg(0);
            }
        }
        ledger_args(&mut inv, ledger)?;
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }

    async fn reserve(&self, r: &Reservation) -> StoreResult<ReserveOutcome> {
        let entry = HistoryEntry {
            at: r.at,
            channel: r.channel,
            account: r.account.clone(),
            conversation: false,
        };
        let entry = serde_json::to_string(&entry).map_err(|e| json_err("history row", e))?;
        let mut inv = scripts().reserve.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(&r.contact_id)
            .arg(&r.account)
            .arg(&r.debtor_key)
            .arg(r.history_version)
            .arg(entry)
            .arg(ms(r.at))
            .arg(rfc3339(r.at));
        let reply: Vec<String> = self.invoke(&inv).await?;
        reserve_outcome(&reply)
    }

    async fn reserve_many(&self, reservations: &[Reservation]) -> StoreResult<Vec<ReserveOutcome>> {
        if reservations.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = scripts().reserve_many.prepare_invoke();
        inv.arg(&self.prefix);
        for r in reservations {
            let entry = HistoryEntry {
                at: r.at,
                channel: r.channel,
                account: r.account.clone(),
                conversation: false,
            };
            let entry = serde_json::to_string(&entry).map_err(|e| json_err("history row", e))?;
            inv.arg(&r.contact_id)
                .arg(&r.account)
                .arg(&r.debtor_key)
                .arg(r.history_version)
                .arg(entry)
                .arg(ms(r.at))
                .arg(rfc3339(r.at));
        }
        let reply: Vec<String> = self.invoke(&inv).await?;
        if reply.len() != reservations.len() * 2 {
            return Err(StoreError::Corrupt(
                "reserve_many answered a different count".into(),
            ));
        }
        reply.chunks(2).map(reserve_outcome).collect()
    }

    async fn cancel_account_contacts(
        &self,
        account: &str,
        channel: Option<ChannelKind>,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut inv = scripts().cancel.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(account)
            .arg(channel.map_or("", |c| c.as_str()))
            .arg(code)
            .arg(detail)
            .arg(rfc3339(at));
        self.invoke(&inv).await
    }

    async fn recover_stale(
        &self,
        queued_before: DateTime<Utc>,
        sending_before: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        let mut inv = scripts().recover.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(ms(queued_before))
            .arg(ms(sending_before))
            .arg("no outcome was recorded for this send; not resent automatically");
        let (requeued, unknown): (u64, u64) = self.invoke(&inv).await?;
        Ok((requeued, unknown))
    }

    async fn counts(&self, campaign: Option<&str>) -> StoreResult<BTreeMap<ContactState, u64>> {
        let key = match campaign {
            Some(c) => self.key(&format!("n:{c}")),
            None => self.key("n"),
        };
        let raw: BTreeMap<String, i64> = redis::cmd("HGETALL")
            .arg(key)
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        let mut out = BTreeMap::new();
        for (state, n) in raw {
            let state: ContactState = state.parse().map_err(StoreError::Corrupt)?;
            if n > 0 {
                out.insert(state, n as u64);
            }
        }
        Ok(out)
    }

    async fn campaigns(&self) -> StoreResult<Vec<String>> {
        let mut out: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key("campaigns"))
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        out.sort();
        Ok(out)
    }

    async fn history(&self, debtor_key: &str) -> StoreResult<(Vec<HistoryEntry>, u64)> {
        let (rows, version): (Vec<String>, Option<u64>) = redis::pipe()
            .lrange(self.key(&format!("h:{debtor_key}")), 0, -1)
            .get(self.key(&format!("hv:{debtor_key}")))
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        let rows = rows
            .iter()
            .map(|r| serde_json::from_str(r).map_err(|e| json_err("history row", e)))
            .collect::<StoreResult<Vec<HistoryEntry>>>()?;
        Ok((rows, version.unwrap_or(0)))
    }

    async fn record_conversation(
        &self,
        debtor_key: &str,
        account: &str,
        channel: ChannelKind,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let entry = HistoryEntry {
            at,
            channel,
            account: account.to_string(),
            conversation: true,
        };
        let entry = serde_json::to_string(&entry).map_err(|e| json_err("history row", e))?;
        redis::pipe()
            .atomic()
            .rpush(self.key(&format!("h:{debtor_key}")), entry)
            .ignore()
            .incr(self.key(&format!("hv:{debtor_key}")), 1)
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(map_err)
    }

    async fn append_ledger(&self, entries: &[LedgerEntry]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for entry in entries {
            let json = serde_json::to_string(entry).map_err(|e| json_err("ledger row", e))?;
            pipe.rpush(self.key(&format!("lc:{}", entry.campaign)), &json)
                .ignore();
            pipe.sadd(self.key("lcs"), &entry.campaign).ignore();
            pipe.rpush(self.key(&format!("la:{}", entry.account)), &json)
                .ignore();
            if let Some(pid) = &entry.provider_id {
                pipe.hset(self.key("pid"), pid, &entry.account).ignore();
            }
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(map_err)
    }

    async fn ledger(&self, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let mut inv = scripts().ledger.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(filter.campaign.as_deref().unwrap_or(""))
            .arg(filter.account.as_deref().unwrap_or(""))
            .arg(filter.provider_id.as_deref().unwrap_or(""));
        let rows: Vec<String> = self.invoke(&inv).await?;
        let mut out = Vec::new();
        for row in rows {
            let entry: LedgerEntry =
                serde_json::from_str(&row).map_err(|e| json_err("ledger row", e))?;
            let keep = filter
                .campaign
                .as_ref()
                .is_none_or(|c| *c == entry.campaign)
                && filter.account.as_ref().is_none_or(|a| *a == entry.account)
                && filter
                    .contact_id
                    .as_ref()
                    .is_none_or(|id| *id == entry.contact_id)
                && filter
                    .provider_id
                    .as_ref()
                    .is_none_or(|p| entry.provider_id.as_ref() == Some(p))
                && filter.since.is_none_or(|since| entry.at >= since);
            if keep {
                out.push(entry);
            }
        }
        // Stable: rows with the same instant keep their append order.
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    // The cursor is the index in the campaign's ledger list.
    async fn campaign_ledger_page(
        &self,
        campaign: &str,
        cursor: u64,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<u64>)> {
        let limit = limit.max(1);
        let start = isize::try_from(cursor)
            .map_err(|_| StoreError::Query(format!("ledger cursor {cursor} out of range")))?;
        let stop = start.saturating_add(isize::try_from(limit).unwrap_or(isize::MAX) - 1);
        let rows: Vec<String> = redis::cmd("LRANGE")
            .arg(self.key(&format!("lc:{campaign}")))
            .arg(start)
            .arg(stop)
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        let next = (rows.len() == limit).then(|| cursor + rows.len() as u64);
        let rows = rows
            .iter()
            .map(|row| serde_json::from_str(row).map_err(|e| json_err("ledger row", e)))
            .collect::<StoreResult<Vec<LedgerEntry>>>()?;
        Ok((rows, next))
    }

    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        let field = supp_field(entry.channel, &entry.address);
        let json = serde_json::to_string(entry).map_err(|e| json_err("suppression", e))?;
        let mut pipe = redis::pipe();
        pipe.atomic().hset(self.key("supp"), &field, json).ignore();
        if entry.prefix {
            pipe.sadd(self.key("supp_prefix"), &field).ignore();
        } else {
            pipe.srem(self.key("supp_prefix"), &field).ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(map_err)
    }

    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        let field = supp_field(channel, address);
        let (removed, _): (u64, u64) = redis::pipe()
            .atomic()
            .hdel(self.key("supp"), &field)
            .srem(self.key("supp_prefix"), &field)
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        Ok(removed > 0)
    }

    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        let rows: Vec<String> = redis::cmd("HVALS")
            .arg(self.key("supp"))
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        let mut out = rows
            .iter()
            .map(|r| serde_json::from_str(r).map_err(|e| json_err("suppression", e)))
            .collect::<StoreResult<Vec<Suppression>>>()?;
        out.sort_by(|a, b| (a.channel, &a.address).cmp(&(b.channel, &b.address)));
        Ok(out)
    }

    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        let mut inv = scripts().suppressed.prepare_invoke();
        inv.arg(&self.prefix).arg(channel.as_str()).arg(address);
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }

    async fn accounts_by_address(&self, address: &str) -> StoreResult<Vec<String>> {
        let mut ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key(&format!("addr:{address}")))
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        ids.sort();
        Ok(ids)
    }

    async fn set_campaign_stop_from(
        &self,
        campaign: &str,
        stop_from: AccountStatus,
    ) -> StoreResult<()> {
        redis::cmd("HSET")
            .arg(self.key("stop_from"))
            .arg(campaign)
            .arg(stop_from.as_str())
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(map_err)
    }

    async fn set_campaign_paused(&self, campaign: &str, paused: bool) -> StoreResult<bool> {
        if paused {
            let added: i64 = redis::cmd("SADD")
                .arg(self.key("paused"))
                .arg(campaign)
                .query_async(&mut self.conn())
                .await
                .map_err(map_err)?;
            return Ok(added == 1);
        }
        let mut inv = scripts().resume.prepare_invoke();
        inv.arg(&self.prefix).arg(campaign);
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }

    async fn paused_campaigns(&self) -> StoreResult<Vec<String>> {
        let mut out: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.key("paused"))
            .query_async(&mut self.conn())
            .await
            .map_err(map_err)?;
        out.sort();
        Ok(out)
    }

    async fn cancel_campaign_contacts(
        &self,
        campaign: &str,
        code: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut inv = scripts().cancel_campaign.prepare_invoke();
        inv.arg(&self.prefix)
            .arg(campaign)
            .arg(code)
            .arg(detail)
            .arg(rfc3339(at));
        self.invoke(&inv).await
    }
}
