-- Resumes a paused campaign: its parked contacts go back to the due index
-- (the workers' plan, or their team's work queue).
-- ARGV: prefix, campaign. 1 when it was paused.
local campaign = ARGV[2]
local removed = redis.call('SREM', P .. 'paused', campaign)
local parked = P .. 'pz:' .. campaign
local flat = redis.call('ZRANGE', parked, 0, -1, 'WITHSCORES')
for n = 1, #flat, 2 do
  local c = cload(flat[n])
  if c and c.state == 'pending' then due_add(c.team, c.due, flat[n], c.field, c.account) end
end
redis.call('DEL', parked)
return removed
