-- ARGV: prefix, channel, address. 1 when suppressed.
local channel, address = ARGV[2], ARGV[3]
if redis.call('HEXISTS', P .. 'supp', channel .. '|' .. address) == 1 then return 1 end
if redis.call('HEXISTS', P .. 'supp', '*|' .. address) == 1 then return 1 end
for _, field in ipairs(redis.call('SMEMBERS', P .. 'supp_prefix')) do
  local bar = string.find(field, '|', 1, true)
  local ch = string.sub(field, 1, bar - 1)
  local entry = string.sub(field, bar + 1)
  if ch == '*' or ch == channel then
    if string.sub(entry, 1, 1) == '@' then
      if #address >= #entry and string.sub(address, -#entry) == entry then return 1 end
    elseif string.sub(address, 1, #entry) == entry then
      return 1
    end
  end
end
return 0
