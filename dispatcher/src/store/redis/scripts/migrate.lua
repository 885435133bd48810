-- Moves contacts of layout 1 (a hash `P:c:<id>` each) into layout 2
-- (their account's `P:k:<account>`; common.lua), keeping state, due time,
-- attempt and sending instant; migrate.rs reads the old hashes and calls
-- this in batches. Idempotent: a contact moved twice is written the same.
-- ARGV: prefix, then groups of ten: id, account, field (`<campaign>/
-- <suffix>` or `!<id>`), step info JSON,
-- state, due ms, attempt, planned - due ms or '', sending ms or '', odd
-- ('1' or ''). Returns how many it moved.
local i, moved = 2, 0
while i + 9 <= #ARGV do
  local id, account, field = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if string.sub(field, 1, 1) ~= '!' then field = slot_of(field, true) end
  local code = code_of(ARGV[i + 3])
  redis.call('HSET', P .. 'k:' .. account, field, (S2C[ARGV[i + 4]] or ARGV[i + 4]) .. '|' ..
    to36(ARGV[i + 5]) .. '|' .. ARGV[i + 6] .. '|' .. code .. '|' .. ARGV[i + 7] .. '|' .. ARGV[i + 8])
  if ARGV[i + 9] == '1' then redis.call('HSET', P .. 'oddid', id, account) end
  redis.call('DEL', P .. 'c:' .. id)
  moved = moved + 1
  i = i + 10
end
return moved
