-- The batch of transitions (`transition_one`, item by item), after adding
-- the contacts a batch planned (`add.lua`'s rules).
-- ARGV: prefix, number of contacts to add, their groups of six
-- arguments (as add.lua), then per item: id, kind, due ms or target state,
-- attempt, number of ledger rows, and the rows in groups of four.
-- Returns 1 or 0 per item.
local out = {}
-- the contacts to plan first (a batch's fallbacks)
local _, i = add_contacts(3, 2 + 6 * tonumber(ARGV[2]))
while i + 4 <= #ARGV do
  local nrows = tonumber(ARGV[i + 4])
  out[#out + 1] = transition_one(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], i + 5, nrows)
  i = i + 5 + nrows * 4
end
return out
