-- Claims due contacts (StateMove::Claim), parking those of paused campaigns.
-- Takes the earliest instants of the due index first (common.lua), and
-- drops the stale entries it pops; it pops at most 4 × limit + 1,000
-- entries per call, so a stretch of stale entries (a cancelled campaign)
-- costs several calls rather than one long one.
-- ARGV: prefix, now ms, limit. Returns flat (id, account, packed record,
-- step info) groups (common.lua, answer).
local now, limit = ARGV[2], tonumber(ARGV[3])
local now_n = tonumber(now)
local any_paused = redis.call('SCARD', P .. 'paused') > 0
local out, taken, budget = {}, 0, limit * 4 + 1000
while taken < limit and budget > 0 do
  local first = redis.call('ZRANGE', P .. 'dq', 0, 0, 'WITHSCORES')
  if #first == 0 or tonumber(first[2]) > now_n then break end
  local instant = first[1]
  local list = P .. 'dl:' .. instant
  local ids = redis.call('LPOP', list, math.min(limit - taken, budget))
  if ids then
    budget = budget - #ids
    for _, entry in ipairs(ids) do
      local id = entry_id(entry)
      local c = id and cload(id)
      if due_live(c, instant) and FROM.claim[c.state] then
        if any_paused and redis.call('SISMEMBER', P .. 'paused', c.campaign) == 1 then
          -- parked (still pending) until the campaign resumes
          redis.call('ZADD', P .. 'pz:' .. c.campaign, c.due, id)
        else
          c.state = 'queued'
          csave(c)
          defer('ZADD', P .. 'queued', now, id)
          move(c.campaign, 'pending', 'queued')
          answer(out, c)
          taken = taken + 1
        end
      end
    end
  end
  if redis.call('EXISTS', list) == 0 then redis.call('ZREM', P .. 'dq', instant) end
end
return out
