-- Resumes a paused campaign: its parked contacts go back to their due
-- index (`P:due`, or their team's work queue).
-- ARGV: prefix, campaign. 1 when it was paused.
local campaign = ARGV[2]
local removed = redis.call('SREM', P .. 'paused', campaign)
local parked = P .. 'pz:' .. campaign
if redis.call('EXISTS', parked) == 1 then
  if redis.call('SCARD', P .. 'teams') == 0 then
    redis.call('ZUNIONSTORE', P .. 'due', 2, P .. 'due', parked, 'AGGREGATE', 'MIN')
  else
    local flat = redis.call('ZRANGE', parked, 0, -1, 'WITHSCORES')
    for n = 1, #flat, 2 do
      local team = redis.call('HGET', P .. 'c:' .. flat[n], 'team')
      redis.call('ZADD', due_key(team), flat[n + 1], flat[n])
    end
  end
  redis.call('DEL', parked)
end
return removed
