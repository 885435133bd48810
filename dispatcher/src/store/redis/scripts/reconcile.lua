-- Reconciliation (ReconcileStore::reconcile): a `sending` or `unknown`
-- contact (FROM.reconcile, generated from StateMove::Reconcile) moves to
-- the state the provider or the outcome journal told, with its ledger rows.
-- ARGV: prefix, id, target state, then the ledger rows in groups of four.
-- Returns 1 when it moved, else 0 and nothing written.
local id, target = ARGV[2], ARGV[3]
local c = cload(id)
if not c or not FROM.reconcile[c.state] then return 0 end
local state = c.state
leave(id, state, c.team)
c.state = target
csave(c)
move(c.campaign, state, target)
ledger_args(4)
return 1
