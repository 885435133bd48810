-- Claims due agent contacts of some teams (StateMove::Claim), earliest
-- first across the teams, ties by id; those of paused campaigns are parked
-- as claim.lua parks them.
-- ARGV: prefix, now ms, limit, team ids. Returns flat (id, account, packed
-- record, step info) groups (common.lua, answer).
local now, limit = ARGV[2], tonumber(ARGV[3])
local candidates = {}
for t = 4, #ARGV do
  local key = due_key(ARGV[t])
  local flat = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
  for n = 1, #flat, 2 do
    candidates[#candidates + 1] = {id = flat[n], due = tonumber(flat[n + 1]), key = key}
  end
end
table.sort(candidates, function(a, b)
  if a.due ~= b.due then return a.due < b.due end
  return a.id < b.id
end)
local any_paused = redis.call('SCARD', P .. 'paused') > 0
local out, taken = {}, 0
for _, cand in ipairs(candidates) do
  if taken >= limit then break end
  local id = cand.id
  local c = cload(id)
  defer('ZREM', cand.key, id)
  if c and FROM.claim[c.state] then
    if any_paused and redis.call('SISMEMBER', P .. 'paused', c.campaign) == 1 then
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
return out
