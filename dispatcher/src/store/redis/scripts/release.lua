-- Releases (StateMove::Release): reservations the store took whose answer
-- the worker never got, so it sent nothing. A contact reserved at
-- exactly that instant, still `sending` or already `unknown` (its lease
-- recovered first), goes back to pending, due then,
-- its attempt count kept; the history row the reservation pushed is
-- removed (and the version bumped), and the release's ledger row written.
-- ARGV: prefix, then per release: contact id, reservation ms, debtor key,
-- the history row JSON exactly as the reservation pushed it, and the
-- ledger row's four arguments. Returns 1 or 0 per release.
local out = {}
local i = 2
while i + 7 <= #ARGV do
  local id, at_ms, debtor, entry = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local c = cload(id)
  if c and FROM.release[c.state] and tonumber(c.sat) == tonumber(at_ms) then
    local from = c.state
    leave(id, from, c.team)
    -- leave() drops it from the review queue's index too when unknown
    c.state = 'pending'
    set_due(c, at_ms)
    csave(c)
    due_add(c.team, at_ms, id, c.field, c.account)
    move(c.campaign, from, 'pending')
    -- the history list and its version are not deferred anywhere in this
    -- script, so they are written as they go
    if redis.call('LREM', P .. 'h:' .. debtor, 1, entry) > 0 then
      redis.call('INCR', P .. 'hv:' .. debtor)
    end
    ledger(ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  i = i + 8
end
return out
