-- Cancels the campaign's pending and queued contacts (StateMove::Cancel);
-- returns their ids. Walks every open contact (there is no campaign index
-- of open contacts): an operator's rare action, not a hot path.
-- ARGV: prefix, campaign, code, detail, at (RFC 3339).
local campaign, code, detail, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local out = {}
local function sweep(ids)
  for _, id in ipairs(ids) do
    local key = P .. 'c:' .. id
    local c = redis.call('HMGET', key, 'campaign', 'account', 'step', 'channel', 'attempt', 'state', 'team')
    if c[1] == campaign and cancel_one(id, c, code, detail, at) then
      out[#out + 1] = id
    end
  end
end
sweep(redis.call('ZRANGE', P .. 'pz:' .. campaign, 0, -1))
redis.call('DEL', P .. 'pz:' .. campaign)
sweep(redis.call('ZRANGE', P .. 'due', 0, -1))
sweep(redis.call('ZRANGE', P .. 'queued', 0, -1))
for _, team in ipairs(redis.call('SMEMBERS', P .. 'teams')) do
  sweep(redis.call('ZRANGE', due_key(team), 0, -1))
end
table.sort(out)
return out
