-- Adds accounts to the address index (keys.rs: P:ad:<bucket>, address ->
-- JSON array of account ids), each id once.
-- ARGV: prefix, then (bucket, address, account) triples.
local i = 2
while i + 2 <= #ARGV do
  local key = P .. 'ad:' .. ARGV[i]
  local address, account = ARGV[i + 1], ARGV[i + 2]
  local cur = redis.call('HGET', key, address)
  if not cur then
    redis.call('HSET', key, address, cjson.encode({account}))
  else
    local ids = cjson.decode(cur)
    local found = false
    for _, x in ipairs(ids) do
      if x == account then found = true break end
    end
    if not found then
      ids[#ids + 1] = account
      redis.call('HSET', key, address, cjson.encode(ids))
    end
  end
  i = i + 3
end
return 0
