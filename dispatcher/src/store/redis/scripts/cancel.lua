-- Cancels an account's contacts (StateMove::Cancel).
-- ARGV: prefix, account, channel ('' for all), code, detail, at (RFC 3339).
-- Returns the ids cancelled.
local account, channel, code, detail, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
-- a channel opt-out (the only caller naming a channel) and an active
-- account cancel every campaign's contacts; a stopped account those of the
-- campaigns that stop on its status
local status = redis.call('HGET', P .. 'acct_status', account) or 'active'
local ids = redis.call('SMEMBERS', P .. 'ac:' .. account)
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
  local key = P .. 'c:' .. id
  local c = redis.call('HMGET', key, 'campaign', 'account', 'step', 'channel', 'attempt', 'state', 'team')
  if (channel == '' or c[4] == channel)
    and (channel ~= '' or status == 'active' or stops(c[1], status))
    and cancel_one(id, c, code, detail, at) then
    out[#out + 1] = id
  end
end
return out
