-- Reads contact records. ARGV: prefix, 'ids' and contact ids, or
-- 'account' and an account id. Returns flat (id, account, packed record,
-- step info) groups (common.lua, answer); a missing id answers four ''.
local out = {}
if ARGV[2] == 'account' then
  local account = ARGV[3]
  local key = P .. 'k:' .. account
  local flat = redis.call('HGETALL', key)
  for n = 1, #flat, 2 do
    local id = field_id(flat[n], account)
    local c = id and cdecode(id, key, flat[n], account, flat[n + 1])
    if c then answer(out, c) end
  end
  return out
end
for i = 3, #ARGV do
  local c = cload(ARGV[i])
  if c then answer(out, c)
  else
    for _ = 1, 4 do out[#out + 1] = '' end
  end
end
return out
