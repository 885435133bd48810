-- Reservations (StateMove::Reserve), item by item, in order; the account
-- statuses and history versions are read once for the call, and a
-- reservation sees the versions the earlier ones of the call left.
-- ARGV: prefix, then per reservation: contact id, account, debtor key,
-- expected version, history row JSON, at ms, at RFC 3339 (unused since
-- layout 2: the record keeps the milliseconds). Returns two
-- strings per item: the outcome and the account status ('' unless stopped).
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
  local c = cload(id)
  if not c or not FROM.reserve[c.state] then return 'not_queued', '' end
  local status = statuses[n]
  if stops(c.campaign, status) then return 'stopped', status end
  local vkey = P .. 'hv:' .. debtor
  if versions[vkey] ~= tonumber(expected) then return 'history_changed', '' end
  defer('ZREM', P .. 'queued', id)
  local from = c.state
  c.state = 'sending'
  c.sat = at_ms
  csave(c)
  defer('ZADD', P .. 'sending', at_ms, id)
  move(c.campaign, from, 'sending')
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
