-- Cancels an account's contacts (StateMove::Cancel).
-- ARGV: prefix, account, channel ('' for all), code, detail, at (RFC 3339).
-- Returns the ids cancelled.
local account, channel, code, detail, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
-- a channel opt-out (the only caller naming a channel) and an active
-- account cancel every campaign's contacts; a stopped account those of the
-- campaigns that stop on its status
local status = redis.call('HGET', P .. 'acct_status', account) or 'active'
local key = P .. 'k:' .. account
local flat = redis.call('HGETALL', key)
local records = {}
for n = 1, #flat, 2 do
  local id = field_id(flat[n], account)
  local c = id and cdecode(id, key, flat[n], account, flat[n + 1])
  if c then records[#records + 1] = c end
end
table.sort(records, function(a, b) return a.id < b.id end)
local out = {}
for _, c in ipairs(records) do
  if (channel == '' or c.channel == channel)
    and (channel ~= '' or status == 'active' or stops(c.campaign, status))
    and cancel_one(c, code, detail, at) then
    out[#out + 1] = c.id
  end
end
return out
