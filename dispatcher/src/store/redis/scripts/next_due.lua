-- The earliest instant at which a contact of the workers' plan is due
-- (ms), or nil. Drops the stale entries it finds at the head of the due
-- index (common.lua) on the way, at most 1,000 per call: past that it
-- answers the instant it reached, which may be early but never late.
-- ARGV: prefix.
local budget = 1000
while true do
  local first = redis.call('ZRANGE', P .. 'dq', 0, 0)
  if #first == 0 then return false end
  local instant = first[1]
  local list = P .. 'dl:' .. instant
  while budget > 0 do
    local entry = redis.call('LINDEX', list, 0)
    if not entry then break end
    local id = entry_id(entry)
    if id and due_live(cload(id), instant) then return instant end
    redis.call('LPOP', list)
    budget = budget - 1
  end
  if budget <= 0 then return instant end
  redis.call('ZREM', P .. 'dq', instant)
end
