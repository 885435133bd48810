-- Resumes a paused campaign: its parked contacts go back to `P:due`.
-- ARGV: prefix, campaign. 1 when it was paused.
local campaign = ARGV[2]
local removed = redis.call('SREM', P .. 'paused', campaign)
local parked = P .. 'pz:' .. campaign
if redis.call('EXISTS', parked) == 1 then
  redis.call('ZUNIONSTORE', P .. 'due', 2, P .. 'due', parked, 'AGGREGATE', 'MIN')
  redis.call('DEL', parked)
end
return removed
