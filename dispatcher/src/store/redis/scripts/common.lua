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
-- the due index of a contact: the workers' plan, or its team's work
-- queue (an agent contact)
local function due_key(team)
  if team and team ~= '' then return P .. 'wdue:' .. team end
  return P .. 'due'
end
local function leave(id, state, team)
  if state == 'pending' then defer('ZREM', due_key(team), id)
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
-- adds the planned contacts passed as groups of eight arguments (id,
-- campaign, account, step, channel, due ms, json, team or '') from
-- ARGV[first] up to ARGV[last]; a contact already stored is left alone.
-- Returns how many were added and the index after the last group.
local planned_campaigns, planned_teams = {}, {}
local function add_contacts(first, last)
  local added, i = 0, first
  while i + 7 <= last do
    local id = ARGV[i]
    local key = P .. 'c:' .. id
    if redis.call('EXISTS', key) == 0 then
      local campaign, account, team = ARGV[i + 1], ARGV[i + 2], ARGV[i + 7]
      redis.call('HSET', key, 'j', ARGV[i + 6], 'state', 'pending', 'due', ARGV[i + 5], 'attempt', 0,
        'campaign', campaign, 'account', account, 'step', ARGV[i + 3], 'channel', ARGV[i + 4])
      if team ~= '' then
        redis.call('HSET', key, 'team', team)
        if not planned_teams[team] then
          planned_teams[team] = true
          defer('SADD', P .. 'teams', team)
        end
      end
      defer('ZADD', due_key(team), ARGV[i + 5], id)
      redis.call('SADD', P .. 'ac:' .. account, id)
      -- the expedientes list's campaign filter (keys.rs)
      defer('ZADD', P .. 'acct_camp:' .. campaign, 0, account)
      if not planned_campaigns[campaign] then
        planned_campaigns[campaign] = true
        defer('SADD', P .. 'campaigns', campaign)
      end
      move(campaign, nil, 'pending')
      added = added + 1
    end
    i = i + 8
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
-- one contact's transition (Transition in Rust): `kind` 'reschedule' back
-- to pending at `target` (due ms) with `attempt`, 'requeue' (an operator's
-- review of an unknown contact) back to pending at `target`, or 'finish' into state
-- `target`; then its `nrows` ledger rows from ARGV[first]. 1 when the
-- contact was in a state the move leaves, else 0 and nothing written.
local function transition_one(id, kind, target, attempt, first, nrows)
  local key = P .. 'c:' .. id
  local c = redis.call('HMGET', key, 'state', 'campaign', 'team')
  local state, campaign, team = c[1], c[2], c[3]
  if not state then return 0 end
  if kind == 'reschedule' then
    if not FROM.reschedule[state] then return 0 end
    leave(id, state, team)
    redis.call('HSET', key, 'state', 'pending', 'due', target, 'attempt', attempt)
    defer('ZADD', due_key(team), target, id)
    move(campaign, state, 'pending')
  elseif kind == 'requeue' then
    -- an operator's review: the attempt count is kept
    if not FROM.requeue[state] then return 0 end
    leave(id, state, team)
    redis.call('HSET', key, 'state', 'pending', 'due', target)
    defer('ZADD', due_key(team), target, id)
    move(campaign, state, 'pending')
  else
    local from
    if target == 'delivered' or target == 'undelivered' then from = FROM.receipt
    else from = FROM.finish end
    if not from[state] then return 0 end
    leave(id, state, team)
    redis.call('HSET', key, 'state', target)
    if target == 'unknown' then enter_unknown(id) end
    move(campaign, state, target)
  end
  for r = 0, nrows - 1 do
    local i = first + r * 4
    ledger(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  end
  return 1
end
-- cancels contact `id` whose hash fields `c` are (campaign, account, step,
-- channel, attempt, state, team) when nothing has gone out yet, with its
-- `cancelled` ledger row; true when it did
local function cancel_one(id, c, code, detail, at)
  local state = c[6]
  if not FROM.cancel[state] then return false end
  leave(id, state, c[7])
  redis.call('HSET', P .. 'c:' .. id, 'state', 'cancelled')
  move(c[1], state, 'cancelled')
  ledger(row(id, c, 'cancelled', at, code, detail), c[1], c[2], '')
  return true
end
