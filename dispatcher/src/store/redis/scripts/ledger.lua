-- ARGV: prefix, campaign, account, provider id ('' when not filtered).
-- Returns candidate rows; the caller applies the exact filter.
local campaign, account, pid = ARGV[2], ARGV[3], ARGV[4]
if pid ~= '' then
  local acct = redis.call('HGET', P .. 'pid', pid)
  if not acct then return {} end
  return redis.call('LRANGE', P .. 'la:' .. acct, 0, -1)
end
if account ~= '' then return redis.call('LRANGE', P .. 'la:' .. account, 0, -1) end
if campaign ~= '' then return redis.call('LRANGE', P .. 'lc:' .. campaign, 0, -1) end
local campaigns = redis.call('SMEMBERS', P .. 'lcs')
table.sort(campaigns)
local out = {}
for _, c in ipairs(campaigns) do
  for _, r in ipairs(redis.call('LRANGE', P .. 'lc:' .. c, 0, -1)) do out[#out + 1] = r end
end
return out
