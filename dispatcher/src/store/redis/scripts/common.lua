-- The shared helpers of every script. `scripts.rs` puts in front of this
-- file the tables generated from the Rust definitions in cobro-campaigns:
-- FROM[move][state] (StateMove::from_states: the states each store
-- operation moves a contact from) and STOP_RANK (AccountStatus::rank).
local P = ARGV[1]
-- AccountStatus::stops: whether a contact of `campaign` must not go to an
-- account in `status`. A campaign without a stored `stop_from` stops on
-- every account event; an unknown status stops (fail closed).
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
-- The due index (layout 2, keys.rs). A team's agent contacts: the zset
-- P:wdue:<team> by due time. Every other pending contact: the list
-- P:dl:<due ms> of the ids due at that instant, with the instants in the
-- zset P:dq (member and score the instant). A list entry costs a few dozen
-- bytes where a sorted-set member cost ~140. A contact that stops being
-- pending without being claimed (only a cancel does that) leaves a stale
-- entry behind, which the claims and next_due drop when they reach it: an
-- entry is live when its record is pending, due at that instant, with no
-- team.
local function due_key(team)
  if team and team ~= '' then return P .. 'wdue:' .. team end
  return nil
end
-- A due list entry is `\1<field>|<account>` (the contact's field in its
-- account's hash), ~15 bytes where the id is ~36, or the id itself for an
-- odd id (and after a migration).
local function due_add(team, due, id, field, account)
  if team and team ~= '' then
    defer('ZADD', P .. 'wdue:' .. team, due, id)
  else
    local entry = id
    if field and string.sub(field, 1, 1) ~= '!' then entry = '\1' .. field .. '|' .. account end
    defer('RPUSH', P .. 'dl:' .. due, entry)
    defer('ZADD', P .. 'dq', due, due)
  end
end
local function due_live(c, instant)
  return c ~= nil and c.state == 'pending' and c.due == instant and c.team == ''
end
local function leave(id, state, team)
  if state == 'pending' then
    if team and team ~= '' then defer('ZREM', P .. 'wdue:' .. team, id) end
  elseif state == 'queued' then defer('ZREM', P .. 'queued', id)
  elseif state == 'sending' then defer('ZREM', P .. 'sending', id)
  elseif state == 'unknown' then defer('ZREM', P .. 'unknown', id) end
end
-- contact `id` enters the review queue (state unknown), paged by id
local function enter_unknown(id)
  defer('ZADD', P .. 'unknown', 0, id)
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
-- Contact records (layout 2, keys.rs): the contacts of account A live in
-- hash P:k:A, one field each: for the id `<campaign>/A/<suffix>` (a
-- regular id) the slot number of `<campaign>/<suffix>` (P:fc name -> slot,
-- P:fn slot -> name: one slot per step of a campaign, shared by every
-- account), `!<id>` for any other id (listed in P:oddid, id -> account).
-- The value is packed:
-- `state code|due ms in base 36|attempt|step code|planned - due ms or
-- ''|sending ms or ''` (S2C/C2S: the one-letter state codes, generated);
-- the step code names the step's fixed part in P:steps (a JSON array:
-- campaign, step, channel, template, fallback, team), so a pending
-- contact costs a few dozen bytes in a small (listpack) hash.
local slots, slot_names = {}, {}
-- the slot of `name` (`<campaign>/<suffix>`), created when `create`
local function slot_of(name, create)
  local n = slots[name]
  if n then return n end
  n = redis.call('HGET', P .. 'fc', name)
  if not n then
    if not create then return nil end
    n = tostring(redis.call('HLEN', P .. 'fc') + 1)
    redis.call('HSET', P .. 'fc', name, n)
    redis.call('HSET', P .. 'fn', n, name)
  end
  slots[name] = n
  slot_names[n] = name
  return n
end
local function slot_name(n)
  local name = slot_names[n]
  if not name then
    name = redis.call('HGET', P .. 'fn', n)
    if name then
      slot_names[n] = name
      slots[name] = n
    end
  end
  return name
end
local odd_any = nil
-- the hash, field and account of contact `id` (nil: no such contact)
local function locate(id)
  if odd_any == nil then odd_any = redis.call('EXISTS', P .. 'oddid') == 1 end
  if odd_any then
    local acct = redis.call('HGET', P .. 'oddid', id)
    if acct then return P .. 'k:' .. acct, '!' .. id, acct end
  end
  local campaign, account, suffix = string.match(id, '^([^/]*)/(.*)/([^/]*)$')
  if not campaign then return nil end
  local slot = slot_of(campaign .. '/' .. suffix, false)
  if not slot then return nil end
  return P .. 'k:' .. account, slot, account
end
local infos = {}
local function step_info(code)
  local info = infos[code]
  if not info then
    local json = redis.call('HGET', P .. 'steps', code) or '[]'
    local t = cjson.decode(json)
    local team = t[6]
    if team == nil or team == cjson.null then team = '' end
    info = {json = json, campaign = t[1] or '', step = t[2] or '', channel = t[3] or '', team = team}
    infos[code] = info
  end
  return info
end
local codes = {}
local function code_of(info_json)
  local code = codes[info_json]
  if code then return code end
  code = redis.call('HGET', P .. 'stepc', info_json)
  if not code then
    code = tostring(redis.call('HLEN', P .. 'steps') + 1)
    redis.call('HSET', P .. 'steps', code, info_json)
    redis.call('HSET', P .. 'stepc', info_json, code)
  end
  codes[info_json] = code
  return code
end
-- ms (a decimal string) in base 36 and back: a packed record keeps its
-- due time in 8 characters instead of 13; everything else in the scripts
-- uses the decimal text
local B36 = '0123456789abcdefghijklmnopqrstuvwxyz'
local function to36(ms)
  local n = tonumber(ms)
  if not n or n <= 0 then return '0' end
  local out = ''
  while n > 0 do
    local d = n % 36
    out = string.sub(B36, d + 1, d + 1) .. out
    n = (n - d) / 36
  end
  return out
end
local function from36(s)
  return string.format('%d', tonumber(s, 36) or 0)
end
-- the record of field `field` (value `v`) of hash `key` of `account`
local function cdecode(id, key, field, account, v)
  local sc, due36, attempt, code, pd, sat =
    string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not sc then return nil end
  local state, due = C2S[sc] or sc, from36(due36)
  local info = step_info(code)
  return {id = id, key = key, field = field, account = account, state = state, due = due,
    attempt = attempt, code = code, pd = pd, sat = sat, campaign = info.campaign,
    step = info.step, channel = info.channel, team = info.team, info = info.json, packed = v}
end
-- the record of contact `id`, or nil
local function cload(id)
  local key, field, account = locate(id)
  if not key then return nil end
  local v = redis.call('HGET', key, field)
  if not v then return nil end
  return cdecode(id, key, field, account, v)
end
-- the contact id of field `field` of account `account`'s hash
local function field_id(field, account)
  if string.sub(field, 1, 1) == '!' then return string.sub(field, 2) end
  local campaign, suffix = string.match(slot_name(field) or '', '^([^/]*)/(.*)$')
  if not campaign then return nil end
  return campaign .. '/' .. account .. '/' .. suffix
end
-- the contact id of a due list entry (nil when its slot is unknown)
local function entry_id(entry)
  if string.sub(entry, 1, 1) ~= '\1' then return entry end
  local field, account = string.match(entry, '^\1([^|]*)|(.*)$')
  if not field then return nil end
  return field_id(field, account)
end
-- writes record `c` back (the reservation instant is kept while sending
-- and once unknown: a release matches it)
local function csave(c)
  if c.state ~= 'sending' and c.state ~= 'unknown' then c.sat = '' end
  c.packed = (S2C[c.state] or c.state) .. '|' .. to36(c.due) .. '|' .. c.attempt .. '|' .. c.code ..
    '|' .. c.pd .. '|' .. c.sat
  redis.call('HSET', c.key, c.field, c.packed)
end
-- moves the current due time of `c` to `due` ms, keeping the planned one
local function set_due(c, due)
  local planned = tonumber(c.due) + (tonumber(c.pd) or 0)
  local d = planned - tonumber(due)
  c.due = due
  if d == 0 then c.pd = '' else c.pd = string.format('%d', d) end
end
-- what a script answers for contact `c`: id, account, packed, step info
local function answer(out, c)
  out[#out + 1] = c.id
  out[#out + 1] = c.account
  out[#out + 1] = c.packed
  out[#out + 1] = c.info
end
-- milliseconds since the epoch as RFC 3339 (UTC, `Z`, milliseconds only
-- when not whole), as chrono's AutoSi writes them
local function rfc3339(ms)
  ms = tonumber(ms)
  if not ms then return '' end
  local secs = math.floor(ms / 1000)
  local frac = ms - secs * 1000
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m
  if mp < 10 then m = mp + 3 else m = mp - 9 end
  if m <= 2 then y = y + 1 end
  local s = string.format('%04d-%02d-%02dT%02d:%02d:%02d', y, m, d, math.floor(rem / 3600),
    math.floor((rem % 3600) / 60), rem % 60)
  if frac ~= 0 then s = s .. string.format('.%03d', frac) end
  return s .. 'Z'
end
-- adds the planned contacts passed as groups of six arguments (id,
-- account, field (`<campaign>/<suffix>` or `!<id>`), step info JSON,
-- due ms in base 36, '1' for an odd id
-- else '') from
-- ARGV[first] up to ARGV[last]; a contact already stored is left alone.
-- Returns how many were added and the index after the last group.
local planned_campaigns, planned_teams = {}, {}
local function add_contacts(first, last)
  local added, i = 0, first
  while i + 5 <= last do
    local id, account, field, due36 = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 4]
    local key = P .. 'k:' .. account
    if string.sub(field, 1, 1) ~= '!' then field = slot_of(field, true) end
    local code = code_of(ARGV[i + 3])
    -- one call that writes only a new contact (HEXISTS then HSET was two)
    if redis.call('HSETNX', key, field, S2C.pending .. '|' .. due36 .. '|0|' .. code .. '||') == 1 then
      local info = step_info(code)
      local campaign, team = info.campaign, info.team
      local due = from36(due36)
      if ARGV[i + 5] == '1' then
        redis.call('HSET', P .. 'oddid', id, account)
        odd_any = true
      end
      if team ~= '' and not planned_teams[team] then
        planned_teams[team] = true
        defer('SADD', P .. 'teams', team)
      end
      due_add(team, due, id, field, account)
      -- the expedientes list's campaign filter (keys.rs)
      defer('ZADD', P .. 'acct_camp:' .. campaign, 0, account)
      if not planned_campaigns[campaign] then
        planned_campaigns[campaign] = true
        defer('SADD', P .. 'campaigns', campaign)
      end
      move(campaign, nil, 'pending')
      added = added + 1
    end
    i = i + 6
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
-- a ledger row written by a script, for contact record `c`
local function row(c, state, at, code, detail)
  local function opt(v) if v == nil or v == '' then return 'null' end return cjson.encode(v) end
  return '{"contact_id":' .. cjson.encode(c.id) .. ',"campaign":' .. cjson.encode(c.campaign) ..
    ',"account":' .. cjson.encode(c.account) .. ',"step":' .. cjson.encode(c.step) ..
    ',"channel":' .. cjson.encode(c.channel) .. ',"state":' .. cjson.encode(state) ..
    ',"at":' .. cjson.encode(at) .. ',"timezones":[],"rules":[],"code":' .. opt(code) ..
    ',"detail":' .. opt(detail) .. ',"provider":null,"provider_id":null,"attempt":' .. (tonumber(c.attempt) or 0) .. '}'
end
-- one contact's transition (Transition in Rust): `kind` 'reschedule' back
-- to pending at `target` (due ms) with `attempt`, 'requeue' (an operator's
-- review of an unknown contact) back to pending at `target`, or 'finish' into state
-- `target`; then its `nrows` ledger rows from ARGV[first]. 1 when the
-- contact was in a state the move leaves, else 0 and nothing written.
local function transition_one(id, kind, target, attempt, first, nrows)
  local c = cload(id)
  if not c then return 0 end
  local state, campaign, team = c.state, c.campaign, c.team
  if kind == 'reschedule' then
    if not FROM.reschedule[state] then return 0 end
    leave(id, state, team)
    c.state = 'pending'
    c.attempt = attempt
    set_due(c, target)
    csave(c)
    due_add(team, target, id, c.field, c.account)
    move(campaign, state, 'pending')
  elseif kind == 'requeue' then
    -- an operator's review: the attempt count is kept
    if not FROM.requeue[state] then return 0 end
    leave(id, state, team)
    c.state = 'pending'
    set_due(c, target)
    csave(c)
    due_add(team, target, id, c.field, c.account)
    move(campaign, state, 'pending')
  else
    local from
    if target == 'delivered' or target == 'undelivered' then from = FROM.receipt
    else from = FROM.finish end
    if not from[state] then return 0 end
    leave(id, state, team)
    c.state = target
    csave(c)
    if target == 'unknown' then enter_unknown(id) end
    move(campaign, state, target)
  end
  for r = 0, nrows - 1 do
    local i = first + r * 4
    ledger(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  end
  return 1
end
-- cancels contact record `c` when nothing has gone out yet, with its
-- `cancelled` ledger row; true when it did
local function cancel_one(c, code, detail, at)
  local state = c.state
  if not FROM.cancel[state] then return false end
  leave(c.id, state, c.team)
  c.state = 'cancelled'
  csave(c)
  move(c.campaign, state, 'cancelled')
  ledger(row(c, 'cancelled', at, code, detail), c.campaign, c.account, '')
  return true
end
