-- Reconciliation (ReconcileStore::reconcile): a `sending` or `unknown`
-- contact (FROM.reconcile, generated from StateMove::Reconcile) moves to
-- the state the provider or the outcome journal told, with its ledger rows.
-- ARGV: prefix, id, target state, then the ledger rows in groups of four.
-- Returns 1 when it moved, else 0 and nothing written.
local id, target = ARGV[2], ARGV[3]
local key = P .. 'c:' .. id
local c = redis.call('HMGET', key, 'state', 'campaign', 'team')
local state, campaign, team = c[1], c[2], c[3]
if not state or not FROM.reconcile[state] then return 0 end
leave(id, state, team)
redis.call('HSET', key, 'state', target)
move(campaign, state, target)
ledger_args(4)
return 1
