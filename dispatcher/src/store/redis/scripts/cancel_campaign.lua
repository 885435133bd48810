-- Cancels the campaign's pending and queued contacts (StateMove::Cancel);
-- returns their ids. Walks every open contact (there is no campaign index
-- of open contacts): an operator's rare action, not a hot path.
-- ARGV: prefix, campaign, code, detail, at (RFC 3339).
local campaign, code, detail, at = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local out = {}
local function sweep(ids)
  for _, id in ipairs(ids) do
    local c = cload(id)
    if c and c.campaign == campaign and cancel_one(c, code, detail, at) then
      out[#out + 1] = id
    end
  end
end
sweep(redis.call('ZRANGE', P .. 'pz:' .. campaign, 0, -1))
redis.call('DEL', P .. 'pz:' .. campaign)
-- the due lists are swept whole, so they are rewritten without their
-- stale entries on the way (this campaign's and any earlier ones)
for _, instant in ipairs(redis.call('ZRANGE', P .. 'dq', 0, -1)) do
  local list = P .. 'dl:' .. instant
  local entries = redis.call('LRANGE', list, 0, -1)
  local ids = {}
  for n, entry in ipairs(entries) do ids[n] = entry_id(entry) or '' end
  sweep(ids)
  local keep = {}
  for n, id in ipairs(ids) do
    if id ~= '' and due_live(cload(id), instant) then keep[#keep + 1] = entries[n] end
  end
  if #keep < #entries then
    redis.call('DEL', list)
    local i = 1
    while i <= #keep do
      local last = math.min(i + 999, #keep)
      redis.call('RPUSH', list, unpack(keep, i, last))
      i = last + 1
    end
    if #keep == 0 then redis.call('ZREM', P .. 'dq', instant) end
  end
end
sweep(redis.call('ZRANGE', P .. 'queued', 0, -1))
for _, team in ipairs(redis.call('SMEMBERS', P .. 'teams')) do
  sweep(redis.call('ZRANGE', due_key(team), 0, -1))
end
table.sort(out)
return out
